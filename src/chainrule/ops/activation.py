"""Activation functions, with the derivatives the source text lists.

sigmoid'(x) = s(1 - s), largest (1/4) at 0; tanh'(x) = 1 - tanh²(x);
relu'(x) = 1 for x > 0 and 0 otherwise, including at the kink x = 0.

The others follow PyTorch, at their kinks too (see docs/conventions.md):
leaky_relu'(0) = negative_slope and elu'(0) = alpha, the derivatives from
the left; gelu'(x) = Φ(x) + x·φ(x) with Φ, φ the standard normal CDF and
density; softplus'(x) = sigmoid(βx); softmax and log_softmax normalize along
one axis. All of them stay finite and quiet (no overflow, no warning) for
inputs as large as 1e4 in magnitude.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.autograd.function import Function
from chainrule.errors import ArgumentError, AxisError
from chainrule.ops import _erf
from chainrule.ops._common import normalize_axis, torch_alias

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_HALF = math.sqrt(0.5)
_ONE_OVER_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


class Sigmoid(Function):
    """sigmoid(x) = 1 / (1 + exp(-x)).  d/dx = s(1 - s), with s = sigmoid(x)."""

    def forward(self, x: Any) -> Any:
        y = _stable_sigmoid(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad: Any) -> Any:
        (y,) = self.saved
        return grad * y * (1 - y)


def sigmoid(x: Any) -> Any:
    """The logistic function ``1 / (1 + exp(-x))``, elementwise."""
    return Sigmoid.apply(x)


def _stable_sigmoid(x: Any) -> Any:
    # NOTE: exp(-|x|) lies in (0, 1] and never overflows; 1/(1 + e) for
    # x >= 0 and e/(1 + e) for x < 0 are the same function, each written
    # with the exponential of the non-positive side. np.exp(-x) itself would
    # overflow (and warn) at x = -1e4.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid(z: Any) -> Any:
    # Backward rules call this on arrays, and on Tensors when recorded.
    if isinstance(z, (np.ndarray, np.generic)):
        return _stable_sigmoid(z)
    return Sigmoid.apply(z)


class Tanh(Function):
    """tanh(x).  d/dx = 1 - tanh²(x)."""

    untracked_forward = staticmethod(np.tanh)

    def forward(self, x: Any) -> Any:
        y = np.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad: Any) -> Any:
        (y,) = self.saved
        # NOTE: not grad * (1 - y * y): NumPy 2 converts the Python 1 on
        # every call, which costs as much as a whole small-array multiply
        # (0.86 -> 0.60 us on the chain benchmark's tiny arrays).
        return grad - grad * y * y


def tanh(x: Any) -> Any:
    """Hyperbolic tangent, elementwise."""
    return Tanh.apply(x)


class ReLU(Function):
    """relu(x) = x for x > 0, else 0.  d/dx = 1 for x > 0, else 0 (at 0 too)."""

    def forward(self, x: Any) -> Any:
        y = np.maximum(x, 0)
        self.save_for_backward(y)
        return y

    def backward(self, grad: Any) -> Any:
        # NOTE: relu'(0) = 0, as in the source text: the gradient passes where
        # the output is not 0. It is read off the output, which the next layer
        # keeps anyway, so relu saves no array of its own. y != 0 (y is never
        # negative) lets a NaN input pass its gradient, as in PyTorch. A
        # multiplication by the mask, not np.where: where branches on every
        # element and is 8x slower on a random mask (W3 benchmark); the one
        # difference, an infinite incoming gradient at a unit that is off
        # giving nan instead of 0, only shows a gradient that already
        # overflowed.
        (y,) = self.saved
        return grad * (y != 0)


def relu(x: Any) -> Any:
    """Rectified linear unit ``max(x, 0)``, elementwise; its gradient at 0 is 0."""
    return ReLU.apply(x)


class LeakyReLU(Function):
    """leaky_relu(x) = x for x > 0, else a·x.  d/dx = 1 for x > 0, else a."""

    def forward(self, x: Any, negative_slope: float) -> Any:
        positive = x > 0
        # NOTE: at 0 the derivative is negative_slope (1 only where x > 0),
        # as in PyTorch. The slopes are kept in x's dtype so a float32
        # gradient stays float32.
        slopes = np.where(positive, 1.0, negative_slope).astype(x.dtype, copy=False)
        self.save_for_backward(slopes)
        return np.where(positive, x, x * negative_slope)

    def backward(self, grad: Any) -> Any:
        (slopes,) = self.saved
        return grad * slopes, None


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """``x`` where ``x > 0``, else ``negative_slope * x`` (slope at 0 included)."""
    return LeakyReLU.apply(x, _setting("leaky_relu", "negative_slope", negative_slope))


class ELU(Function):
    """elu(x) = x for x > 0, else α(exp(x) - 1).  d/dx = 1 for x > 0, else α·exp(x)."""

    def forward(self, x: Any, alpha: float) -> Any:
        self.alpha = alpha
        negative = x <= 0
        # NOTE: exp only of min(x, 0): exp of a large positive x would
        # overflow (and warn) in the branch np.where throws away. expm1 keeps
        # the digits of exp(x) - 1 near 0.
        y = np.where(negative, alpha * np.expm1(np.minimum(x, 0)), x)
        self.save_for_backward(y, negative)
        return y

    def backward(self, grad: Any) -> Any:
        y, negative = self.saved
        # NOTE: elu'(0) = alpha, the derivative from the left, as in PyTorch
        # (x <= 0 takes the exponential side); for alpha = 1 the sides agree.
        # On that side α·exp(x) = y + α: written with the output, the rule
        # differentiates again (y' = α·exp(x)).
        return grad * np.where(negative, y + self.alpha, 1), None


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit: ``x`` where positive, else ``alpha * (exp(x) - 1)``."""
    return ELU.apply(x, _setting("elu", "alpha", alpha))


class GELU(Function):
    """gelu(x) = x·Φ(x).  d/dx = Φ(x) + x·φ(x); "tanh" approximates Φ by
    (1 + tanh(√(2/π)(x + 0.044715x³)))/2 and differentiates that."""

    def forward(self, x: Any, approximate: str) -> Any:
        self.approximate = approximate
        self.save_for_backward(x)
        if approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(_gelu_tanh_argument(x)))
        return x * _normal_cdf(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        if self.approximate == "tanh":
            t = np.tanh(_gelu_tanh_argument(x))
            slope = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * slope), None
        density = _ONE_OVER_SQRT_2PI * np.exp(-0.5 * x * x)
        return grad * (_normal_cdf(x) + x * density), None


def gelu(x: Any, approximate: str = "none") -> Any:
    """Gaussian error linear unit ``x * Φ(x)``, Φ the standard normal CDF.

    ``approximate="tanh"`` uses the tanh approximation of Φ instead of erf,
    as PyTorch does.
    """
    if not isinstance(approximate, str) or approximate not in ("none", "tanh"):
        raise ValueError(
            f"gelu: approximate must be 'none' (exact, with erf) or 'tanh' "
            f"(the tanh approximation), got {approximate!r}"
        )
    return GELU.apply(x, approximate)


def _gelu_tanh_argument(x: Any) -> Any:
    return _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x)


def _normal_cdf(x: Any) -> Any:
    # Backward rules call this on arrays, and on Tensors when recorded.
    if isinstance(x, (np.ndarray, np.generic)):
        # NOTE: erfc(-x/√2)/2, not (1 + erf(x/√2))/2: for x << 0 the sum
        # cancels and gelu(x) would lose every digit (PyTorch's formula
        # does; the two differ by less than 1e-16 absolute).
        return 0.5 * _erf.erfc(np.multiply(x, -_SQRT_HALF))
    return 0.5 * (1 + erf(x * _SQRT_HALF))


class Erf(Function):
    """erf(x) = 2/√π ∫₀ˣ exp(-t²) dt.  d/dx = 2/√π · exp(-x²)."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return _erf.erf(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * (_TWO_OVER_SQRT_PI * np.exp(-x * x))


def erf(x: Any) -> Any:
    """The error function, elementwise (NumPy has none; see ``ops._erf``)."""
    return Erf.apply(x)


class Softplus(Function):
    """softplus(x) = log(1 + exp(βx))/β, or x where βx > threshold.
    d/dx = sigmoid(βx), or 1 where βx > threshold."""

    def forward(self, x: Any, beta: float, threshold: float) -> Any:
        self.beta = beta
        z = x * beta
        linear = z > threshold
        # NOTE: log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)): the exp is of
        # a non-positive number, so nothing overflows at |x| = 1e4 (the
        # threshold alone would not stop np.where from computing exp(1e4)),
        # and log1p keeps the digits of the small tail for z << 0.
        smooth = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        self.save_for_backward(x, linear)
        return np.where(linear, x, smooth)

    def backward(self, grad: Any) -> Any:
        x, linear = self.saved
        # NOTE: above the threshold forward returns x itself, so the
        # gradient there is exactly 1 (and the second derivative 0), as in
        # PyTorch.
        return grad * np.where(linear, 1, _sigmoid(x * self.beta)), None, None


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """Smooth relu ``log(1 + exp(beta*x)) / beta``, just ``x`` above the threshold.

    Where ``beta * x > threshold`` the result is ``x`` itself (PyTorch's
    rule; the smooth value is within ``exp(-threshold) / abs(beta)`` of it).
    """
    beta = _setting("softplus", "beta", beta)
    threshold = _setting("softplus", "threshold", threshold)
    if beta == 0:
        raise ValueError(
            "softplus: beta = 0 divides by zero; use a nonzero beta (1 is the "
            "usual softplus, larger values approach relu)"
        )
    return Softplus.apply(x, beta, threshold)


class Softmax(Function):
    """softmax(x) = exp(x) / Σ exp(x) along an axis.  Backward: y ⊙ (g - Σ g ⊙ y)."""

    def forward(self, x: Any, axis: int) -> Any:
        self.axis = _normalized_axis("softmax", axis, np.ndim(x))
        e = np.exp(_minus_max(x, self.axis))
        y = e / e.sum(axis=self.axis, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, grad: Any) -> Any:
        (y,) = self.saved
        return y * (grad - (grad * y).sum(axis=self.axis, keepdims=True)), None


def softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Any:
    """``exp(x)`` normalized to sum to 1 along ``axis`` (``dim``, PyTorch's name)."""
    return Softmax.apply(x, torch_alias("softmax", "axis", axis, "dim", dim, -1))


class LogSoftmax(Function):
    """log_softmax(x) = x - log Σ exp(x) along an axis.  Backward: g - exp(y) Σ g."""

    def forward(self, x: Any, axis: int) -> Any:
        self.axis = _normalized_axis("log_softmax", axis, np.ndim(x))
        shifted = _minus_max(x, self.axis)
        # NOTE: an empty axis sums to 0, whose log is -inf; the result is
        # empty then, so the warning would be about nothing.
        with np.errstate(divide="ignore"):
            y = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        self.save_for_backward(y)
        return y

    def backward(self, grad: Any) -> Any:
        (y,) = self.saved
        return grad - np.exp(y) * grad.sum(axis=self.axis, keepdims=True), None


def log_softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Any:
    """``log(softmax(x))`` along ``axis`` (or ``dim``), without forming softmax."""
    axis = torch_alias("log_softmax", "axis", axis, "dim", dim, -1)
    return LogSoftmax.apply(x, axis)


def _normalized_axis(op: str, axis: Any, ndim: int) -> int | None:
    """The axis to normalize along; None for a 0-d tensor (one element)."""
    if ndim:
        return normalize_axis(op, axis, ndim)
    # NOTE: as in PyTorch, a 0-d tensor takes axis 0 or -1, as one element
    # along one axis: its softmax is 1 and its log_softmax 0.
    try:
        normalize_axis(op, axis, 1)
    except AxisError:
        raise AxisError(
            f"{op}: axis {axis!r} given for a 0-d tensor, which takes only "
            "axis 0 or -1 (one element along one axis); reshape it to the "
            "shape you mean first"
        ) from None
    return None


def _minus_max(x: Any, axis: int | None) -> Any:
    """x minus its maximum along ``axis``: the largest exponent becomes exp(0) = 1."""
    # NOTE: exp(x - max) never overflows, so |x| = 1e4 is fine, and the sum
    # of the exponentials is at least 1, so its log is finite. The result is
    # mathematically unchanged: the factor exp(-max) cancels.
    # NOTE: integer input is normalized in float64, as np.exp would do;
    # initial=-inf lets the maximum of an empty axis exist.
    # (The ufunc's own reduce: np.max adds a Python layer, about 1 us a call.)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x - np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)


def _setting(op: str, name: str, value: Any) -> float:
    """A number that shapes an activation: a constant, never differentiated."""
    if getattr(value, "_requires_grad", False):
        raise TypeError(
            f"{op}: {name} is a Tensor that requires grad, but {op} treats "
            f"{name} as a constant, so its gradient would be lost; pass a "
            f"number, or compose the function from ops (e.g. cr.where) for a "
            f"learnable {name}"
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{op}: {name} must be a number, got {value!r}") from None
