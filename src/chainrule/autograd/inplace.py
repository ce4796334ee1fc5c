"""Noticing in-place writes to arrays the graph saved for backward.

A node keeps the arrays its backward needs (``save_for_backward``), not
copies. If one of them is changed in place between the forward pass and the
backward pass (``c *= 10`` on a constant the graph multiplied by, an
optimizer step before ``backward()``), the backward would use the new values
and return a wrong gradient without a word. PyTorch refuses such a backward
with its version counters; chainrule refuses it too, more cheaply:

- every in-place write through chainrule (a Tensor's ``+=``, ``-=``, ``*=``,
  ``/=``, an optimizer's step) calls :func:`note_write`, which bumps one
  global count and remembers, for the memory written (the array, or the base
  of a view), the count of its last write;
- a node that saves values remembers the count when it was made
  (``Function._write_mark``);
- before a backward moves any gradient, the engine compares each node's mark
  with the count. Only if writes happened since does it look at the node's
  saved arrays and raise :class:`~chainrule.errors.BackwardError` for one
  written after the node saved it.

A backward with no in-place write since its forward pays one integer
comparison per node. Writes that bypass chainrule (``t.data[...] = v``,
NumPy on ``t.numpy()``) are not seen, as PyTorch does not see writes to
``.data``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.errors import BackwardError


class _Writes:
    # count: in-place writes through chainrule so far. last: for the memory
    # of each written array (keyed by the id of the array that owns it), the
    # count at its last write.
    count = 0
    last: dict[int, int] = {}  # noqa: RUF012 (one per process, by design)


writes = _Writes()

# NOTE: ids of freed arrays are reused, so an entry may outlive its array. It
# cannot raise a false alarm: an array saved after the stale write has a mark
# at least that write's count, and only later writes count against it. The
# table is trimmed to its newest half when it grows past this size, which
# only loses writes older than the newest few thousand.
_LIMIT = 4096


def note_write(array: Any) -> None:
    """Record that ``array`` (or the memory it views) was written in place."""
    writes.count += 1
    writes.last[id(_owner(array))] = writes.count
    if len(writes.last) > _LIMIT:
        newest = sorted(writes.last.items(), key=lambda item: item[1])
        writes.last = dict(newest[len(newest) // 2 :])


def check_saved(node: Any) -> None:
    """Raise if an array ``node`` saved was written in place after it saved it."""
    mark = node._write_mark
    for k, value in enumerate(node._saved or ()):
        if not isinstance(value, np.ndarray):
            continue
        written = writes.last.get(id(_owner(value)), 0)
        if written > mark:
            raise BackwardError(
                f"{type(node).__name__}: saved value {k} (shape {value.shape}) "
                "was changed in place after the forward pass that saved it "
                "(by +=, -=, *=, /= on a tensor, or an optimizer step), so "
                "backward would use the new values and give a wrong gradient. "
                "Call backward() before changing it, or write the change out "
                "of place (x = x * 10); no gradient was changed"
            )


def _owner(array: Any) -> Any:
    # NOTE: NumPy points a view's .base at the array that owns the memory
    # (views of views collapse), so one step finds it. A write through a view
    # counts for every view of the same memory, as PyTorch's shared version
    # counters do.
    base = getattr(array, "base", None)
    return base if isinstance(base, np.ndarray) else array
