"""Specs of the reductions.

References follow NumPy's meaning of ``axis`` where PyTorch's differs:
``axis=()`` reduces nothing in NumPy (and chainrule) but everything in
PyTorch, and ``ddof`` is PyTorch's ``correction`` (whose default is 1, not 0).

The ``*_then_square`` specs square the reduction's output, so the first
gradient depends on the input through the reduction itself and the
second-order test differentiates each backward rule on Tensors.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from hypothesis import strategies as st

import chainrule as cr
from tests.ops.harness import Case, OpSpec

MARGIN = 1e-3


def axis_options(shapes):
    """None, one axis (maybe negative) or a tuple of axes, with or without keepdims."""
    ndim = len(shapes[0])
    if ndim:
        single = st.integers(-ndim, ndim - 1)
        several = st.lists(
            st.integers(0, ndim - 1).flatmap(lambda a: st.sampled_from([a, a - ndim])),
            unique_by=lambda a: a % ndim,
        ).map(tuple)
    else:
        single, several = st.nothing(), st.just(())
    return st.fixed_dictionaries(
        {"axis": st.one_of(st.none(), single, several), "keepdims": st.booleans()}
    )


def reduced_axes(axis, ndim):
    """The axes NumPy reduces, as non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim for a in axes)


def count(shape, axis):
    return math.prod(shape[a] for a in reduced_axes(axis, len(shape)))


def ddof_options(shapes):
    """Axis options plus a ddof below the number of reduced elements."""

    @st.composite
    def options(draw):
        chosen = draw(axis_options(shapes))
        n = count(shapes[0], chosen["axis"])
        return {**chosen, "ddof": draw(st.integers(0, max(n - 1, 0)))}

    return options()


def slices(x, axis):
    """One row per slice that the reduction collapses to one value."""
    axes = reduced_axes(axis, x.ndim)
    kept = [a for a in range(x.ndim) if a not in axes]
    return np.transpose(x, kept + list(axes)).reshape(-1, count(x.shape, axis))


def clear_extreme(pick):
    """Reject cases where a slice's extreme is near-tied or the slice is empty.

    Ties are a kink: there central differences see one side only. Their
    convention is tested on its own in test_reduction.py.
    """

    def valid(case: Case) -> bool:
        x, axis = case.args[0], case.options["axis"]
        if count(x.shape, axis) == 0:
            return False
        rows = np.sort(slices(x, axis), axis=1)
        if rows.shape[1] < 2:
            return True
        gaps = rows[:, -1] - rows[:, -2] if pick == "max" else rows[:, 1] - rows[:, 0]
        return bool(np.all(gaps > MARGIN))

    return valid


def spread_out(case: Case) -> bool:
    """std is not differentiable at zero variance: keep slices of >= 2
    elements well away from constant. Its convention there (gradient 0) is
    tested on its own in test_reduction.py."""
    x, axis = case.args[0], case.options["axis"]
    if count(x.shape, axis) < 2 or x.size == 0:
        return True
    rows = slices(x, axis)
    return bool(np.all(rows.max(axis=1) - rows.min(axis=1) > 10 * MARGIN))


def slices_of_two(case: Case) -> bool:
    """Every reduced slice has two or more elements: mean and spread are
    finite and away from their conventions at n <= 1."""
    x, axis = case.args[0], case.options["axis"]
    return x.size > 0 and count(x.shape, axis) >= 2


def reduces_nothing(x, axis):
    return axis == () and x.ndim > 0


def reference_sum(x, axis, keepdims):
    if reduces_nothing(x, axis):
        return x * 1
    return torch.sum(x, dim=reduced_axes(axis, x.ndim), keepdim=keepdims)


def reference_mean(x, axis, keepdims):
    if reduces_nothing(x, axis):
        return x * 1
    return torch.mean(x, dim=reduced_axes(axis, x.ndim), keepdim=keepdims)


def reference_max(x, axis, keepdims):
    # NOTE: amax, not max(dim=): amax shares the gradient among ties.
    if reduces_nothing(x, axis):
        return x * 1
    return torch.amax(x, dim=reduced_axes(axis, x.ndim), keepdim=keepdims)


def reference_min(x, axis, keepdims):
    if reduces_nothing(x, axis):
        return x * 1
    return torch.amin(x, dim=reduced_axes(axis, x.ndim), keepdim=keepdims)


def spread(torch_function):
    """The reference of var or std: ``ddof`` is PyTorch's ``correction``."""

    def reference(x, axis, ddof, keepdims):
        if reduces_nothing(x, axis):
            return x * 0
        dims = reduced_axes(axis, x.ndim)
        with warnings.catch_warnings():
            # NOTE: PyTorch warns when n - correction <= 0 (an empty axis
            # here); its nan is the value to compare with.
            warnings.simplefilter("ignore", UserWarning)
            return torch_function(x, dim=dims, correction=ddof, keepdim=keepdims)

    return reference


def reference_logsumexp(x, axis, keepdims):
    # NOTE: torch.logsumexp rejects dim=(); the logsumexp of one element is
    # the element.
    if axis == () or x.ndim == 0:
        return x * 1
    return torch.logsumexp(x, dim=reduced_axes(axis, x.ndim), keepdim=keepdims)


def then_square(op):
    return lambda x, **options: op(x, **options) ** 2


def reduction(name, op, reference, **spec):
    """A spec and its ``*_then_square`` twin."""
    return [
        OpSpec(name, op, reference, **spec),
        OpSpec(f"{name}_then_square", then_square(op), then_square(reference), **spec),
    ]


EXTREME_SPECIAL = (
    (((),), {"axis": None, "keepdims": False}),
    (((0, 3),), {"axis": 1, "keepdims": True}),
    (((2, 3),), {"axis": (), "keepdims": False}),
    (((2, 1, 3),), {"axis": (0, -1), "keepdims": False}),
)
SPREAD_SPECIAL = (
    (((),), {"axis": None, "ddof": 0, "keepdims": False}),
    (((0, 3),), {"axis": 0, "ddof": 0, "keepdims": False}),
    (((3, 4),), {"axis": 1, "ddof": 1, "keepdims": True}),
    (((2, 3, 2),), {"axis": (0, 2), "ddof": 3, "keepdims": False}),
)


def one_axis_options(shapes):
    """None or one axis (maybe negative), with or without keepdims."""
    ndim = len(shapes[0])
    axis = st.one_of(st.none(), st.integers(-ndim, ndim - 1)) if ndim else st.none()
    return st.fixed_dictionaries({"axis": axis, "keepdims": st.booleans()})


def reference_arg(pick):
    """torch.argmax/argmin with NumPy's axis=None and keepdims rules."""

    def reference(x, axis, keepdims):
        if axis is None:
            index = pick(x.reshape(-1))
            return index.reshape((1,) * x.ndim) if keepdims else index
        return pick(x, dim=axis, keepdim=keepdims)

    return reference


def nonempty_slices(case: Case) -> bool:
    """argmax and argmin of an empty slice are errors in NumPy and PyTorch."""
    x, axis = case.args[0], case.options["axis"]
    return x.size > 0 and count(x.shape, axis) > 0


SPECS = [
    # Not differentiable: the values (first index of a tie, in both) are
    # compared; their outputs carry no gradient.
    OpSpec(
        "argmax",
        cr.argmax,
        reference_arg(torch.argmax),
        options=one_axis_options,
        valid=nonempty_slices,
        special=(),
    ),
    OpSpec(
        "argmin",
        cr.argmin,
        reference_arg(torch.argmin),
        options=one_axis_options,
        valid=nonempty_slices,
        special=(),
    ),
    *reduction(
        "sum",
        cr.sum,
        reference_sum,
        options=axis_options,
        special=(
            (((),), {"axis": None, "keepdims": False}),
            (((0, 3),), {"axis": 0, "keepdims": False}),
            (((0, 3),), {"axis": 1, "keepdims": True}),
        ),
    ),
    *reduction(
        "mean",
        cr.mean,
        reference_mean,
        options=axis_options,
        second_order_valid=slices_of_two,
        special=(
            (((),), {"axis": None, "keepdims": False}),
            (((0, 3),), {"axis": 1, "keepdims": True}),
        ),
    ),
    *reduction(
        "max",
        cr.max,
        reference_max,
        options=axis_options,
        valid=clear_extreme("max"),
        special=EXTREME_SPECIAL,
    ),
    *reduction(
        "min",
        cr.min,
        reference_min,
        options=axis_options,
        valid=clear_extreme("min"),
        special=EXTREME_SPECIAL,
    ),
    OpSpec(
        "var",
        cr.var,
        spread(torch.var),
        options=ddof_options,
        second_order_valid=slices_of_two,
        special=SPREAD_SPECIAL,
    ),
    OpSpec(
        "std",
        cr.std,
        spread(torch.std),
        options=ddof_options,
        second_order_valid=slices_of_two,
        valid=spread_out,
        special=SPREAD_SPECIAL,
    ),
    OpSpec(
        "logsumexp",
        cr.logsumexp,
        reference_logsumexp,
        options=axis_options,
        special=(
            (((),), {"axis": None, "keepdims": False}),
            (((0, 3),), {"axis": 0, "keepdims": False}),
            (((0, 3),), {"axis": 1, "keepdims": True}),
            (((2, 3, 2),), {"axis": (0, -1), "keepdims": False}),
        ),
    ),
]
