"""Spec of standardize: (x - mean) / sqrt(var + eps) over axes.

The reference composes PyTorch's mean and a biased variance. ``axis`` has
NumPy's meaning (``()`` reduces nothing: every element is its own slice and
standardizes to 0).
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
from hypothesis import strategies as st

import chainrule as cr
from tests.ops.harness import Case, OpSpec
from tests.ops.specs.reduction import axis_options, count, reduced_axes, slices


def shapes():
    return hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4).map(
        lambda s: (s,)
    )


def options(shapes):
    axis = axis_options(shapes).map(lambda chosen: chosen["axis"])
    eps = st.sampled_from([1e-5, 1e-2, 1.0])
    return st.fixed_dictionaries({"axis": axis, "eps": eps})


def spread_out(case: Case) -> bool:
    """Slices of two or more elements well away from constant: with a small
    eps the slope 1/sqrt(var + eps) of a nearly constant slice is too steep
    for central differences. The constant slice has its own test."""
    x, axis = case.args[0], case.options["axis"]
    if count(x.shape, axis) < 2 or x.size == 0:
        return True
    rows = slices(x, axis)
    return bool(np.all(rows.max(axis=1) - rows.min(axis=1) > 0.1))


def reference_standardize(x, axis, eps):
    dims = reduced_axes(axis, x.ndim)
    if not dims:
        return x * 0
    mean = x.mean(dim=dims, keepdim=True)
    deviations = x - mean
    variance = (deviations * deviations).mean(dim=dims, keepdim=True)
    return deviations / torch.sqrt(variance + eps)


SPECS = [
    OpSpec(
        "standardize",
        cr.standardize,
        reference_standardize,
        shapes=shapes,
        options=options,
        valid=spread_out,
        special=(
            (((),), {"axis": None, "eps": 1e-5}),
            (((0, 3),), {"axis": 0, "eps": 1e-5}),
            (((0, 3),), {"axis": 1, "eps": 1e-5}),
            (((3, 4),), {"axis": (), "eps": 1e-5}),
            (((2, 3, 2),), {"axis": (0, 2), "eps": 1e-2}),
            (((1, 5),), {"axis": 0, "eps": 1e-5}),
        ),
        rtol=1e-9,
        atol=1e-11,
    ),
]
