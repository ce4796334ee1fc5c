"""Specs of the arithmetic ops: + - * / ** negation and matmul."""

from __future__ import annotations

import operator

import hypothesis.extra.numpy as hnp
import torch
from hypothesis import strategies as st

import chainrule as cr
from tests.ops.harness import Case, OpSpec, array


def matmul_shapes() -> st.SearchStrategy:
    """1-D, 2-D and batched operands whose inner axes agree."""

    @st.composite
    def shapes(draw):
        m, k, n = (draw(st.integers(0, 4)) for _ in range(3))
        k = max(k, 1) if draw(st.booleans()) else k
        batch = draw(
            hnp.mutually_broadcastable_shapes(
                num_shapes=2, min_dims=0, max_dims=2, max_side=3
            )
        ).input_shapes
        left = draw(st.sampled_from([(k,), (*batch[0], m, k)]))
        right = draw(st.sampled_from([(k,), (*batch[1], k, n)]))
        return (left, right)

    return shapes()


def linear_case(draw) -> Case:
    """An input of any batch shape (1-D included), a weight, and maybe a bias."""
    batch = draw(st.sampled_from([(), (0,), (3,), (2, 3)]))
    n_in, n_out = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    x = array(draw, LINEAR, 0, (*batch, n_in))
    w = array(draw, LINEAR, 1, (n_out, n_in))
    if draw(st.booleans()):
        return Case([x, w, array(draw, LINEAR, 2, (n_out,))], [True, True, True])
    return Case([x, w], [True, True])


def power_case(draw) -> Case:
    """A positive base with a tensor exponent, or any base with a constant one."""
    shapes = draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=4
        )
    ).input_shapes
    spec = POWER
    if draw(st.booleans()):
        base = array(draw, spec, 0, shapes[0])
        exponent = array(draw, spec, 1, shapes[1])
        return Case([base, exponent], [True, True])
    base = array(draw, spec, 0, shapes[0])
    exponent = draw(st.sampled_from([2, 3, 0.5, -1.5, 0, 1]))
    return Case([base, exponent], [True, False])


POWER = OpSpec(
    "power",
    cr.power,
    torch.pow,
    arity=2,
    domain=((0.2, 3.0), (-2.0, 2.0)),
    inputs=power_case,
    special=((((), ()), {}), (((0, 2), (2,)), {})),
)
POWER_OPERATOR = OpSpec(
    "power_operator",
    operator.pow,
    operator.pow,
    arity=2,
    domain=((0.2, 3.0), (-2.0, 2.0)),
    inputs=lambda draw: power_case(draw),
)

LINEAR = OpSpec(
    "linear",
    cr.linear,
    torch.nn.functional.linear,
    arity=3,
    inputs=linear_case,
)

SPECS = [
    OpSpec("add", cr.add, torch.add, arity=2),
    OpSpec("add_operator", operator.add, operator.add, arity=2),
    OpSpec("subtract", cr.subtract, torch.subtract, arity=2),
    OpSpec("subtract_operator", operator.sub, operator.sub, arity=2),
    OpSpec("multiply", cr.multiply, torch.multiply, arity=2),
    OpSpec("multiply_operator", operator.mul, operator.mul, arity=2),
    OpSpec(
        "divide",
        cr.divide,
        torch.divide,
        arity=2,
        domain=((-3.0, 3.0), (0.5, 3.0)),
    ),
    OpSpec(
        "divide_negative_denominator",
        operator.truediv,
        operator.truediv,
        arity=2,
        domain=((-3.0, 3.0), (-3.0, -0.5)),
    ),
    OpSpec("negative", cr.negative, torch.negative),
    OpSpec("negative_operator", operator.neg, operator.neg),
    POWER,
    POWER_OPERATOR,
    OpSpec(
        "matmul",
        cr.matmul,
        torch.matmul,
        arity=2,
        shapes=matmul_shapes,
        special=(
            (((3,), (3,)), {}),
            (((0, 3), (3, 2)), {}),
            (((2, 0), (0, 3)), {}),
            (((2, 1, 2, 3), (4, 3, 2)), {}),
        ),
    ),
    OpSpec(
        "matmul_operator",
        operator.matmul,
        operator.matmul,
        arity=2,
        shapes=matmul_shapes,
        special=((((2, 3), (3, 2)), {}),),
    ),
    LINEAR,
]
