"""Reductions over axes: sum, mean, max, min, var, std, logsumexp, argmax, argmin.

``axis`` is an int, a tuple of ints or None (all axes); ``keepdims`` keeps the
reduced axes with length 1. Backward rules restore the reduced axes and
broadcast the gradient back over them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd.function import Function
from chainrule.ops._common import normalize_axes


def _restore_axes(grad: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Put back the reduced axes (length 1) so ``grad`` broadcasts over them."""
    if keepdims or not axes:
        return grad
    return np.expand_dims(grad, axes)


class Sum(Function):
    """sum(x, axis).  d/dx = 1 for every summed element."""

    def forward(self, x: Any, axis: Any, keepdims: bool) -> Any:
        self.axes = normalize_axes("sum", axis, np.ndim(x))
        self.keepdims = keepdims
        self.shape = np.shape(x)
        return np.sum(x, axis=self.axes, keepdims=keepdims)

    def backward(self, grad: Any) -> Any:
        grad = _restore_axes(grad, self.axes, self.keepdims)
        return np.broadcast_to(grad, self.shape), None, None


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Sum of elements over ``axis`` (all axes when None)."""
    return Sum.apply(x, axis, keepdims)


class Mean(Function):
    """mean(x, axis).  d/dx = 1/n for each of the n averaged elements."""

    def forward(self, x: Any, axis: Any, keepdims: bool) -> Any:
        self.axes = normalize_axes("mean", axis, np.ndim(x))
        self.keepdims = keepdims
        self.shape = np.shape(x)
        self.count = int(np.prod([self.shape[a] for a in self.axes]))
        total = np.sum(x, axis=self.axes, keepdims=keepdims)
        # NOTE: the mean of nothing is nan (0/0), quietly, as in PyTorch.
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / self.count

    def backward(self, grad: Any) -> Any:
        grad = _restore_axes(grad, self.axes, self.keepdims)
        # NOTE: an empty mean is nan (0/0) forward; its gradient is empty too.
        return np.broadcast_to(grad / max(self.count, 1), self.shape), None, None


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean over ``axis`` (all axes when None)."""
    return Mean.apply(x, axis, keepdims)
