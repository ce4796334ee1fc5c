"""How each kind of node and edge looks: one table for the DOT writer and the
renderer, in the source text's convention (data rectangles, weight circles,
forward edges solid, backward edges dashed)."""

from __future__ import annotations

from chainrule.viz.structure import Direction, Edge, Graph, NodeKind

# Graphviz shape and style, and the fill colour, of each kind of node.
NODE: dict[NodeKind, dict[str, str]] = {
    "data": {"shape": "box", "style": "filled", "fill": "#ffffff"},
    "weight": {"shape": "circle", "style": "filled", "fill": "#fde7b0"},
    "op": {"shape": "ellipse", "style": "filled", "fill": "#d6e6f5"},
    "module": {"shape": "box", "style": "rounded,filled", "fill": "#d4edcc"},
    "repeat": {"shape": "box", "style": "rounded,filled,dashed", "fill": "#eef7ea"},
}
BORDER = "#333333"
EDGE: dict[Direction, dict[str, str]] = {
    "forward": {"style": "solid", "color": "#333333"},
    "backward": {"style": "dashed", "color": "#c0392b"},
}
FONT_SIZE = 11.0
OP_FONT_SIZE = 10.0
NORM_FONT_SIZE = 8.5


NOT_RECORDED = "not recorded"


def has_norms(graph: Graph) -> bool:
    """Whether the backward edges are labelled with gradient norms."""
    return graph.grad_norms is not None or any(
        edge.grad_norm is not None for edge in graph.edges
    )


def legend(graph: Graph) -> str:
    """The caption under the drawing."""
    backward = "dashed: backward pass"
    if graph.grad_norms == "recorded":
        backward += " (labels: L2 norm of the gradient it carried in your backward"
        if graph.unrecorded:
            backward += f"; {NOT_RECORDED!r}: an op the watched backward did not run"
        backward += ")"
    elif has_norms(graph):
        backward += " (labels: L2 norm of the gradient it carries)"
    text = "solid: forward pass    " + backward
    if any(node.kind == "repeat" for node in graph.nodes):
        text += "    dashed box ×N: N more of the layers before and after it"
    return text


def edge_label(edge: Edge) -> str | None:
    """A backward edge's norm, 'not recorded', or None for no label."""
    if not edge.recorded:
        return NOT_RECORDED
    return None if edge.grad_norm is None else format_norm(edge.grad_norm)


def format_norm(norm: float) -> str:
    """A gradient norm in 3 significant digits: 0.0123, 4.56e-07."""
    return f"{norm:.3g}"
