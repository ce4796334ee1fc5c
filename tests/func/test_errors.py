"""The transforms' errors and warnings: what failed, the values, the fix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import func
from chainrule.errors import (
    ArgnumsError,
    BackwardError,
    DTypeError,
    NonScalarOutputError,
    ShapeError,
    TransformOutputError,
)


def total(x, y=None):
    return (x**2).sum()


def test_grad_of_a_non_scalar_output_says_to_reduce_or_use_jacobian() -> None:
    with pytest.raises(NonScalarOutputError, match=r"shape \(3,\)") as info:
        func.grad(lambda x: x**2)(np.ones(3))
    assert ".sum()" in str(info.value) and "jacobian" in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(NonScalarOutputError, match="hvp"):
        func.hvp(lambda x: x * 2.0, (np.ones(2),), (np.ones(2),))
    # One element is not enough: grad wants a 0-d output, as torch.func does.
    with pytest.raises(NonScalarOutputError, match=r"shape \(1,\)"):
        func.grad(lambda x: x.sum(keepdims=True))(np.ones(3))


def test_grad_of_a_function_returning_a_tuple_suggests_has_aux() -> None:
    with pytest.raises(TransformOutputError, match="has_aux=True"):
        func.grad(lambda x: ((x**2).sum(), x))(np.ones(2))


@pytest.mark.parametrize("argnums", ["0", 1.0, True, [0], (), (0, "1"), (0, 0)])
def test_argnums_that_are_not_distinct_ints_are_refused_at_once(argnums) -> None:
    with pytest.raises(ArgnumsError, match="argnums"):
        func.grad(total, argnums=argnums)
    with pytest.raises(ArgnumsError):
        func.jacobian(total, argnums=argnums)


@pytest.mark.parametrize("argnums", [2, -3, (0, 2)])
def test_argnums_out_of_range_name_the_number_of_arguments(argnums) -> None:
    with pytest.raises(ArgnumsError, match="2 positional arguments") as info:
        func.grad(total, argnums=argnums)(np.ones(2), np.ones(2))
    assert "range(-2, 2)" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_argnums_naming_one_argument_twice_by_sign_are_refused() -> None:
    with pytest.raises(ArgnumsError, match="twice"):
        func.grad(total, argnums=(0, -2))(np.ones(2), np.ones(2))


@pytest.mark.parametrize(
    "x",
    [cr.tensor([1, 2]), np.array([1, 2]), 3, np.array([True, False])],
    ids=["int tensor", "int array", "python int", "bool array"],
)
def test_non_float_arguments_are_refused_with_the_argument_named(x) -> None:
    with pytest.raises(DTypeError, match="argument 1") as info:
        func.grad(lambda a, b: (a * b).sum(), argnums=1)(np.ones(2), x)
    assert "2.0, not 2" in str(info.value)
    # Left out of argnums, they are passed as they are.
    func.grad(lambda a, b: (a * b).sum(), argnums=0)(np.ones(2), x)


@pytest.mark.parametrize(
    "returned", [1.5, np.ones(()), None], ids=["float", "array", "None"]
)
def test_a_function_returning_no_tensor_is_refused(returned) -> None:
    for transform in (func.grad, func.jacobian):
        with pytest.raises(TransformOutputError, match="not a Tensor"):
            transform(lambda x: returned)(np.ones(2))


def test_a_function_that_cuts_the_graph_is_told_how() -> None:
    with pytest.raises(TransformOutputError, match=r"\.item\(\)"):
        func.grad(lambda x: (x**2).sum().item())(np.ones(2))


def test_an_integer_output_has_no_derivative() -> None:
    with pytest.raises(TransformOutputError, match="int64"):
        func.jacobian(lambda x: x.argmax())(np.ones(3))


def test_a_tuple_output_with_a_non_tensor_names_the_output() -> None:
    with pytest.raises(TransformOutputError, match="output 1 of the function"):
        func.jacobian(lambda x: (x * 2.0, 3.0))(np.ones(2))
    with pytest.raises(TransformOutputError, match="empty tuple"):
        func.vjp(lambda x: (), np.ones(2))


@pytest.mark.parametrize(
    "returned",
    [lambda x: (x**2).sum(), lambda x: ((x**2).sum(), 1, 2)],
    ids=["a tensor", "a triple"],
)
def test_has_aux_without_a_pair_is_refused(returned) -> None:
    for transform in (func.grad, func.value_and_grad, func.jacobian):
        with pytest.raises(TransformOutputError, match=r"pair \(output, aux\)"):
            transform(returned, has_aux=True)(np.ones(2))
    with pytest.raises(TransformOutputError, match="has_aux"):
        func.vjp(returned, np.ones(2), has_aux=True)


def test_an_unused_argument_gets_zeros_and_a_warning_at_the_callers_line() -> None:
    with pytest.warns(func.UnusedInputWarning, match="argument 1") as record:
        gx, gy = func.grad(total, argnums=(0, 1))(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(gy.data, np.zeros(3))
    np.testing.assert_array_equal(gx.data, [2.0, 2.0])
    assert record[0].filename == __file__
    with pytest.warns(func.UnusedInputWarning, match="jacobian"):
        _, j = func.jacobian(lambda x, y: x * 2.0, argnums=(0, 1))(
            np.ones(2), np.ones(3)
        )
    np.testing.assert_array_equal(j.data, np.zeros((2, 3)))


def test_a_constant_output_gets_zeros_and_a_warning() -> None:
    with pytest.warns(func.UnusedInputWarning, match="argument 0"):
        g = func.grad(lambda x: cr.tensor(2.0))(np.ones(2))
    np.testing.assert_array_equal(g.data, [0.0, 0.0])
    with cr.no_grad(), pytest.warns(func.UnusedInputWarning):
        func.grad(lambda x: (x**2).sum().detach())(np.ones(2))


def test_the_hessian_of_a_linear_function_is_zeros_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = func.hessian(lambda x: (x * 3.0).sum())(np.ones(2))
        _, (hv,) = func.hvp(lambda x: (x * 3.0).sum(), (np.ones(2),), (np.ones(2),))
    np.testing.assert_array_equal(h.data, np.zeros((2, 2)))
    np.testing.assert_array_equal(hv.data, np.zeros(2))


def test_the_hessian_of_a_function_ignoring_its_argument_warns() -> None:
    with pytest.warns(func.UnusedInputWarning, match="hessian"):
        h = func.hessian(total, argnums=(0, 1))(np.ones(2), np.ones(2))
    np.testing.assert_array_equal(h[0][0].data, 2 * np.eye(2))
    np.testing.assert_array_equal(h[1][1].data, np.zeros((2, 2)))


def test_tangents_and_cotangents_are_checked_against_their_primals() -> None:
    with pytest.raises(ShapeError, match=r"tangent 0 has shape \(3,\)"):
        func.jvp(total, (np.ones(2),), (np.ones(3),))
    with pytest.raises(ShapeError, match="2 tangents for 1 primals"):
        func.hvp(total, (np.ones(2),), (np.ones(2), np.ones(2)))
    with pytest.raises(TypeError, match=r"wrap a single one: \(x,\)"):
        func.jvp(total, np.ones(2), (np.ones(2),))
    with pytest.raises(DTypeError, match="floating point"):
        func.jvp(total, (np.ones(2),), (np.array([1, 2]),))
    _, vjp_fn = func.vjp(lambda x: x * 2.0, np.ones(2))
    with pytest.raises(ShapeError, match=r"cotangent 0 has shape \(\)"):
        vjp_fn(cr.tensor(1.0))
    with pytest.raises(ValueError, match="no primals"):
        func.vjp(lambda: cr.tensor(1.0))


class NotTwiceDifferentiable(cr.Function):
    """x², with a backward that cuts its incoming gradient from the graph."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad):
        (x,) = self.saved
        return 2 * x * (grad.detach() if isinstance(grad, cr.Tensor) else grad)


def test_jvp_through_a_backward_that_is_not_differentiable_says_so() -> None:
    with pytest.raises(BackwardError, match="gradgradcheck"):
        func.jvp(NotTwiceDifferentiable.apply, (np.ones(2),), (np.ones(2),))
