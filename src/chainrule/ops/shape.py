"""Shape operations: reshape, transpose, squeeze, broadcast, join, split, pad.

They move or copy elements without changing them, so each backward moves the
gradient back the opposite way: a reshape is reshaped back, a concatenation is
sliced apart, a split is joined, padding is cut off.

Axes follow NumPy: ``axis`` may be negative, and several axes are a tuple.
PyTorch's name ``dim`` is accepted as a keyword for ``axis`` (``start_dim``
and ``end_dim`` for flatten's axes).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.autograd import function as _function
from chainrule.autograd.function import Function
from chainrule.errors import AxisError, ShapeError
from chainrule.ops._common import (
    normalize_axes,
    normalize_axis,
    torch_alias,
    whole_numbers,
)


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
    sizes = whole_numbers(shape)
    if sizes is None:
        raise ShapeError(
            f"reshape: the new shape must be whole numbers (one may be -1), "
            f"e.g. x.reshape(2, -1); got {shape!r}"
        )
    return Reshape.apply(x, sizes)


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

    def forward(self, x: Any, shape: tuple[int, ...], op: str = "broadcast_to") -> Any:
        try:
            return np.broadcast_to(x, shape)
        except ValueError:
            raise ShapeError(
                f"{op}: a tensor of shape {np.shape(x)} cannot be broadcast to "
                f"shape {tuple(shape)}; each axis must be 1 or match, and new "
                "axes go in front"
            ) from None

    def backward(self, grad: Any) -> Any:
        return grad, None


def broadcast_to(x: Any, shape: Any) -> Any:
    """A read-only view of ``x`` repeated along broadcast axes."""
    return BroadcastTo.apply(
        x, tuple(shape) if not isinstance(shape, int) else (shape,)
    )


def expand(x: Any, *shape: Any) -> Any:
    """``x`` repeated along axes of length 1 (PyTorch's name for broadcast_to).

    A -1 in ``shape`` keeps the length of the matching axis of ``x``; new
    leading axes need an explicit length.
    """
    target = _shape_args(shape)
    x_shape = np.shape(x)
    lead = len(target) - len(x_shape)
    if lead < 0:
        raise ShapeError(
            f"expand: shape {target} has fewer axes than the tensor's shape "
            f"{x_shape}; give at least {len(x_shape)} lengths (-1 keeps one)"
        )
    resolved = []
    for i, n in enumerate(target):
        if n == -1:
            if i < lead:
                raise ShapeError(
                    f"expand: -1 at position {i} of shape {target} names a new "
                    f"axis in front of shape {x_shape}, which has no length to "
                    "keep; give its length"
                )
            n = x_shape[i - lead]
        resolved.append(n)
    return BroadcastTo.apply(x, tuple(resolved), op="expand")


class Squeeze(Function):
    """squeeze(x, axis).  Drops axes of length 1; the gradient is reshaped back."""

    def forward(self, x: Any, axis: Any) -> Any:
        shape = np.shape(x)
        if axis is None:
            axes = tuple(a for a, n in enumerate(shape) if n == 1)
        else:
            axes = normalize_axes("squeeze", axis, len(shape))
            given = axis if isinstance(axis, (tuple, list)) else (axis,)
            for a in given:
                length = shape[normalize_axis("squeeze", a, len(shape))]
                if length != 1:
                    raise ShapeError(
                        f"squeeze: axis {a} of a tensor of shape {shape} has "
                        f"length {length}, not 1; only axes of length 1 can be "
                        "squeezed (omit axis to squeeze all of them, or reshape)"
                    )
        self.input_shape = shape
        return np.squeeze(x, axis=axes)

    def backward(self, grad: Any) -> Any:
        return grad.reshape(self.input_shape), None


def squeeze(x: Any, axis: Any = None, *, dim: Any = None) -> Any:
    """Remove axes of length 1: the given ones (int or tuple), or all of them.

    ``dim`` is PyTorch's name for ``axis``. Unlike PyTorch, naming an axis
    whose length is not 1 raises rather than leaving it.
    """
    return Squeeze.apply(x, torch_alias("squeeze", "axis", axis, "dim", dim))


class ExpandDims(Function):
    """expand_dims(x, axis).  Inserts axes of length 1; the gradient is reshaped."""

    def forward(self, x: Any, axis: Any, op: str = "expand_dims") -> Any:
        shape = np.shape(x)
        given = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        ndim = len(shape) + len(given)
        for a in given:
            is_int = isinstance(a, (int, np.integer)) and not isinstance(a, bool)
            if is_int and -ndim <= a < ndim:
                continue
            raise AxisError(
                f"{op}: axis {a!r} cannot be inserted into a tensor of shape "
                f"{shape}: the result has {ndim} dimensions, so an axis must be "
                f"an int from {-ndim} to {ndim - 1}"
            )
        axes = normalize_axes(op, given, ndim)
        self.input_shape = shape
        return np.expand_dims(x, axes)

    def backward(self, grad: Any) -> Any:
        return grad.reshape(self.input_shape), None


def expand_dims(x: Any, axis: Any) -> Any:
    """Insert axes of length 1 at ``axis`` (an int or a tuple), as NumPy."""
    return ExpandDims.apply(x, axis)


def unsqueeze(x: Any, axis: int | None = None, *, dim: int | None = None) -> Any:
    """Insert one axis of length 1 at ``axis`` (or ``dim``, PyTorch's name)."""
    axis = torch_alias("unsqueeze", "axis", axis, "dim", dim)
    if axis is None:
        raise TypeError(
            "unsqueeze: say where the new axis goes, e.g. unsqueeze(x, 0) or "
            "unsqueeze(x, dim=0)"
        )
    if isinstance(axis, (tuple, list)):
        raise AxisError(
            f"unsqueeze: axis must be one int, got {axis!r}; use "
            "expand_dims(x, axes) to insert several axes"
        )
    return ExpandDims.apply(x, axis, op="unsqueeze")


def flatten(
    x: Any,
    start_axis: int = 0,
    end_axis: int = -1,
    *,
    start_dim: int | None = None,
    end_dim: int | None = None,
) -> Any:
    """Merge the axes ``start_axis`` to ``end_axis`` (inclusive) into one.

    ``start_dim`` and ``end_dim`` are PyTorch's names for them. A 0-d tensor
    becomes shape ``(1,)``, as in PyTorch.
    """
    start_axis = torch_alias(
        "flatten", "start_axis", start_axis, "start_dim", start_dim, 0
    )
    end_axis = torch_alias("flatten", "end_axis", end_axis, "end_dim", end_dim, -1)
    shape = np.shape(x) or (1,)
    start = normalize_axis("flatten", start_axis, len(shape))
    end = normalize_axis("flatten", end_axis, len(shape))
    if start > end:
        raise AxisError(
            f"flatten: start_axis {start_axis} comes after end_axis {end_axis} "
            f"for a tensor of shape {np.shape(x)}; swap them"
        )
    merged = math.prod(shape[start : end + 1])
    return Reshape.apply(x, (*shape[:start], merged, *shape[end + 1 :]))


def ravel(x: Any) -> Any:
    """All elements in one axis, in C order (a 0-d tensor gives shape ``(1,)``)."""
    return flatten(x)


def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """Move the axes ``source`` to the positions ``destination``; others keep order."""
    ndim = np.ndim(x)
    src = _ordered_axes("moveaxis", source, ndim)
    dst = _ordered_axes("moveaxis", destination, ndim)
    if len(src) != len(dst):
        raise AxisError(
            f"moveaxis: source {source!r} and destination {destination!r} "
            "must name as many axes"
        )
    order = [a for a in range(ndim) if a not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return transpose(x, order)


def _ordered_axes(op: str, axis: Any, ndim: int) -> tuple[int, ...]:
    """An int or a sequence of ints as axes in range, in the order given."""
    given = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(normalize_axis(op, a, ndim) for a in given)
    if len(set(axes)) != len(axes):
        raise AxisError(f"{op}: axis {given} names an axis twice")
    return axes


def _shape_args(args: tuple[Any, ...]) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


# --- joining and splitting -------------------------------------------------------


def _check_axis(op: str, axis: Any, ndim: int, shapes: list[Any]) -> int:
    """``axis`` in ``range(ndim)``, or an AxisError naming op, shapes and axis."""
    valid = isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)
    if not valid or not -ndim <= axis < ndim:
        shown = ", ".join(str(s) for s in shapes)
        raise AxisError(
            f"{op}: axis {axis!r} is out of range for tensors of shapes {shown}: "
            f"the result has {ndim} dimensions, so axis must be an int from "
            f"{-ndim} to {ndim - 1}"
        )
    return int(axis) % ndim


class Concatenate(Function):
    """concatenate(xs, axis).  Each input's gradient is its slice of grad along axis."""

    def forward(self, *xs: Any, axis: Any) -> Any:
        arrays = [np.asarray(x) for x in xs]
        shapes = [a.shape for a in arrays]
        if not arrays:
            raise ShapeError(
                "concatenate: got no tensors; pass a non-empty list of tensors"
            )
        self.shapes = shapes
        self.flat = axis is None
        if self.flat:
            # NOTE: axis=None joins the flattened inputs, as in NumPy.
            arrays = [a.reshape(-1) for a in arrays]
            axis = 0
        elif any(a.ndim == 0 for a in arrays):
            raise ShapeError(
                f"concatenate: cannot join 0-d tensors (shapes {_listed(shapes)}) "
                "along an axis; use stack, or reshape each to (1,)"
            )
        ndim = arrays[0].ndim
        if any(a.ndim != ndim for a in arrays):
            raise ShapeError(
                f"concatenate: tensors of shapes {_listed(shapes)} have different "
                f"numbers of dimensions; to join them along axis {axis} all must "
                "have the same number (reshape or unsqueeze the odd ones)"
            )
        self.axis = _check_axis("concatenate", axis, ndim, shapes)
        rest = [a.shape[: self.axis] + a.shape[self.axis + 1 :] for a in arrays]
        if any(r != rest[0] for r in rest):
            raise ShapeError(
                f"concatenate: shapes {_listed(shapes)} differ outside axis "
                f"{axis}; all tensors must have the same lengths on every other "
                "axis"
            )
        stops = np.cumsum([a.shape[self.axis] for a in arrays]).tolist()
        self.bounds = list(zip([0, *stops[:-1]], stops, strict=True))
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, grad: Any) -> Any:
        lead = (slice(None),) * self.axis
        grads: list[Any] = []
        for need, (start, stop), shape in zip(
            self.needs_input_grad, self.bounds, self.shapes, strict=True
        ):
            if not need:
                grads.append(None)
                continue
            part = grad[(*lead, slice(start, stop))]
            grads.append(part.reshape(shape) if self.flat else part)
        return tuple(grads)


def concatenate(tensors: Any, axis: int | None = 0, *, dim: int | None = None) -> Any:
    """Join tensors (and arrays) along an existing axis; ``axis=None`` flattens first.

    Gradients flow to the inputs that are tensors requiring grad; mixed
    dtypes promote as in NumPy. ``cat`` is the same function (PyTorch's
    name), and ``dim`` PyTorch's name for ``axis``.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> cr.concatenate([cr.ones(2), np.zeros(1)])
    tensor([1., 1., 0.])
    """
    axis = torch_alias("concatenate", "axis", axis, "dim", dim, 0)
    return Concatenate.apply(*_sequence("concatenate", tensors), axis=axis)


cat = concatenate


class Stack(Function):
    """stack(xs, axis).  Input k's gradient is grad at index k of the new axis."""

    def forward(self, *xs: Any, axis: Any) -> Any:
        arrays = [np.asarray(x) for x in xs]
        shapes = [a.shape for a in arrays]
        if not arrays:
            raise ShapeError("stack: got no tensors; pass a non-empty list of tensors")
        if any(s != shapes[0] for s in shapes):
            raise ShapeError(
                f"stack: tensors of shapes {_listed(shapes)} cannot be stacked "
                f"along axis {axis}; all must have the same shape (use "
                "concatenate to join along an existing axis)"
            )
        self.axis = _check_axis("stack", axis, len(shapes[0]) + 1, shapes)
        return np.stack(arrays, axis=self.axis)

    def backward(self, grad: Any) -> Any:
        lead = (slice(None),) * self.axis
        return tuple(
            grad[(*lead, k)] if need else None
            for k, need in enumerate(self.needs_input_grad)
        )


def stack(tensors: Any, axis: int = 0, *, dim: int | None = None) -> Any:
    """Join tensors (and arrays) of one shape along a new axis at ``axis``.

    ``dim`` is PyTorch's name for ``axis``.
    """
    axis = torch_alias("stack", "axis", axis, "dim", dim, 0)
    return Stack.apply(*_sequence("stack", tensors), axis=axis)


def _sequence(op: str, tensors: Any) -> list[Any]:
    Tensor = _function._Tensor

    if isinstance(tensors, (Tensor, np.ndarray)):
        # NOTE: NumPy would iterate over the first axis of one array; a single
        # tensor here is far more often a forgotten pair of brackets.
        raise TypeError(
            f"{op}: expected a list of tensors, got one {type(tensors).__name__} "
            f"of shape {tensors.shape}; pass a list, e.g. {op}([a, b])"
        )
    return list(tensors)


def _listed(shapes: list[Any]) -> str:
    return ", ".join(str(s) for s in shapes)


class Split(Function):
    """split(x, sections, axis).  The gradient of x is the output gradients put back.

    One op with several outputs, so its backward receives every section's
    gradient at once (zeros for sections that were not used).
    """

    def forward(self, x: Any, indices_or_sections: Any, axis: Any) -> Any:
        x = np.asarray(x)
        self.axis = _check_axis("split", axis, x.ndim, [x.shape])
        self.length = length = x.shape[self.axis]
        self.ranges = _split_ranges(indices_or_sections, length, x.shape, self.axis)
        # NOTE: sections are contiguous unless split indices decrease; NumPy
        # then returns overlapping sections (x[:3], x[3:1], x[1:]).
        previous_stops = [0] + [stop for _, stop in self.ranges[:-1]]
        self.contiguous = self.ranges[-1][1] == length and all(
            start == previous
            for (start, _), previous in zip(self.ranges, previous_stops, strict=True)
        )
        lead = (slice(None),) * self.axis
        return tuple(x[(*lead, slice(start, stop))] for start, stop in self.ranges)

    def backward(self, *grads: Any) -> Any:
        if self.contiguous:
            return np.concatenate(grads, axis=self.axis), None, None
        total: Any = 0
        for grad, (start, stop) in zip(grads, self.ranges, strict=True):
            widths = [(0, 0)] * np.ndim(grad)
            widths[self.axis] = (start, self.length - stop)
            total = total + np.pad(grad, widths)
        return total, None, None


def _split_ranges(
    sections: Any, length: int, shape: tuple[int, ...], axis: int
) -> list[tuple[int, int]]:
    """(start, stop) of each section, as np.split cuts them."""
    Tensor = _function._Tensor

    if isinstance(sections, Tensor):
        sections = sections.data
    if isinstance(sections, (int, np.integer)) and not isinstance(sections, bool):
        count = int(sections)
        if count <= 0 or length % count:
            raise ShapeError(
                f"split: axis {axis} of a tensor of shape {shape} has length "
                f"{length}, which does not divide into {count} equal sections; "
                "pass split indices instead (a list of positions to cut at)"
            )
        size = length // count
        return [(k * size, (k + 1) * size) for k in range(count)]

    indices = np.asarray(sections)
    if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
        raise ShapeError(
            f"split: indices_or_sections must be an int or a 1-D sequence of "
            f"ints, got {sections!r}"
        )
    cuts = [0, *indices.tolist()]
    ranges = []
    for start, stop in zip(cuts, [*cuts[1:], length], strict=True):
        # NOTE: cut positions are read as slice bounds, like np.split: negative
        # ones count from the end, large ones clip, a backward pair is empty.
        start, stop, _ = slice(start, stop).indices(length)
        ranges.append((start, max(start, stop)))
    return ranges


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Cut ``x`` along ``axis``, with NumPy's rules (np.split).

    ``indices_or_sections`` is a number of equal sections (it must divide the
    axis), or the positions to cut at: ``[2, 5]`` gives ``x[:2]``, ``x[2:5]``
    and ``x[5:]``. (PyTorch's ``split`` takes section lengths instead; its
    ``tensor_split`` matches this.) Decreasing cut positions give
    overlapping sections, as in NumPy; each gets its share of the gradient.

    Examples
    --------
    >>> import chainrule as cr
    >>> cr.split(cr.arange(5.0), [2])
    [tensor([0., 1.]), tensor([2., 3., 4.])]
    """
    return list(Split.apply(x, indices_or_sections, axis))


# --- padding -----------------------------------------------------------------------

# Modes in which every padded value is a copy of some value of x: padding is
# then a gather, x[source], and differentiates like indexing.
_GATHER_MODES = ("edge", "reflect", "symmetric", "wrap")
_UNSUPPORTED_MODES = ("empty", "linear_ramp", "maximum", "mean", "median", "minimum")


class Pad(Function):
    """pad(x, widths, constant).  The gradient is the interior of grad."""

    def forward(self, x: Any, widths: Any, constant_values: Any) -> Any:
        self.interior = tuple(
            slice(before, before + n)
            for (before, _), n in zip(widths, np.shape(x), strict=True)
        )
        if not widths:
            # NOTE: np.pad rejects the empty pad_width of a 0-d array.
            return np.array(x, copy=True)
        return np.pad(x, widths, mode="constant", constant_values=constant_values)

    def backward(self, grad: Any) -> Any:
        return grad[self.interior], None, None


def pad(
    x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0
) -> Any:
    """Pad ``x`` at the edges of each axis, as ``np.pad``.

    ``pad_width`` takes NumPy's forms: ``n``, ``(n,)``, ``(before, after)``,
    one ``(before, after)`` pair per axis, or a dict ``{axis: width}``.
    ``mode`` is ``"constant"`` (``constant_values``, a constant), ``"edge"``,
    ``"reflect"``, ``"symmetric"`` or ``"wrap"``. The other NumPy modes raise
    NotImplementedError.

    Examples
    --------
    >>> import chainrule as cr
    >>> cr.pad(cr.tensor([1.0, 2.0, 3.0]), (2, 1), mode="reflect")
    tensor([3., 2., 1., 2., 3., 2.])
    """
    Tensor = _function._Tensor

    shape = np.shape(x)
    widths = _pad_widths(pad_width, shape)
    if isinstance(constant_values, Tensor):
        if constant_values.requires_grad:
            raise TypeError(
                "pad: constant_values requires grad, but pad treats it as a "
                "constant; pad with 0 and add the constant times a mask instead"
            )
        constant_values = constant_values.data
    if mode == "constant":
        return Pad.apply(x, widths, constant_values)

    if mode in _GATHER_MODES:
        if np.any(np.asarray(constant_values) != 0):
            raise ValueError(
                f"pad: constant_values is only used by mode='constant', not "
                f"mode={mode!r}; drop it or use mode='constant'"
            )
        return _pad_by_gather(x, widths, mode, shape)
    if mode in _UNSUPPORTED_MODES or callable(mode):
        raise NotImplementedError(
            f"pad: mode={mode!r} is not implemented; use mode='constant', "
            f"{', '.join(repr(m) for m in _GATHER_MODES)}, or build the padding "
            "from chainrule ops (e.g. 'mean': concatenate x with "
            "x.mean(axis, keepdims=True) broadcast to the pad width)"
        )
    raise ValueError(
        f"pad: unknown mode {mode!r}; use 'constant' or one of "
        f"{', '.join(repr(m) for m in _GATHER_MODES)}"
    )


def _pad_by_gather(
    x: Any, widths: tuple[tuple[int, int], ...], mode: str, shape: tuple[int, ...]
) -> Any:
    from chainrule.ops.indexing import getitem

    out = x
    for axis, ((before, after), length) in enumerate(zip(widths, shape, strict=True)):
        if before == after == 0:
            continue
        if length == 0:
            raise ShapeError(
                f"pad: mode={mode!r} cannot pad axis {axis} of a tensor of shape "
                f"{shape}: the axis is empty, so there are no values to repeat; "
                "use mode='constant'"
            )
        # NOTE: padding the positions 0..n-1 with the same mode tells, for
        # every output position, which input position it copies.
        gather_mode: Any = mode
        source = np.pad(np.arange(length), (before, after), mode=gather_mode)
        out = getitem(out, (*(slice(None),) * axis, source))
    return out if out is not x else getitem(x, ...)


def _pad_widths(pad_width: Any, shape: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """NumPy's forms of pad_width as one (before, after) pair per axis."""
    ndim = len(shape)
    if isinstance(pad_width, dict):
        pairs = [(0, 0)] * ndim
        for axis, width in pad_width.items():
            a = normalize_axis("pad", axis, ndim)
            before, after = _pad_widths(width, (1,))[0]
            pairs[a] = (before, after)
        return tuple(pairs)

    widths = np.asarray(pad_width)
    if widths.size and widths.dtype.kind not in "iu":
        raise TypeError(
            f"pad: pad_width must hold ints, got {pad_width!r} ({widths.dtype})"
        )
    try:
        pairs_array = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        raise ShapeError(
            f"pad: pad_width {pad_width!r} does not fit a tensor of shape {shape}; "
            f"give n, (before, after), or {ndim} (before, after) pairs, one per "
            "axis"
        ) from None
    if np.any(pairs_array < 0):
        raise ShapeError(
            f"pad: pad_width {pad_width!r} for a tensor of shape {shape} has a "
            "negative width; widths count values added, so they must be >= 0 "
            "(slice the tensor to remove values)"
        )
    return tuple((int(before), int(after)) for before, after in pairs_array)
