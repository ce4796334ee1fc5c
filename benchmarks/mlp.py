"""The mlp workload: one SGD training step of a 784-512-512-10 relu network.

Batch 128, softmax cross-entropy, plain SGD (``p -= lr * grad``). Here the
matrix products dominate, so the question is how much a framework adds on top
of them. Besides each implementation's step, the 8 matrix products of a step
are timed alone (3 forward; in backward a weight gradient per layer and a data
gradient for layers 3 and 2, none for the input), once through NumPy's BLAS
and once through PyTorch's, since the two link different BLAS libraries.

chainrule has no layers or optimizers yet, so its step is written with raw
tensors; where an op it would use is missing (relu, logsumexp), the step says
which stand-in it took (see ``VARIANTS``).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from timing import Case, median_ratio, noise_note, run_rounds

import chainrule as cr

LAYERS = (784, 512, 512, 10)
BATCH = 128
LR = 0.01
DTYPES = ("float64", "float32")

# Tolerances of the check, relative and (times the largest gradient) absolute.
# float32 sums 784 products in a BLAS-dependent order.
TOLERANCES = {"float64": (1e-9, 1e-12), "float32": (1e-4, 1e-5)}


def make_problem(dtype: str, seed: int = 0) -> dict[str, Any]:
    """Seeded data, labels and He-initialised weights, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in itertools.pairwise(LAYERS):
        w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
        b = rng.standard_normal(fan_out) * 0.01
        params += [w.astype(dtype), b.astype(dtype)]
    return {
        "x": rng.standard_normal((BATCH, LAYERS[0])).astype(dtype),
        "labels": rng.integers(0, LAYERS[-1], BATCH),
        "params": params,
    }


# --- chainrule ------------------------------------------------------------------


def _relu(x: cr.Tensor) -> cr.Tensor:
    # NOTE: maximum splits the gradient at x == 0 where relu gives 0; with
    # continuous random data no pre-activation is exactly 0.
    return cr.maximum(x, 0.0)


def _logsumexp_rows(z: cr.Tensor) -> cr.Tensor:
    # NOTE: shifted by the row max held as a constant: the shift cancels in
    # both the value and the gradient, and exp cannot overflow.
    shift = z.data.max(axis=1, keepdims=True)
    return cr.log(cr.exp(z - shift).sum(axis=1)) + shift[:, 0]


relu = getattr(cr, "relu", _relu)
if hasattr(cr, "logsumexp"):

    def logsumexp_rows(z: cr.Tensor) -> cr.Tensor:
        return cr.logsumexp(z, axis=1)  # type: ignore[attr-defined]

else:
    logsumexp_rows = _logsumexp_rows

VARIANTS = {
    "relu": "cr.relu" if hasattr(cr, "relu") else "cr.maximum(x, 0)",
    "logsumexp": (
        "cr.logsumexp"
        if hasattr(cr, "logsumexp")
        else "log(sum(exp(z - max))) + max, max held constant"
    ),
    "labels": "z[rows, labels] (getitem with integer arrays)",
}


class ChainruleMLP:
    def __init__(self, problem: dict[str, Any]) -> None:
        self.params = [cr.tensor(p, requires_grad=True) for p in problem["params"]]
        self.x = cr.tensor(problem["x"])
        self.labels = problem["labels"]
        self.rows = np.arange(len(self.labels))

    def loss(self) -> cr.Tensor:
        w1, b1, w2, b2, w3, b3 = self.params
        h = relu(self.x @ w1 + b1)
        h = relu(h @ w2 + b2)
        z = h @ w3 + b3
        return (logsumexp_rows(z) - z[self.rows, self.labels]).mean()

    def loss_and_grads(self) -> tuple[float, list[np.ndarray]]:
        loss = self.loss()
        loss.backward()
        grads = [p.grad.data for p in self.params]  # type: ignore[union-attr]
        for p in self.params:
            p.grad = None
        return loss.item(), grads

    def step(self) -> None:
        self.loss().backward()
        with cr.no_grad():
            for p in self.params:
                p.data -= LR * p.grad.data  # type: ignore[union-attr]
                p.grad = None


# --- NumPy, derivatives by hand -----------------------------------------------------


class NumpyMLP:
    def __init__(self, problem: dict[str, Any]) -> None:
        self.params = [p.copy() for p in problem["params"]]
        self.x = problem["x"]
        self.labels = problem["labels"]
        self.rows = np.arange(len(self.labels))

    def loss_and_grads(self) -> tuple[float, list[np.ndarray]]:
        w1, b1, w2, b2, w3, b3 = self.params
        x, rows, labels = self.x, self.rows, self.labels

        a1 = x @ w1 + b1
        h1 = np.maximum(a1, 0)
        a2 = h1 @ w2 + b2
        h2 = np.maximum(a2, 0)
        z = h2 @ w3 + b3
        # NOTE: shifted by the row max so that exp cannot overflow.
        shift = z.max(axis=1, keepdims=True)
        e = np.exp(z - shift)
        total = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) + shift[:, 0] - z[rows, labels])

        grad_z = e / total
        grad_z[rows, labels] -= 1
        grad_z /= len(labels)
        grad_w3 = h2.T @ grad_z
        grad_a2 = (grad_z @ w3.T) * (a2 > 0)
        grad_w2 = h1.T @ grad_a2
        grad_a1 = (grad_a2 @ w2.T) * (a1 > 0)
        grad_w1 = x.T @ grad_a1
        grads = [
            grad_w1,
            grad_a1.sum(axis=0),
            grad_w2,
            grad_a2.sum(axis=0),
            grad_w3,
            grad_z.sum(axis=0),
        ]
        return float(loss), grads

    def step(self) -> None:
        _, grads = self.loss_and_grads()
        for p, grad in zip(self.params, grads, strict=True):
            p -= LR * grad


def numpy_matmuls(problem: dict[str, Any]) -> Any:
    """The step's 8 matrix products alone, on arrays of the step's shapes."""
    rng = np.random.default_rng(1)
    dtype = problem["x"].dtype
    x = problem["x"]
    w1, _, w2, _, w3, _ = problem["params"]
    h1, h2, g1, g2 = (
        rng.standard_normal((BATCH, LAYERS[1])).astype(dtype) for _ in range(4)
    )
    g3 = rng.standard_normal((BATCH, LAYERS[3])).astype(dtype)

    def products() -> None:
        x @ w1, h1 @ w2, h2 @ w3
        h2.T @ g3, g3 @ w3.T
        h1.T @ g2, g2 @ w2.T
        x.T @ g1

    return products


# --- PyTorch ----------------------------------------------------------------------


class TorchMLP:
    def __init__(self, torch: Any, problem: dict[str, Any]) -> None:
        self.torch = torch
        self.params = [torch.tensor(p, requires_grad=True) for p in problem["params"]]
        self.x = torch.from_numpy(problem["x"])
        self.labels = torch.from_numpy(problem["labels"]).long()

    def loss(self) -> Any:
        torch = self.torch
        w1, b1, w2, b2, w3, b3 = self.params
        h = torch.relu(self.x @ w1 + b1)
        h = torch.relu(h @ w2 + b2)
        z = h @ w3 + b3
        return torch.nn.functional.cross_entropy(z, self.labels)

    def loss_and_grads(self) -> tuple[float, list[np.ndarray]]:
        loss = self.loss()
        loss.backward()
        grads = [p.grad.numpy().copy() for p in self.params]
        for p in self.params:
            p.grad = None
        return loss.item(), grads

    def step(self) -> None:
        self.loss().backward()
        with self.torch.no_grad():
            for p in self.params:
                p -= LR * p.grad
                p.grad = None


def torch_matmuls(torch: Any, problem: dict[str, Any]) -> Any:
    """The step's 8 matrix products alone, through PyTorch's BLAS."""
    rng = np.random.default_rng(1)
    dtype = problem["x"].dtype
    x = torch.from_numpy(problem["x"])
    w1, _, w2, _, w3, _ = (torch.from_numpy(p) for p in problem["params"])
    h1, h2, g1, g2 = (
        torch.from_numpy(rng.standard_normal((BATCH, LAYERS[1])).astype(dtype))
        for _ in range(4)
    )
    g3 = torch.from_numpy(rng.standard_normal((BATCH, LAYERS[3])).astype(dtype))

    def products() -> None:
        x @ w1, h1 @ w2, h2 @ w3
        h2.T @ g3, g3 @ w3.T
        h1.T @ g2, g2 @ w2.T
        x.T @ g1

    return products


# --- the workload ---------------------------------------------------------------------


def check(problem: dict[str, Any], dtype: str, torch: Any) -> None:
    """Same loss and weight gradients everywhere, or AssertionError."""
    rtol, atol = TOLERANCES[dtype]
    loss, grads = NumpyMLP(problem).loss_and_grads()
    others: dict[str, Any] = {"chainrule": ChainruleMLP(problem)}
    if torch is not None:
        others["torch"] = TorchMLP(torch, problem)

    names = ("W1", "b1", "W2", "b2", "W3", "b3")
    for framework, model in others.items():
        other_loss, other_grads = model.loss_and_grads()
        np.testing.assert_allclose(
            other_loss, loss, rtol=rtol, err_msg=f"{framework} {dtype} loss"
        )
        for name, grad, other in zip(names, grads, other_grads, strict=True):
            assert other.dtype == grad.dtype, f"{framework} grad {name} dtype"
            np.testing.assert_allclose(
                other,
                grad,
                rtol=rtol,
                atol=atol * np.abs(grad).max(),
                err_msg=f"{framework} {dtype} gradient of {name}",
            )


def run_dtype(dtype: str, rounds: int, sample_time: float, torch: Any) -> dict:
    problem = make_problem(dtype)
    check(problem, dtype, torch)

    cases = {
        "chainrule": Case("chainrule step", ChainruleMLP(problem).step),
        "numpy": Case("numpy step", NumpyMLP(problem).step),
        "numpy_matmuls": Case("numpy matmuls", numpy_matmuls(problem)),
    }
    if torch is not None:
        cases["torch"] = Case("torch step", TorchMLP(torch, problem).step)
        cases["torch_matmuls"] = Case("torch matmuls", torch_matmuls(torch, problem))
    run_rounds(list(cases.values()), rounds, sample_time)

    pairs = [
        ("chainrule", "numpy"),
        ("chainrule", "numpy_matmuls"),
        ("numpy", "numpy_matmuls"),
    ]
    if torch is not None:
        pairs += [
            ("torch", "numpy"),
            ("torch", "torch_matmuls"),
            ("chainrule", "torch"),
            ("torch_matmuls", "numpy_matmuls"),
        ]
    return {
        "ms": {name: case.median() * 1e3 for name, case in cases.items()},
        "ratios": {f"{a}/{b}": median_ratio(cases[a], cases[b]) for a, b in pairs},
        "noise": noise_note(list(cases.values())),
        "samples_seconds_per_call": {n: c.seconds for n, c in cases.items()},
        "calls_per_sample": {n: c.number for n, c in cases.items()},
    }


def run(rounds: int, sample_time: float, torch: Any) -> dict[str, Any]:
    """Check and time each dtype; step times in ms, medians of per-round ratios."""
    return {
        "description": (
            f"one SGD step, MLP {'-'.join(map(str, LAYERS))}, relu, batch {BATCH}, "
            "softmax cross-entropy"
        ),
        "chainrule_variants": VARIANTS,
        "dtypes": {d: run_dtype(d, rounds, sample_time, torch) for d in DTYPES},
    }


# (row label, case, its ratio to NumPy, its ratio to matmul-only)
ROWS = (
    ("chainrule", "chainrule", "chainrule/numpy", "chainrule/numpy_matmuls"),
    ("NumPy (by hand)", "numpy", None, "numpy/numpy_matmuls"),
    ("PyTorch", "torch", "torch/numpy", "torch/torch_matmuls"),
    ("matmul-only, NumPy BLAS", "numpy_matmuls", None, None),
    ("matmul-only, PyTorch BLAS", "torch_matmuls", "torch_matmuls/numpy_matmuls", None),
)


def table(result: dict[str, Any]) -> str:
    """The result as a markdown table."""
    lines = [
        f"### mlp: {result['description']}",
        "",
        "| dtype | framework | step ms | × NumPy | × matmul-only |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for dtype, row in result["dtypes"].items():
        ms, ratios = row["ms"], row["ratios"]
        for label, case, vs_numpy, vs_matmuls in ROWS:
            if case not in ms:
                continue
            numpy_cell = f"{ratios[vs_numpy]:.2f}" if vs_numpy else ""
            if case == "numpy":
                numpy_cell = "1.00"
            matmul_cell = f"{ratios[vs_matmuls]:.2f}" if vs_matmuls else ""
            lines.append(
                f"| {dtype} | {label} | {ms[case]:.2f} | {numpy_cell} | {matmul_cell} |"
            )

    variants = result["chainrule_variants"]
    lines += [
        "",
        "× NumPy divides by the hand-written NumPy step; × matmul-only by the "
        "step's 8 matrix products alone through the framework's own BLAS "
        "(NumPy's for chainrule and NumPy, PyTorch's for PyTorch).",
        f"chainrule stand-ins: relu = {variants['relu']}; "
        f"logsumexp = {variants['logsumexp']}; labels = {variants['labels']}.",
    ]
    lines += [f"{dtype}: {row['noise']}" for dtype, row in result["dtypes"].items()]
    return "\n".join(lines)
