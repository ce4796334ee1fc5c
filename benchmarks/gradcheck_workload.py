"""The gradcheck workload: checking one function's gradients, full and fast.

f(X, W) = sum(tanh(X @ W)) with X and W 20x20 float64: 800 input components,
so the full check needs 1,601 evaluations of f plus one backward pass (f is
a scalar), and the fast check a backward pass and four evaluations. Timed for
chainrule.gradcheck and torch.autograd.gradcheck (default and fast_mode=True),
and for hand-written central differences in NumPy (the floor for the full
check: the same 2n + 1 evaluations, nothing else).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from timing import Case, median_ratio, noise_note, run_rounds

import chainrule as cr

SIZE = 20
EPS = 1e-6


def inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((SIZE, SIZE)), rng.standard_normal((SIZE, SIZE)) * 0.3


def numpy_function(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.tanh(x @ w).sum())


def numpy_central_differences(x: np.ndarray, w: np.ndarray) -> list[np.ndarray]:
    """The source text's formula by hand: two evaluations per component."""
    numpy_function(x, w)
    grads = []
    for target in (x, w):
        grad = np.empty_like(target)
        flat, out = target.reshape(-1), grad.reshape(-1)
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + EPS
            up = numpy_function(x, w)
            flat[j] = original - EPS
            down = numpy_function(x, w)
            flat[j] = original
            out[j] = (up - down) / (2 * EPS)
        grads.append(grad)
    return grads


def run(rounds: int, sample_time: float, torch: Any) -> dict[str, Any]:
    x0, w0 = inputs()
    x = cr.tensor(x0, requires_grad=True)
    w = cr.tensor(w0, requires_grad=True)

    def f(a: cr.Tensor, b: cr.Tensor) -> cr.Tensor:
        return cr.tanh(a @ b).sum()

    # The check before timing: both tools pass, and the hand-written
    # differences agree with chainrule's analytical gradient.
    assert cr.gradcheck(f, (x, w)).passed, "chainrule.gradcheck fails on f"
    assert cr.gradcheck(f, (x, w), fast_mode=True).passed
    f(x, w).backward()
    assert x.grad is not None and w.grad is not None
    by_hand = numpy_central_differences(x0.copy(), w0.copy())
    np.testing.assert_allclose(by_hand[0], x.grad.data, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(by_hand[1], w.grad.data, rtol=1e-5, atol=1e-7)

    cases = {
        ("chainrule", "full"): Case("chainrule full", lambda: cr.gradcheck(f, (x, w))),
        ("chainrule", "fast"): Case(
            "chainrule fast", lambda: cr.gradcheck(f, (x, w), fast_mode=True)
        ),
        ("numpy", "full"): Case(
            "numpy central differences",
            lambda: numpy_central_differences(x0.copy(), w0.copy()),
        ),
    }
    if torch is not None:
        tx = torch.tensor(x0, requires_grad=True)
        tw = torch.tensor(w0, requires_grad=True)

        def tf(a: Any, b: Any) -> Any:
            return torch.tanh(a @ b).sum()

        assert torch.autograd.gradcheck(tf, (tx, tw))
        cases["torch", "full"] = Case(
            "torch full", lambda: torch.autograd.gradcheck(tf, (tx, tw))
        )
        cases["torch", "fast"] = Case(
            "torch fast",
            lambda: torch.autograd.gradcheck(tf, (tx, tw), fast_mode=True),
        )

    run_rounds(list(cases.values()), rounds, sample_time)
    ms = {f"{fw} {mode}": case.median() * 1e3 for (fw, mode), case in cases.items()}
    ratios = {}
    if torch is not None:
        for mode in ("full", "fast"):
            ratios[f"chainrule/torch {mode}"] = median_ratio(
                cases["chainrule", mode], cases["torch", mode]
            )
    ratios["chainrule full/numpy central differences"] = median_ratio(
        cases["chainrule", "full"], cases["numpy", "full"]
    )
    return {
        "description": (
            f"gradcheck of sum(tanh(X @ W)), X and W {SIZE}x{SIZE} float64"
        ),
        "ms": ms,
        "ratios": ratios,
        "noise": noise_note(list(cases.values())),
        "samples_seconds_per_call": {c.name: c.seconds for c in cases.values()},
    }


def table(result: dict[str, Any]) -> str:
    ms, ratios = result["ms"], result["ratios"]
    lines = [
        f"### gradcheck: {result['description']}",
        "",
        "| case | ms | × PyTorch (same mode) |",
        "| --- | ---: | ---: |",
    ]
    for key, label in (
        ("chainrule full", "chainrule, full"),
        ("torch full", "PyTorch, full"),
        ("numpy full", "central differences by hand (NumPy)"),
        ("chainrule fast", "chainrule, fast"),
        ("torch fast", "PyTorch, fast"),
    ):
        if key not in ms:
            continue
        mode = key.split()[-1]
        ratio = (
            ratios.get(f"chainrule/torch {mode}")
            if key.startswith("chainrule")
            else None
        )
        shown = f"{ratio:.2f}" if ratio is not None else ""
        lines.append(f"| {label} | {ms[key]:.2f} | {shown} |")
    lines += [
        "",
        "chainrule full × hand-written central differences: "
        f"{ratios['chainrule full/numpy central differences']:.2f}",
        "",
        result["noise"],
    ]
    return "\n".join(lines)
