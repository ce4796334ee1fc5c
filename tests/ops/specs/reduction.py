"""Specs of the reductions."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

import chainrule as cr
from tests.ops.harness import OpSpec


def axis_options(shapes):
    """None, one axis (maybe negative) or a tuple of axes, with or without keepdims."""
    ndim = len(shapes[0])
    single = st.integers(-ndim, ndim - 1) if ndim else st.nothing()
    several = (
        st.lists(st.integers(0, ndim - 1), unique=True).map(tuple)
        if ndim
        else st.just(())
    )
    return st.fixed_dictionaries(
        {"axis": st.one_of(st.none(), single, several), "keepdims": st.booleans()}
    )


def torch_dims(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return axis if isinstance(axis, tuple) else (axis,)


def reference_sum(x, axis, keepdims):
    # NOTE: axis=() reduces nothing in NumPy (and chainrule) but everything
    # in PyTorch; compare against the NumPy meaning.
    if axis == ():
        return x * 1
    return torch.sum(x, dim=torch_dims(axis, x.ndim), keepdim=keepdims)


def reference_mean(x, axis, keepdims):
    if axis == ():
        return x * 1
    return torch.mean(x, dim=torch_dims(axis, x.ndim), keepdim=keepdims)


SPECS = [
    OpSpec(
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
    OpSpec(
        "mean",
        cr.mean,
        reference_mean,
        options=axis_options,
        special=(
            (((),), {"axis": None, "keepdims": False}),
            (((0, 3),), {"axis": 1, "keepdims": True}),
        ),
    ),
]
