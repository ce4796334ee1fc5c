"""The drawing's data: nodes and edges, extracted once, read by every writer.

A :class:`Graph` is plain data (strings, shapes, floats): it keeps no
tensor, node or array alive, and the DOT writer (``viz.dot``) and the
renderers (``viz.render``) are functions of it alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

NodeKind = Literal["data", "weight", "op", "module", "repeat"]
Direction = Literal["forward", "backward"]
Engine = Literal["auto", "graphviz", "matplotlib"]


@dataclass(frozen=True)
class Node:
    """One node of the drawing.

    ``kind`` is ``"data"`` (a value: input, intermediate or output; drawn as a
    rectangle), ``"weight"`` (a parameter; a circle), ``"op"`` (one
    operation; a small ellipse), ``"module"`` (a layer's operations
    collapsed into one rounded box) or ``"repeat"`` (a run of identical
    layers collapsed into one dashed box, see :meth:`Graph.collapse_repeats`).
    ``name`` is the tensor's name, the parameter's module path
    (``0.weight``) or the module's path, where known. ``shape`` is set for
    data and weight nodes.
    """

    id: str
    kind: NodeKind
    label: str
    shape: tuple[int, ...] | None = None
    name: str | None = None

    @property
    def text(self) -> str:
        """What the drawing writes in the node: its label, then its shape."""
        lines = [self.label] if self.label else []
        if self.shape is not None:
            lines.append(str(self.shape))
        return "\n".join(lines)


@dataclass(frozen=True)
class Edge:
    """A forward edge (solid: a value flows into an op) or a backward edge
    (dashed: the gradient flows back). ``grad_norm`` is the L2 norm of the
    gradient a backward edge carries, when it was asked for. ``recorded``
    is False for a backward edge whose norm was asked for from a watched
    backward that did not run its op (``cr.viz.watch`` was given another
    output, or the op was added after it); such an edge is labelled "not
    recorded"."""

    source: str
    target: str
    direction: Direction
    grad_norm: float | None = None
    recorded: bool = True


@dataclass(frozen=True)
class Graph:
    """A computational graph ready to draw: ``to_dot()``, ``save(path)``.

    Made by :func:`chainrule.viz.graph` or :func:`chainrule.viz.draw`.
    ``detail`` is ``"full"`` (every op) or ``"module"`` (a model's layers
    collapsed to one box each). ``grad_norms`` says where the edges' norms
    come from: ``"recorded"`` (your own backward, watched with
    ``cr.viz.watch``), ``"measured"`` (one extra backward pass), or None.
    """

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    detail: Literal["full", "module"]
    grad_norms: Literal["measured", "recorded"] | None = None

    def to_dot(self) -> str:
        """The graph as Graphviz DOT text (needs nothing but chainrule)."""
        from chainrule.viz.dot import to_dot

        return to_dot(self)

    def save(self, path: str | Path, engine: Engine = "auto") -> Path:
        """Write the graph to ``path``; the suffix picks the format.

        ``.dot`` writes the DOT text. ``.svg`` and ``.png`` render it: with
        Graphviz's ``dot`` program if it is on the PATH (``engine="auto"``),
        otherwise with networkx and matplotlib (``pip install
        "chainrule[viz]"``, part of ``chainrule[train]``). ``engine`` forces
        one of the two. Returns the path.
        """
        from chainrule.viz.render import save

        return save(self, Path(path), engine)

    def collapse_repeats(self) -> Graph:
        """This graph with each long run of identical layers as one box.

        In a chain of ops or layers (each taking the value the one before
        made, and its own weights), a block of up to 4 layers repeated 4
        times or more keeps its first and last repetition; the ones between
        become one ``"repeat"`` node, labelled with the block and the count
        (``Linear+Tanh ×296``, and at module level the layers it stands
        for). The renderer without Graphviz does this by itself for a graph
        too large to draw. Returns this graph when nothing repeats.
        """
        from chainrule.viz.repeats import collapse_repeats

        return collapse_repeats(self)

    def node(self, name: str, kind: NodeKind | None = None) -> Node:
        """The first node (of ``kind``, if given) named, or else labelled, ``name``.

        A layer and its output share the module path: ``node("0", "module")``
        is ``Linear 0``, ``node("0", "data")`` the value it returns.
        """
        candidates = [n for n in self.nodes if kind is None or n.kind == kind]
        for node in candidates:
            if node.name == name:
                return node
        for node in candidates:
            if node.label == name:
                return node
        known = sorted({n.name or n.label for n in candidates if n.name or n.label})
        raise KeyError(f"no node named {name!r}; the graph has: {', '.join(known)}")

    def edges_between(
        self, source: Node, target: Node, direction: Direction | None = None
    ) -> list[Edge]:
        """The edges from ``source`` to ``target`` (of one direction, if given)."""
        return [
            e
            for e in self.edges
            if e.source == source.id
            and e.target == target.id
            and (direction is None or e.direction == direction)
        ]

    @property
    def unrecorded(self) -> list[Edge]:
        """The backward edges whose norm was asked for but not recorded."""
        return [e for e in self.edges if not e.recorded]

    def _repr_svg_(self) -> str:
        # Jupyter shows the graph as a picture.
        from chainrule.viz.render import render

        return render(self, "svg", "auto").decode()

    def __repr__(self) -> str:
        counts = Counter(node.kind for node in self.nodes)
        kinds = ", ".join(f"{counts[k]} {k}" for k in _KINDS if counts[k])
        return f"Graph(detail={self.detail!r}: {kinds}; {len(self.edges)} edges)"


_KINDS: tuple[NodeKind, ...] = ("data", "weight", "op", "module", "repeat")
