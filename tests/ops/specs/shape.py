"""Specs of the shape operations."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import torch
from hypothesis import strategies as st

import chainrule as cr
from tests.ops.harness import Case, OpSpec, array


def reshape_case(draw) -> Case:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    x = array(draw, RESHAPE, 0, shape)
    target = draw(st.permutations(list(shape))).copy() if shape else []
    if target and draw(st.booleans()) and x.size:
        target[draw(st.integers(0, len(target) - 1))] = -1
    return Case([x, tuple(target)], [True, False])


def transpose_case(draw) -> Case:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
    x = array(draw, TRANSPOSE, 0, shape)
    axes = draw(st.permutations(list(range(len(shape)))))
    return Case([x, tuple(axes)], [True, False])


RESHAPE = OpSpec("reshape", cr.reshape, torch.reshape, inputs=reshape_case)
TRANSPOSE = OpSpec(
    "transpose", cr.transpose, lambda x, axes: x.permute(axes), inputs=transpose_case
)

SPECS = [RESHAPE, TRANSPOSE]
