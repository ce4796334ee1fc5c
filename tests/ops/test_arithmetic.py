"""Arithmetic: errors that name shapes, and conventions at special points."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import DTypeError, ShapeError


@pytest.mark.parametrize(
    ("op", "name"),
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "subtract"),
        (lambda a, b: a * b, "multiply"),
        (lambda a, b: a / b, "divide"),
        (lambda a, b: a**b, "power"),
    ],
)
def test_broadcast_mismatch_names_op_and_both_shapes(op, name) -> None:
    a = cr.ones(2, 3, requires_grad=True)
    b = cr.ones(4)
    with pytest.raises(ShapeError, match=rf"{name}: shapes \(2, 3\) and \(4,\)"):
        op(a, b)


def test_matmul_mismatch_names_both_shapes_and_the_axes() -> None:
    with pytest.raises(
        ShapeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\).*\(3\).*\(4\)"
    ):
        cr.ones(2, 3) @ cr.ones(4, 5)


def test_matmul_of_0d_operands_points_to_multiply() -> None:
    with pytest.raises(ShapeError, match=r"matmul.*use \*"):
        cr.tensor(2.0) @ cr.ones(2)


@pytest.mark.parametrize(
    "other, named",
    [
        (np.array(["a", "b"]), "an array of dtype <U1"),
        (np.array([object(), object()]), "an array of dtype object"),
        ("ab", "str 'ab'"),
        (None, "NoneType None"),
    ],
)
def test_matmul_by_something_not_numbers_names_it(other, named) -> None:
    # Checked only after np.matmul refuses: the error must still say what.
    with pytest.raises(DTypeError, match=rf"matmul: cannot multiply by {named}"):
        cr.ones(2, requires_grad=True) @ other


def test_matmul_of_plain_sequences_matches_numpy() -> None:
    # Lists have no @ operator of their own; forward falls back to np.matmul.
    from chainrule.ops.arithmetic import MatMul

    out = MatMul.apply([[1.0, 2.0]], [[3.0], [4.0]])
    np.testing.assert_array_equal(out.data, [[11.0]])
    np.testing.assert_array_equal((cr.tensor([1.0, 2.0]) @ [3.0, 4.0]).data, 11.0)


@pytest.mark.parametrize(
    "other",
    [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], ((1.0, 2.0), (3.0, 4.0), (5.0, 6.0))],
)
def test_matmul_by_a_sequence_has_the_gradient_of_the_array(other) -> None:
    t = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (t @ other).sum().backward()
    expected = np.ones((2, 2)) @ np.asarray(other).T
    np.testing.assert_allclose(t.grad.data, expected)
    u = cr.tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
    (other @ u).sum().backward()
    np.testing.assert_allclose(u.grad.data, np.asarray(other).T @ np.ones((3, 2)))


def test_matmul_by_a_ragged_list_is_a_shape_error() -> None:
    for mode in (cr.enable_grad, cr.no_grad):
        with mode(), pytest.raises(ShapeError, match=r"matmul: .*ragged"):
            cr.ones(2, 2, requires_grad=True) @ [[1.0, 2.0], [3.0]]


def test_matmul_batch_mismatch_is_a_shape_error() -> None:
    with pytest.raises(ShapeError, match=r"batch dimensions.*\(2, 2, 3\).*\(4, 3, 2\)"):
        cr.ones(2, 2, 3) @ cr.ones(4, 3, 2)


def test_power_with_zero_exponent_has_zero_gradient_even_at_zero() -> None:
    x = cr.tensor([0.0, 2.0], requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_gradient_of_exponent_at_zero_base_is_zero() -> None:
    # d/dp 0^p = 0 for p > 0 (the limit of x^p log x), not nan.
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    p = cr.tensor([2.0, 3.0], requires_grad=True)
    (x**p).sum().backward()
    assert np.all(np.isfinite(p.grad.data))
    assert p.grad.data[0] == 0.0


def test_square_at_zero_has_zero_gradient() -> None:
    x = cr.tensor(0.0, requires_grad=True)
    (x**2).backward()
    assert x.grad.item() == 0.0


def test_matmul_weight_and_data_gradients_are_the_textbook_formulas() -> None:
    # For h' = W h with dL/dh' = g: dL/dW = g hᵀ (weight gradient),
    # dL/dh = Wᵀ g (data gradient).
    rng = np.random.default_rng(0)
    w = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    h = cr.tensor(rng.standard_normal((4, 1)), requires_grad=True)
    g = rng.standard_normal((3, 1))
    (w @ h).backward(g)
    np.testing.assert_allclose(w.grad.data, g @ h.data.T)
    np.testing.assert_allclose(h.grad.data, w.data.T @ g)


def test_numpy_refusals_keep_their_reason_and_name_the_op() -> None:
    from chainrule.errors import ArgumentError, DTypeError

    with pytest.raises(ArgumentError, match=r"power.*negative integer powers"):
        cr.tensor([1, 2, 3]) ** -1
    with pytest.raises(DTypeError, match=r"multiply.*str"):
        cr.ones(3) * "a"
