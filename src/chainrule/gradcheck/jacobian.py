"""Jacobians two ways: from backward (analytical) and from central differences.

Both work on a *problem*: a function ``evaluate(record)`` that recomputes the
outputs from the current values of some leaf tensors, the *targets*. The
numerical Jacobian nudges one target component at a time, in place, and
restores it exactly; it costs the two evaluations per component that the
source text's formula asks for, plus one at the unperturbed point, which
also gives both one-sided differences for free (used to recognise kinks).
The function is called once per nudge (an arbitrary Python function cannot
be batched), but the differences are computed for all components at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.autograd.api import grad as autograd_grad
from chainrule.autograd.grad_mode import enable_grad, no_grad
from chainrule.tensor import Tensor

Evaluate = Callable[[bool], list[Tensor]]


@dataclass
class Differences:
    """Finite differences of every output in every component of one target.

    Each array has shape ``(output.size, target.size)``: row i, column j is
    d output[i] / d target[j] estimated by central, forward and backward
    differences.
    """

    central: list[np.ndarray]
    forward: list[np.ndarray]
    backward: list[np.ndarray]


def outputs_as_arrays(outputs: list[Tensor]) -> list[np.ndarray]:
    return [np.array(out.data, dtype=np.float64).ravel() for out in outputs]


def evaluate_quietly(evaluate: Evaluate, record: bool) -> list[Tensor]:
    """Run the function; record the graph only when asked (gradgradcheck)."""
    if record:
        with enable_grad():
            return evaluate(True)
    with no_grad():
        return evaluate(False)


def numerical_jacobian(
    evaluate: Evaluate,
    target: Tensor,
    eps: float,
    record: bool = False,
    center: list[np.ndarray] | None = None,
) -> Differences:
    """Central (and one-sided) differences of all outputs in ``target``.

    ``2 * target.size`` evaluations of the function, plus one at the
    unperturbed point unless its outputs are given as ``center``.
    """
    if center is None:
        center = outputs_as_arrays(evaluate_quietly(evaluate, record))
    sizes = [c.size for c in center]
    ups, downs = _nudged_outputs(
        evaluate, target, eps, record, range(target.size), sizes
    )

    # One array operation per output for all components: the function must be
    # called per component, but the differences need not be.
    central, forward, backward = [], [], []
    for c, up, down in zip(center, ups, downs, strict=True):
        central.append(((up - down) / (2 * eps)).T)
        forward.append(((up - c) / eps).T)
        backward.append(((c - down) / eps).T)
    return Differences(central, forward, backward)


def one_sided_differences(
    evaluate: Evaluate,
    target: Tensor,
    eps: float,
    columns: list[int],
    output: int,
    record: bool = False,
) -> Differences:
    """Differences of one output in some components of ``target`` only.

    Used to look again, at a smaller step, where a kink is suspected:
    ``2 * len(columns) + 1`` evaluations.
    """
    centers = outputs_as_arrays(evaluate_quietly(evaluate, record))
    sizes = [c.size for c in centers]
    ups, downs = _nudged_outputs(evaluate, target, eps, record, columns, sizes)
    center, up, down = centers[output], ups[output], downs[output]
    return Differences(
        [((up - down) / (2 * eps)).T],
        [((up - center) / eps).T],
        [((center - down) / eps).T],
    )


def _nudged_outputs(
    evaluate: Evaluate,
    target: Tensor,
    eps: float,
    record: bool,
    columns: Any,
    sizes: list[int],
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The outputs with each listed component of ``target`` moved by ±eps.

    Row r of each result is the flattened output for the r-th listed
    component. The component is restored exactly after its two calls.
    """
    data = target.data
    if not data.flags.writeable:
        raise ValueError(
            "gradcheck: an input's array is read-only, so it cannot be nudged "
            "for central differences; pass a tensor that owns writable data "
            "(e.g. cr.tensor(array))"
        )
    columns = list(columns)
    # NOTE: a scalar output's rows (the usual loss) are one flat array until
    # the end: storing a 0-d result by index takes half the time of
    # assigning a row, 0.1 us of each of the full check's evaluations.
    shapes = [(len(columns),) if n == 1 else (len(columns), n) for n in sizes]
    ups = [np.empty(shape) for shape in shapes]
    downs = [np.empty(shape) for shape in shapes]
    # NOTE: a C-ordered array is nudged through a flat view. Any other
    # layout is indexed by tuples: there reshape(-1) is a copy, and the
    # nudges would never reach the tensor.
    flat = data.reshape(-1) if data.flags.c_contiguous else None
    where = flat if flat is not None else data
    # NOTE: grad mode is set once for all the calls, and each output is
    # copied into its row as soon as it is computed (an output may be the
    # nudged input itself, which the next nudge changes).
    with enable_grad() if record else no_grad():
        for r, j in enumerate(columns):
            index: Any = j if flat is not None else np.unravel_index(j, data.shape)
            original = where[index]
            where[index] = original + eps
            _copy_rows(evaluate(record), ups, r)
            where[index] = original - eps
            _copy_rows(evaluate(record), downs, r)
            where[index] = original
    ups = [u.reshape(len(columns), n) for u, n in zip(ups, sizes, strict=True)]
    downs = [d.reshape(len(columns), n) for d, n in zip(downs, sizes, strict=True)]
    return ups, downs


def _copy_rows(outputs: list[Tensor], rows: list[np.ndarray], r: int) -> None:
    """Row ``r`` of each output's results: that output, flattened (a scalar,
    for an output of one element, whose rows are a flat array)."""
    # NOTE: one output, the usual case, without the loop (zip(strict=True)
    # is costly), and a value that already has the row's shape without a
    # reshape: together 0.4 us of each of the full check's evaluations.
    if len(outputs) == 1 and len(rows) == 1:
        value, row = outputs[0]._data, rows[0]
        row[r] = value if value.ndim == row.ndim - 1 else value.reshape(row.shape[1:])
        return
    for out, row in zip(outputs, rows, strict=True):
        value = out._data
        row[r] = value if value.ndim == row.ndim - 1 else value.reshape(row.shape[1:])


def analytical_jacobian(
    outputs: list[Tensor], targets: list[Tensor], create_graph: bool = False
) -> list[list[np.ndarray]]:
    """``result[k][t]``: the Jacobian of output k in target t, by backward.

    One backward pass per output element, each seeded with a one-hot
    gradient, exactly what ``backward`` computes for a user.
    """
    result: list[list[np.ndarray]] = []
    for out in outputs:
        blocks = [np.zeros((out.size, t.size)) for t in targets]
        if out.requires_grad:
            for i in range(out.size):
                seed = np.zeros(out.shape, dtype=out.dtype)
                seed.reshape(-1)[i] = 1
                grads = autograd_grad(
                    out,
                    targets,
                    grad_outputs=seed,
                    retain_graph=True,
                    create_graph=create_graph,
                    allow_unused=True,
                )
                for t, g in enumerate(grads):
                    if g is not None:
                        blocks[t][i, :] = np.asarray(g.data, dtype=np.float64).ravel()
        result.append(blocks)
    return result


def directional_derivatives(
    evaluate: Evaluate,
    target: Tensor,
    direction: np.ndarray,
    weights: list[np.ndarray],
    eps: float,
    record: bool = False,
) -> float:
    """Numerical u^T J v for one target: two evaluations whatever its size."""
    data = target.data
    original = data.copy()
    step = eps * direction
    with enable_grad() if record else no_grad():
        np.add(original, step, out=data, casting="unsafe")
        up = outputs_as_arrays(evaluate(record))
        np.subtract(original, step, out=data, casting="unsafe")
        down = outputs_as_arrays(evaluate(record))
    data[...] = original
    total = 0.0
    for u, a, b in zip(weights, up, down, strict=True):
        total += float(np.dot(u, a - b))
    return total / (2 * eps)


def vector_jacobian_products(
    outputs: list[Tensor], targets: list[Tensor], weights: list[np.ndarray]
) -> list[np.ndarray]:
    """u^T J for every target, by one backward pass through all outputs."""
    used = [
        (out, w.reshape(out.shape).astype(out.dtype))
        for out, w in zip(outputs, weights, strict=True)
        if out.requires_grad
    ]
    if not used:
        return [np.zeros(t.size) for t in targets]
    grads = autograd_grad(
        [o for o, _ in used],
        targets,
        grad_outputs=[w for _, w in used],
        retain_graph=True,
        allow_unused=True,
    )
    return [
        np.zeros(t.size) if g is None else np.asarray(g.data, np.float64).ravel()
        for t, g in zip(targets, grads, strict=True)
    ]


def float_outputs(result: Any, positions: list[int] | None = None) -> list[Tensor]:
    """The function's floating-point outputs, as a list (others are ignored).

    ``positions``, if given, is filled with each kept output's place among
    all of them, so that reports can name outputs as the user counts them.
    """
    # NOTE: one float tensor, the usual result, skips the general loop: 0.35
    # us of each of the full check's thousands of evaluations.
    if positions is None and type(result) is Tensor and result._data.dtype.kind == "f":
        return [result]
    several = isinstance(result, (tuple, list))
    items = list(result) if several else [result]
    outputs = []
    if positions is not None:
        positions.clear()
    for k, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(
                f"gradcheck: output {k} of the function is "
                f"{_article(type(item).__name__)}, not a Tensor; return tensors "
                "(or a tuple of them) computed from the inputs"
            )
        if item.dtype.kind == "f":
            outputs.append(item)
            if positions is not None:
                positions.append(k if several else -1)
    return outputs


def _article(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
