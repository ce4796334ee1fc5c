"""Specs of the shape operations.

Where PyTorch names or cuts differently, the reference translates to NumPy's
meaning: ``expand_dims`` is a run of ``unsqueeze``, ``split`` is
``tensor_split`` (cut positions, not chunk lengths), and the pad modes are
``replicate`` (edge), ``reflect``, ``circular`` (wrap), applied one axis at a
time; PyTorch has no ``symmetric`` mode, so it is built from flips.
"""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

import chainrule as cr
from tests.ops.harness import Case, OpSpec, array

# Axis lengths that make squeezing, broadcasting and empty tensors likely.
SIDES = st.sampled_from([1, 2, 1, 3, 0])


def shape_of(draw, min_dims: int = 0, max_dims: int = 3) -> tuple[int, ...]:
    return tuple(draw(st.lists(SIDES, min_size=min_dims, max_size=max_dims)))


def reshape_case(draw) -> Case:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    x = array(draw, RESHAPE, 0, shape)
    target = draw(st.permutations(list(shape))).copy() if shape else []
    if target and draw(st.booleans()) and x.size:
        target[draw(st.integers(0, len(target) - 1))] = -1
    return Case([x, tuple(target)], [True, False])


def transpose_case(draw) -> Case:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
    x = array(draw, TRANSPOSE, 0, shape)
    axes = draw(st.permutations(list(range(len(shape)))))
    return Case([x, tuple(axes)], [True, False])


def squeeze_case(draw) -> Case:
    shape = shape_of(draw, 0, 4)
    x = array(draw, SQUEEZE, 0, shape)
    ones = [a for a, n in enumerate(shape) if n == 1]
    choice = draw(st.sampled_from(["all", "one", "some"]))
    if choice == "all" or not ones:
        axis = None
    elif choice == "one":
        axis = draw(st.sampled_from(ones)) - draw(st.sampled_from([0, len(shape)]))
    else:
        axis = tuple(draw(st.lists(st.sampled_from(ones), unique=True)))
    return Case([x, axis], [True, False])


def reference_squeeze(x, axis):
    if axis is None:
        return torch.squeeze(x)
    if axis == ():
        return x * 1
    return torch.squeeze(x, axis)


def expand_dims_case(draw) -> Case:
    shape = shape_of(draw, 0, 3)
    x = array(draw, EXPAND_DIMS, 0, shape)
    count = draw(st.integers(1, 2))
    ndim = len(shape) + count
    axes = draw(
        st.lists(st.integers(0, ndim - 1), min_size=count, max_size=count, unique=True)
    )
    axes = [a - ndim if draw(st.booleans()) else a for a in axes]
    axis = axes[0] if count == 1 and draw(st.booleans()) else tuple(axes)
    return Case([x, axis], [True, False])


def reference_expand_dims(x, axis):
    axes = axis if isinstance(axis, tuple) else (axis,)
    ndim = x.ndim + len(axes)
    for a in sorted(a % ndim for a in axes):
        x = x.unsqueeze(a)
    return x


def unsqueeze_case(draw) -> Case:
    shape = shape_of(draw, 0, 3)
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    return Case([array(draw, UNSQUEEZE, 0, shape), axis], [True, False])


def expand_case(draw) -> Case:
    shape = shape_of(draw, 0, 3)
    lead = tuple(draw(st.lists(SIDES, max_size=2)))
    target = list(lead)
    for n in shape:
        target.append(draw(st.sampled_from([1, 3, -1] if n == 1 else [n, -1])))
    return Case([array(draw, EXPAND, 0, shape), tuple(target)], [True, False])


def broadcast_to_case(draw) -> Case:
    case = expand_case(draw)
    x, target = case.args
    lead = len(target) - x.ndim
    resolved = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(target))
    return Case([x, resolved], [True, False])


def flatten_case(draw) -> Case:
    shape = shape_of(draw, 0, 4)
    ndim = max(len(shape), 1)
    start = draw(st.integers(0, ndim - 1))
    end = draw(st.integers(start, ndim - 1))
    start -= ndim if draw(st.booleans()) else 0
    end -= ndim if draw(st.booleans()) else 0
    return Case([array(draw, FLATTEN, 0, shape), start, end], [True, False, False])


def moveaxis_case(draw) -> Case:
    shape = shape_of(draw, 1, 4)
    ndim = len(shape)
    count = draw(st.integers(1, ndim))
    axes = st.lists(
        st.integers(0, ndim - 1), min_size=count, max_size=count, unique=True
    )
    source, destination = draw(axes), draw(axes)
    if count == 1 and draw(st.booleans()):
        return Case(
            [array(draw, MOVEAXIS, 0, shape), source[0], destination[0] - ndim],
            [True, False, False],
        )
    return Case(
        [array(draw, MOVEAXIS, 0, shape), tuple(source), tuple(destination)],
        [True, False, False],
    )


def swapaxes_case(draw) -> Case:
    shape = shape_of(draw, 1, 4)
    axes = st.integers(-len(shape), len(shape) - 1)
    return Case(
        [array(draw, SWAPAXES, 0, shape), draw(axes), draw(axes)], [True, False, False]
    )


# --- joining -------------------------------------------------------------------


def joined(op):
    """``op`` on a list, with the inputs that need no gradient as plain arrays.

    That checks that tensors and ndarrays mix, and that only tensors get
    gradients. The arrays take the tensors' dtype, so the float32 check sees
    float32 throughout (mixed dtypes promote as in NumPy: test_shape.py).
    """

    def call(*xs, **options):
        dtype = next((x.dtype for x in xs if x.requires_grad), None)
        items = [x if x.requires_grad else x.data.astype(dtype) for x in xs]
        return op(items, **options)

    return call


def some_differentiable(draw, count: int) -> list[bool]:
    flags = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    flags[draw(st.integers(0, count - 1))] = True
    return flags


def concatenate_case(draw) -> Case:
    count = draw(st.integers(1, 3))
    if draw(st.integers(0, 5)) == 0:
        shapes = [shape_of(draw, 0, 2) for _ in range(count)]
        axis = None
    else:
        shape = shape_of(draw, 1, 3)
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        shapes = []
        for _ in range(count):
            s = list(shape)
            s[axis] = draw(st.integers(0, 3))
            shapes.append(tuple(s))
    xs = [array(draw, CONCATENATE, 0, s) for s in shapes]
    return Case(xs, some_differentiable(draw, count), {"axis": axis})


def reference_concatenate(*xs, axis):
    if axis is None:
        return torch.cat([x.reshape(-1) for x in xs])
    return torch.cat(xs, dim=axis)


def stack_case(draw) -> Case:
    count = draw(st.integers(1, 3))
    shape = shape_of(draw, 0, 3)
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    xs = [array(draw, STACK, 0, shape) for _ in range(count)]
    return Case(xs, some_differentiable(draw, count), {"axis": axis})


def split_case(draw) -> Case:
    shape = list(shape_of(draw, 1, 3))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    shape[axis] = draw(st.integers(0, 6))
    length = shape[axis]
    if draw(st.booleans()):
        divisors = [k for k in range(1, 4) if length % k == 0]
        sections = draw(st.sampled_from(divisors))
    else:
        cut = st.integers(-length - 1, length + 2)
        sections = draw(st.lists(cut, max_size=3))
        if draw(st.booleans()):
            sections.sort()
    x = array(draw, SPLIT, 0, tuple(shape))
    return Case([x, sections, axis], [True, False, False])


# --- padding -------------------------------------------------------------------

# The largest width each mode takes in PyTorch, for an axis of length n.
PAD_LIMIT = {
    "constant": lambda n: 3,
    "edge": lambda n: 3,
    "reflect": lambda n: n - 1,
    "symmetric": lambda n: n,
    "wrap": lambda n: n,
}


def pad_case(draw) -> Case:
    mode = draw(st.sampled_from(sorted(PAD_LIMIT)))
    if mode == "constant":
        shape = shape_of(draw, 0, 3)
    else:
        shape = tuple(draw(st.lists(st.integers(1, 4), max_size=3)))
    limit = min((PAD_LIMIT[mode](n) for n in shape), default=3)
    width = st.integers(0, max(limit, 0))
    form = draw(st.sampled_from(["int", "single", "pair", "pairs", "dict"]))
    if not shape:
        form = "int"
    if form == "int":
        pad_width = draw(width)
    elif form == "single":
        pad_width = (draw(width),)
    elif form == "pair":
        pad_width = (draw(width), draw(width))
    else:
        pairs = [
            (
                draw(st.integers(0, PAD_LIMIT[mode](n))),
                draw(st.integers(0, PAD_LIMIT[mode](n))),
            )
            for n in shape
        ]
        pad_width = tuple(pairs)
        if form == "dict":
            pad_width = {a - len(shape): p for a, p in enumerate(pairs) if any(p)}
    options = {"mode": mode}
    if mode == "constant" and draw(st.booleans()):
        options["constant_values"] = draw(st.floats(-2.0, 2.0))
    x = array(draw, PAD, 0, shape)
    return Case([x, pad_width], [True, False], options)


def pad_pairs(pad_width, ndim: int) -> list[tuple[int, int]]:
    """NumPy's pad_width forms, read as the NumPy documentation states them."""
    if isinstance(pad_width, dict):
        pairs = [(0, 0)] * ndim
        for axis, pair in pad_width.items():
            pairs[axis % ndim] = pair
        return pairs
    return [tuple(p) for p in np.broadcast_to(np.asarray(pad_width), (ndim, 2))]


TORCH_PAD_MODES = {"edge": "replicate", "reflect": "reflect", "wrap": "circular"}


def reference_pad(x, pad_width, mode="constant", constant_values=0.0):
    pairs = pad_pairs(pad_width, x.ndim)
    if mode == "constant":
        flat = [int(w) for pair in reversed(pairs) for w in pair]
        return F.pad(x, flat, value=constant_values)
    for axis, (before, after) in enumerate(pairs):
        before, after = int(before), int(after)
        if before == after == 0:
            continue
        moved = x.movedim(axis, -1)
        lead, n = moved.shape[:-1], moved.shape[-1]
        rows = moved.reshape(1, math.prod(lead), n)
        if mode == "symmetric":
            left = rows[..., :before].flip(-1)
            right = rows[..., n - after :].flip(-1)
            rows = torch.cat([left, rows, right], dim=-1)
        else:
            rows = F.pad(rows, (before, after), mode=TORCH_PAD_MODES[mode])
        x = rows.reshape(*lead, n + before + after).movedim(-1, axis)
    return x


RESHAPE = OpSpec("reshape", cr.reshape, torch.reshape, inputs=reshape_case)
TRANSPOSE = OpSpec(
    "transpose", cr.transpose, lambda x, axes: x.permute(axes), inputs=transpose_case
)
PERMUTE = OpSpec(
    "permute",
    lambda x, axes: cr.permute(x, *axes),
    lambda x, axes: x.permute(axes),
    inputs=transpose_case,
)
SQUEEZE = OpSpec("squeeze", cr.squeeze, reference_squeeze, inputs=squeeze_case)
EXPAND_DIMS = OpSpec(
    "expand_dims", cr.expand_dims, reference_expand_dims, inputs=expand_dims_case
)
UNSQUEEZE = OpSpec("unsqueeze", cr.unsqueeze, torch.unsqueeze, inputs=unsqueeze_case)
EXPAND = OpSpec(
    "expand",
    lambda x, shape: cr.expand(x, *shape),
    lambda x, shape: x.expand(shape),
    inputs=expand_case,
)
BROADCAST_TO = OpSpec(
    "broadcast_to", cr.broadcast_to, torch.broadcast_to, inputs=broadcast_to_case
)
FLATTEN = OpSpec("flatten", cr.flatten, torch.flatten, inputs=flatten_case)
MOVEAXIS = OpSpec("moveaxis", cr.moveaxis, torch.movedim, inputs=moveaxis_case)
SWAPAXES = OpSpec("swapaxes", cr.swapaxes, torch.swapaxes, inputs=swapaxes_case)
CONCATENATE = OpSpec(
    "concatenate",
    joined(cr.concatenate),
    reference_concatenate,
    inputs=concatenate_case,
)
STACK = OpSpec(
    "stack",
    joined(cr.stack),
    lambda *xs, axis: torch.stack(xs, dim=axis),
    inputs=stack_case,
)
SPLIT = OpSpec(
    "split",
    cr.split,
    lambda x, sections, axis: torch.tensor_split(x, sections, dim=axis),
    inputs=split_case,
)
PAD = OpSpec("pad", cr.pad, reference_pad, inputs=pad_case)

SPECS = [
    RESHAPE,
    TRANSPOSE,
    PERMUTE,
    OpSpec(
        "T",
        lambda x: x.T,
        lambda x: x.permute(tuple(reversed(range(x.ndim)))),
        shapes=lambda: st.tuples(
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
        ),
    ),
    SQUEEZE,
    EXPAND_DIMS,
    UNSQUEEZE,
    EXPAND,
    BROADCAST_TO,
    FLATTEN,
    OpSpec("ravel", cr.ravel, torch.ravel),
    MOVEAXIS,
    SWAPAXES,
    CONCATENATE,
    STACK,
    SPLIT,
    PAD,
]
