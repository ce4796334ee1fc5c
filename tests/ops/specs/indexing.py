"""Specs of indexing: ``x[index]`` and its adjoint, ``scatter_add``.

PyTorch indexes like NumPy with two exceptions the reference translates:
it has no negative-step slices (the reference flips that axis and slices
forward), and it reads an int next to an index array as a basic index where
NumPy reads it as an advanced one (the reference passes such ints as
one-element index tensors, which PyTorch then reads the NumPy way).
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
from hypothesis import strategies as st

import chainrule as cr
from tests.ops.harness import Case, OpSpec, array

STYLES = ["basic", "int_array", "two_arrays", "mask", "list", "bare_array"]


def basic_item(draw, n: int):
    """An int, a slice (any step) or a full slice for an axis of length n."""
    kind = draw(st.sampled_from(["int", "slice", "full"] if n else ["slice", "full"]))
    if kind == "int":
        return draw(st.integers(-n, n - 1))
    if kind == "full":
        return slice(None)
    bound = st.none() | st.integers(-n - 2, n + 2)
    step = st.sampled_from([None, 1, 2, 3, -1, -2])
    return slice(draw(bound), draw(bound), draw(step))


def int_array(draw, n: int, shape: tuple[int, ...]) -> np.ndarray:
    """Integer positions into an axis of length n, repeats and negatives welcome."""
    if n == 0:
        shape = (0,)
    return draw(hnp.arrays(np.int64, shape, elements=st.integers(-n, max(n - 1, 0))))


def with_extras(draw, items: list) -> tuple:
    """Sprinkle None (new axes) and maybe an Ellipsis for the trailing axes."""
    items = list(items)
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(items)))
        trailing = [i for i in items[cut:] if i is None]
        items = [*items[:cut], Ellipsis, *trailing]
    return tuple(items)


def index_for(draw, shape: tuple[int, ...]):
    """An index for an array of ``shape``, in one of the styles NumPy reads."""
    ndim = len(shape)
    style = draw(st.sampled_from(STYLES if ndim else ["basic"]))
    if style == "basic":
        count = draw(st.integers(0, ndim))
        items = [basic_item(draw, shape[a]) for a in range(count)]
        return with_extras(draw, items)

    small = hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=4)
    if style in ("list", "bare_array"):
        positions = int_array(draw, shape[0], draw(small))
        if style == "bare_array":
            return positions
        return positions.reshape(-1).tolist() or [0] * bool(shape[0])

    if style == "mask":
        start = draw(st.integers(0, ndim - 1))
        stop = draw(st.integers(start + 1, ndim))
        mask = draw(hnp.arrays(np.bool_, shape[start:stop]))
        items = [basic_item(draw, shape[a]) for a in range(start)]
        return (*items, mask)

    if style == "int_array":
        axis = draw(st.integers(0, ndim - 1))
        items = [basic_item(draw, shape[a]) for a in range(ndim)]
        items[axis] = int_array(draw, shape[axis], draw(small))
        return with_extras(draw, items)

    # two arrays that broadcast together, on adjacent or separated axes
    first = draw(st.integers(0, ndim - 1))
    second = draw(st.integers(first, ndim - 1))
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=2)
    ).input_shapes
    items = [basic_item(draw, shape[a]) for a in range(ndim)]
    items[first] = int_array(draw, shape[first], shapes[0])
    if second != first:
        items[second] = int_array(draw, shape[second], shapes[1])
    try:
        np.empty(shape)[tuple(items)]
    except IndexError:
        # an empty axis forces an empty array that may not broadcast
        items[second] = slice(None)
    return tuple(items)


def getitem_case(draw) -> Case:
    shape = tuple(draw(st.lists(st.sampled_from([3, 1, 2, 4, 0]), max_size=3)))
    x = array(draw, GETITEM, 0, shape)
    return Case([x, index_for(draw, shape)], [True, False])


def torch_index(x, index):
    """``x`` and ``index`` translated so that PyTorch reads them as NumPy does."""
    items = list(index) if isinstance(index, tuple) else [index]
    arrays = [i for i in items if isinstance(i, (np.ndarray, torch.Tensor, list))]
    advanced = any(np.ndim(i) > 0 for i in arrays)

    def axes_used(item) -> int:
        if item is None or item is Ellipsis:
            return 0
        if isinstance(item, np.ndarray) and item.dtype == np.bool_:
            return item.ndim
        if isinstance(item, torch.Tensor) and item.dtype == torch.bool:
            return item.ndim
        return 1

    spare = x.ndim - sum(axes_used(i) for i in items)
    axis, translated = 0, []
    for item in items:
        if item is Ellipsis:
            axis += spare
        elif isinstance(item, slice) and (item.step or 1) < 0:
            n = x.shape[axis]
            start, stop, step = item.indices(n)
            x = x.flip(axis)
            item = slice(n - 1 - start, n - 1 - stop, -step)
        elif isinstance(item, int) and advanced:
            item = torch.tensor([item])
        elif isinstance(item, np.ndarray):
            item = torch.from_numpy(item)
        elif isinstance(item, list):
            item = torch.tensor(item, dtype=torch.long)
        translated.append(item)
        axis += axes_used(item)
    return x, tuple(translated)


def reference_getitem(x, index):
    x, index = torch_index(x, index)
    return x[index]


def scatter_add_case(draw) -> Case:
    case = getitem_case(draw)
    x, index = case.args
    target = x[index].shape
    values = array(draw, SCATTER_ADD, 0, target)
    return Case([values, index, x.shape], [True, False, False])


def reference_scatter_add(values, index, shape):
    """The adjoint of indexing, taken from PyTorch's own indexing backward."""
    x = torch.zeros(shape, dtype=values.dtype, requires_grad=True)
    index = index if not isinstance(index, torch.Tensor) else index.numpy()
    (full,) = torch.autograd.grad(
        reference_getitem(x, index), x, values, create_graph=True
    )
    return full


GETITEM = OpSpec("getitem", cr.getitem, reference_getitem, inputs=getitem_case)
SCATTER_ADD = OpSpec(
    "scatter_add", cr.scatter_add, reference_scatter_add, inputs=scatter_add_case
)
GETITEM_OPERATOR = OpSpec(
    "getitem_operator",
    lambda x, index: x[index],
    reference_getitem,
    inputs=getitem_case,
)

SPECS = [GETITEM, GETITEM_OPERATOR, SCATTER_ADD]
