"""Reductions over axes: sum, mean, max, min, var, std, logsumexp, argmax, argmin.

``axis`` is an int, a tuple of ints or None (all axes), with NumPy's meaning:
``axis=()`` reduces nothing. ``keepdims`` keeps the reduced axes with length 1.
PyTorch's names ``dim`` and ``keepdim`` are accepted as keywords too (and
``correction`` for ``ddof``), except ``dim`` for max and min: see ``max``.
Backward rules put the reduced axes back (length 1) and let the gradient
broadcast over them.

Conventions (see docs/conventions.md): max and min share the gradient equally
among tied elements; std has gradient 0 where the variance is 0; argmax and
argmin return int64 tensors without gradients.
"""

from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

import numpy as np

from chainrule.autograd import function as _function
from chainrule.autograd.function import Function
from chainrule.errors import ArgumentError, AxisError, ShapeError
from chainrule.ops._common import (
    broadcast_view,
    caller_stacklevel,
    normalize_axes,
    normalize_axis,
    torch_alias,
)

# NOTE: axis=None's axes looked up, not built: tuple(range(n)) is an eighth
# of the Python side of a sum. (NumPy arrays have at most 64 axes.)
_ALL_AXES = tuple(tuple(range(n)) for n in range(65))


class _Reduction(Function):
    """Bookkeeping shared by the reductions: which axes went, and how to undo it."""

    shape: tuple[int, ...]
    axes: tuple[int, ...]
    keepdims: bool

    def reduce_over(self, op: str, x: Any, axis: Any, keepdims: bool) -> None:
        """Check ``axis`` for ``x`` and remember what backward needs to undo."""
        shape = self.shape = x.shape if type(x) is np.ndarray else np.shape(x)
        self.axes = (
            _ALL_AXES[len(shape)]
            if axis is None
            else normalize_axes(op, axis, len(shape))
        )
        self.keepdims = keepdims

    @property
    def count(self) -> int:
        """How many elements each output value reduces."""
        return math.prod(self.shape[a] for a in self.axes)

    def restore_axes(self, value: Any) -> Any:
        """``value`` shaped like the output, with the reduced axes back as length 1.

        Uses ``.reshape`` (an ndarray and a Tensor method alike), so backward
        rules built on it also run on Tensors for higher-order gradients.
        """
        if self.keepdims or not self.axes:
            return value
        if len(self.axes) == len(self.shape):  # all of them: a loss, usually
            return value.reshape((1,) * len(self.shape))
        kept = tuple(1 if a in self.axes else n for a, n in enumerate(self.shape))
        return value.reshape(kept)

    def check_not_empty(self, op: str, axis: Any, what: str) -> None:
        """Raise if a reduced axis has length 0, where ``op`` has no value."""
        if self.count == 0:
            raise _empty_error(op, self.shape, axis, self.axes, what)


def _empty_error(
    op: str, shape: tuple[int, ...], axis: Any, axes: tuple[int, ...], what: str
) -> ShapeError:
    empty = next(a for a in axes if shape[a] == 0)
    return ShapeError(
        f"{op}: cannot reduce axis={axis!r} of a tensor of shape {shape}: axis "
        f"{empty} has length 0 and {what}. Reduce over non-empty axes, or check "
        "the tensor's size first"
    )


def _torch_names(
    op: str, axis: Any, dim: Any, keepdims: bool, keepdim: bool | None
) -> tuple[Any, bool]:
    """``axis`` and ``keepdims``, given by NumPy's names or PyTorch's."""
    if dim is None and keepdim is None:
        return axis, keepdims  # NOTE: the common case, kept cheap
    axis = torch_alias(op, "axis", axis, "dim", dim)
    return axis, torch_alias(op, "keepdims", keepdims, "keepdim", keepdim, False)


class Sum(_Reduction):
    """sum(x, axis).  d/dx = 1 for every summed element."""

    def forward(self, x: Any, axis: Any, keepdims: bool) -> Any:
        self.reduce_over("sum", x, axis, keepdims)
        # (The ufunc's reduce: np.sum adds a Python layer, about 1 us a call.
        # axis=None is passed on as None, which NumPy reads faster than the
        # tuple of every axis.)
        axes = None if axis is None else self.axes
        return np.add.reduce(x, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]

    @staticmethod
    def untracked_forward(x: Any, axis: Any, keepdims: bool) -> Any:
        if axis is not None:
            ndim = x.ndim if type(x) is np.ndarray else np.ndim(x)
            axis = normalize_axes("sum", axis, ndim)
        return np.add.reduce(x, axis=axis, keepdims=keepdims)  # type: ignore[call-overload]

    def backward(self, grad: Any) -> Any:
        return broadcast_view(self.restore_axes(grad), self.shape), None, None


def sum(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Any:
    """Sum of elements over ``axis`` (all axes when None); ``dim`` is its alias."""
    if dim is not None or keepdim is not None:  # (a call saved otherwise)
        axis, keepdims = _torch_names("sum", axis, dim, keepdims, keepdim)
    return Sum.apply(x, axis, keepdims)


class Mean(_Reduction):
    """mean(x, axis).  d/dx = 1/n for each of the n averaged elements."""

    def forward(self, x: Any, axis: Any, keepdims: bool) -> Any:
        self.reduce_over("mean", x, axis, keepdims)
        total = np.sum(x, axis=self.axes, keepdims=keepdims)
        # NOTE: the mean of nothing is nan (0/0), quietly, as in PyTorch.
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / self.count

    def backward(self, grad: Any) -> Any:
        grad = self.restore_axes(grad)
        # NOTE: an empty mean is nan (0/0) forward; its gradient is empty too.
        count = builtins.max(self.count, 1)
        return broadcast_view(grad / count, self.shape), None, None


def mean(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Any:
    """Arithmetic mean over ``axis`` (all axes when None); ``dim`` is its alias."""
    if dim is not None or keepdim is not None:  # (a call saved otherwise)
        axis, keepdims = _torch_names("mean", axis, dim, keepdims, keepdim)
    return Mean.apply(x, axis, keepdims)


def _extremum(
    fn: _Reduction, op: str, pick: Any, x: Any, axis: Any, keepdims: bool
) -> Any:
    """Forward of max and min: the value, and each element's share of the gradient."""
    fn.reduce_over(op, x, axis, keepdims)
    fn.check_not_empty(op, axis, f"an empty slice has no {op}imum")
    kept = pick(x, axis=fn.axes, keepdims=True)

    # NOTE: ties share the gradient equally (max of [1, 3, 3] gives
    # [0, 1/2, 1/2]), as PyTorch's amax: the shares sum to 1 and the rule is
    # symmetric in the tied elements. A slice holding nan has a nan maximum
    # that equals nothing: 0/0 makes its whole gradient nan, quietly, as in
    # PyTorch.
    ties = x == kept
    count = ties.sum(axis=fn.axes, keepdims=True)
    # NOTE: shares in x's float dtype, so a float32 gradient stays float32.
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    with np.errstate(invalid="ignore"):
        share = np.true_divide(ties, count, dtype=dtype)
    fn.save_for_backward(share)
    return kept if keepdims else np.squeeze(kept, axis=fn.axes)


class Max(_Reduction):
    """max(x, axis).  d/dx = 1 at the maximum; k tied maxima get 1/k each."""

    def forward(self, x: Any, axis: Any, keepdims: bool) -> Any:
        return _extremum(self, "max", np.max, x, axis, keepdims)

    def backward(self, grad: Any) -> Any:
        (share,) = self.saved
        return self.restore_axes(grad) * share, None, None


def max(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Any:
    """Largest element over ``axis``; tied maxima share the gradient equally.

    Returns the values only, as NumPy's max and PyTorch's ``amax``. So
    ``dim=`` is refused: PyTorch's ``max(dim=)`` returns ``(values,
    indices)``, and its code (``x.max(dim=1)[1]``) would silently read other
    numbers here. Use ``axis=`` for the values, ``argmax`` for the indices.
    ``keepdim`` is accepted for ``keepdims``.
    """
    _refuse_dim("max", dim, "argmax")
    keepdims = torch_alias("max", "keepdims", keepdims, "keepdim", keepdim, False)
    return Max.apply(x, axis, keepdims)


class Min(_Reduction):
    """min(x, axis).  d/dx = 1 at the minimum; k tied minima get 1/k each."""

    def forward(self, x: Any, axis: Any, keepdims: bool) -> Any:
        return _extremum(self, "min", np.min, x, axis, keepdims)

    def backward(self, grad: Any) -> Any:
        (share,) = self.saved
        return self.restore_axes(grad) * share, None, None


def min(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Any:
    """Smallest element over ``axis``; tied minima share the gradient equally.

    Returns the values only, so ``dim=`` is refused, as for :func:`max`.
    """
    _refuse_dim("min", dim, "argmin")
    keepdims = torch_alias("min", "keepdims", keepdims, "keepdim", keepdim, False)
    return Min.apply(x, axis, keepdims)


def _refuse_dim(op: str, dim: Any, arg_op: str) -> None:
    if dim is not None:
        raise ArgumentError(
            f"{op}(dim={dim!r}): PyTorch's {op} with dim returns (values, "
            f"indices), chainrule's {op} the values alone (as NumPy's {op} and "
            f"PyTorch's a{op}), so PyTorch code indexing the result would read "
            f"other numbers without an error. Write x.{op}(axis={dim!r}) for "
            f"the values and x.{arg_op}(axis={dim!r}) for the indices"
        )


def _as_float(x: Any) -> Any:
    # NOTE: integers and bools are reduced in float64, as NumPy's var and exp
    # do; a float array is returned as it is (it may need a gradient).
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _first_along(x: Any, axes: tuple[int, ...]) -> Any:
    """The first element of each slice over ``axes``, reduced axes kept as 1."""
    index = tuple(slice(0, 1) if a in axes else slice(None) for a in range(x.ndim))
    return x[index]


class _Spread(_Reduction):
    """What var and std share: deviations from the mean, and the divisor."""

    divisor: float

    def variance(self, op: str, x: Any, axis: Any, ddof: Any, keepdims: bool) -> Any:
        """The shift to save for backward, and the variance with reduced axes kept."""
        self.reduce_over(op, x, axis, keepdims)
        x = _as_float(x)
        # NOTE: like NumPy, n - ddof <= 0 divides by 0: inf, or nan when every
        # deviation is 0 (also for an empty slice). It happens quietly.
        self.divisor = builtins.max(self.count - ddof, 0)

        # NOTE: shifting by the slice's first element before averaging makes
        # the deviations of a constant slice exactly 0 (mean([0.1] * 3) is not
        # 0.1 in floating point), so its variance is exactly 0 and std's
        # convention at zero variance applies; it also reduces cancellation
        # when |mean| >> std.
        shift = _first_along(x, self.axes)
        with np.errstate(invalid="ignore", divide="ignore"):
            deviations = self.deviations(x, shift)
            squares = np.sum(deviations * deviations, axis=self.axes, keepdims=True)
            return shift, squares / self.divisor

    def deviations(self, x: Any, shift: Any) -> Any:
        """x - mean(x) over the reduced axes, computed as (x - c) - mean(x - c).

        In backward the shift is a constant: x - mean(x) does not depend on it.
        """
        shifted = x - shift
        # NOTE: an empty slice has mean 0/0; its deviations are empty anyway,
        # so divide by 1 rather than warn.
        count = builtins.max(self.count, 1)
        return shifted - shifted.sum(axis=self.axes, keepdims=True) / count


class Var(_Spread):
    """var = Σ(x - mean)² / (n - ddof).  d/dx = 2(x - mean) / (n - ddof)."""

    def forward(self, x: Any, axis: Any, ddof: Any, keepdims: bool) -> Any:
        shift, variance = self.variance("var", x, axis, ddof, keepdims)
        self.save_for_backward(x, shift)
        return variance if keepdims else np.squeeze(variance, axis=self.axes)

    def backward(self, grad: Any) -> Any:
        x, shift = self.saved
        deviations = self.deviations(x, shift)
        # NOTE: with n - ddof <= 0 the rule keeps its form, 2(x - mean)/0:
        # ±inf, and nan where x equals the mean, quietly.
        scale = 2 / self.divisor if self.divisor else math.inf
        with np.errstate(invalid="ignore"):
            grad_x = self.restore_axes(grad) * deviations * scale
        return grad_x, None, None, None


def var(
    x: Any,
    axis: Any = None,
    ddof: Any = 0,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
    correction: Any = None,
) -> Any:
    """Variance over ``axis``, dividing by ``n - ddof`` (NumPy's default ddof=0).

    PyTorch's ``var`` defaults to ``correction=1``; pass ``ddof=1`` (or
    ``correction=1``) for the unbiased estimate. ``dim``, ``keepdim`` and
    ``correction`` are PyTorch's names for ``axis``, ``keepdims`` and
    ``ddof``; ``dim`` without ``correction`` warns, since it is likely
    PyTorch code that expects n - 1.
    """
    axis, ddof, keepdims = _spread_arguments(
        "var", axis, dim, ddof, correction, keepdims, keepdim
    )
    return Var.apply(x, axis, ddof, keepdims)


def _spread_arguments(
    op: str,
    axis: Any,
    dim: Any,
    ddof: Any,
    correction: Any,
    keepdims: bool,
    keepdim: bool | None,
) -> tuple[Any, Any, bool]:
    """axis, ddof and keepdims of var or std, from NumPy's or PyTorch's names."""
    if dim is not None and correction is None and ddof == 0:
        # NOTE: the same call means n in NumPy and n - 1 in PyTorch; the
        # dim= spelling says the code was likely written for PyTorch.
        warnings.warn(
            f"{op}(dim=...) divides by n (ddof=0, NumPy's default), but "
            f"PyTorch's {op}(dim=...) divides by n - 1; pass correction=1 "
            "for PyTorch's value, or correction=0 to keep n without this "
            "warning",
            stacklevel=caller_stacklevel(),
        )
    axis, keepdims = _torch_names(op, axis, dim, keepdims, keepdim)
    ddof = torch_alias(op, "ddof", ddof, "correction", correction, 0)
    return axis, ddof, keepdims


class Std(_Spread):
    """std(x, axis, ddof) = sqrt(var).  d/dx = (x - mean) / ((n - ddof)·std)."""

    def forward(self, x: Any, axis: Any, ddof: Any, keepdims: bool) -> Any:
        shift, variance = self.variance("std", x, axis, ddof, keepdims)
        deviation = np.sqrt(variance)
        out = deviation if keepdims else np.squeeze(deviation, axis=self.axes)
        self.save_for_backward(x, shift, out)
        return out

    def backward(self, grad: Any) -> Any:
        x, shift, std = self.saved
        std = self.restore_axes(std)
        deviations = self.deviations(x, shift)

        # NOTE: at zero variance (a constant slice) std is not differentiable:
        # along any direction v it grows like |t|·std(v), a kink like |x| at 0.
        # Its gradient there is 0, the subgradient abs'(0) = 0 also picks, and
        # PyTorch's choice too; the formula would give 0/0 = nan. The double
        # where keeps the nan out of the second derivative as well.
        constant = std == 0
        safe_std = np.where(constant, 1.0, std)
        with np.errstate(invalid="ignore"):
            slope = self.restore_axes(grad) * deviations / (self.divisor * safe_std)
        return np.where(constant, 0.0, slope), None, None, None


def std(
    x: Any,
    axis: Any = None,
    ddof: Any = 0,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
    correction: Any = None,
) -> Any:
    """Standard deviation over ``axis``: sqrt(var(x, axis, ddof)).

    Its gradient is 0 where the variance is 0 (every element of the slice
    equal), as in PyTorch. PyTorch's names are accepted and warned about as
    for :func:`var`.
    """
    axis, ddof, keepdims = _spread_arguments(
        "std", axis, dim, ddof, correction, keepdims, keepdim
    )
    return Std.apply(x, axis, ddof, keepdims)


class LogSumExp(_Reduction):
    """logsumexp(x, axis) = log Σ exp(x).  d/dx = exp(x) / Σ exp(x) (softmax)."""

    def forward(self, x: Any, axis: Any, keepdims: bool) -> Any:
        self.reduce_over("logsumexp", x, axis, keepdims)
        x = _as_float(x)

        # NOTE: log Σ exp(x) = m + log Σ exp(x - m) for any m. With m the
        # largest finite element of the slice, no finite term exceeds
        # exp(0) = 1, so nothing overflows (x of magnitude 1e4 is fine) and
        # the sum is at least 1 when x has a finite element. Infinite elements
        # do not set m (as in PyTorch, where an infinite maximum is replaced
        # by 0), so -inf - -inf = nan never arises: an all -inf or an empty
        # slice gives log(0) = -inf, and a +inf element gives inf.
        shift = _largest_finite(x, self.axes)
        with np.errstate(divide="ignore"):
            total = np.sum(np.exp(x - shift), axis=self.axes, keepdims=True)
            out = np.log(total) + shift
        if not keepdims:
            out = np.squeeze(out, axis=self.axes)
        self.save_for_backward(x, shift)
        return out

    def backward(self, grad: Any) -> Any:
        x, shift = self.saved
        # NOTE: the softmax weights are computed from the shifted terms, not as
        # exp(x - logsumexp): at |x| = 1e4 in float32 the rounding of the
        # output alone would cost 1e-4 relative error in every weight. The
        # shift is a constant to differentiate: softmax does not depend on it.
        # An all -inf slice gives 0/0 and a +inf element inf/inf: nan, as in
        # PyTorch, quietly.
        with np.errstate(invalid="ignore"):
            terms = np.exp(x - shift)
            weights = terms / terms.sum(axis=self.axes, keepdims=True)
        return self.restore_axes(grad) * weights, None, None


def _largest_finite(x: Any, axes: tuple[int, ...]) -> Any:
    """The largest finite element of each slice over ``axes`` (0 if none), kept."""
    finite = np.where(np.isfinite(x), x, -np.inf)
    peak = np.max(finite, axis=axes, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(peak), peak, 0.0)


def logsumexp(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Any:
    """log(sum(exp(x))) over ``axis``, without overflow; ``dim`` is its alias."""
    axis, keepdims = _torch_names("logsumexp", axis, dim, keepdims, keepdim)
    return LogSumExp.apply(x, axis, keepdims)


def _arg_extremum(op: str, pick: Any, x: Any, axis: int | None, keepdims: bool) -> Any:
    Tensor = _function._Tensor

    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    shape = data.shape
    if isinstance(axis, (tuple, list)):
        raise AxisError(
            f"{op}: axis must be an int or None, got {axis!r}; for the index "
            "over several axes, move them last and flatten them into one "
            "(reshape), then reduce that axis"
        )
    axes = tuple(range(data.ndim))
    if axis is not None:
        axes = (normalize_axis(op, axis, data.ndim),)
    if math.prod(shape[a] for a in axes) == 0:
        extreme = "largest" if op == "argmax" else "smallest"
        what = f"an empty slice has no {extreme} element"
        raise _empty_error(op, shape, axis, axes, what)
    index = pick(data, axis=axis, keepdims=keepdims)
    # NOTE: an index has no gradient: the result is an int64 tensor that
    # does not require grad, whatever x does.
    return Tensor(np.asarray(index, dtype=np.int64))


def argmax(
    x: Any,
    axis: int | None = None,
    keepdims: bool = False,
    *,
    dim: int | None = None,
    keepdim: bool | None = None,
) -> Any:
    """Index of the largest element over ``axis`` (in the flattened tensor when
    None); the first one when tied. Not differentiable: returns int64.
    ``dim`` and ``keepdim`` are PyTorch's names for ``axis`` and ``keepdims``."""
    axis, keepdims = _torch_names("argmax", axis, dim, keepdims, keepdim)
    return _arg_extremum("argmax", np.argmax, x, axis, keepdims)


def argmin(
    x: Any,
    axis: int | None = None,
    keepdims: bool = False,
    *,
    dim: int | None = None,
    keepdim: bool | None = None,
) -> Any:
    """Index of the smallest element over ``axis``: :func:`argmax`'s mirror."""
    axis, keepdims = _torch_names("argmin", axis, dim, keepdims, keepdim)
    return _arg_extremum("argmin", np.argmin, x, axis, keepdims)
