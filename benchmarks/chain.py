"""A chain of elementwise ops on a tiny tensor, in every framework (W1 and W4).

A shape-(4,) float64 tensor goes through ``blocks`` blocks of

    a = tanh(x);  b = exp(a);  c = a * b;  x = c + 0.25

(four ops each: tanh, exp, mul, add), then ``sum`` and ``backward``. tanh
keeps every block's input in [-1, 1], so the values stay bounded however long
the chain. With four numbers per array the arithmetic is nothing: what is
timed is what each framework spends around an op (making tensors, recording
the graph, walking it back). ``a`` feeds two ops, so the backward pass also
sums gradients that meet.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from common import Context
from timing import Case

import chainrule as cr

OPS_PER_BLOCK = 4
SIZE = 4
SHIFT = 0.25
PHASES = ("forward", "forward_backward")


def start(seed: int = 0) -> np.ndarray:
    """The seeded input every framework starts from."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, SIZE)


# --- chainrule ------------------------------------------------------------------


def chainrule_forward(x: cr.Tensor, blocks: int) -> cr.Tensor:
    for _ in range(blocks):
        a = cr.tanh(x)
        b = cr.exp(a)
        x = a * b + SHIFT
    return x.sum()


def chainrule_forward_backward(x: cr.Tensor, blocks: int) -> tuple[float, np.ndarray]:
    loss = chainrule_forward(x, blocks)
    loss.backward()
    assert x.grad is not None
    grad = x.grad.data
    x.grad = None
    return loss.item(), grad


# --- NumPy, derivatives by hand -----------------------------------------------------


def numpy_forward(x: np.ndarray, blocks: int) -> float:
    for _ in range(blocks):
        a = np.tanh(x)
        b = np.exp(a)
        x = a * b + SHIFT
    return float(x.sum())


def numpy_forward_backward(x: np.ndarray, blocks: int) -> tuple[float, np.ndarray]:
    """The same ops and, op by op, the derivative an autodiff would apply."""
    saved = []
    for _ in range(blocks):
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


def torch_forward(torch: Any, x: Any, blocks: int) -> Any:
    for _ in range(blocks):
        a = torch.tanh(x)
        b = torch.exp(a)
        x = a * b + SHIFT
    return x.sum()


def torch_forward_backward(torch: Any, x: Any, blocks: int) -> tuple[float, Any]:
    loss = torch_forward(torch, x, blocks)
    loss.backward()
    grad = x.grad.numpy().copy()
    x.grad = None
    return loss.item(), grad


# --- HIPS autograd ----------------------------------------------------------------


def autograd_forward_backward(
    autograd: Any, x: np.ndarray, blocks: int
) -> tuple[float, np.ndarray]:
    # NOTE: autograd records its graph only while it differentiates, so it
    # has no "forward with recording" to time on its own; only this phase.
    anp = autograd.numpy

    def forward(x: Any) -> Any:
        for _ in range(blocks):
            a = anp.tanh(x)
            b = anp.exp(a)
            x = a * b + SHIFT
        return anp.sum(x)

    loss, grad = autograd.value_and_grad(forward)(x)
    return float(loss), grad


# --- check and cases ----------------------------------------------------------------


def check(x0: np.ndarray, blocks: int, ctx: Context) -> None:
    """All frameworks give the same loss and gradient, or AssertionError."""
    loss, grad = numpy_forward_backward(x0, blocks)
    assert np.isfinite(loss) and np.all(np.isfinite(grad)), "the chain overflowed"

    results = {
        "chainrule": chainrule_forward_backward(
            cr.tensor(x0, requires_grad=True), blocks
        )
    }
    if ctx.torch is not None:
        x = ctx.torch.tensor(x0, dtype=ctx.torch.float64, requires_grad=True)
        results["torch"] = torch_forward_backward(ctx.torch, x, blocks)
    if ctx.autograd is not None:
        results["autograd"] = autograd_forward_backward(ctx.autograd, x0, blocks)
    for name, (other_loss, other_grad) in results.items():
        np.testing.assert_allclose(
            other_loss,
            loss,
            rtol=1e-12,
            err_msg=f"chain of {blocks} blocks: {name} loss",
        )
        np.testing.assert_allclose(
            other_grad,
            grad,
            rtol=1e-10,
            err_msg=f"chain of {blocks} blocks: {name} gradient",
        )


def cases(
    x0: np.ndarray, blocks: int, ctx: Context, phases: tuple[str, ...] = PHASES
) -> dict[tuple[str, str], Case]:
    """One timing case per (framework, phase) available in this run."""
    ops = blocks * OPS_PER_BLOCK
    x_cr = cr.tensor(x0, requires_grad=True)
    calls: dict[tuple[str, str], Any] = {
        ("chainrule", "forward"): lambda: chainrule_forward(x_cr, blocks),
        ("chainrule", "forward_backward"): lambda: chainrule_forward_backward(
            x_cr, blocks
        ),
        ("numpy", "forward"): lambda: numpy_forward(x0, blocks),
        ("numpy", "forward_backward"): lambda: numpy_forward_backward(x0, blocks),
    }
    if ctx.torch is not None:
        torch = ctx.torch
        x_t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        calls["torch", "forward"] = lambda: torch_forward(torch, x_t, blocks)
        calls["torch", "forward_backward"] = lambda: torch_forward_backward(
            torch, x_t, blocks
        )
    if ctx.autograd is not None:
        calls["autograd", "forward_backward"] = lambda: autograd_forward_backward(
            ctx.autograd, x0, blocks
        )
    return {
        (framework, phase): Case(f"{framework} {phase} {ops} ops", fn)
        for (framework, phase), fn in calls.items()
        if phase in phases
    }
