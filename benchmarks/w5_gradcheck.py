"""W5: checking one function's gradients, full and fast.

f(X, W) = sum(tanh(X @ W)) with X and W 20x20 float64: 800 input components,
so the full check needs 1,601 evaluations of f plus one backward pass (f is
a scalar), and the fast check a backward pass and a few evaluations per
input. Timed for chainrule.gradcheck and torch.autograd.gradcheck (default
and ``fast_mode=True``), and for hand-written central differences in NumPy
(the floor for the full check: the same 2n + 1 evaluations, nothing else).
Targets: chainrule full ≤ 0.25× and fast ≤ 0.2× PyTorch in the same mode.

HIPS autograd is left out: its ``check_grads`` compares directional
derivatives to a given order, a different check with no full mode.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from common import Context, Target, markdown_table, ratio_cell, target_cells
from timing import Case, median_ratio, noise_note, run_rounds, samples

import chainrule as cr

NAME = "W5"
SIZE = 20
EPS = 1e-6
TARGETS = {"full": 0.25, "fast": 0.2}  # chainrule × PyTorch, same mode


def inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((SIZE, SIZE)), rng.standard_normal((SIZE, SIZE)) * 0.3


def f(a: cr.Tensor, b: cr.Tensor) -> cr.Tensor:
    return cr.tanh(a @ b).sum()


def numpy_function(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.tanh(x @ w).sum())


def numpy_central_differences(x: np.ndarray, w: np.ndarray) -> list[np.ndarray]:
    """The full check's numerical part by hand: two evaluations per component."""
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


def run(ctx: Context) -> dict[str, Any]:
    x0, w0 = inputs()
    x = cr.tensor(x0, requires_grad=True)
    w = cr.tensor(w0, requires_grad=True)

    # The check before timing: both tools pass, and the hand-written
    # differences agree with chainrule's analytical gradient.
    assert cr.gradcheck(f, (x, w)).passed, "chainrule.gradcheck fails on f"
    assert cr.gradcheck(f, (x, w), fast_mode=True).passed, "fast mode fails on f"
    f(x, w).backward()
    assert x.grad is not None and w.grad is not None
    by_hand = numpy_central_differences(x0.copy(), w0.copy())
    np.testing.assert_allclose(by_hand[0], x.grad.data, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(by_hand[1], w.grad.data, rtol=1e-5, atol=1e-7)
    x.grad = w.grad = None

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
    torch = ctx.torch
    if torch is not None:
        tx = torch.tensor(x0, requires_grad=True)
        tw = torch.tensor(w0, requires_grad=True)

        def tf(a: Any, b: Any) -> Any:
            return torch.tanh(a @ b).sum()

        assert torch.autograd.gradcheck(tf, (tx, tw)), "torch gradcheck fails on f"
        cases["torch", "full"] = Case(
            "torch full", lambda: torch.autograd.gradcheck(tf, (tx, tw))
        )
        cases["torch", "fast"] = Case(
            "torch fast",
            lambda: torch.autograd.gradcheck(tf, (tx, tw), fast_mode=True),
        )

    run_rounds(list(cases.values()), ctx.rounds, ctx.sample_time)
    ms = {f"{fw} {mode}": case.median() * 1e3 for (fw, mode), case in cases.items()}
    ratios = {
        "chainrule full/numpy full": median_ratio(
            cases["chainrule", "full"], cases["numpy", "full"]
        )
    }
    targets = []
    for mode, limit in TARGETS.items():
        ratio = None
        if ("torch", mode) in cases:
            ratio = ratios[f"chainrule {mode}/torch {mode}"] = median_ratio(
                cases["chainrule", mode], cases["torch", mode]
            )
        targets.append(Target(NAME, f"{mode} × PyTorch {mode}", limit, ratio))
    return {
        "description": (
            f"gradcheck of sum(tanh(X @ W)), X and W {SIZE}x{SIZE} float64"
        ),
        "ms": ms,
        "ratios": ratios,
        "targets": [t.as_dict() for t in targets],
        "noise": noise_note(list(cases.values())),
        "samples": samples(list(cases.values())),
    }


ROWS = {
    "chainrule full": "chainrule, full",
    "torch full": "PyTorch, full",
    "numpy full": "central differences by hand (NumPy)",
    "chainrule fast": "chainrule, fast",
    "torch fast": "PyTorch, fast",
}


def table(result: dict[str, Any]) -> str:
    ms, ratios = result["ms"], result["ratios"]
    targets = {
        mode: Target.from_dict(t)
        for mode, t in zip(TARGETS, result["targets"], strict=True)
    }
    rows = []
    for key, label in ROWS.items():
        if key not in ms:
            continue
        framework, mode = key.split()
        mine = framework == "chainrule"
        rows.append(
            (
                label,
                f"{ms[key]:.2f}",
                ratio_cell(ratios.get(f"{key}/torch {mode}")),
                *target_cells(targets[mode] if mine else None),
            )
        )
    return "\n".join(
        [
            f"### {NAME}: {result['description']}",
            "",
            markdown_table(
                ("case", "ms", "× PyTorch (same mode)", "target", "met"), rows
            ),
            "",
            "chainrule full × central differences by hand: "
            f"{ratios['chainrule full/numpy full']:.2f}",
            result["noise"],
        ]
    )


def profile_target(ctx: Context) -> Any:
    """chainrule's side: one full and one fast check."""
    x = cr.tensor(inputs()[0], requires_grad=True)
    w = cr.tensor(inputs()[1], requires_grad=True)

    def both() -> None:
        cr.gradcheck(f, (x, w))
        cr.gradcheck(f, (x, w), fast_mode=True)

    return both
