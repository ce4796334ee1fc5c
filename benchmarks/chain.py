"""The chain workload: per-op overhead on a tiny tensor.

A shape-(4,) float64 tensor goes through 100 elementwise ops, 25 blocks of

    a = tanh(x);  b = exp(a);  c = a * b;  x = c + 0.25

then ``sum`` and ``backward``. tanh keeps every block's input in [-1, 1], so
the values stay bounded however long the chain. With four numbers per array
the arithmetic is nothing: what is timed is what each framework spends around
an op (making tensors, recording the graph, walking it back). ``a`` feeds two
ops, so the backward pass also sums gradients that meet.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from timing import Case, median_ratio, noise_note, run_rounds

import chainrule as cr

BLOCKS = 25
OPS = 4 * BLOCKS
SIZE = 4
SHIFT = 0.25


# --- chainrule ------------------------------------------------------------------


def chainrule_forward(x: cr.Tensor) -> cr.Tensor:
    for _ in range(BLOCKS):
        a = cr.tanh(x)
        b = cr.exp(a)
        x = a * b + SHIFT
    return x.sum()


def chainrule_forward_backward(x: cr.Tensor) -> tuple[float, np.ndarray]:
    loss = chainrule_forward(x)
    loss.backward()
    assert x.grad is not None
    grad = x.grad.data
    x.grad = None
    return loss.item(), grad


# --- NumPy, derivatives by hand -----------------------------------------------------


def numpy_forward(x: np.ndarray) -> float:
    for _ in range(BLOCKS):
        a = np.tanh(x)
        b = np.exp(a)
        x = a * b + SHIFT
    return float(x.sum())


def numpy_forward_backward(x: np.ndarray) -> tuple[float, np.ndarray]:
    """The same ops and, op by op, the derivative an autodiff would apply."""
    saved = []
    for _ in range(BLOCKS):
        a = np.tanh(x)
        b = np.exp(a)
        saved.append((a, b))
        x = a * b + SHIFT
    loss = float(x.sum())

    grad = np.ones_like(x)
    for a, b in reversed(saved):
        grad_a = grad * b
        grad_b = grad * a
        grad_a = grad_a + grad_b * b
        grad = grad_a * (1 - a * a)
    return loss, grad


# --- PyTorch ----------------------------------------------------------------------


def torch_forward(torch: Any, x: Any) -> Any:
    for _ in range(BLOCKS):
        a = torch.tanh(x)
        b = torch.exp(a)
        x = a * b + SHIFT
    return x.sum()


def torch_forward_backward(torch: Any, x: Any) -> tuple[float, np.ndarray]:
    loss = torch_forward(torch, x)
    loss.backward()
    grad = x.grad.numpy().copy()
    x.grad = None
    return loss.item(), grad


# --- the workload ---------------------------------------------------------------------


def check(x0: np.ndarray, torch: Any) -> None:
    """All implementations give the same loss and gradient, or AssertionError."""
    loss, grad = numpy_forward_backward(x0)
    assert np.isfinite(loss) and np.all(np.isfinite(grad)), "chain overflowed"

    x = cr.tensor(x0, requires_grad=True)
    cr_loss, cr_grad = chainrule_forward_backward(x)
    np.testing.assert_allclose(cr_loss, loss, rtol=1e-12, err_msg="chainrule loss")
    np.testing.assert_allclose(cr_grad, grad, rtol=1e-10, err_msg="chainrule grad")

    if torch is not None:
        xt = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        t_loss, t_grad = torch_forward_backward(torch, xt)
        np.testing.assert_allclose(t_loss, loss, rtol=1e-12, err_msg="torch loss")
        np.testing.assert_allclose(t_grad, grad, rtol=1e-10, err_msg="torch grad")


def run(rounds: int, sample_time: float, torch: Any) -> dict[str, Any]:
    """Check, then time every implementation; medians in µs per op."""
    x0 = np.random.default_rng(0).uniform(-1.0, 1.0, SIZE)
    check(x0, torch)

    x_cr = cr.tensor(x0, requires_grad=True)
    cases = {
        ("chainrule", "forward"): Case(
            "chainrule forward", lambda: chainrule_forward(x_cr)
        ),
        ("chainrule", "forward_backward"): Case(
            "chainrule forward+backward", lambda: chainrule_forward_backward(x_cr)
        ),
        ("numpy", "forward"): Case("numpy forward", lambda: numpy_forward(x0)),
        ("numpy", "forward_backward"): Case(
            "numpy forward+backward", lambda: numpy_forward_backward(x0)
        ),
    }
    if torch is not None:
        x_t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        cases["torch", "forward"] = Case(
            "torch forward", lambda: torch_forward(torch, x_t)
        )
        cases["torch", "forward_backward"] = Case(
            "torch forward+backward", lambda: torch_forward_backward(torch, x_t)
        )
    run_rounds(list(cases.values()), rounds, sample_time)

    frameworks = sorted({framework for framework, _ in cases})
    us_per_op = {
        framework: {
            phase: cases[framework, phase].median() * 1e6 / OPS
            for phase in ("forward", "forward_backward")
        }
        for framework in frameworks
    }
    ratios: dict[str, dict[str, float]] = {}
    for framework in frameworks:
        for base in ("numpy", "torch"):
            if base == framework or base not in frameworks:
                continue
            ratios[f"{framework}/{base}"] = {
                phase: median_ratio(cases[framework, phase], cases[base, phase])
                for phase in ("forward", "forward_backward")
            }
    return {
        "description": (
            f"shape ({SIZE},) float64 through {OPS} elementwise ops "
            "(tanh, exp, mul, add), sum, backward"
        ),
        "ops": OPS,
        "us_per_op": us_per_op,
        "ratios": ratios,
        "noise": noise_note(list(cases.values())),
        "samples_seconds_per_call": {
            f"{f} {p}": case.seconds for (f, p), case in cases.items()
        },
        "calls_per_sample": {f"{f} {p}": case.number for (f, p), case in cases.items()},
    }


NAMES = {"chainrule": "chainrule", "numpy": "NumPy (by hand)", "torch": "PyTorch"}


def table(result: dict[str, Any]) -> str:
    """The result as a markdown table."""
    us, ratios = result["us_per_op"], result["ratios"]
    lines = [
        f"### chain: {result['description']}",
        "",
        "| framework | forward µs/op | fwd+bwd µs/op | forward × NumPy "
        "| fwd+bwd × NumPy |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for framework in ("chainrule", "numpy", "torch"):
        if framework not in us:
            continue
        ratio = ratios.get(
            f"{framework}/numpy", {"forward": 1.0, "forward_backward": 1.0}
        )
        lines.append(
            f"| {NAMES[framework]} | {us[framework]['forward']:.2f} "
            f"| {us[framework]['forward_backward']:.2f} "
            f"| {ratio['forward']:.2f} | {ratio['forward_backward']:.2f} |"
        )
    if "chainrule/torch" in ratios:
        vs_torch = ratios["chainrule/torch"]
        lines += [
            "",
            f"chainrule × PyTorch: forward {vs_torch['forward']:.2f}, "
            f"forward+backward {vs_torch['forward_backward']:.2f}",
        ]
    lines += ["", result["noise"]]
    return "\n".join(lines)
