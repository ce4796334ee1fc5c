"""Specs of the activation functions."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

import chainrule as cr
from tests.ops.harness import Case, OpSpec


def slope_options(shapes):
    # Negative and steeper-than-1 slopes are allowed, as in PyTorch.
    return st.fixed_dictionaries({"negative_slope": st.floats(-0.5, 1.5)})


def alpha_options(shapes):
    return st.fixed_dictionaries({"alpha": st.floats(0.1, 3.0)})


def gelu_options(shapes):
    return st.fixed_dictionaries({"approximate": st.sampled_from(["none", "tanh"])})


def softplus_options(shapes):
    # Small thresholds put inputs of the (-3, 3) domain on both sides of it.
    beta = st.one_of(st.floats(0.25, 4.0), st.floats(-4.0, -0.25))
    return st.fixed_dictionaries({"beta": beta, "threshold": st.floats(0.5, 20.0)})


def away_from_threshold(case: Case) -> bool:
    """softplus jumps (in value and slope) where beta * x crosses the threshold."""
    (x,) = case.args
    beta, threshold = case.options["beta"], case.options["threshold"]
    return bool(np.all(np.abs(beta * x - threshold) > 1e-3))


def axis_shapes():
    return hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4).map(
        lambda s: (s,)
    )


def axis_options(shapes):
    ndim = len(shapes[0])
    return st.fixed_dictionaries({"axis": st.integers(-ndim, ndim - 1)})


# 0-d tensors (PyTorch takes axis 0 or -1 there) and empty axes, always.
AXIS_SPECIAL = (
    (((),), {"axis": 0}),
    (((),), {"axis": -1}),
    (((0, 3),), {"axis": 0}),
    (((0, 3),), {"axis": 1}),
    (((2, 0),), {"axis": -1}),
)

SPECS = [
    OpSpec("sigmoid", cr.sigmoid, torch.sigmoid),
    OpSpec("tanh", cr.tanh, torch.tanh),
    OpSpec("relu", cr.relu, F.relu, kinks=(0.0,)),
    OpSpec(
        "leaky_relu", cr.leaky_relu, F.leaky_relu, kinks=(0.0,), options=slope_options
    ),
    OpSpec("elu", cr.elu, F.elu, kinks=(0.0,), options=alpha_options),
    OpSpec(
        "gelu",
        cr.gelu,
        F.gelu,
        options=gelu_options,
        special=(
            (((),), {"approximate": "none"}),
            (((),), {"approximate": "tanh"}),
            (((0, 2),), {"approximate": "none"}),
            (((0, 2),), {"approximate": "tanh"}),
        ),
    ),
    OpSpec("erf", cr.erf, torch.erf),
    OpSpec(
        "softplus",
        cr.softplus,
        F.softplus,
        options=softplus_options,
        valid=away_from_threshold,
        special=(
            (((),), {"beta": 1.0, "threshold": 20.0}),
            (((0, 2),), {"beta": 2.0, "threshold": 1.0}),
        ),
    ),
    OpSpec(
        "softmax",
        cr.softmax,
        lambda x, axis: torch.softmax(x, dim=axis),
        shapes=axis_shapes,
        options=axis_options,
        special=AXIS_SPECIAL,
    ),
    OpSpec(
        "log_softmax",
        cr.log_softmax,
        lambda x, axis: torch.log_softmax(x, dim=axis),
        shapes=axis_shapes,
        options=axis_options,
        special=AXIS_SPECIAL,
    ),
]
