"""Activation functions: conventions at kinks, large inputs, erf, and errors.

Values and gradients everywhere else come from the op table (specs/activation.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import chainrule as cr
from chainrule.errors import AxisError
from chainrule.ops import _erf


def grad_of(fn, x, dtype=np.float64):
    """Value and gradient of sum(fn(x)) at the array x."""
    t = cr.tensor(np.asarray(x, dtype=dtype), requires_grad=True)
    y = fn(t)
    y.sum().backward()
    return y.data, t.grad.data


def torch_grad_of(fn, x):
    t = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = fn(t)
    y.sum().backward()
    return y.detach().numpy(), t.grad.numpy()


def second_derivative(fn, x, upstream):
    """d/dx of Σ (d/dx <upstream, fn(x)>): the elementwise f'' for elementwise fn."""
    t = cr.tensor(x, requires_grad=True)
    (first,) = cr.autograd.grad(fn(t), t, upstream, create_graph=True)
    (second,) = cr.autograd.grad(first, t, np.ones_like(x))
    return second.data


def torch_second_derivative(fn, x, upstream):
    t = torch.tensor(x, requires_grad=True)
    (first,) = torch.autograd.grad(fn(t), t, torch.tensor(upstream), create_graph=True)
    (second,) = torch.autograd.grad(first, t, torch.ones_like(t))
    return second.numpy()


# --- analytic values and the conventions at kinks ---------------------------------


def test_sigmoid_slope_is_one_quarter_at_zero_and_nowhere_larger():
    x = np.linspace(-6.0, 6.0, 241)
    y, slope = grad_of(cr.sigmoid, x)
    at_zero = x == 0

    assert y[at_zero].tolist() == [0.5]
    assert slope[at_zero].tolist() == [0.25]
    assert np.all(slope[~at_zero] < 0.25)


def test_tanh_slope_is_one_at_zero():
    y, slope = grad_of(cr.tanh, [0.0])
    assert y.tolist() == [0.0]
    assert slope.tolist() == [1.0]


def test_relu_gradient_at_zero_is_zero_not_a_shared_half():
    # maximum(x, 0) would give 1/2 here: ties share the gradient.
    y, slope = grad_of(cr.relu, [-1.0, -0.0, 0.0, 1e-300, 2.0])
    assert y.tolist() == [0.0, 0.0, 0.0, 1e-300, 2.0]
    assert slope.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


@pytest.mark.parametrize("negative_slope", [0.01, 0.2, -0.5, 1.5])
def test_leaky_relu_gradient_at_zero_is_the_negative_slope(negative_slope):
    x = [-2.0, 0.0, 3.0]
    y, slope = grad_of(lambda t: cr.leaky_relu(t, negative_slope), x)
    ref_y, ref_slope = torch_grad_of(lambda t: F.leaky_relu(t, negative_slope), x)

    assert slope.tolist() == [negative_slope, negative_slope, 1.0]
    np.testing.assert_array_equal(slope, ref_slope)
    np.testing.assert_allclose(y, ref_y, rtol=1e-15)


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_elu_gradient_at_zero_is_alpha(alpha):
    x = [-1.0, 0.0, 1.0]
    y, slope = grad_of(lambda t: cr.elu(t, alpha), x)
    ref_y, ref_slope = torch_grad_of(lambda t: F.elu(t, alpha), x)

    assert slope[1] == alpha
    np.testing.assert_allclose(slope, [alpha * math.exp(-1.0), alpha, 1.0], rtol=1e-15)
    np.testing.assert_allclose(slope, ref_slope, rtol=1e-15)
    np.testing.assert_allclose(y, ref_y, rtol=1e-15)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_is_zero_with_slope_one_half_at_zero(approximate):
    y, slope = grad_of(lambda t: cr.gelu(t, approximate), [0.0])
    assert y.tolist() == [0.0]
    assert slope.tolist() == [0.5]


@pytest.mark.parametrize("beta", [1.0, 0.5, 3.0, -2.0])
def test_softplus_at_zero_is_log_two_over_beta_with_slope_one_half(beta):
    y, slope = grad_of(lambda t: cr.softplus(t, beta), [0.0])
    np.testing.assert_allclose(y, [math.log(2.0) / beta], rtol=1e-15)
    assert slope.tolist() == [0.5]


def test_gelu_second_derivative_is_the_analytic_one():
    # d²/dx² x·Φ(x) = φ(x)·(2 - x²), exact form, through the Erf op.
    x = np.array([-3.0, -0.7, 0.0, 0.4, 2.5])
    second = second_derivative(cr.gelu, x, np.ones_like(x))

    density = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(second, density * (2 - x * x), rtol=1e-14)


# --- inputs of magnitude 1e4 ------------------------------------------------------

BIG = np.array([-1e4, 1e4])

# (name, chainrule, PyTorch, value and slope at -1e4 and +1e4 from the formulas)
LIMITS = [
    ("sigmoid", cr.sigmoid, torch.sigmoid, [0.0, 1.0], [0.0, 0.0]),
    ("tanh", cr.tanh, torch.tanh, [-1.0, 1.0], [0.0, 0.0]),
    ("relu", cr.relu, F.relu, [0.0, 1e4], [0.0, 1.0]),
    (
        "leaky_relu",
        cr.leaky_relu,
        F.leaky_relu,
        [-100.0, 1e4],
        [0.01, 1.0],
    ),
    ("elu", cr.elu, F.elu, [-1.0, 1e4], [0.0, 1.0]),
    ("gelu", cr.gelu, F.gelu, [0.0, 1e4], [0.0, 1.0]),
    (
        "gelu_tanh",
        lambda t: cr.gelu(t, approximate="tanh"),
        lambda t: F.gelu(t, approximate="tanh"),
        [0.0, 1e4],
        [0.0, 1.0],
    ),
    ("softplus", cr.softplus, F.softplus, [0.0, 1e4], [0.0, 1.0]),
    (
        "softplus_beta_half",
        lambda t: cr.softplus(t, beta=0.5, threshold=50.0),
        lambda t: F.softplus(t, beta=0.5, threshold=50.0),
        [0.0, 1e4],
        [0.0, 1.0],
    ),
    (
        "softplus_no_threshold",
        # Without the linear branch the smooth formula itself must hold up.
        # (PyTorch overflows to inf here, so only the limits are checked).
        lambda t: cr.softplus(t, threshold=math.inf),
        None,
        [0.0, 1e4],
        [0.0, 1.0],
    ),
]


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("fn", "reference", "value", "slope"),
    [pytest.param(*limit[1:], id=limit[0]) for limit in LIMITS],
)
def test_elementwise_at_plus_minus_1e4(fn, reference, value, slope, dtype):
    y, grad = grad_of(fn, BIG, dtype)
    rtol = 1e-6 if dtype == np.float32 else 1e-12

    assert y.dtype == grad.dtype == dtype
    np.testing.assert_allclose(y, value, rtol=rtol, atol=0)
    np.testing.assert_allclose(grad, slope, rtol=rtol, atol=0)
    if reference is not None:
        ref_y, ref_grad = torch_grad_of(reference, BIG)
        np.testing.assert_allclose(y, ref_y, rtol=rtol, atol=0)
        np.testing.assert_allclose(grad, ref_grad, rtol=rtol, atol=0)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_and_log_softmax_at_plus_minus_1e4(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    upstream = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]])
    t = cr.tensor(x.astype(dtype), requires_grad=True)
    ref = torch.tensor(x, requires_grad=True)

    y = cr.log_softmax(t, axis=1)
    y.backward(upstream.astype(dtype))
    ref_y = torch.log_softmax(ref, dim=1)
    ref_y.backward(torch.tensor(upstream))
    # Row 0: softmax = (1, 0, 0); row 1: three equal entries.
    third = math.log(3.0)
    expected = [[0.0, -2e4, -1e4], [-third, -third, -third]]
    np.testing.assert_allclose(y.data, expected, rtol=1e-7, atol=0)
    np.testing.assert_allclose(y.data, ref_y.detach().numpy(), rtol=1e-7, atol=0)
    # g - softmax · Σ g
    expected_grad = [
        [1.0 - 6.0, 2.0, 3.0],
        [0.5 - 3.5 / 3, -1.0 - 3.5 / 3, 4 - 3.5 / 3],
    ]
    np.testing.assert_allclose(t.grad.data, expected_grad, rtol=1e-6)
    np.testing.assert_allclose(t.grad.data, ref.grad.numpy(), rtol=1e-6)

    t.grad = None
    ref.grad = None
    y = cr.softmax(t, axis=1)
    y.backward(upstream.astype(dtype))
    ref_y = torch.softmax(ref, dim=1)
    ref_y.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.data, [[1, 0, 0], [1 / 3] * 3], rtol=1e-6, atol=0)
    np.testing.assert_allclose(y.data, ref_y.detach().numpy(), rtol=1e-6, atol=0)
    # y ⊙ (g - Σ g⊙y): zero for a one-hot row.
    expected_grad = [[0.0, 0.0, 0.0], [(upstream[1] - 3.5 / 3) / 3]]
    np.testing.assert_allclose(t.grad.data, np.vstack(expected_grad), atol=1e-6)
    np.testing.assert_allclose(t.grad.data, ref.grad.numpy(), atol=1e-6)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize(
    ("fn", "reference"),
    [
        (cr.sigmoid, torch.sigmoid),
        (cr.softplus, F.softplus),
        (lambda t: cr.log_softmax(t, axis=0), lambda t: torch.log_softmax(t, 0)),
        (lambda t: cr.softmax(t, axis=0), lambda t: torch.softmax(t, 0)),
    ],
    ids=["sigmoid", "softplus", "log_softmax", "softmax"],
)
def test_second_order_at_plus_minus_1e4_matches_pytorch(fn, reference):
    x = np.array([-1e4, 0.0, 1e4])
    upstream = np.array([1.0, 2.0, 3.0])
    ours = second_derivative(fn, x, upstream)
    theirs = torch_second_derivative(reference, x, upstream)
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300)


def test_exact_gelu_keeps_relative_precision_in_the_left_tail():
    # x·Φ(x) with Φ(x) = erfc(-x/√2)/2; (1 + erf) would cancel to 0 here.
    # NOTE: Φ(x) here is x² times as sensitive to x as x itself (900 at
    # x = -30), so rounding x/√2 alone moves it by ~1e-13 relative.
    x = np.array([-8.0, -15.0, -30.0])
    expected = [v * 0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x]
    np.testing.assert_allclose(cr.gelu(cr.tensor(x)).data, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("fn", "reference"),
    [
        (cr.sigmoid, torch.sigmoid),
        (cr.relu, F.relu),
        (cr.leaky_relu, F.leaky_relu),
        (cr.elu, F.elu),
        (cr.gelu, F.gelu),
        (cr.softplus, F.softplus),
        (cr.erf, torch.erf),
    ],
    ids=lambda f: getattr(f, "__name__", ""),
)
def test_nan_and_infinities_come_out_as_in_pytorch(fn, reference):
    # NOTE: gelu(-inf) is -inf·0 = NaN in PyTorch, and NumPy warns about
    # that product; the infinities are checked for the other functions.
    x = np.array([np.nan] if fn is cr.gelu else [np.nan, -np.inf, np.inf])
    expected = reference(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(fn(cr.tensor(x)).data, expected)


# --- erf -------------------------------------------------------------------------

SMALLEST_NORMAL = np.finfo(np.float64).tiny


def erf_test_points():
    rng = np.random.default_rng(7)
    return np.concatenate(
        [
            np.linspace(-7.0, 7.0, 14001),
            rng.uniform(-30.0, 30.0, 2000),
            np.logspace(-300, 1.5, 2000),
            -np.logspace(-300, 1.5, 500),
            np.nextafter(2.0, [0.0, 4.0]),
            [2.0, -2.0, 5.9, 6.0, 27.0, 28.0, 1e4, 1e300],
        ]
    )


def test_erf_matches_math_erf_to_1e_15_relative():
    x = erf_test_points()
    ours = _erf.erf(x)
    expected = np.array([math.erf(v) for v in x])

    # NOTE: erf of |x| < 2e-308 is subnormal, where no relative accuracy
    # exists; compare those absolutely.
    normal = np.abs(expected) >= SMALLEST_NORMAL
    np.testing.assert_allclose(ours[normal], expected[normal], rtol=1e-15, atol=0)
    np.testing.assert_allclose(ours[~normal], expected[~normal], rtol=0, atol=1e-323)


def test_erfc_keeps_relative_precision_in_the_right_tail():
    x = np.concatenate([np.linspace(2.0, 26.5, 5001), np.linspace(-7.0, 2.0, 901)])
    ours = _erf.erfc(x)
    expected = np.array([math.erfc(v) for v in x])

    right = x >= 2
    np.testing.assert_allclose(ours[right], expected[right], rtol=1e-15, atol=0)
    # Below 2 it is 1 - erf(x): good to a couple of ulp of 1, not relative.
    np.testing.assert_allclose(ours[~right], expected[~right], rtol=0, atol=5e-16)
    assert _erf.erfc(np.array([28.0, 1e4, np.inf])).tolist() == [0.0, 0.0, 0.0]


def test_erf_matches_torch_erf():
    x = erf_test_points()
    np.testing.assert_allclose(
        _erf.erf(x), torch.erf(torch.tensor(x)).numpy(), rtol=1e-15, atol=1e-323
    )


def test_erf_is_odd_exactly_and_keeps_the_sign_of_zero():
    x = np.linspace(0.0, 8.0, 801)
    np.testing.assert_array_equal(_erf.erf(-x), -_erf.erf(x))
    assert math.copysign(1.0, _erf.erf(np.array(-0.0))) == -1.0
    assert _erf.erf(np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_erf_keeps_float_dtypes(dtype):
    x = np.linspace(-3, 3, 13).astype(dtype)
    out = _erf.erf(x)
    assert out.dtype == dtype
    expected = np.array([math.erf(v) for v in x.astype(np.float64)])
    # Narrower types are rounded once from float64: within half an ulp.
    rtol = 1e-15 if dtype == np.float64 else np.finfo(dtype).eps / 2
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=0)


# --- errors and Tensor methods ----------------------------------------------------


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(
        ValueError, match=r"gelu: approximate must be 'none'.*'tanh'.*'erf'"
    ):
        cr.gelu(cr.tensor([1.0]), approximate="erf")


def test_softplus_rejects_beta_zero():
    with pytest.raises(ValueError, match=r"softplus: beta = 0"):
        cr.softplus(cr.tensor([1.0]), beta=0)


@pytest.mark.parametrize("fn", [cr.softmax, cr.log_softmax])
def test_softmax_axis_out_of_range_names_op_axis_and_range(fn):
    name = fn.__name__
    with pytest.raises(
        AxisError, match=rf"{name}: axis 2 is out of range .* 2 dimensions .*-2 to 1"
    ):
        fn(cr.tensor(np.zeros((2, 3))), axis=2)
    with pytest.raises(
        AxisError, match=rf"{name}: axis 1 given for a 0-d tensor.*0 or -1"
    ):
        fn(cr.tensor(1.0), axis=1)
    with pytest.raises(AxisError, match=rf"{name}: axis must be an int, got None"):
        fn(cr.tensor(np.zeros(3)), axis=None)


def test_tensor_methods_call_the_activations():
    x = np.array([[-1.0, 0.5], [2.0, 0.0]])
    t, ref = cr.tensor(x), torch.tensor(x)
    np.testing.assert_allclose(t.sigmoid().data, 1 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_array_equal(t.relu().data, [[0.0, 0.5], [2.0, 0.0]])
    np.testing.assert_allclose(t.softmax(0).data, ref.softmax(0).numpy(), rtol=1e-15)
    np.testing.assert_allclose(
        t.log_softmax(0).data, ref.log_softmax(0).numpy(), rtol=1e-15
    )


@pytest.mark.parametrize(
    ("call", "setting"),
    [
        (lambda x, a: cr.leaky_relu(x, a), "negative_slope"),
        (lambda x, a: cr.elu(x, alpha=a), "alpha"),
        (lambda x, a: cr.softplus(x, beta=a), "beta"),
    ],
)
def test_a_setting_that_requires_grad_is_refused_not_dropped(call, setting) -> None:
    x = cr.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(TypeError, match=rf"{setting} is a Tensor that requires grad"):
        call(x, cr.tensor(0.5, requires_grad=True))
    with pytest.raises(ValueError, match=rf"{setting} must be a number, got 'a'"):
        call(x, "a")
    assert call(x, cr.tensor(0.5)).requires_grad  # a constant tensor is a number
