"""``saved_memory``: what the computational graph holds for backward.

The source text: to compute the weight gradients, the forward pass keeps
each layer's values until the backward pass has used them. In chainrule
that is what each node saved with ``save_for_backward``. The report lists,
node by node in the order they ran, the saved arrays with shape, dtype and
bytes, says whether each was an input of the op, its output or a constant
(a mask), and totals the bytes, counting an array saved by several nodes
once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.autograd.engine import _count_dependencies
from chainrule.monitor._format import table
from chainrule.tensor import Tensor


@dataclass(frozen=True)
class SavedArray:
    """One array a node keeps for its backward.

    ``role`` is ``"input"``, ``"output"`` or ``"constant"`` (neither: a mask,
    a shift). ``shared_with`` is the index of an earlier node that saved the
    same array (its bytes are counted there), else None. ``view`` is True
    for a view of another array (``x @ w.T`` saves ``w.T``):
    it keeps its base alive rather than memory of its own.
    """

    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    role: str
    shared_with: int | None = None
    view: bool = False


@dataclass(frozen=True)
class NodeMemory:
    """One node of the graph: its op, place and saved arrays.

    ``index`` is the node's place in forward order (0 ran first). ``freed``
    is True once a backward has released what it saved.
    """

    index: int
    op: str
    saved: tuple[SavedArray, ...]
    freed: bool = False

    @property
    def nbytes(self) -> int:
        """Bytes this node adds: its saved arrays not counted at another node."""
        return sum(a.nbytes for a in self.saved if a.shared_with is None)


@dataclass(frozen=True)
class MemoryReport:
    """The saved arrays of a graph, node by node: ``print()`` it for a table."""

    nodes: tuple[NodeMemory, ...]

    @property
    def total_bytes(self) -> int:
        """Bytes of all distinct saved arrays."""
        return sum(node.nbytes for node in self.nodes)

    @property
    def view_bytes(self) -> int:
        """Of ``total_bytes``, those of views (a transposed weight): memory
        of another array, such as a parameter, that lives on without the graph."""
        return sum(
            a.nbytes
            for node in self.nodes
            for a in node.saved
            if a.view and a.shared_with is None
        )

    def by_op(self) -> dict[str, int]:
        """Bytes per op type, largest first."""
        totals: Counter[str] = Counter()
        for node in self.nodes:
            totals[node.op] += node.nbytes
        return dict(totals.most_common())

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_bytes": self.total_bytes,
            "view_bytes": self.view_bytes,
            "nodes": [
                {
                    "index": n.index,
                    "op": n.op,
                    "freed": n.freed,
                    "nbytes": n.nbytes,
                    "saved": [
                        {
                            "shape": list(a.shape),
                            "dtype": a.dtype,
                            "nbytes": a.nbytes,
                            "role": a.role,
                            "shared_with": a.shared_with,
                            "view": a.view,
                        }
                        for a in n.saved
                    ],
                }
                for n in self.nodes
            ],
        }

    def __str__(self) -> str:
        rows = []
        for node in self.nodes:
            if node.freed:
                rows.append(
                    [str(node.index), node.op, "(freed by backward)", "", "", ""]
                )
            elif not node.saved:
                rows.append([str(node.index), node.op, "-", "", "", "0"])
            for a in node.saved:
                shared = "" if a.shared_with is None else f" (= #{a.shared_with})"
                view = " (view)" if a.view else ""
                rows.append(
                    [
                        str(node.index),
                        node.op,
                        a.role + view + shared,
                        str(a.shape),
                        a.dtype,
                        "0" if a.shared_with is not None else f"{a.nbytes:,}",
                    ]
                )
        arrays = sum(a.shared_with is None for n in self.nodes for a in n.saved)
        views = ""
        if self.view_bytes:
            views = f" ({_human(self.view_bytes)} of it views of other arrays)"
        lines = [
            f"saved for backward: {len(self.nodes)} nodes, {arrays} distinct "
            f"arrays, {_human(self.total_bytes)}{views}",
            table(["#", "op", "saved", "shape", "dtype", "bytes"], rows, "llllll"),
        ]
        if self.nodes:
            lines.append(
                "by op: "
                + ", ".join(f"{op} {_human(b)}" for op, b in self.by_op().items() if b)
            )
        return "\n".join(lines)


def saved_memory(output: Tensor) -> MemoryReport:
    """List what every node of ``output``'s graph keeps for backward.

    Walks the graph from ``output`` (iteratively: any depth) and reports
    each node's saved arrays with shape, dtype, bytes and role, and the
    total, counting an array saved by several nodes once.

    Examples
    --------
    >>> import chainrule as cr
    >>> x = cr.ones(4, 3)
    >>> w = cr.ones(3, 2, requires_grad=True)
    >>> y = cr.tanh(x @ w)
    >>> report = saved_memory(y)
    >>> [(n.op, [a.role for a in n.saved]) for n in report.nodes]
    [('MatMul', ['input', 'input']), ('Tanh', ['output'])]
    >>> report.total_bytes == x.data.nbytes + w.data.nbytes + y.data.nbytes
    True
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"saved_memory: expected a Tensor, got {type(output).__name__}")
    root = output.grad_fn
    if root is None:
        return MemoryReport(())

    order = _topological(root)
    order.reverse()
    first_seen: dict[int, int] = {}
    nodes = []
    for index, node in enumerate(order):
        saved_values = node._saved
        saved = []
        for value in saved_values or ():
            if not isinstance(value, (np.ndarray, np.generic)):
                continue
            key = id(value)
            saved.append(
                SavedArray(
                    shape=tuple(np.shape(value)),
                    dtype=str(value.dtype),
                    nbytes=int(value.nbytes),
                    role=_role(node, key),
                    shared_with=first_seen.get(key),
                    view=isinstance(value, np.ndarray) and value.base is not None,
                )
            )
            first_seen.setdefault(key, index)
        freed = saved_values is None and bool(getattr(node, "_released", False))
        nodes.append(NodeMemory(index, type(node).__name__, tuple(saved), freed))
    return MemoryReport(tuple(nodes))


def _topological(root: Any) -> list[Any]:
    """The nodes reachable from ``root``, each after every node that uses it."""
    remaining = _count_dependencies([root])
    ready, order = [root], []
    while ready:
        node = ready.pop()
        order.append(node)
        for edge in node.edges:
            if edge is None or edge[1] < 0:
                continue
            target = edge[0]
            remaining[target] -= 1
            if not remaining[target]:
                ready.append(target)
    return order


def _role(node: Any, key: int) -> str:
    ids = getattr(node, "_saved_ids", ())
    if key not in ids:
        return "constant"
    return "input" if ids.index(key) < len(node.edges) else "output"


def _human(nbytes: int) -> str:
    if nbytes < 1000:
        return f"{nbytes} B"
    size = nbytes / 1000
    for unit in ("kB", "MB"):
        if size < 1000:
            return f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
