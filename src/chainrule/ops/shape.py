"""Shape operations: reshape, transpose, swapaxes, broadcast_to, ...

They move or copy elements without changing them, so each backward moves the
gradient back the opposite way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd.function import Function
from chainrule.errors import ShapeError
from chainrule.ops._common import normalize_axis


class Reshape(Function):
    """reshape(x, shape).  The gradient is reshaped back."""

    def forward(self, x: Any, shape: tuple[int, ...]) -> Any:
        self.input_shape = np.shape(x)
        try:
            return np.reshape(x, shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {self.input_shape} "
                f"({np.size(x)} elements) into shape {tuple(shape)}"
            ) from None

    def backward(self, grad: Any) -> Any:
        return grad.reshape(self.input_shape), None


def reshape(x: Any, shape: Any) -> Any:
    """The same elements in a new shape (one axis may be -1)."""
    return Reshape.apply(x, tuple(shape) if not isinstance(shape, int) else (shape,))


class Transpose(Function):
    """transpose(x, axes).  The gradient is permuted by the inverse permutation."""

    def forward(self, x: Any, axes: tuple[int, ...] | None) -> Any:
        ndim = np.ndim(x)
        if axes is None:
            axes = tuple(reversed(range(ndim)))
        elif sorted(normalize_axis("transpose", a, ndim) for a in axes) != list(
            range(ndim)
        ):
            raise ShapeError(
                f"transpose: axes {tuple(axes)} are not a permutation of the "
                f"{ndim} axes of a tensor of shape {np.shape(x)}"
            )
        self.axes = tuple(int(a) % ndim for a in axes) if ndim else ()
        return np.transpose(x, self.axes)

    def backward(self, grad: Any) -> Any:
        return np.transpose(grad, np.argsort(self.axes)), None


def transpose(x: Any, axes: Any = None) -> Any:
    """Permute the axes (reverse them when ``axes`` is None)."""
    return Transpose.apply(x, None if axes is None else tuple(axes))


def permute(x: Any, *axes: Any) -> Any:
    """Permute the axes into the given order (PyTorch's name for transpose)."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return transpose(x, axes)


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes."""
    ndim = np.ndim(x)
    a = normalize_axis("swapaxes", axis1, ndim)
    b = normalize_axis("swapaxes", axis2, ndim)
    order = list(range(ndim))
    order[a], order[b] = order[b], order[a]
    return transpose(x, order)


class BroadcastTo(Function):
    """broadcast_to(x, shape).  The engine sums the gradient back to x's shape."""

    def forward(self, x: Any, shape: tuple[int, ...]) -> Any:
        try:
            return np.broadcast_to(x, shape)
        except ValueError:
            raise ShapeError(
                f"broadcast_to: a tensor of shape {np.shape(x)} cannot be "
                f"broadcast to shape {tuple(shape)}"
            ) from None

    def backward(self, grad: Any) -> Any:
        return grad, None


def broadcast_to(x: Any, shape: Any) -> Any:
    """A read-only view of ``x`` repeated along broadcast axes."""
    return BroadcastTo.apply(
        x, tuple(shape) if not isinstance(shape, int) else (shape,)
    )
