"""Indexing: ``x[index]`` with NumPy's rules, and the scatter-add that undoes it.

An index holds ints (negative ones count from the end), slices (any step,
negative too), None (a new axis of length 1), at most one Ellipsis, boolean
masks and integer arrays (NumPy arrays, lists or Tensors), in any mix NumPy
accepts; ints, slices, None and Ellipsis alone make *basic* indexing, arrays
make it *advanced*.

The gradient of ``y = x[index]`` puts each element of the incoming gradient
back where it was read from, adding where an integer array read one element
more than once. That scatter-add is itself an op (:class:`ScatterAdd`) whose
gradient is the gather ``grad[index]``, so indexing differentiates any number
of times.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.autograd import function as _function
from chainrule.autograd.function import Function
from chainrule.errors import IndexingError, ShapeError


class GetItem(Function):
    """x[index].  d/dx scatters grad back to the positions read, adding repeats."""

    def forward(self, x: Any, index: tuple[Any, ...], repeats: bool) -> Any:
        x = np.asarray(x)
        self.shape = x.shape
        self.index = index
        self.repeats = repeats
        try:
            return x[index]
        except IndexError as error:
            raise _index_error("getitem", index, x.shape, error) from None

    def backward(self, grad: Any) -> Any:
        return _scatter_add(grad, self.index, self.shape, self.repeats), None, None


def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` as a differentiable op, with NumPy's indexing rules."""
    index, repeats = _normalize_index(index)
    return GetItem.apply(x, index, repeats)


class ScatterAdd(Function):
    """zeros(shape) with v added at [index].  d/dv = grad[index], the gather."""

    def forward(
        self, values: Any, index: tuple[Any, ...], shape: tuple[int, ...], repeats: bool
    ) -> Any:
        self.index = index
        return _scatter_add_array(values, index, shape, repeats)

    def backward(self, grad: Any) -> Any:
        return grad[self.index], None, None, None


def scatter_add(values: Any, index: Any, shape: Any) -> Any:
    """``zeros(shape)`` with ``values`` added at ``[index]``; repeats accumulate.

    The adjoint of indexing: for ``x`` of ``shape``, ``sum(scatter_add(v,
    index, shape) * x) == sum(v * x[index])``. ``values`` broadcasts to the
    shape of ``x[index]``.

    Examples
    --------
    >>> import chainrule as cr
    >>> cr.scatter_add(cr.tensor([1.0, 2.0, 3.0]), [0, 2, 0], (3,))
    tensor([4., 0., 2.])
    """
    from chainrule.ops.shape import broadcast_to

    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    index, repeats = _normalize_index(index)
    # A zero-strided stand-in for x: indexing it gives the target shape (and
    # the errors of a bad index) without allocating an array of ``shape``.
    stand_in = np.broadcast_to(np.zeros((), dtype=np.int8), shape)
    try:
        target = stand_in[index].shape
    except IndexError as error:
        raise _index_error("scatter_add", index, shape, error) from None
    if np.shape(values) != target:
        try:
            values = broadcast_to(values, target)
        except ShapeError:
            raise ShapeError(
                f"scatter_add: values of shape {np.shape(values)} do not "
                f"broadcast to shape {target}, the shape of x{_describe(index)} "
                f"for x of shape {shape}"
            ) from None
    return ScatterAdd.apply(values, index, shape, repeats)


def _scatter_add(
    values: Any, index: tuple[Any, ...], shape: tuple[int, ...], repeats: bool
) -> Any:
    # In a recorded backward pass the gradient is a Tensor: scatter with the op
    # so the scatter is differentiated too; otherwise plain NumPy.
    Tensor = _function._Tensor

    if isinstance(values, Tensor):
        return ScatterAdd.apply(values, index, shape, repeats)
    return _scatter_add_array(values, index, shape, repeats)


def _scatter_add_array(
    values: Any, index: tuple[Any, ...], shape: tuple[int, ...], repeats: bool
) -> np.ndarray:
    values = np.asarray(values)
    full = np.zeros(shape, dtype=values.dtype)
    if not repeats:
        # NOTE: without integer arrays no position is read twice, so plain
        # assignment is the scatter-add (the fast path for slices and masks).
        full[index] = values
    elif len(shape) == 1:
        np.add.at(full, index, values)
    else:
        # NOTE: np.add.at is quick only when it adds single elements; adding
        # whole rows (x[idx] of a matrix) is 3-6x slower than finding the flat
        # position of every element read and adding element by element.
        positions = _flat_positions(index, shape)
        np.add.at(full.reshape(-1), positions.reshape(-1), values.reshape(-1))
    return full


def _flat_positions(index: tuple[Any, ...], shape: tuple[int, ...]) -> np.ndarray:
    """The flat position in x (of ``shape``) of every element x[index] reads."""
    rows, rest = index[0], index[1:]
    if (
        isinstance(rows, np.ndarray)
        and rows.dtype.kind in "iu"
        and all(
            item is Ellipsis or (isinstance(item, slice) and item == slice(None))
            for item in rest
        )
    ):
        # Rows of x picked by one integer array (an embedding lookup): build
        # the positions from the rows, without an array of the size of x.
        inner = math.prod(shape[1:])
        rows = np.where(rows < 0, rows + shape[0], rows)
        return rows[..., None] * inner + np.arange(inner)
    return np.arange(math.prod(shape)).reshape(shape)[index]


# --- reading an index --------------------------------------------------------------


def _normalize_index(index: Any) -> tuple[tuple[Any, ...], bool]:
    """The index as a tuple NumPy reads the same way, and whether it may repeat.

    Tensors become their data and lists become arrays; arrays are copied, so
    a caller who reuses an index array after the forward pass cannot move
    where the gradient goes. Only an integer array can read an element twice.
    """
    items = index if type(index) is tuple else (index,)
    normalized = tuple(_normalize_item(item) for item in items)
    repeats = any(
        isinstance(item, np.ndarray) and item.dtype.kind in "iu" for item in normalized
    )
    return normalized, repeats


def _normalize_item(item: Any) -> Any:
    Tensor = _function._Tensor

    if isinstance(item, Tensor):
        item = item.data
    elif isinstance(item, list):
        item = np.asarray(_data_of(item))
        if item.size == 0 and item.dtype.kind == "f":
            # NOTE: NumPy reads an empty list as an empty integer index.
            item = item.astype(np.intp)
    if isinstance(item, np.ndarray):
        if item.ndim == 0 and item.dtype.kind in "iu":
            return int(item)
        return item.copy()
    if isinstance(item, slice):
        return slice(*(_data_of(v) for v in (item.start, item.stop, item.step)))
    return item


def _data_of(value: Any) -> Any:
    Tensor = _function._Tensor

    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, list):
        return [_data_of(v) for v in value]
    return value


def _index_error(
    op: str, index: tuple[Any, ...], shape: tuple[int, ...], error: IndexError
) -> IndexingError:
    reason = str(error)
    if "out of bounds" in reason:
        fix = "an index into an axis of length n must lie in -n..n-1"
    elif "only integers" in reason or "must be of integer" in reason:
        fix = (
            "index with ints, slices, None, ..., boolean masks or integer "
            "arrays (cast float indices with .astype(int))"
        )
    elif "single ellipsis" in reason:
        fix = "use at most one ... in an index"
    elif "boolean" in reason:
        fix = "a boolean mask must have the lengths of the axes it indexes"
    elif "too many indices" in reason:
        axes = "axis" if len(shape) == 1 else "axes"
        fix = f"index at most {len(shape)} {axes} (None and ... count for none)"
    else:
        fix = "see NumPy's indexing rules, which chainrule follows"
    return IndexingError(
        f"{op}: index {_describe(index)} does not fit a tensor of shape "
        f"{shape}: {reason}; {fix}"
    )


def _describe(index: tuple[Any, ...]) -> str:
    """An index as it would be written between brackets, arrays abridged."""
    return "[" + ", ".join(_describe_item(item) for item in index) + "]"


def _describe_item(item: Any) -> str:
    if isinstance(item, np.ndarray):
        if item.ndim > 0 and item.size <= 8:
            return str(item.tolist())
        return f"<{item.dtype} array of shape {item.shape}>"
    if isinstance(item, slice):
        start, stop, step = (
            "" if v is None else str(v) for v in (item.start, item.stop, item.step)
        )
        return f"{start}:{stop}" + (f":{step}" if step else "")
    if item is Ellipsis:
        return "..."
    return repr(item)
