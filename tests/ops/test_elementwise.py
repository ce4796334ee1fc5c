"""Elementwise functions: conventions at kinks and ties, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import DTypeError, ShapeError


def test_abs_gradient_at_zero_is_zero() -> None:
    x = cr.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    cr.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, 0.0, 1.0])


def test_maximum_and_minimum_share_the_gradient_at_ties() -> None:
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = cr.tensor([2.0, 2.0, 2.0], requires_grad=True)
    cr.maximum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(y.grad.data, [1.0, 0.5, 0.0])

    x.grad = y.grad = None
    cr.minimum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.5, 0.0])
    np.testing.assert_array_equal(y.grad.data, [0.0, 0.5, 1.0])


def test_maximum_of_a_value_with_itself_has_gradient_one() -> None:
    x = cr.tensor([1.0, -1.0], requires_grad=True)
    cr.maximum(x, x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_clip_passes_gradient_inside_and_at_the_bounds() -> None:
    x = cr.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    y = cr.clip(x, -1.0, 1.0)
    np.testing.assert_array_equal(y.data, [-1.0, -1.0, 0.0, 1.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clip_with_one_bound_and_errors() -> None:
    x = cr.tensor([-2.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(cr.clip(x, min=0.0).data, [0.0, 2.0])
    np.testing.assert_array_equal(x.clip(max=0.0).data, [-2.0, 0.0])
    with pytest.raises(ValueError, match="at least one"):
        cr.clip(x)
    with pytest.raises(TypeError, match=r"cr\.maximum"):
        cr.clip(x, cr.tensor(0.0, requires_grad=True), 1.0)


def test_where_routes_gradients_and_refuses_non_bool_conditions() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor([3.0, 4.0], requires_grad=True)
    cr.where(cr.tensor([True, False]), x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0])
    np.testing.assert_array_equal(y.grad.data, [0.0, 1.0])
    with pytest.raises(DTypeError, match="bool"):
        cr.where(np.array([1, 0]), x, y)
    with pytest.raises(ShapeError, match=r"where: shapes \(3,\) and \(2,\) and \(2,\)"):
        cr.where(np.array([True, False, True]), x, y)


def test_log_and_sqrt_follow_numpy_outside_their_domain() -> None:
    with np.errstate(all="ignore"):
        assert np.isnan(cr.log(cr.tensor(-1.0)).item())
        assert cr.log(cr.tensor(0.0)).item() == -np.inf
        assert np.isnan(cr.sqrt(cr.tensor(-1.0)).item())


def test_nan_wins_maximum_and_minimum_and_takes_the_gradient() -> None:
    for op in (cr.maximum, cr.minimum):
        x = cr.tensor([np.nan, 1.0], requires_grad=True)
        y = cr.tensor([0.5, np.nan], requires_grad=True)
        out = op(x, y)
        assert np.isnan(out.data).all()
        out.sum().backward()
        np.testing.assert_array_equal(x.grad.data, [1.0, 0.0])
        np.testing.assert_array_equal(y.grad.data, [0.0, 1.0])
