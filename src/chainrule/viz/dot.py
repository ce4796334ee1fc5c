"""Graphviz DOT text of a :class:`~chainrule.viz.Graph`: plain text, no dependency.

Left to right, as the source text draws the forward pass. A backward edge
runs against the forward direction, so it is marked ``constraint=false``:
Graphviz ranks the nodes by the forward edges alone.
"""

from __future__ import annotations

from chainrule.viz import style
from chainrule.viz.structure import Graph


def to_dot(graph: Graph) -> str:
    """The DOT text: one statement per line, a node's attributes on its line."""
    lines = [
        "digraph computational_graph {",
        "  graph [rankdir=LR, nodesep=0.3, ranksep=0.45, fontname=Helvetica, "
        f"fontsize=10, labelloc=b, label={quote(style.legend(graph))}];",
        f"  node [fontname=Helvetica, fontsize={style.FONT_SIZE:g}, "
        f"color={quote(style.BORDER)}];",
        "  edge [fontname=Helvetica, fontsize=9, arrowsize=0.7];",
    ]
    for node in graph.nodes:
        look = style.NODE[node.kind]
        attributes = [
            f"label={quote(node.text)}",
            f"shape={look['shape']}",
            f"style={quote(look['style'])}",
            f"fillcolor={quote(look['fill'])}",
        ]
        if node.kind == "op":
            attributes += [f"fontsize={style.OP_FONT_SIZE:g}", "height=0.3"]
        lines.append(f"  {node.id} [{', '.join(attributes)}];")
    for edge in graph.edges:
        look = style.EDGE[edge.direction]
        attributes = [f"style={look['style']}", f"color={quote(look['color'])}"]
        if edge.direction == "backward":
            attributes.append("constraint=false")
        label = style.edge_label(edge)
        if label is not None:
            attributes += [
                f"label={quote(label)}",
                f"fontcolor={quote(look['color'])}",
            ]
        lines.append(f"  {edge.source} -> {edge.target} [{', '.join(attributes)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def quote(text: str) -> str:
    """A DOT string: quotes and backslashes escaped, newlines as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
