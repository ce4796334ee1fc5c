"""Checks shared by the op families: shapes and axes, with errors that help."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from chainrule.errors import ArgumentError, AxisError, DTypeError, ShapeError


def shape_of(x: Any) -> tuple[int, ...]:
    # NOTE: not np.shape(x) for a Tensor: that goes through NumPy's function
    # dispatch (__array_function__), about 10 us a call on the per-op path.
    shape = getattr(x, "shape", None)
    return shape if type(shape) is tuple else np.shape(x)


def whole_numbers(sizes: Any) -> tuple[int, ...] | None:
    """``sizes`` (an int or a sequence of ints) as a tuple, or None if it is not."""
    if isinstance(sizes, (int, np.integer)):
        sizes = (sizes,)
    try:
        shape = tuple(sizes)
    except TypeError:
        return None
    if not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape
    ):
        return None
    return tuple(int(n) for n in shape)


def broadcast_view(value: Any, shape: tuple[int, ...]) -> Any:
    """``value`` broadcast to ``shape`` as a read-only view (``np.broadcast_to``).

    The gradient of a reduction: its incoming gradient, with the reduced axes
    kept as length 1, repeated over the input's shape. Works on Tensors too
    (through NumPy's dispatch) for recorded backward passes.
    """
    # NOTE: a single value (the gradient of a full sum or mean, i.e. of most
    # losses) gets its zero-stride view built directly: np.broadcast_to costs
    # 1.7 us a call (a Python layer and an iterator), this 0.3 us, and it
    # runs in every training step.
    if type(value) is np.ndarray and value.size == 1 and 0 not in shape:
        view = np.ndarray(shape, value.dtype, value, 0, (0,) * len(shape))
        view.flags.writeable = False
        return view
    return np.broadcast_to(value, shape)


def broadcast_error(op: str, *operands: Any) -> ShapeError:
    """The error for operands whose shapes do not broadcast together."""
    shapes = " and ".join(str(shape_of(x)) for x in operands)
    return ShapeError(
        f"{op}: shapes {shapes} cannot be broadcast together; trailing "
        "dimensions must be equal or 1 (reshape or unsqueeze an operand to "
        "line them up)"
    )


def operand_error(op: str, error: Exception, *operands: Any) -> Exception:
    """The error to raise when NumPy refused an op's operands.

    A broadcasting failure names the shapes; anything else (integers to a
    negative power, a string operand) keeps NumPy's reason, with the op.
    """
    try:
        np.broadcast_shapes(*(shape_of(x) for x in operands))
    except ValueError:
        return broadcast_error(op, *operands)
    kinds = " and ".join(_describe(x) for x in operands)
    if isinstance(error, TypeError):
        return DTypeError(f"{op}: cannot apply to {kinds}: {error}")
    return ArgumentError(f"{op} on {kinds}: {error}")


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"{x.dtype} array of shape {x.shape}"
    return type(x).__name__


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


def torch_alias(
    op: str, name: str, value: Any, alias_name: str, alias: Any, default: Any = None
) -> Any:
    """The argument given under NumPy's name or under PyTorch's, not both.

    ``value`` came as NumPy's ``name`` (``axis``, ``keepdims``), ``alias`` as
    PyTorch's ``alias_name`` (``dim``, ``keepdim``). An alias of None was not
    given, nor was a value equal to ``default``, its default in the
    signature (so ``softmax(x, axis=-1, dim=0)`` cannot be told from
    ``softmax(x, dim=0)``).

    Examples
    --------
    >>> torch_alias("sum", "axis", None, "dim", 1)
    1
    >>> torch_alias("softmax", "axis", -1, "dim", None, default=-1)
    -1
    """
    if alias is None:
        return value
    if value is not default and value != default:
        raise ArgumentError(
            f"{op}: got both {name}={value!r} and {alias_name}={alias!r}, which "
            f"are one argument ({name} is NumPy's name for it, {alias_name} "
            "PyTorch's); pass one of them"
        )
    return alias


def caller_stacklevel(package: str = "chainrule") -> int:
    """The ``stacklevel`` that makes a warning name the first frame outside ``package``.

    Call it in the frame that calls ``warnings.warn``. NOTE: counted, not
    fixed: the same warning may come through a Tensor method or a function,
    or from a transform nested in another, several calls deeper.
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_globals["__name__"].startswith(package):
        frame = frame.f_back
        level += 1
    return level
