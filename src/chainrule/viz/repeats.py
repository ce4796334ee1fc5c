"""Runs of identical layers, collapsed into one box: a deep model stays drawable.

A 300-layer ``Sequential`` is a chain of the same few layers again and
again. In a chain (each op or layer takes the value the one before it made,
and its own weights), layers are *the same* when they are the same kind,
their weights have the same shapes and their outputs the same shape. A
block of such layers repeated at least ``MIN_REPEATS`` times keeps its first
and last repetition, and the ones between become one box, "Linear+Tanh
×296", that names the layers it stands for. The gradient norms of the
edges into and out of that box are those of the layers it replaces.

Plain data in, plain data out: a :class:`Graph` becomes a smaller one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from chainrule.viz.structure import Edge, Graph, Node

# The longest block of layers looked for (Linear, BatchNorm, ReLU, Dropout: 4).
MAX_PERIOD = 4
# A block is collapsed when it repeats at least this often: the first and last
# repetitions stay, and at least two go into the box.
MIN_REPEATS = 4

_OPERATORS = ("op", "module")


@dataclass
class _Step:
    """One op or layer of a chain: what it owns, and what it hands on."""

    node: Node
    own: list[str]  # the leaves only it uses (its weights)
    input: str  # the value it takes from the step before
    output: str  # the value it makes


def collapse_repeats(graph: Graph) -> Graph:
    """``graph`` with each long run of identical layers drawn as one box."""
    structure = _Structure(graph)
    runs = [run for chain in structure.chains() for run in _runs(chain, structure)]
    if not runs:
        return graph

    removed: set[str] = set()
    boxes: dict[str, Node] = {}  # the first collapsed step's id -> the box
    edges: dict[str, list[Edge]] = {}  # the box's id -> its edges
    for block, repeats, steps in runs:
        box, box_edges = _box(block, repeats, steps, structure)
        boxes[box.id] = box
        edges[box.id] = box_edges
        for step in steps:
            removed.add(step.node.id)
            removed.update(step.own)
            removed.add(step.output)
        removed.discard(steps[-1].output)

    nodes = []
    for node in graph.nodes:
        if node.id in boxes:
            nodes.append(boxes[node.id])
        elif node.id not in removed:
            nodes.append(node)
    kept = [
        e for e in graph.edges if e.source not in removed and e.target not in removed
    ]
    for box_edges in edges.values():
        kept.extend(box_edges)
    return replace(graph, nodes=tuple(nodes), edges=tuple(kept))


class _Structure:
    """The forward edges of a graph as adjacency, and its chains of steps."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.by_id = {node.id: node for node in graph.nodes}
        self.users: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
        self.inputs: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
        for edge in graph.edges:
            if edge.direction == "forward":
                self.users[edge.source].append(edge.target)
                self.inputs[edge.target].append(edge.source)
        self.backward = {
            (e.source, e.target): e for e in graph.edges if e.direction == "backward"
        }

    def step(self, node: Node) -> _Step | None:
        """``node`` as a step of a chain: one value in, its own leaves, one out."""
        own = [
            i
            for i in self.inputs[node.id]
            if not self.inputs[i] and self.users[i] == [node.id]
        ]
        shared = [i for i in self.inputs[node.id] if i not in own]
        data = [i for i in own if self.by_id[i].kind == "data"]
        if not shared and len(data) == 1:
            # The first step of a chain takes its input leaf, not as its own.
            shared, own = data, [i for i in own if i not in data]
        outputs = self.users[node.id]
        if len(shared) != 1 or len(outputs) != 1:
            return None
        return _Step(node, own, shared[0], outputs[0])

    def chains(self) -> list[list[_Step]]:
        """Maximal chains: each step uses the value the step before made, alone."""
        steps = {}
        for node in self.graph.nodes:
            if node.kind in _OPERATORS:
                step = self.step(node)
                if step is not None:
                    steps[node.id] = step
        after: dict[str, _Step] = {}
        for step in steps.values():
            value = step.output
            users = self.users[value]
            if len(users) == 1 and users[0] in steps:
                after[step.node.id] = steps[users[0]]
        followers = {s.node.id for s in after.values()}
        chains = []
        for step in steps.values():
            if step.node.id in followers:
                continue
            chain = [step]
            while chain[-1].node.id in after:
                chain.append(after[chain[-1].node.id])
            chains.append(chain)
        return chains

    def signature(self, step: _Step) -> tuple[object, ...]:
        """What makes two steps the same layer: kind, weight and output shapes."""
        own = tuple((self.by_id[i].kind, self.by_id[i].shape) for i in sorted(step.own))
        return step.node.kind, _class(step.node), own, self.by_id[step.output].shape


def _runs(
    chain: list[_Step], structure: _Structure
) -> list[tuple[list[_Step], int, list[_Step]]]:
    """(one block, how often it repeats, the steps to collapse) per long run.

    From the start of the chain, the longest stretch that one block of up
    to ``MAX_PERIOD`` steps repeats is taken (the shorter block on a tie),
    beginning at a step with weights of its own where the block has one;
    then the search goes on after it.
    """
    signatures = [structure.signature(step) for step in chain]
    runs = []
    i = 0
    while i < len(chain):
        best: tuple[int, int] | None = None
        for period in range(1, MAX_PERIOD + 1):
            block = signatures[i : i + period]
            if len(block) < period:
                break
            repeats = 1
            while (
                signatures[i + repeats * period : i + (repeats + 1) * period] == block
            ):
                repeats += 1
            if repeats >= MIN_REPEATS and (
                best is None or repeats * period > best[0] * best[1]
            ):
                best = (period, repeats)
        if best is None:
            i += 1
            continue
        period, repeats = best
        # NOTE: a block reads as layers when it starts at one with weights
        # ("Linear+Tanh", not "Tanh+Linear"): start the run there.
        weighted = [j for j in range(period) if chain[i + j].own]
        if weighted and weighted[0] > 0:
            i += weighted[0]
            continue
        middle = chain[i + period : i + (repeats - 1) * period]
        runs.append((chain[i : i + period], repeats - 2, middle))
        i += period * repeats
    return runs


def _box(
    block: Sequence[_Step], count: int, steps: list[_Step], structure: _Structure
) -> tuple[Node, list[Edge]]:
    """The box standing for ``steps`` (``count`` times ``block``), and its edges."""
    kinds = "+".join(_class(step.node) for step in block)
    label = f"{kinds} ×{count}"
    first, last = steps[0].node, steps[-1].node
    name = None
    if first.kind == "module" and first.name and last.name:
        name = f"{first.name}–{last.name}"
        label += f"\nlayers {name}"
    box = Node(first.id, "repeat", label, name=name)

    value_in, value_out = steps[0].input, steps[-1].output
    back_in = structure.backward.get((first.id, value_in))
    back_out = structure.backward.get((value_out, last.id))
    edges = [
        Edge(value_in, box.id, "forward"),
        Edge(box.id, value_out, "forward"),
    ]
    # The dashed edges keep the gradients of the edges they stand for: the
    # data gradient at the run's output, and what its first layer sent back.
    if back_in is not None:
        edges.append(replace(back_in, source=box.id))
    if back_out is not None:
        edges.append(replace(back_out, target=box.id))
    return box, edges


def _class(node: Node) -> str:
    """The op, or the layer's class: the label's first word ("Linear 2")."""
    return node.label.split(" ")[0] if node.label else ""
