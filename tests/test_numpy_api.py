"""NumPy's functions and operators on Tensors: dispatch, or a clear refusal."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import NotDifferentiableError


def test_ndarray_on_the_left_returns_tensor_with_gradient() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    for y in (np.ones(2) + x, np.ones(2) * x, np.ones(2) - x, np.ones(2) / x):
        assert isinstance(y, cr.Tensor)
        assert y.requires_grad
    (np.array([3.0, 4.0]) * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])


def test_numpy_scalar_on_the_left() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = np.float64(3) / x
    assert isinstance(y, cr.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, -3.0 / x.data**2)


def test_ndarray_matmul_tensor() -> None:
    w = cr.tensor(np.eye(2), requires_grad=True)
    y = np.ones((3, 2)) @ w
    assert isinstance(y, cr.Tensor) and y.requires_grad


@pytest.mark.parametrize(
    ("numpy_fn", "expected_grad"),
    [
        (np.exp, lambda x: np.exp(x)),
        (np.log, lambda x: 1 / x),
        (np.sqrt, lambda x: 0.5 / np.sqrt(x)),
        (np.sin, lambda x: np.cos(x)),
        (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
        (np.abs, lambda x: np.sign(x)),
    ],
)
def test_numpy_ufuncs_dispatch_to_differentiable_ops(numpy_fn, expected_grad) -> None:
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    y = numpy_fn(x)
    assert isinstance(y, cr.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, expected_grad(x.data))


def test_numpy_functions_dispatch() -> None:
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = np.sum(x, axis=0)
    assert isinstance(total, cr.Tensor)
    np.testing.assert_array_equal(total.data, [4.0, 6.0])
    np.add(x, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 2)))
    assert np.mean(x).item() == 2.5
    assert np.reshape(x, (4,)).shape == (4,)
    assert np.transpose(x).requires_grad


def test_comparisons_and_predicates_are_answered_without_gradient() -> None:
    x = cr.tensor([1.0, np.inf], requires_grad=True)
    finite = np.isfinite(x)
    assert isinstance(finite, cr.Tensor) and not finite.requires_grad
    np.testing.assert_array_equal(finite.data, [True, False])
    assert np.shape(x) == (2,)
    assert np.ndim(x) == 1


def test_ufunc_without_chainrule_op_raises_naming_the_alternative() -> None:
    x = cr.tensor([0.5], requires_grad=True)
    with pytest.raises(
        NotDifferentiableError, match=r"np\.arctan.*chainrule\.Function"
    ):
        np.arctan(x)
    with pytest.raises(TypeError, match=r"t\.numpy\(\)"):
        np.arctan(x)


def test_numpy_functions_that_are_chainrule_ops_in_other_words_dispatch() -> None:
    a = np.array([[1.0, 2.0], [3.0, -1.0]])
    x = cr.tensor(a, requires_grad=True)
    for result, expected in [
        (np.dot(x, x), a @ a),
        (np.dot(x[0], x[1]), a[0] @ a[1]),
        (np.dot(2.0, x), 2 * a),
        (np.square(x), a * a),
        (np.reciprocal(x), 1 / a),
        (np.copy(x), a),
        (np.mean(x, axis=0, dtype=None), a.mean(axis=0)),
        (np.clip(x, -0.5, 1.5), np.clip(a, -0.5, 1.5)),
        (np.clip(x, a_min=0.0, a_max=None), np.clip(a, 0.0, None)),
        (np.clip(x, min=0.0), np.clip(a, 0.0, None)),
    ]:
        assert result.requires_grad
        np.testing.assert_allclose(result.data, expected)
    (np.square(x).sum() + np.reciprocal(x).sum()).backward()
    np.testing.assert_allclose(x.grad.data, 2 * a - 1 / a**2)


def test_np_dot_beyond_2d_says_to_use_matmul() -> None:
    x = cr.tensor(np.ones((2, 2, 2)), requires_grad=True)
    with pytest.raises(NotDifferentiableError, match=r"np\.dot.*cr\.matmul"):
        np.dot(x, x)


@pytest.mark.parametrize(
    ("call", "advice"),
    [
        (lambda t: np.flip(t), "t[::-1]"),
        (lambda t: np.log1p(t), "cr.log(1 + t)"),
        (lambda t: np.outer(t, t), "[:, None]"),
        (lambda t: np.take(t, [0, 0]), "t[index]"),
        (lambda t: np.logaddexp(t, t), "cr.logsumexp"),
        (lambda t: np.multiply.outer(t, t), "x[:, None] * y[None, :]"),
    ],
)
def test_functions_without_an_op_name_the_alternative(call, advice) -> None:
    x = cr.tensor([0.5, 0.2], requires_grad=True)
    with pytest.raises(NotDifferentiableError) as caught:
        call(x)
    assert advice in str(caught.value)


@pytest.mark.parametrize(
    "convert",
    [
        np.asarray,
        np.array,
        lambda t: np.array([t, t]),
        lambda t: np.ones(2).dot(t),
        lambda t: np.vectorize(lambda v: v * 2)(t),
    ],
)
def test_converting_a_tensor_that_requires_grad_to_an_array_is_refused(
    convert,
) -> None:
    x = cr.tensor([0.5, 0.2], requires_grad=True)
    with pytest.raises(NotDifferentiableError, match=r"detach\(\) or t\.numpy\(\)"):
        convert(x)
    buffer = np.zeros(2)
    with pytest.raises(NotDifferentiableError):
        buffer[:] = x
    # On purpose it is fine: detached, or with recording off.
    np.testing.assert_array_equal(np.asarray(x.detach()), [0.5, 0.2])
    with cr.no_grad():
        np.testing.assert_array_equal(np.asarray(x), [0.5, 0.2])


def test_function_without_chainrule_op_raises() -> None:
    x = cr.tensor([0.5, 0.2], requires_grad=True)
    with pytest.raises(NotDifferentiableError, match=r"np\.cumsum"):
        np.cumsum(x)


def test_out_argument_is_refused() -> None:
    x = cr.tensor([0.5], requires_grad=True)
    with pytest.raises(NotDifferentiableError, match="out="):
        np.exp(x, out=np.empty(1))


def test_ufunc_methods_are_refused_with_the_reduction_to_use() -> None:
    x = cr.tensor([0.5, 1.0], requires_grad=True)
    with pytest.raises(NotDifferentiableError, match=r"np\.add\.accumulate.*cr\.sum"):
        np.add.accumulate(x)
    with pytest.raises(NotDifferentiableError, match=r"np\.multiply\.reduce"):
        np.multiply.reduce(x)


def test_reduce_of_add_maximum_and_minimum_are_the_reductions() -> None:
    a = np.array([[0.5, 3.0, -1.0], [2.0, 1.0, 4.0]])
    x = cr.tensor(a, requires_grad=True)
    for ufunc, kwargs in [
        (np.add, {}),
        (np.add, {"axis": 1, "keepdims": True}),
        (np.maximum, {"axis": None}),
        (np.minimum, {"axis": -1}),
    ]:
        result = ufunc.reduce(x, **kwargs)
        assert result.requires_grad
        np.testing.assert_array_equal(result.data, ufunc.reduce(a, **kwargs))
    np.add.reduce(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3)))


def test_unsupported_keyword_is_named() -> None:
    x = cr.tensor([0.5, 1.0], requires_grad=True)
    with pytest.raises(NotDifferentiableError, match="'dtype'"):
        np.sum(x, dtype=np.float32)


def test_in_place_numpy_update_of_data_with_a_gradient_tensor() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.data -= 0.25 * w.grad
    np.testing.assert_allclose(w.data, [0.5, 1.0])


def test_functions_without_op_work_when_nothing_requires_grad() -> None:
    t = cr.tensor([3.0, -1.0, 2.0])
    np.testing.assert_array_equal(np.sort(t).data, [-1.0, 2.0, 3.0])
    np.testing.assert_array_equal(np.round(t * 1.4).data, [4.0, -1.0, 3.0])
    assert np.any(t > 2).item()
    (indices,) = np.where(t > 0)
    np.testing.assert_array_equal(indices.data, [0, 2])
    w = cr.tensor([3.0, -1.0], requires_grad=True)
    with cr.no_grad():
        assert np.sort(w).shape == (2,)


def test_error_names_numpy_submodule_functions() -> None:
    w = cr.tensor([3.0, -1.0], requires_grad=True)
    with pytest.raises(NotDifferentiableError, match=r"np\.linalg\.norm"):
        np.linalg.norm(w)


def test_np_asarray_inside_a_recorded_backward_is_refused() -> None:
    class CubeThatDropsItsGraph(cr.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x**3

        def backward(self, grad):
            (x,) = self.saved
            return 3 * np.asarray(x) ** 2 * grad

    x = cr.tensor(1.5, requires_grad=True)
    (g,) = cr.autograd.grad(CubeThatDropsItsGraph.apply(x), x)  # first order is fine
    assert g.item() == pytest.approx(6.75)
    with pytest.raises(NotDifferentiableError, match="recorded backward"):
        cr.autograd.grad(CubeThatDropsItsGraph.apply(x), x, create_graph=True)
