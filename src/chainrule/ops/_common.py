"""Checks shared by the op families: shapes and axes, with errors that help."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.errors import AxisError, ShapeError


def shape_of(x: Any) -> tuple[int, ...]:
    return np.shape(x)


def broadcast_error(op: str, *operands: Any) -> ShapeError:
    """The error for operands whose shapes do not broadcast together."""
    shapes = " and ".join(str(shape_of(x)) for x in operands)
    return ShapeError(
        f"{op}: shapes {shapes} cannot be broadcast together; trailing "
        "dimensions must be equal or 1 (reshape or unsqueeze an operand to "
        "line them up)"
    )


def normalize_axis(op: str, axis: int, ndim: int) -> int:
    """``axis`` in ``range(ndim)``, or an AxisError that names the op."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise AxisError(f"{op}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise AxisError(
            f"{op}: axis {axis} is out of range for a tensor with {ndim} "
            f"dimension{'s' if ndim != 1 else ''} (valid: {-ndim} to {ndim - 1})"
            if ndim
            else f"{op}: axis {axis} given for a 0-d tensor, which has no axes"
        )
    return int(axis) % ndim


def normalize_axes(op: str, axis: Any, ndim: int) -> tuple[int, ...]:
    """An int, a tuple of ints or None (all axes) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(op, a, ndim) for a in axis)
        if len(set(axes)) != len(axes):
            raise AxisError(f"{op}: axis {tuple(axis)} names an axis twice")
        return tuple(sorted(axes))
    return (normalize_axis(op, axis, ndim),)
