"""Reductions at their edges: ties, zero variance, infinities, indices, errors.

The op table (specs/reduction.py) checks values and gradients on generic
inputs; these tests pin the conventions and messages the table avoids.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.errors import AxisError, ShapeError

INF = np.inf


@contextmanager
def no_warnings() -> Iterator[None]:
    """Any warning (not only RuntimeWarning) inside is a failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def gradient(op, data, upstream=None, **options):
    """The value of ``op`` at ``data`` and its gradient for ``upstream``."""
    x = cr.tensor(np.asarray(data, dtype=np.float64), requires_grad=True)
    y = op(x, **options)
    seed = np.ones(y.shape) if upstream is None else np.asarray(upstream, float)
    y.backward(seed)
    return y.data, x.grad.data


def torch_gradient(op, data, upstream=None, **options):
    x = torch.tensor(np.asarray(data, dtype=np.float64), requires_grad=True)
    y = op(x, **options)
    seed = torch.ones_like(y) if upstream is None else torch.tensor(upstream)
    y.backward(seed)
    return y.detach().numpy(), x.grad.numpy()


# --- max and min: ties share the gradient -------------------------------------


def test_tied_maxima_share_the_gradient_equally() -> None:
    value, grad = gradient(cr.max, [1.0, 3.0, 3.0])
    assert value == 3.0
    np.testing.assert_array_equal(grad, [0.0, 0.5, 0.5])


def test_tied_minima_share_the_gradient_equally() -> None:
    value, grad = gradient(cr.min, [2.0, 1.0, 1.0, 1.0])
    assert value == 1.0
    np.testing.assert_allclose(grad, [0.0, 1 / 3, 1 / 3, 1 / 3], rtol=0, atol=1e-15)


def test_ties_share_within_each_slice() -> None:
    data = [[4.0, 4.0, 1.0], [7.0, 2.0, 7.0], [5.0, 5.0, 5.0]]
    upstream = [[2.0], [-6.0], [3.0]]
    value, grad = gradient(cr.max, data, upstream, axis=1, keepdims=True)
    np.testing.assert_array_equal(value, [[4.0], [7.0], [5.0]])
    expected = [[1.0, 1.0, 0.0], [-3.0, 0.0, -3.0], [1.0, 1.0, 1.0]]
    np.testing.assert_allclose(grad, expected, rtol=1e-15)


def test_ties_match_pytorch_amax_over_several_axes() -> None:
    data = np.array([[[1.0, 3.0], [3.0, 0.0]], [[2.0, 2.0], [2.0, 2.0]]])
    upstream = np.array([1.5, -2.0])
    ours = gradient(cr.max, data, upstream, axis=(0, -2))
    theirs = torch_gradient(torch.amax, data, upstream, dim=(0, -2))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-15)


def test_max_of_a_slice_with_nan_is_nan_with_nan_gradient_quietly() -> None:
    with no_warnings():
        value, grad = gradient(cr.max, [[1.0, np.nan, 3.0], [1.0, 2.0, 0.0]], axis=1)
    np.testing.assert_array_equal(value, [np.nan, 2.0])
    np.testing.assert_array_equal(grad, [[np.nan] * 3, [0.0, 1.0, 0.0]])


def test_max_and_min_follow_numpy_for_axis_and_keepdims() -> None:
    data = np.arange(24.0).reshape(2, 3, 4) % 7
    for axis in (None, 0, -1, (0, 2), (), (-3, -2, -1)):
        for keepdims in (False, True):
            for ours, theirs in ((cr.max, np.max), (cr.min, np.min)):
                got = ours(cr.tensor(data), axis=axis, keepdims=keepdims)
                expected = theirs(data, axis=axis, keepdims=keepdims)
                np.testing.assert_array_equal(got.data, expected)


def test_max_keeps_integer_dtype() -> None:
    result = cr.max(cr.tensor([[3, 9], [4, 1]]), axis=0)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result.data, [4, 9])


# --- logsumexp: stable at large magnitudes and at infinities -------------------


def test_logsumexp_of_large_values_neither_overflows_nor_warns() -> None:
    data = [[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4 + 2.0, -1e4]]
    upstream = [0.5, -2.0]
    with no_warnings():
        value, grad = gradient(cr.logsumexp, data, upstream, axis=1)
    expected = torch_gradient(torch.logsumexp, data, upstream, dim=1)
    np.testing.assert_allclose(value, expected[0], rtol=1e-15)
    np.testing.assert_allclose(grad, expected[1], rtol=1e-12, atol=1e-300)
    assert value[0] == pytest.approx(1e4 + np.log1p(np.exp(-1.0)), rel=1e-15)


def test_logsumexp_float32_at_large_values_stays_finite() -> None:
    x = cr.tensor(np.array([3e4, 3e4, -3e4], dtype=np.float32), requires_grad=True)
    with no_warnings():
        y = cr.logsumexp(x)
        y.backward()
    assert y.dtype == np.float32
    assert x.grad.dtype == np.float32
    assert float(y) == pytest.approx(3e4 + np.log(2.0), rel=1e-6)
    # NOTE: exact to float32 rounding, although the output's own rounding
    # at 3e4 is 2e-3 (so exp(x - output) would be off by 1e-4 relative).
    np.testing.assert_allclose(x.grad.data, [0.5, 0.5, 0.0], rtol=1e-6)


@pytest.mark.parametrize(
    "data",
    [
        [[-INF, 0.0, 1.0], [2.0, -INF, -INF]],
        [[-INF, -INF, -INF], [0.5, 1.5, -INF]],
        [[INF, 0.0, 1.0], [1e4, -INF, INF]],
    ],
    ids=["some -inf", "all -inf slice", "+inf"],
)
def test_logsumexp_with_infinities_matches_pytorch_quietly(data) -> None:
    upstream = [1.5, -0.5]
    with no_warnings():
        ours = gradient(cr.logsumexp, data, upstream, axis=1)
    theirs = torch_gradient(torch.logsumexp, data, upstream, dim=1)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-15, equal_nan=True)


def test_logsumexp_of_an_all_minus_inf_slice_is_minus_inf() -> None:
    with no_warnings():
        value, grad = gradient(cr.logsumexp, [-INF, -INF])
    assert value == -INF
    # NOTE: the gradient is exp(-inf - -inf) = nan, PyTorch's answer too.
    assert np.isnan(grad).all()


def test_logsumexp_of_nothing_is_minus_inf() -> None:
    with no_warnings():
        result = cr.logsumexp(cr.zeros((0, 3)), axis=0)
    np.testing.assert_array_equal(result.data, [-INF, -INF, -INF])


def test_logsumexp_second_derivative_at_large_values() -> None:
    # d²/dx² logsumexp = diag(p) - p pᵀ with p the softmax weights.
    data = np.array([1e4, 1e4 + np.log(3.0)])
    x = cr.tensor(data, requires_grad=True)
    (first,) = cr.autograd.grad(cr.logsumexp(x), x, create_graph=True)
    with no_warnings():
        (second,) = cr.autograd.grad(first[0], x)
    p = np.array([0.25, 0.75])
    np.testing.assert_allclose(first.data, p, rtol=1e-12)
    np.testing.assert_allclose(second.data, [p[0] - p[0] ** 2, -p[0] * p[1]], rtol=1e-9)


def test_logsumexp_of_integers_is_float64() -> None:
    result = cr.logsumexp(cr.tensor([0, 0]))
    assert result.dtype == np.float64
    assert float(result) == pytest.approx(np.log(2.0))


# --- var and std ------------------------------------------------------------------


def test_var_and_std_default_to_ddof_0_as_numpy() -> None:
    data = np.array([[1.0, 2.0, 4.0, 8.0], [0.5, -1.0, 3.0, 2.0]])
    x = cr.tensor(data)
    np.testing.assert_allclose(cr.var(x, axis=1).data, np.var(data, axis=1))
    np.testing.assert_allclose(x.std(axis=1).data, np.std(data, axis=1))
    np.testing.assert_allclose(
        cr.var(x, axis=1).data, torch.var(torch.tensor(data), dim=1, correction=0)
    )
    # PyTorch's default (correction=1) is ddof=1 here.
    np.testing.assert_allclose(
        cr.var(x, axis=1, ddof=1).data, torch.var(torch.tensor(data), dim=1)
    )


@pytest.mark.parametrize("constant", [0.1, 2.0, -3.7e5])
def test_std_of_a_constant_slice_is_0_with_gradient_0(constant) -> None:
    # NOTE: 0.1 is the hard case: mean([0.1] * 3) != 0.1 in floating point,
    # so a plain two-pass variance would give 2e-34 and a gradient of -1/3
    # per element instead of the convention's 0.
    data = [[constant] * 3, [1.0, 2.0, 4.0]]
    upstream = [2.0, 1.0]
    with no_warnings():
        value, grad = gradient(cr.std, data, upstream, axis=1)
    assert value[0] == 0.0
    np.testing.assert_array_equal(grad[0], [0.0, 0.0, 0.0])
    reference = torch_gradient(torch.std, [[1.0, 2.0, 4.0]], [1.0], dim=1, correction=0)
    np.testing.assert_allclose(grad[1], reference[1][0], rtol=1e-14)


def test_std_gradient_at_zero_variance_matches_pytorch_when_exact() -> None:
    # Constant slices of exactly representable values, and one-element
    # slices: PyTorch's variance is exactly 0 too, and it also gives 0.
    data = [[2.0, 2.0], [0.5, 0.5], [3.0, -1.0]]
    upstream = [[1.0, -2.0]]
    ours = gradient(cr.std, data, upstream, axis=0, keepdims=True)
    theirs = torch_gradient(
        torch.std, data, upstream, dim=0, keepdim=True, correction=0
    )
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    ours = gradient(cr.std, [[1.5, -2.0, 3.0]], axis=0)
    np.testing.assert_array_equal(ours[1], [[0.0, 0.0, 0.0]])


def test_std_second_derivative_at_zero_variance_is_0_not_nan() -> None:
    # PyTorch also gives 0 here (checked at 2.0, where its variance is exact).
    x = cr.tensor([0.1, 0.1, 0.1], requires_grad=True)
    (first,) = cr.autograd.grad(cr.std(x), x, create_graph=True)
    with no_warnings():
        (second,) = cr.autograd.grad(first.sum(), x)
    np.testing.assert_array_equal(first.data, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(second.data, [0.0, 0.0, 0.0])


def test_var_of_a_constant_slice_is_exactly_0() -> None:
    result = cr.var(cr.tensor([[0.1] * 5, [1e8 + 0.3] * 5]), axis=1)
    np.testing.assert_array_equal(result.data, [0.0, 0.0])


@pytest.mark.parametrize("ddof", [3, 4])
def test_ddof_at_least_n_gives_inf_and_nan_quietly(ddof) -> None:
    data = np.array([[1.0, 2.0, 6.0], [5.0, 5.0, 5.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected_var = np.var(data, axis=1, ddof=ddof)
        expected_std = np.std(data, axis=1, ddof=ddof)
    np.testing.assert_array_equal(expected_var, [INF, np.nan])

    with no_warnings():
        var, grad_var = gradient(cr.var, data, axis=1, ddof=ddof)
        std, grad_std = gradient(cr.std, data, axis=1, ddof=ddof)
    np.testing.assert_array_equal(var, expected_var)
    np.testing.assert_array_equal(std, expected_std)
    # NOTE: var's rule keeps its form 2(x - mean)/0: ±inf by the sign of the
    # deviation, nan where there is none; std's is nan, as in PyTorch.
    np.testing.assert_array_equal(grad_var, [[-INF, -INF, INF], [np.nan] * 3])
    assert np.isnan(grad_std).all()


def test_var_of_nothing_is_nan_quietly() -> None:
    with no_warnings():
        value, grad = gradient(cr.var, np.zeros((0, 3)), axis=0)
    np.testing.assert_array_equal(value, [np.nan] * 3)
    assert grad.shape == (0, 3)


def test_var_of_integers_is_float64_as_numpy() -> None:
    data = np.array([1, 2, 4])
    result = cr.var(cr.tensor(data), ddof=1)
    assert result.dtype == np.float64
    assert float(result) == pytest.approx(np.var(data, ddof=1))


# --- argmax and argmin ----------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_argmax_and_argmin_match_numpy(axis, keepdims) -> None:
    data = np.array(
        [[3.0, 7.0, 7.0, -1.0], [2.0, 2.0, 9.0, -1.0], [0.0, 8.0, 1.0, 5.0]]
    )
    x = cr.tensor(data, requires_grad=True)
    for ours, theirs in ((cr.argmax, np.argmax), (cr.argmin, np.argmin)):
        result = ours(x, axis=axis, keepdims=keepdims)
        np.testing.assert_array_equal(
            result.data, theirs(data, axis=axis, keepdims=keepdims)
        )
        assert result.dtype == np.int64
        assert not result.requires_grad
        assert result.grad_fn is None


def test_argmax_picks_the_first_of_tied_maxima() -> None:
    assert int(cr.argmax(cr.tensor([1.0, 5.0, 5.0]))) == 1
    assert int(cr.tensor([4.0, 0.0, 0.0]).argmin()) == 1


def test_numpy_argmax_on_a_tensor_gives_a_tensor_without_grad() -> None:
    x = cr.tensor([[1.0, 4.0], [3.0, 2.0]], requires_grad=True)
    result = np.argmax(x, axis=1)
    assert isinstance(result, cr.Tensor)
    np.testing.assert_array_equal(result.data, [1, 0])
    assert not np.argmin(x).requires_grad


# --- NumPy's functions on Tensors -------------------------------------------------


@pytest.mark.parametrize(
    ("numpy_function", "chainrule_function", "options"),
    [
        (np.max, cr.max, {"axis": 1}),
        (np.amax, cr.max, {"axis": 0, "keepdims": True}),
        (np.min, cr.min, {}),
        (np.amin, cr.min, {"axis": -1}),
        (np.var, cr.var, {"axis": 1, "ddof": 1}),
        (np.std, cr.std, {"axis": 0}),
    ],
)
def test_numpy_reductions_on_a_tensor_keep_the_gradient(
    numpy_function, chainrule_function, options
) -> None:
    data = np.array([[1.0, 4.0, -2.0], [3.0, 2.5, 0.5]])
    x = cr.tensor(data, requires_grad=True)
    y = numpy_function(x, **options)
    assert isinstance(y, cr.Tensor)
    np.testing.assert_allclose(y.data, numpy_function(data, **options))
    y.sum().backward()
    expected = gradient(chainrule_function, data, None, **options)[1]
    np.testing.assert_allclose(x.grad.data, expected)


# --- errors ---------------------------------------------------------------------------

REDUCTIONS = {
    "sum": cr.sum,
    "mean": cr.mean,
    "max": cr.max,
    "min": cr.min,
    "var": cr.var,
    "std": cr.std,
    "logsumexp": cr.logsumexp,
    "argmax": cr.argmax,
    "argmin": cr.argmin,
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@pytest.mark.parametrize("axis", [2, -3])
def test_axis_out_of_range_names_op_axis_and_ndim(name, axis) -> None:
    with pytest.raises(AxisError) as error:
        REDUCTIONS[name](cr.zeros((2, 3)), axis=axis)
    message = str(error.value)
    assert message.startswith(f"{name}: ")
    assert f"axis {axis} " in message
    assert "2 dimensions" in message
    assert "-2 to 1" in message


@pytest.mark.parametrize("name", ["max", "var", "logsumexp"])
def test_axis_out_of_range_in_a_tuple(name) -> None:
    with pytest.raises(AxisError, match=rf"^{name}: axis 3 is out of range .* 3 dim"):
        REDUCTIONS[name](cr.zeros((2, 3, 4)), axis=(0, 3))


@pytest.mark.parametrize("name", ["max", "std", "logsumexp"])
def test_an_axis_named_twice_is_an_error(name) -> None:
    with pytest.raises(
        AxisError, match=rf"^{name}: axis \(1, -1\) names an axis twice"
    ):
        REDUCTIONS[name](cr.zeros((2, 3)), axis=(1, -1))


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
@pytest.mark.parametrize(
    ("shape", "axis", "empty_axis"),
    [((2, 0), 1, 1), ((0, 3), None, 0), ((4, 0, 2), -2, 1)],
)
def test_reducing_an_empty_axis_names_op_shape_and_axis(
    name, shape, axis, empty_axis
) -> None:
    with pytest.raises(ShapeError) as error:
        REDUCTIONS[name](cr.zeros(shape), axis=axis)
    message = str(error.value)
    assert message.startswith(f"{name}: ")
    assert f"axis={axis!r}" in message
    assert f"shape {shape}" in message
    assert f"axis {empty_axis} has length 0" in message
    assert isinstance(error.value, ValueError)


def test_max_over_nonempty_axes_of_an_empty_tensor_is_fine() -> None:
    result = cr.max(cr.zeros((0, 3)), axis=1)
    assert result.shape == (0,)
    assert cr.max(cr.zeros((0, 3)), axis=()).shape == (0, 3)


def test_argmax_over_several_axes_says_what_to_do() -> None:
    with pytest.raises(AxisError, match=r"^argmax: axis must be an int or None, got"):
        cr.argmax(cr.zeros((2, 3)), axis=(0, 1))


def test_argmax_of_a_0d_tensor_with_an_axis() -> None:
    with pytest.raises(AxisError, match=r"^argmin: axis 0 given for a 0-d tensor"):
        cr.argmin(cr.tensor(1.0), axis=0)
