"""Elementwise functions: exp, log, sqrt, abs, sin, cos, clip, maximum, minimum,
where, and the dtype cast.

Conventions at non-differentiable points (see docs/conventions.md):
abs'(0) = 0; clip passes the gradient where lo <= x <= hi (bounds included);
maximum and minimum split the gradient equally between tied operands.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd import function as _function
from chainrule.autograd.function import Function
from chainrule.errors import DTypeError
from chainrule.ops._common import operand_error


class Exp(Function):
    """exp(x).  d/dx = exp(x)."""

    def forward(self, x: Any) -> Any:
        y = np.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad: Any) -> Any:
        (y,) = self.saved
        return grad * y


def exp(x: Any) -> Any:
    """Elementwise ``e ** x``."""
    return Exp.apply(x)


class Log(Function):
    """log(x).  d/dx = 1/x."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return np.log(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / x


def log(x: Any) -> Any:
    """Elementwise natural logarithm (``nan`` below 0, ``-inf`` at 0, as NumPy)."""
    return Log.apply(x)


class Sqrt(Function):
    """sqrt(x).  d/dx = 1 / (2 sqrt(x))."""

    def forward(self, x: Any) -> Any:
        y = np.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad: Any) -> Any:
        (y,) = self.saved
        # NOTE: at 0 the derivative is inf, and that is the answer, not an
        # accident to warn about.
        with np.errstate(divide="ignore"):
            return grad / (2 * y)


def sqrt(x: Any) -> Any:
    """Elementwise square root."""
    return Sqrt.apply(x)


class Abs(Function):
    """|x|.  d/dx = sign(x), with abs'(0) = 0."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return np.abs(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        # NOTE: sign(0) = 0 gives abs'(0) = 0, the subgradient PyTorch and
        # JAX also pick; it keeps |x| from pushing x away from 0.
        return grad * np.sign(x)


def abs(x: Any) -> Any:
    """Elementwise absolute value; its gradient at 0 is 0."""
    return Abs.apply(x)


class Sin(Function):
    """sin(x).  d/dx = cos(x)."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return np.sin(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * np.cos(x)


def sin(x: Any) -> Any:
    """Elementwise sine."""
    return Sin.apply(x)


class Cos(Function):
    """cos(x).  d/dx = -sin(x)."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return np.cos(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return -grad * np.sin(x)


def cos(x: Any) -> Any:
    """Elementwise cosine."""
    return Cos.apply(x)


class Clip(Function):
    """clip(x, lo, hi).  d/dx = 1 where lo <= x <= hi, else 0."""

    def forward(self, x: Any, lo: Any, hi: Any) -> Any:
        inside = np.ones(np.shape(x), dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        self.save_for_backward(inside)
        return np.clip(x, lo, hi)

    def backward(self, grad: Any) -> Any:
        # NOTE: at a bound the gradient passes (x == lo counts as inside), as
        # in PyTorch's clamp: clipping a value that is already in range must
        # not stop its gradient.
        (inside,) = self.saved
        return grad * inside, None, None


def clip(x: Any, min: Any = None, max: Any = None) -> Any:
    """Limit values to ``[min, max]``; either bound may be None.

    The bounds are constants (numbers or arrays); for bounds that need
    gradients, use :func:`maximum` and :func:`minimum`.
    """
    Tensor = _function._Tensor

    for name, bound in (("min", min), ("max", max)):
        if isinstance(bound, Tensor) and bound.requires_grad:
            raise TypeError(
                f"clip: the {name} bound requires grad, but clip treats its "
                "bounds as constants; use cr.maximum(x, lo) / cr.minimum(x, hi) "
                "for bounds that need gradients"
            )
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    lo = min.data if isinstance(min, Tensor) else min
    hi = max.data if isinstance(max, Tensor) else max
    return Clip.apply(x, lo, hi)


class Maximum(Function):
    """max(x, y) elementwise.  The gradient goes to the larger; ties share it."""

    def forward(self, x: Any, y: Any) -> Any:
        try:
            out = np.maximum(x, y)
        except (ValueError, TypeError) as error:
            raise operand_error("maximum", error, x, y) from None
        # NOTE: a nan wins: it is what the output holds, so it gets the
        # gradient (PyTorch does the same).
        wins = (x > y) | (np.isnan(x) if out.dtype.kind == "f" else False)
        self.save_for_backward(_share_of_first(wins, x == y, out.dtype))
        return out

    def backward(self, grad: Any) -> Any:
        return _split_by_share(self, grad)


def maximum(x: Any, y: Any) -> Any:
    """Elementwise maximum; where ``x == y`` each gets half the gradient."""
    return Maximum.apply(x, y)


class Minimum(Function):
    """min(x, y) elementwise.  The gradient goes to the smaller; ties share it."""

    def forward(self, x: Any, y: Any) -> Any:
        try:
            out = np.minimum(x, y)
        except (ValueError, TypeError) as error:
            raise operand_error("minimum", error, x, y) from None
        wins = (x < y) | (np.isnan(x) if out.dtype.kind == "f" else False)
        self.save_for_backward(_share_of_first(wins, x == y, out.dtype))
        return out

    def backward(self, grad: Any) -> Any:
        return _split_by_share(self, grad)


def minimum(x: Any, y: Any) -> Any:
    """Elementwise minimum; where ``x == y`` each gets half the gradient."""
    return Minimum.apply(x, y)


def _share_of_first(wins: Any, ties: Any, dtype: Any) -> Any:
    # NOTE: a tie splits the gradient 1/2 : 1/2 (PyTorch's choice too), so
    # maximum(x, x) has gradient 1 and the sum over operands is preserved.
    # The share has the result's dtype so float32 stays float32.
    share = np.asarray(wins, dtype=dtype if dtype.kind == "f" else np.float64)
    share += 0.5 * ties
    return share


def _split_by_share(fn: Function, grad: Any) -> Any:
    (share_x,) = fn.saved
    need_x, need_y = fn.needs_input_grad
    grad_x = grad * share_x if need_x else None
    grad_y = grad * (1 - share_x) if need_y else None
    return grad_x, grad_y


class Where(Function):
    """where(condition, x, y).  The gradient goes to x where the condition holds,
    to y elsewhere; the condition gets none."""

    def forward(self, condition: Any, x: Any, y: Any) -> Any:
        condition = np.asarray(condition)
        if condition.dtype != np.bool_:
            raise DTypeError(
                f"where: condition has dtype {condition.dtype}; pass a bool "
                "array or tensor (e.g. x > 0)"
            )
        try:
            out = np.where(condition, x, y)
        except (ValueError, TypeError) as error:
            raise operand_error("where", error, condition, x, y) from None
        self.save_for_backward(condition)
        return out

    def backward(self, grad: Any) -> Any:
        (condition,) = self.saved
        _, need_x, need_y = self.needs_input_grad
        grad_x = np.where(condition, grad, 0.0) if need_x else None
        grad_y = np.where(condition, 0.0, grad) if need_y else None
        return None, grad_x, grad_y


def where(condition: Any, x: Any, y: Any) -> Any:
    """Choose ``x`` where ``condition`` is True and ``y`` elsewhere (broadcasting)."""
    return Where.apply(condition, x, y)


class AsType(Function):
    """x.astype(dtype).  d/dx = 1, cast back to x's dtype."""

    def forward(self, x: Any, dtype: Any) -> Any:
        return x.astype(dtype)

    def backward(self, grad: Any) -> Any:
        # The engine casts the gradient to the input's dtype.
        return grad, None


def astype(x: Any, dtype: Any) -> Any:
    """Cast to ``dtype``; gradients flow between float dtypes."""
    return AsType.apply(x, np.dtype(dtype))


__all__ = [
    "abs",
    "astype",
    "clip",
    "cos",
    "exp",
    "log",
    "maximum",
    "minimum",
    "sin",
    "sqrt",
    "where",
]
