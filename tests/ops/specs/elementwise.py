"""Specs of the elementwise functions."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
from hypothesis import strategies as st

import chainrule as cr
from tests.ops.harness import Case, OpSpec, array


def clip_options(shapes):
    bounds = st.tuples(st.floats(-2.5, 0.0), st.floats(0.0, 2.5))
    return bounds.map(lambda b: {"min": b[0], "max": b[1]})


def not_tied(case: Case) -> bool:
    """maximum/minimum have a kink where the operands are equal."""
    x, y = case.args
    return bool(np.all(np.abs(x - y) > 1e-3))


def clip_away_from_bounds(case: Case) -> bool:
    (x,) = case.args
    lo, hi = case.options["min"], case.options["max"]
    return bool(np.all(np.abs(x - lo) > 1e-3) and np.all(np.abs(x - hi) > 1e-3))


def where_case(draw) -> Case:
    shapes = draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=3, min_dims=0, max_dims=3, min_side=0, max_side=4
        )
    ).input_shapes
    condition = draw(hnp.arrays(np.bool_, shapes[0]))
    x = array(draw, WHERE, 1, shapes[1])
    y = array(draw, WHERE, 2, shapes[2])
    return Case([condition, x, y], [False, True, True])


WHERE = OpSpec("where", cr.where, torch.where, arity=3, inputs=where_case)


def astype_options(shapes):
    return st.sampled_from(["float64", "float32"]).map(lambda d: {"dtype": d})


ASTYPE = OpSpec(
    "astype",
    cr.astype,
    lambda x, dtype: x.to(getattr(torch, dtype)),
    options=astype_options,
    special=(
        (((),), {"dtype": "float32"}),
        (((0, 2),), {"dtype": "float64"}),
    ),
    # A float32 result is the input rounded, identically in both; its
    # gradient comes back in float64.
    rtol=1e-6,
    numeric=False,
    float32=False,
)

SPECS = [
    OpSpec("exp", cr.exp, torch.exp),
    OpSpec("log", cr.log, torch.log, domain=(0.1, 5.0)),
    OpSpec("sqrt", cr.sqrt, torch.sqrt, domain=(0.1, 5.0)),
    OpSpec("abs", cr.abs, torch.abs, kinks=(0.0,)),
    OpSpec("sin", cr.sin, torch.sin),
    OpSpec("cos", cr.cos, torch.cos),
    OpSpec(
        "clip",
        cr.clip,
        lambda x, min, max: torch.clamp(x, min, max),
        options=clip_options,
        valid=clip_away_from_bounds,
        special=(
            ((((),), {"min": -1.0, "max": 1.0})),
            (((0, 3),), {"min": -1.0, "max": 1.0}),
        ),
    ),
    OpSpec("maximum", cr.maximum, torch.maximum, arity=2, valid=not_tied),
    OpSpec("minimum", cr.minimum, torch.minimum, arity=2, valid=not_tied),
    WHERE,
    ASTYPE,
]
