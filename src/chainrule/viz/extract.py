"""From a live computational graph to the plain :class:`Graph` that is drawn.

Full detail mirrors the graph the engine walks, in the source text's
picture: every op is an op node; every value flowing between ops is a data
node (the engine keeps no intermediate tensor, but each edge knows the
shape of the value it carries); every leaf is a weight node (a Parameter,
or a tensor named in ``params``) or a data node. Forward edges run from
each value into the op that uses it and from each op to what it made; each
has a backward edge the other way, since everything recorded in the graph
needs a gradient. (Inputs that need no gradient are not recorded, so they
do not appear.)

The module level is computed from full detail: the op nodes of one box
(see ``viz.records``) merge into one module node, the values that never
leave a box disappear, and parallel edges merge, adding their gradients.

Every walk is a loop over an explicit stack: any depth draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from chainrule.autograd.function import Function
from chainrule.errors import GraphDrawingError
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor
from chainrule.viz import capture, records
from chainrule.viz.structure import Direction, Edge, Graph, Node, NodeKind

Detail = Literal["full", "module"]
# (source id, target id, direction, the gradient array it carries or None)
_Link = tuple[str, str, Direction, Any]
# The gradient of a backward edge whose op the recorded backward did not run.
_MISSING: Any = object()


def extract(
    output: Tensor,
    model: Module | None = None,
    params: Mapping[str, Tensor] | None = None,
    detail: Detail | None = None,
    grad_norms: bool = False,
) -> Graph:
    """The drawing of ``output``'s graph; see :func:`chainrule.viz.graph`."""
    _check(output, model, detail)
    names = _parameter_names(model, params)

    nodes, leaves, shapes = walk(output)
    recorded = any(records.claim_of(node) is not None for node in nodes)
    if detail == "module" and not recorded:
        raise GraphDrawingError(
            "graph: detail='module' needs to know which module made each op; "
            "run the forward pass inside `with cr.viz.record_modules(model):` "
            "(or draw with cr.viz.draw(model, x)), or pass detail='full'"
        )
    gradients = None
    if grad_norms:
        gradients = capture.recorded(nodes)
        if gradients is None:
            gradients = capture.capture(output, nodes, leaves)

    full = _Full(output, names, gradients)
    full.build(nodes, shapes)
    if detail is None:
        detail = "module" if recorded else "full"
    graph_nodes, links = full.nodes, full.links
    if detail == "module":
        graph_nodes, links = _collapse(full)
    return _finish(graph_nodes, links, detail, gradients)


def _check(output: Any, model: Any, detail: Any) -> None:
    if not isinstance(output, Tensor):
        raise TypeError(f"graph: expected a Tensor, got {type(output).__name__}")
    if model is not None and not isinstance(model, Module):
        raise TypeError(
            f"graph: model must be an nn.Module, got {type(model).__name__}"
        )
    if detail not in (None, "full", "module"):
        raise GraphDrawingError(
            f"graph: detail must be 'module' or 'full', got {detail!r}"
        )
    if not output.requires_grad:
        raise GraphDrawingError(
            "graph: this tensor has no computational graph (it does not require "
            "grad); make an input or weight with requires_grad=True and compute "
            "the output outside no_grad()"
        )


def _parameter_names(
    model: Module | None, params: Mapping[str, Tensor] | None
) -> dict[int, str]:
    """Leaf identity -> the name to show: ``params`` first, then module paths."""
    names: dict[int, str] = {}
    for name, tensor in (params or {}).items():
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"graph: params[{name!r}] is a {type(tensor).__name__}, not a Tensor"
            )
        names[id(tensor)] = name
    if model is not None:
        for name, parameter in model.named_parameters():
            names.setdefault(id(parameter), name)
    return names


def walk(
    output: Tensor,
) -> tuple[list[Function], list[Tensor], dict[tuple[int, int], tuple[int, ...]]]:
    """The nodes in forward order, the leaves, and the shape of each value used.

    A depth-first walk with an explicit stack of (node, its edges still to
    visit); a node is listed when all its inputs are, so inputs come first.
    """
    root = output._node
    if root is None:
        return [], [output], {}
    order: list[Function] = []
    leaves: dict[int, Tensor] = {}
    shapes: dict[tuple[int, int], tuple[int, ...]] = {
        (id(root), output._index): output.shape
    }
    visited = {id(root)}
    stack = [(root, iter(root.edges))]
    while stack:
        node, edges = stack[-1]
        for edge in edges:
            if edge is None:
                continue
            target, index, shape = edge[0], edge[1], edge[2]
            if index < 0:
                leaves.setdefault(id(target), target)
                continue
            shapes[(id(target), index)] = shape
            if id(target) not in visited:
                visited.add(id(target))
                stack.append((target, iter(target.edges)))
                break
        else:
            stack.pop()
            order.append(node)
    return order, list(leaves.values()), shapes


class _Full:
    """The full-detail graph, with what the module level needs to know."""

    def __init__(
        self,
        output: Tensor,
        names: dict[int, str],
        gradients: capture.Gradients | None,
    ) -> None:
        self.output = output
        self.names = names
        self.gradients = gradients
        self.nodes: dict[str, Node] = {}
        self.links: list[_Link] = []
        self.box: dict[str, records.Group] = {}  # op id -> its box
        self.producer: dict[str, str] = {}  # data id -> the op that made it
        self.consumers: dict[str, set[str]] = {}  # data id -> the ops using it
        self.root = ""
        self._count = 0

    def add(self, kind: NodeKind, label: str, **fields: Any) -> str:
        node_id = f"n{self._count}"
        self._count += 1
        self.nodes[node_id] = Node(node_id, kind, label, **fields)
        return node_id

    def build(
        self,
        nodes: list[Function],
        shapes: dict[tuple[int, int], tuple[int, ...]],
    ) -> None:
        # Leaves are added where first used, so nodes stay in forward order.
        leaf_ids: dict[int, str] = {}
        value_ids: dict[tuple[int, int], str] = {}
        used: dict[int, list[int]] = {}
        for key in shapes:
            used.setdefault(key[0], []).append(key[1])

        for node in nodes:
            sources = []
            for k, edge in enumerate(node.edges):
                if edge is None:
                    continue
                target, index = edge[0], edge[1]
                if index >= 0:
                    sources.append((k, value_ids[(id(target), index)]))
                    continue
                if id(target) not in leaf_ids:
                    leaf_ids[id(target)] = self._leaf(target)
                sources.append((k, leaf_ids[id(target)]))
            op = self.add("op", type(node).__name__)
            claim = records.claim_of(node)
            if claim is not None and claim.group is not None:
                self.box[op] = claim.group
            for k, source in sources:
                if self.nodes[source].kind == "data" and source in self.producer:
                    self.consumers.setdefault(source, set()).add(op)
                self._link(source, op, self._grad("input", node, k))
            for index in sorted(used.get(id(node), ())):
                value = self._value(node, index, shapes[(id(node), index)])
                value_ids[(id(node), index)] = value
                self.producer[value] = op
                self._link(op, value, self._grad("output", node, index))

        if self.output._node is None:
            self.root = self._leaf(self.output)
        else:
            self.root = value_ids[(id(self.output._node), self.output._index)]

    def _leaf(self, leaf: Tensor) -> str:
        name = self.names.get(id(leaf)) or leaf.name
        is_weight = isinstance(leaf, Parameter) or id(leaf) in self.names
        kind: NodeKind = "weight" if is_weight else "data"
        return self.add(kind, name or "", shape=leaf.shape, name=name)

    def _value(self, node: Function, index: int, shape: tuple[int, ...]) -> str:
        output = self.output
        name = None
        if output._node is node and output._index == index:
            name = output.name
        name = name or records.output_name(node, index)
        label = name or ""
        if not label and node._n_outputs > 1:
            label = f"output {index}"
        return self.add("data", label, shape=tuple(shape), name=name)

    def _grad(self, side: str, node: Function, k: int) -> Any:
        if self.gradients is None:
            return None
        if not self.gradients.has(node):
            return _MISSING
        if side == "input":
            return self.gradients.into_input(node, k)
        return self.gradients.of_output(node, k)

    def _link(self, source: str, target: str, back: Any) -> None:
        """A forward edge, and the backward edge that carries gradient ``back``."""
        self.links.append((source, target, "forward", None))
        self.links.append((target, source, "backward", back))


def _collapse(full: _Full) -> tuple[dict[str, Node], list[_Link]]:
    """Merge each box's ops into one module node; drop values inside a box."""
    # A box takes the place of its last op: after everything it uses.
    last = {group.id: op for op, group in full.box.items()}
    module_of = {group_id: f"m{k}" for k, group_id in enumerate(last)}
    nodes: dict[str, Node] = {}
    for node_id, node in full.nodes.items():
        group = full.box.get(node_id)
        if group is None:
            if not _inside_box(full, node_id):
                nodes[node_id] = node
        elif last[group.id] == node_id:
            module_id = module_of[group.id]
            nodes[module_id] = Node(module_id, "module", group.label, name=group.path)

    def moved(node_id: str) -> str:
        group = full.box.get(node_id)
        return node_id if group is None else module_of[group.id]

    merged: dict[tuple[str, str, Direction], Any] = {}
    for source, target, direction, grad in full.links:
        key = (moved(source), moved(target), direction)
        if key[0] not in nodes or key[1] not in nodes or key[0] == key[1]:
            continue
        previous = merged.get(key)
        if previous is _MISSING or grad is _MISSING:
            # NOTE: a sum with an unrecorded part is unknown.
            grad = _MISSING
        elif previous is not None and grad is not None:
            # NOTE: two ops of one box using one value: the box sends the
            # sum of their gradients back along the merged edge.
            grad = previous + grad
        merged[key] = grad if grad is not None else previous
    return nodes, [(s, t, d, g) for (s, t, d), g in merged.items()]


def _inside_box(full: _Full, node_id: str) -> bool:
    """A value made and used only inside one box (and not the output)."""
    producer = full.producer.get(node_id)
    if producer is None or node_id == full.root or producer not in full.box:
        return False
    group = full.box[producer].id
    users = full.consumers.get(node_id, set())
    return all(user in full.box and full.box[user].id == group for user in users)


def _finish(
    nodes: dict[str, Node],
    links: list[_Link],
    detail: Detail,
    gradients: capture.Gradients | None,
) -> Graph:
    """Number the nodes n0, n1, ... in forward order; gradients become norms."""
    renamed = {old: f"n{k}" for k, old in enumerate(nodes)}
    final_nodes = tuple(
        Node(renamed[old], n.kind, n.label, n.shape, n.name) for old, n in nodes.items()
    )
    edges = tuple(
        Edge(
            renamed[source],
            renamed[target],
            direction,
            None if grad is None or grad is _MISSING else capture.norm(grad),
            recorded=grad is not _MISSING,
        )
        for source, target, direction, grad in links
    )
    source = None if gradients is None else gradients.source
    return Graph(final_nodes, edges, detail, grad_norms=source)
