"""Arithmetic with NumPy broadcasting: + - * / ** negation, matmul and linear.

Backward rules return gradients in the broadcast shape of the output; the
engine sums them down to each input's shape.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.autograd import function as _function
from chainrule.autograd.function import Function
from chainrule.errors import DTypeError, ShapeError
from chainrule.ops._common import operand_error, shape_of


class Add(Function):
    """x + y.  d/dx = 1, d/dy = 1."""

    def forward(self, x: Any, y: Any) -> Any:
        try:
            return x + y
        except (ValueError, TypeError) as error:
            raise operand_error("add", error, x, y) from None

    def backward(self, grad: Any) -> Any:
        return grad, grad


def add(x: Any, y: Any) -> Any:
    """Elementwise ``x + y`` with broadcasting."""
    return Add.apply(x, y)


class Subtract(Function):
    """x - y.  d/dx = 1, d/dy = -1."""

    def forward(self, x: Any, y: Any) -> Any:
        try:
            return x - y
        except (ValueError, TypeError) as error:
            raise operand_error("subtract", error, x, y) from None

    def backward(self, grad: Any) -> Any:
        return grad, -grad


def subtract(x: Any, y: Any) -> Any:
    """Elementwise ``x - y`` with broadcasting."""
    return Subtract.apply(x, y)


class Multiply(Function):
    """x * y.  d/dx = y, d/dy = x."""

    def forward(self, x: Any, y: Any) -> Any:
        self.save_for_backward(x, y)
        try:
            return x * y
        except (ValueError, TypeError) as error:
            raise operand_error("multiply", error, x, y) from None

    def backward(self, grad: Any) -> Any:
        x, y = self.saved
        need_x, need_y = self.needs_input_grad
        return (grad * y if need_x else None), (grad * x if need_y else None)


def multiply(x: Any, y: Any) -> Any:
    """Elementwise ``x * y`` with broadcasting."""
    return Multiply.apply(x, y)


class Divide(Function):
    """x / y.  d/dx = 1/y, d/dy = -x/y²."""

    def forward(self, x: Any, y: Any) -> Any:
        self.save_for_backward(x, y)
        try:
            return np.true_divide(x, y)
        except (ValueError, TypeError) as error:
            raise operand_error("divide", error, x, y) from None

    def backward(self, grad: Any) -> Any:
        x, y = self.saved
        grad_x = grad / y
        grad_y = -grad_x * x / y if self.needs_input_grad[1] else None
        return grad_x, grad_y


def divide(x: Any, y: Any) -> Any:
    """Elementwise true division ``x / y`` with broadcasting."""
    return Divide.apply(x, y)


class Negative(Function):
    """-x.  d/dx = -1."""

    def forward(self, x: Any) -> Any:
        return np.negative(x)

    def backward(self, grad: Any) -> Any:
        return -grad


def negative(x: Any) -> Any:
    """Elementwise ``-x``."""
    return Negative.apply(x)


class Power(Function):
    """x ** p.  d/dx = p·x^(p-1), d/dp = x^p·log(x)."""

    def forward(self, x: Any, p: Any) -> Any:
        self.save_for_backward(x, p)
        try:
            return np.power(x, p)
        except (ValueError, TypeError) as error:
            raise operand_error("power", error, x, p) from None

    def backward(self, grad: Any) -> Any:
        x, p = self.saved
        need_x, need_p = self.needs_input_grad

        # NOTE: quiet arithmetic: the derivative is infinite at x = 0 for
        # p < 1 and undefined for x < 0 with fractional p; those entries
        # become inf/nan without a warning, as in PyTorch.
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_x = None
            if need_x:
                # NOTE: x^0 is constant, so its gradient is 0 even at x = 0,
                # where p·x^(p-1) would be 0·inf = nan.
                grad_x = np.where(p == 0, 0.0, grad * p * x ** (p - 1))

            grad_p = None
            if need_p:
                # NOTE: at x = 0 the limit of x^p·log(x) is 0 for p > 0; use it
                # rather than 0·(-inf) = nan, as PyTorch does.
                safe_x = np.where(x == 0, 1.0, x)
                grad_p = np.where(x == 0, 0.0, grad * x**p * np.log(safe_x))
        return grad_x, grad_p


def power(x: Any, p: Any) -> Any:
    """Elementwise ``x ** p``; ``p`` may be a number or a tensor."""
    return Power.apply(x, p)


class MatMul(Function):
    """x @ y over the last two axes, with NumPy's rules for 1-D and batches.

    d/dx = grad @ yᵀ, d/dy = xᵀ @ grad (batch axes broadcast; the engine sums
    them back). A 1-D operand is treated as a row (x) or a column (y) vector.
    """

    def forward(self, x: Any, y: Any) -> Any:
        if type(x) is not np.ndarray or type(y) is not np.ndarray:
            x, y = _sequences_as_arrays(x), _sequences_as_arrays(y)
        self.save_for_backward(x, y)  # arrays: backward reads their ndim
        return _matmul(x, y)

    @staticmethod
    def untracked_forward(x: Any, y: Any) -> Any:
        if type(x) is not np.ndarray or type(y) is not np.ndarray:
            x, y = _sequences_as_arrays(x), _sequences_as_arrays(y)
        return _matmul(x, y)

    def backward(self, grad: Any) -> Any:
        x, y = self.saved
        need_x, need_y = self.needs_input_grad
        x_vector, y_vector = x.ndim == 1, y.ndim == 1

        if x_vector and y_vector:
            return (grad * y if need_x else None), (grad * x if need_y else None)
        if x_vector:
            # out[..., n] = x[k] y[..., k, n]
            grad_row = grad[..., None, :]
            grad_x = (grad_row @ y.swapaxes(-1, -2))[..., 0, :] if need_x else None
            grad_y = x[:, None] * grad_row if need_y else None
            return grad_x, grad_y
        if y_vector:
            # out[..., m] = x[..., m, k] y[k]
            grad_col = grad[..., :, None]
            grad_x = grad_col * y if need_x else None
            grad_y = (x.swapaxes(-1, -2) @ grad_col)[..., 0] if need_y else None
            return grad_x, grad_y

        grad_x = grad @ y.swapaxes(-1, -2) if need_x else None
        grad_y = x.swapaxes(-1, -2) @ grad if need_y else None
        return grad_x, grad_y


def _sequences_as_arrays(operand: Any) -> Any:
    """A list or tuple operand as an array; anything else as it is."""
    if not isinstance(operand, (list, tuple)):
        return operand
    try:
        return np.asarray(operand)
    except ValueError:
        raise ShapeError(
            f"matmul: the operand {operand!r:.60} is a ragged sequence (rows of "
            "different lengths); give every row the same length"
        ) from None


def _matmul(x: Any, y: Any) -> Any:
    # NOTE: the operands are checked only once NumPy has refused them:
    # checking first cost 0.4 us of every product (a quarter of a 20x20
    # product, 4% of each of gradcheck's evaluations in benchmarks/ W5).
    # The operator, not np.matmul: 70 ns less for two arrays. (Two lists
    # have no operator; NumPy's function takes them.)
    try:
        return x @ y
    except (ValueError, TypeError):
        pass
    try:
        return np.matmul(x, y)
    except (ValueError, TypeError):
        raise _matmul_error(x, y) from None


def _matmul_error(x: Any, y: Any) -> DTypeError | ShapeError:
    """Why np.matmul refused these operands, in the user's terms."""
    for operand in (x, y):
        dtype = np.asarray(operand).dtype
        if dtype.kind not in "biufc":
            what = (
                f"an array of dtype {dtype}"
                if isinstance(operand, np.ndarray)
                else f"{type(operand).__name__} {operand!r}"
            )
            return DTypeError(
                f"matmul: cannot multiply by {what}; both operands must hold numbers"
            )
    x_shape, y_shape = shape_of(x), shape_of(y)
    if not x_shape or not y_shape:
        return ShapeError(
            f"matmul: operands of shapes {x_shape} and {y_shape}; matmul "
            "needs at least 1-D operands (use * to multiply by a scalar)"
        )
    inner = y_shape[-2] if len(y_shape) > 1 else y_shape[0]
    if x_shape[-1] != inner:
        return ShapeError(
            f"matmul: shapes {x_shape} and {y_shape} do not line up: the "
            f"last axis of the first ({x_shape[-1]}) must equal the "
            f"{'second-to-last' if len(y_shape) > 1 else 'only'} axis of "
            f"the second ({inner}); transpose one of them?"
        )
    return ShapeError(
        f"matmul: batch dimensions of shapes {x_shape} and {y_shape} "
        "cannot be broadcast together: the axes before the last two "
        "must be equal or 1 (reshape or unsqueeze an operand to line "
        "them up)"
    )


def matmul(x: Any, y: Any) -> Any:
    """Matrix product ``x @ y`` (1-D, 2-D and batched, as ``np.matmul``)."""
    return MatMul.apply(x, y)


class Linear(Function):
    """x @ wᵀ + b, a fully connected layer's affine map, as one op.

    d/dx = grad @ w, d/dw = gradᵀ @ x (summed over the batch axes), d/db = the
    sum of grad over the batch axes. x has shape (..., in), w (out, in), b
    (out,) or None.
    """

    # NOTE: one op rather than matmul(x, w.T) + b. The composed form records
    # three nodes, sums the bias's broadcast gradient in the engine, and its
    # weight gradient arrives as the transpose of xᵀ @ grad: a strided view
    # the engine must copy before a leaf may own it. Here the weight gradient
    # comes out of one BLAS call already laid out as (out, in). On the
    # 784-512-512-10 benchmark step (W3) this is most of the gap to NumPy.
    def forward(self, x: Any, w: Any, b: Any = None) -> Any:
        self.save_for_backward(x, w)
        y = np.matmul(x, w.T)
        if b is None:
            return y
        if b.dtype == y.dtype:
            y += b  # y is this op's own new array
            return y
        return y + b  # promotes, as the composed form would

    def backward(self, grad: Any) -> Any:
        x, w = self.saved
        need_x, need_w, *need_b = self.needs_input_grad

        grad_x = grad @ w if need_x else None
        if x.ndim == 1:
            grad_w = grad[:, None] * x if need_w else None
            grad_b = grad if need_b and need_b[0] else None
            return (grad_x, grad_w, grad_b) if need_b else (grad_x, grad_w)

        if x.ndim > 2:
            # Batch axes flattened: one matrix product for any batch shape.
            # (Not reshape(-1, n): -1 is ambiguous for an empty batch.)
            n = math.prod(x.shape[:-1])
            grad, x = grad.reshape(n, grad.shape[-1]), x.reshape(n, x.shape[-1])
        grad_w = grad.T @ x if need_w else None
        grad_b = np.add.reduce(grad, axis=0) if need_b and need_b[0] else None

        if need_b:
            return grad_x, grad_w, grad_b
        return grad_x, grad_w


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """The affine map ``x @ weight.T + bias`` of ``nn.Linear``, as PyTorch's.

    ``x`` has shape ``(..., in)``, ``weight`` ``(out, in)`` and ``bias``
    ``(out,)`` (or None); the result has shape ``(..., out)``.

    >>> import chainrule as cr
    >>> cr.linear(cr.ones((2, 3)), cr.ones((4, 3)), cr.zeros(4)).shape
    (2, 4)
    """
    # Lists and numbers become arrays: the backward reads .ndim and .T.
    x, weight, bias = (_as_operand(v) for v in (x, weight, bias))
    x_shape, w_shape = shape_of(x), shape_of(weight)
    if len(w_shape) != 2:
        raise ShapeError(
            f"linear: weight of shape {w_shape}; it must be 2-D, (out_features, "
            "in_features)"
        )
    if not x_shape or x_shape[-1] != w_shape[1]:
        raise ShapeError(
            f"linear: input of shape {x_shape} and weight of shape {w_shape} do "
            f"not line up: the input's last axis must have in_features="
            f"{w_shape[1]} values (the weight's second axis)"
        )
    if bias is None:
        return Linear.apply(x, weight)
    if shape_of(bias) != (w_shape[0],):
        raise ShapeError(
            f"linear: bias of shape {shape_of(bias)} for weight of shape "
            f"{w_shape}; it must have shape ({w_shape[0]},), one value per "
            "output feature"
        )
    return Linear.apply(x, weight, bias)


def _as_operand(value: Any) -> Any:
    if value is None or isinstance(value, (np.ndarray, _function._Tensor)):
        return value
    return np.asarray(value)
