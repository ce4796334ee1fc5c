"""One SGD training step of an MLP classifier, in every framework (W2, W3, W4, W6).

A step is: forward through ``Linear`` layers with an activation between them,
softmax cross-entropy against integer labels (mean over the batch), backward,
and a plain SGD update ``p -= lr * grad`` with the gradients then cleared.
Each framework writes it the way its users would:

- **chainrule**: ``nn.Sequential`` of ``nn.Linear`` and activation modules,
  ``functional.cross_entropy`` and ``optim.SGD``;
- **NumPy (by hand)**: forward and backward written out, in-place updates:
  the practical floor for a framework that runs on NumPy;
- **PyTorch**: ``torch.nn.Sequential``, ``torch.nn.functional.cross_entropy``
  and ``torch.optim.SGD``;
- **HIPS autograd**: the loss as a function of a list of arrays,
  ``autograd.value_and_grad``, in-place updates.

All start from the same seeded weights (PyTorch's default initialisation,
U(-k, k) with k = 1/sqrt(fan_in)), stored as PyTorch lays them out: a weight
of shape (out, in), applied as ``x @ W.T``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from common import Context, Target, markdown_table, ratio_cell, target_cells
from timing import Case, median_ratio, noise_note, run_rounds, samples

import chainrule as cr
from chainrule import functional, nn, optim

LR = 0.01
# Tolerances of the check, relative and (times the largest gradient) absolute;
# float32 sums hundreds of products in a BLAS-dependent order.
TOLERANCES = {"float64": (1e-9, 1e-12), "float32": (1e-4, 1e-5)}
FRAMEWORKS = {
    "chainrule": "chainrule",
    "numpy": "NumPy (by hand)",
    "torch": "PyTorch",
    "autograd": "HIPS autograd",
}


@dataclass(frozen=True)
class Spec:
    """An MLP and its batch: ``layers`` are the widths, input first."""

    layers: tuple[int, ...]
    activation: str  # "tanh" or "relu"
    batch: int
    dtype: str = "float64"

    def describe(self) -> str:
        widths = f"{self.layers[0]}-{self.layers[1]}-...-{self.layers[-1]}"
        if len(self.layers) <= 5:
            widths = "-".join(map(str, self.layers))
        return (
            f"MLP {widths} ({len(self.layers) - 1} Linear layers), "
            f"{self.activation}, batch {self.batch}, {self.dtype}, "
            "softmax cross-entropy, SGD step"
        )


@dataclass
class Problem:
    x: np.ndarray
    labels: np.ndarray
    params: list[np.ndarray]  # w1, b1, w2, b2, ...; w of shape (out, in)


def make_problem(spec: Spec, seed: int = 0) -> Problem:
    """Seeded data, labels and weights, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in itertools.pairwise(spec.layers):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(spec.dtype))
        params.append(rng.uniform(-bound, bound, fan_out).astype(spec.dtype))
    return Problem(
        x=rng.standard_normal((spec.batch, spec.layers[0])).astype(spec.dtype),
        labels=rng.integers(0, spec.layers[-1], spec.batch),
        params=params,
    )


# --- chainrule ------------------------------------------------------------------


class ChainruleMLP:
    def __init__(self, spec: Spec, problem: Problem) -> None:
        activation = {"tanh": nn.Tanh, "relu": nn.ReLU}[spec.activation]
        modules: list[nn.Module] = []
        for fan_in, fan_out in itertools.pairwise(spec.layers):
            modules += [nn.Linear(fan_in, fan_out, dtype=spec.dtype), activation()]
        self.model = nn.Sequential(*modules[:-1])
        for param, value in zip(self.model.parameters(), problem.params, strict=True):
            param.data[...] = value
        self.optimizer = optim.SGD(self.model.parameters(), lr=LR)
        self.x = cr.tensor(problem.x)
        self.labels = cr.tensor(problem.labels)

    def loss(self) -> cr.Tensor:
        return functional.cross_entropy(self.model(self.x), self.labels)

    def loss_and_grads(self) -> tuple[float, list[np.ndarray]]:
        self.optimizer.zero_grad()
        loss = self.loss()
        loss.backward()
        return loss.item(), [p.grad.data for p in self.model.parameters()]  # type: ignore[union-attr]

    def step(self) -> None:
        self.optimizer.zero_grad()
        self.loss().backward()
        self.optimizer.step()

    def weights(self) -> list[np.ndarray]:
        return [p.data for p in self.model.parameters()]


# --- NumPy, derivatives by hand -----------------------------------------------------


class NumpyMLP:
    def __init__(self, spec: Spec, problem: Problem) -> None:
        self.relu = spec.activation == "relu"
        self.params = [p.copy() for p in problem.params]
        self.x = problem.x
        self.labels = problem.labels
        self.rows = np.arange(len(self.labels))

    def loss_and_grads(self) -> tuple[float, list[np.ndarray]]:
        weights, biases = self.params[0::2], self.params[1::2]
        rows, labels = self.rows, self.labels

        # Forward, keeping each layer's input and the activations' outputs.
        inputs = []
        h = self.x
        for w, b in zip(weights[:-1], biases[:-1], strict=True):
            inputs.append(h)
            a = h @ w.T + b
            h = np.maximum(a, 0) if self.relu else np.tanh(a)
        inputs.append(h)
        z = h @ weights[-1].T + biases[-1]
        # NOTE: shifted by the row max so that exp cannot overflow.
        shift = z.max(axis=1, keepdims=True)
        e = np.exp(z - shift)
        total = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) + shift[:, 0] - z[rows, labels])

        # Backward: softmax minus one-hot, then layer by layer.
        grad = e / total
        grad[rows, labels] -= 1
        grad /= len(labels)
        grads: list[np.ndarray] = []
        for layer in range(len(weights) - 1, -1, -1):
            h = inputs[layer]
            grads += [grad.sum(axis=0), grad.T @ h]  # bias, weight (reversed)
            if layer == 0:
                break
            grad = grad @ weights[layer]
            # The activation's derivative, from its output h.
            grad = grad * (h > 0) if self.relu else grad * (1 - h * h)
        return float(loss), grads[::-1]

    def step(self) -> None:
        _, grads = self.loss_and_grads()
        for p, grad in zip(self.params, grads, strict=True):
            p -= LR * grad

    def weights(self) -> list[np.ndarray]:
        return self.params


# --- PyTorch ----------------------------------------------------------------------


class TorchMLP:
    def __init__(self, torch: Any, spec: Spec, problem: Problem) -> None:
        self.torch = torch
        dtype = getattr(torch, spec.dtype)
        activation = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[spec.activation]
        modules: list[Any] = []
        for fan_in, fan_out in itertools.pairwise(spec.layers):
            modules += [torch.nn.Linear(fan_in, fan_out, dtype=dtype), activation()]
        self.model = torch.nn.Sequential(*modules[:-1])
        with torch.no_grad():
            for param, value in zip(
                self.model.parameters(), problem.params, strict=True
            ):
                param.copy_(torch.from_numpy(value))
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.x = torch.from_numpy(problem.x)
        self.labels = torch.from_numpy(problem.labels)

    def loss(self) -> Any:
        return self.torch.nn.functional.cross_entropy(self.model(self.x), self.labels)

    def loss_and_grads(self) -> tuple[float, list[np.ndarray]]:
        self.optimizer.zero_grad()
        loss = self.loss()
        loss.backward()
        return loss.item(), [p.grad.numpy().copy() for p in self.model.parameters()]

    def step(self) -> None:
        self.optimizer.zero_grad()
        self.loss().backward()
        self.optimizer.step()

    def weights(self) -> list[np.ndarray]:
        return [p.detach().numpy() for p in self.model.parameters()]


# --- HIPS autograd ----------------------------------------------------------------


class AutogradMLP:
    def __init__(self, autograd: Any, spec: Spec, problem: Problem) -> None:
        anp = autograd.numpy
        relu = spec.activation == "relu"
        x, labels = problem.x, problem.labels
        rows = np.arange(len(labels))

        def loss(params: list[Any]) -> Any:
            h = x
            for layer in range(0, len(params), 2):
                if layer:
                    h = anp.maximum(h, 0) if relu else anp.tanh(h)
                h = anp.dot(h, params[layer].T) + params[layer + 1]
            shift = anp.max(h, axis=1, keepdims=True)
            lse = anp.log(anp.sum(anp.exp(h - shift), axis=1)) + shift[:, 0]
            return anp.mean(lse - h[rows, labels])

        self.value_and_grad = autograd.value_and_grad(loss)
        self.params = [p.copy() for p in problem.params]

    def loss_and_grads(self) -> tuple[float, list[np.ndarray]]:
        loss, grads = self.value_and_grad(self.params)
        return float(loss), list(grads)

    def step(self) -> None:
        _, grads = self.value_and_grad(self.params)
        for p, grad in zip(self.params, grads, strict=True):
            p -= LR * grad

    def weights(self) -> list[np.ndarray]:
        return self.params


# --- check and cases ----------------------------------------------------------------


def models(spec: Spec, problem: Problem, ctx: Context) -> dict[str, Any]:
    """A fresh model per framework available in this run, same weights."""
    built: dict[str, Any] = {
        "chainrule": ChainruleMLP(spec, problem),
        "numpy": NumpyMLP(spec, problem),
    }
    if ctx.torch is not None:
        built["torch"] = TorchMLP(ctx.torch, spec, problem)
    if ctx.autograd is not None:
        built["autograd"] = AutogradMLP(ctx.autograd, spec, problem)
    return built


def check(spec: Spec, problem: Problem, ctx: Context) -> None:
    """Same loss, gradients and updated weights everywhere, or AssertionError."""
    rtol, atol = TOLERANCES[spec.dtype]
    built = models(spec, problem, ctx)
    reference = built.pop("numpy")
    loss, grads = reference.loss_and_grads()
    reference.step()
    names = [f"{kind}{k}" for k in range(1, len(grads) // 2 + 1) for kind in "Wb"]
    where = f"{spec.describe()}:"
    for framework, model in built.items():
        other_loss, other_grads = model.loss_and_grads()
        np.testing.assert_allclose(
            other_loss, loss, rtol=rtol, err_msg=f"{where} {framework} loss"
        )
        for name, grad, other in zip(names, grads, other_grads, strict=True):
            assert other.dtype == grad.dtype, f"{where} {framework} {name} dtype"
            np.testing.assert_allclose(
                other,
                grad,
                rtol=rtol,
                atol=atol * np.abs(grad).max(),
                err_msg=f"{where} {framework} gradient of {name}",
            )
        model.step()
        for name, weight, other in zip(
            names, reference.weights(), model.weights(), strict=True
        ):
            np.testing.assert_allclose(
                other,
                weight,
                rtol=rtol,
                atol=atol * np.abs(weight).max(),
                err_msg=f"{where} {framework} {name} after one SGD step",
            )


def cases(spec: Spec, problem: Problem, ctx: Context) -> dict[str, Case]:
    """One step-timing case per framework, each on its own fresh model."""
    return {
        framework: Case(f"{framework} step {spec.dtype}", model.step)
        for framework, model in models(spec, problem, ctx).items()
    }


def measure(
    spec: Spec, ctx: Context, extra: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Case]]:
    """Check, then time one step per framework (and ``extra`` callables).

    Returns the result (step times in ms, medians of per-round ratios to
    NumPy, PyTorch and autograd) and the cases, for further ratios.
    """
    problem = make_problem(spec)
    check(spec, problem, ctx)
    timed = cases(spec, problem, ctx)
    for name, fn in (extra or {}).items():
        timed[name] = Case(f"{name} {spec.dtype}", fn(problem))
    run_rounds(list(timed.values()), ctx.rounds, ctx.sample_time)

    ratios = {
        f"{framework}/{base}": median_ratio(timed[framework], timed[base])
        for framework in FRAMEWORKS
        for base in ("numpy", "torch", "autograd")
        if framework != base and framework in timed and base in timed
    }
    result = {
        "description": spec.describe(),
        "ms": {name: case.median() * 1e3 for name, case in timed.items()},
        "ratios": ratios,
        "noise": noise_note(list(timed.values())),
        "samples": samples(list(timed.values())),
    }
    return result, timed


def table(
    result: dict[str, Any],
    target: Target,
    extra_columns: dict[str, dict[str, float]] | None = None,
) -> str:
    """Step times and ratios per framework; the target on chainrule's row.

    ``extra_columns`` maps a column title to a value per framework (or per
    extra case, which then gets a row of its own).
    """
    ms, ratios = result["ms"], result["ratios"]
    extra_columns = extra_columns or {}
    rows = []
    for name in ms:
        label = FRAMEWORKS.get(name, name)
        vs_numpy = 1.0 if name == "numpy" else ratios.get(f"{name}/numpy")
        rows.append(
            (
                label,
                f"{ms[name]:.3f}",
                ratio_cell(vs_numpy) if name in FRAMEWORKS else "",
                ratio_cell(ratios.get(f"{name}/torch")),
                *(ratio_cell(column.get(name)) for column in extra_columns.values()),
                *target_cells(target if name == "chainrule" else None),
            )
        )
    return markdown_table(
        (
            "framework",
            "step ms",
            "× NumPy",
            "× PyTorch",
            *extra_columns,
            "target",
            "met",
        ),
        rows,
    )
