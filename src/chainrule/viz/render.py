"""SVG and PNG pictures of a :class:`~chainrule.viz.Graph`.

Two engines draw the same graph:

- **graphviz**: the DOT text piped through Graphviz's ``dot`` program, used
  whenever it is on the PATH (it is the better layout, but it is not
  pip-installable);
- **matplotlib**: pip-installable only (``chainrule[viz]``, in
  ``chainrule[train]``). networkx layers the graph (its topological
  generations become columns, left to right as the source text draws the
  forward pass, and its longest path is the straight spine of the drawing);
  matplotlib draws the shapes and saves the file, through its object
  interface and the Agg canvas, so no window opens and no pyplot state
  changes.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainrule.errors import (
    GraphDrawingError,
    GraphTooLargeError,
    MissingDependencyError,
)
from chainrule.viz import style
from chainrule.viz.structure import Engine, Graph, Node

FORMATS = ("dot", "svg", "png")
# Past this many nodes (after collapsing runs of identical layers) the
# matplotlib drawing is too slow and too large to read; Graphviz, or
# detail="module", is the way there.
MAX_NODES = 1000
DPI = 150
MIN_DPI = 40
MAX_PIXELS = 60_000_000
GAP = 0.2  # inches between nodes in one column
MARGIN = 0.25
LEGEND_HEIGHT = 0.35  # inches under the drawing for the caption
CLEARANCE = 0.12  # inches between an edge that skips columns and the nodes it passes
BACKWARD_BOW = 0.12  # least inches between a dashed edge and its solid twin


def save(graph: Graph, path: Path, engine: Engine) -> Path:
    """Write ``graph`` to ``path`` in the format its suffix names."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise GraphDrawingError(
            f"cannot save a graph as {path.name!r}: the suffix must be .svg, "
            ".png or .dot (Graphviz text)"
        )
    if fmt == "dot":
        path.write_text(graph.to_dot(), encoding="utf-8")
    else:
        path.write_bytes(render(graph, fmt, engine))
    return path


def render(graph: Graph, fmt: str, engine: Engine) -> bytes:
    """The picture as ``fmt`` (``"svg"`` or ``"png"``) bytes."""
    if engine not in ("auto", "graphviz", "matplotlib"):
        raise GraphDrawingError(
            f"engine must be 'auto', 'graphviz' or 'matplotlib', got {engine!r}"
        )
    dot = shutil.which("dot")
    if engine == "graphviz" and dot is None:
        raise GraphDrawingError(
            "engine='graphviz' needs Graphviz's `dot` program on the PATH; "
            "install Graphviz, or use engine='matplotlib' (pip only)"
        )
    if engine != "matplotlib" and dot is not None:
        return _graphviz(graph, fmt, dot)
    return _matplotlib(graph, fmt)


def _graphviz(graph: Graph, fmt: str, dot: str) -> bytes:
    result = subprocess.run(
        [dot, f"-T{fmt}"],
        input=graph.to_dot().encode(),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise GraphDrawingError(
            f"Graphviz's dot failed (exit status {result.returncode}): "
            f"{result.stderr.decode(errors='replace').strip()}; "
            "engine='matplotlib' draws without it"
        )
    return result.stdout


# --- matplotlib ---------------------------------------------------------------


@dataclass
class _Place:
    """Where a node goes, in inches: centre and size."""

    x: float
    y: float
    width: float
    height: float


def _libraries() -> tuple[Any, Any, Any]:
    try:
        import networkx
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise MissingDependencyError(
            f"drawing a graph without Graphviz needs networkx and matplotlib "
            f'({error.name} is missing): pip install "chainrule[viz]" (part '
            "of chainrule[train]); or save it as .dot"
        ) from None
    return networkx, Figure, FigureCanvasAgg


def _matplotlib(graph: Graph, fmt: str) -> bytes:
    given = graph
    if len(graph.nodes) > MAX_NODES:
        graph = graph.collapse_repeats()
    if len(graph.nodes) > MAX_NODES:
        raise GraphTooLargeError(
            f"this graph has {_count(given, graph)}, too many to draw legibly "
            f"without Graphviz (at most {MAX_NODES:,})",
            given.detail,
            png=False,
        )
    networkx, Figure, FigureCanvasAgg = _libraries()
    width, top, places = _sized_layout(graph, networkx)
    height = top + LEGEND_HEIGHT
    dpi = DPI if fmt != "png" else _dpi(width, top)
    if dpi < MIN_DPI:
        raise GraphTooLargeError(
            f"this graph ({_count(given, graph)}) would be {width:.0f} x "
            f"{height:.0f} inches, too large for a PNG",
            given.detail,
            png=True,
        )

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(-LEGEND_HEIGHT, top)
    axes.set_aspect("equal")
    axes.axis("off")

    shapes = {node.id: _draw_node(axes, node, places[node.id]) for node in graph.nodes}
    for edge in graph.edges:
        _draw_edge(axes, edge, places, shapes)
    axes.text(
        width / 2,
        -LEGEND_HEIGHT / 2,
        style.legend(graph),
        ha="center",
        va="center",
        fontsize=9,
        color="#555555",
    )

    from matplotlib import rc_context

    buffer = io.BytesIO()
    # NOTE: SVG text stays text (searchable, small); a fixed salt for the
    # ids and no date, so the same graph gives the same file.
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "chainrule"}):
        metadata = {"Date": None} if fmt == "svg" else {}
        figure.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    return buffer.getvalue()


def _sized_layout(
    graph: Graph, networkx: Any
) -> tuple[float, float, dict[str, _Place]]:
    """The layout, and the width and height (without the legend) it needs."""
    gap = 1.0 if style.has_norms(graph) else 0.55
    places = _layout(graph, networkx, column_gap=gap)
    width = max((p.x + p.width / 2 for p in places.values()), default=0) + MARGIN
    top = max((p.y + p.height / 2 for p in places.values()), default=0) + MARGIN
    return width, top, places


def _dpi(width: float, top: float) -> int:
    """The highest resolution up to DPI at which a PNG stays within MAX_PIXELS."""
    area = width * (top + LEGEND_HEIGHT)
    return DPI if area * DPI**2 <= MAX_PIXELS else int((MAX_PIXELS / area) ** 0.5)


def _count(given: Graph, drawn: Graph) -> str:
    """'1,807 nodes' and, if collapsing repeats helped, how many were left."""
    text = f"{len(given.nodes):,} nodes"
    if drawn is not given:
        return f"{text}, {len(drawn.nodes):,} with its repeated layers collapsed"
    return text


def _layout(graph: Graph, networkx: Any, column_gap: float) -> dict[str, _Place]:
    """Columns from networkx's topological generations; the spine on one line."""
    forward = networkx.DiGraph()
    forward.add_nodes_from(node.id for node in graph.nodes)
    forward.add_edges_from(
        (e.source, e.target) for e in graph.edges if e.direction == "forward"
    )
    # NOTE: generations counted from the output backwards put every node in
    # the column just before its first user (a weight beside its layer, not
    # in the first column with every other leaf).
    generations = list(networkx.topological_generations(forward.reverse(copy=False)))
    columns = [sorted(g, key=_order(graph)) for g in reversed(generations)]

    # The spine: the longest path that starts from data rather than from a
    # weight (or from values computed from weights alone, a transposed weight).
    derived = _weight_derived(graph, forward, networkx)
    for source, target in forward.edges:
        forward.edges[source, target]["length"] = 0 if source in derived else 1
    spine = set(networkx.dag_longest_path(forward, weight="length"))

    sizes = {node.id: _size(node) for node in graph.nodes}
    y: dict[str, float] = {}
    # Right to left: every node but the output has its users placed already.
    for column in reversed(columns):
        _place_column(column, spine, sizes, y, forward)
    low = min((y[n] - sizes[n][1] / 2 for n in y), default=0.0)

    places = {}
    x = MARGIN
    for column in columns:
        column_width = max(sizes[n][0] for n in column)
        for node_id in column:
            w, h = sizes[node_id]
            centre = (x + column_width / 2, y[node_id] - low + MARGIN)
            places[node_id] = _Place(*centre, w, h)
        x += column_width + column_gap
    return places


def _order(graph: Graph) -> Any:
    position = {node.id: k for k, node in enumerate(graph.nodes)}
    return position.__getitem__


def _weight_derived(graph: Graph, forward: Any, networkx: Any) -> set[str]:
    """Weights, and the nodes computed from weights alone."""
    derived = {node.id for node in graph.nodes if node.kind == "weight"}
    for node_id in networkx.topological_sort(forward):
        inputs = list(forward.predecessors(node_id))
        if inputs and all(n in derived for n in inputs):
            derived.add(node_id)
    return derived


def _place_column(
    column: list[str],
    spine: set[str],
    sizes: dict[str, tuple[float, float]],
    y: dict[str, float],
    forward: Any,
) -> None:
    """The spine node at height 0; the others above or below, near their users."""
    centre = [n for n in column if n in spine]
    others = [n for n in column if n not in spine]
    key = {}
    for node_id in others:
        users = [y[s] for s in forward.successors(node_id) if s in y]
        key[node_id] = sum(users) / len(users) if users else 0.0
    above: list[str] = []
    below: list[str] = []
    for node_id in sorted(others, key=lambda n: abs(key[n])):
        if key[node_id] > 0 or (key[node_id] == 0 and len(above) <= len(below)):
            above.append(node_id)
        else:
            below.append(node_id)

    top = bottom = 0.0
    for node_id in centre:
        y[node_id] = 0.0
        top = bottom = sizes[node_id][1] / 2
        bottom = -bottom
    for node_id in above:
        h = sizes[node_id][1]
        y[node_id] = max(top + GAP + h / 2, key[node_id])
        top = y[node_id] + h / 2
    for node_id in below:
        h = sizes[node_id][1]
        y[node_id] = min(bottom - GAP - h / 2, key[node_id])
        bottom = y[node_id] - h / 2


def _size(node: Node) -> tuple[float, float]:
    """Width and height in inches of a node that holds its text."""
    width, height = _text_size(node.text, _font_size(node))
    if node.kind == "weight":
        diameter = (width**2 + height**2) ** 0.5 + 0.1
        return diameter, diameter
    if node.kind == "op":
        # An ellipse through the corners of the text box: sqrt(2) larger.
        return width * 1.42 + 0.08, height * 1.42 + 0.04
    if node.kind in ("module", "repeat"):
        return width + 0.34, height + 0.24
    return width + 0.24, height + 0.16


def _font_size(node: Node) -> float:
    return style.OP_FONT_SIZE if node.kind == "op" else style.FONT_SIZE


def _text_size(text: str, font_size: float) -> tuple[float, float]:
    from matplotlib.textpath import TextPath

    lines = text.split("\n") if text else [""]
    widths = [
        TextPath((0, 0), line, size=font_size).get_extents().width for line in lines
    ]
    line_height = font_size * 1.25
    return max(widths) / 72, len(lines) * line_height / 72


def _draw_node(axes: Any, node: Node, place: _Place) -> Any:
    from matplotlib import patches

    look = style.NODE[node.kind]
    options: dict[str, Any] = {
        "facecolor": look["fill"],
        "edgecolor": style.BORDER,
        "linewidth": 1.0,
        "zorder": 2,
    }
    x, y, w, h = place.x, place.y, place.width, place.height
    shape: Any
    if node.kind == "weight":
        shape = patches.Circle((x, y), w / 2, **options)
    elif node.kind == "op":
        shape = patches.Ellipse((x, y), w, h, **options)
    else:
        rounding = (
            "round,pad=0,rounding_size=0.08"
            if node.kind in ("module", "repeat")
            else "square,pad=0"
        )
        if node.kind == "repeat":
            options["linestyle"] = "--"
        shape = patches.FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle=rounding, **options
        )
    axes.add_patch(shape)
    axes.text(
        x,
        y,
        node.text,
        ha="center",
        va="center",
        fontsize=_font_size(node),
        linespacing=1.25,
        zorder=3,
    )
    return shape


def _draw_edge(
    axes: Any, edge: Any, places: dict[str, _Place], shapes: dict[str, Any]
) -> None:
    from matplotlib.patches import FancyArrowPatch

    look = style.EDGE[edge.direction]
    start, end = places[edge.source], places[edge.target]
    dx, dy = end.x - start.x, end.y - start.y
    bow = _bow(start, end, places)
    if edge.direction == "backward":
        # The dashed edge runs beside its solid twin, on the outside: further
        # for a longer edge, so that its label clears the solid line.
        apart = min(max(0.125 * abs(dx), BACKWARD_BOW), 2.5 * BACKWARD_BOW)
        bow = -apart if bow == 0 else bow + math.copysign(apart, bow)
    # matplotlib's arc3 puts the curve's middle 0.5 * rad * (dy, -dx) away
    # from the chord's middle: this rad raises it by `bow`.
    rad = -2 * bow / dx
    arrow = FancyArrowPatch(
        (start.x, start.y),
        (end.x, end.y),
        patchA=shapes[edge.source],
        patchB=shapes[edge.target],
        arrowstyle="-|>",
        mutation_scale=9,
        connectionstyle=f"arc3,rad={rad}",
        color=look["color"],
        linestyle="--" if edge.direction == "backward" else "-",
        linewidth=0.9,
        shrinkA=1,
        shrinkB=1,
        zorder=1,
    )
    axes.add_patch(arrow)
    label = style.edge_label(edge)
    if label is not None:
        axes.text(
            (start.x + end.x) / 2 + 0.5 * rad * dy,
            (start.y + end.y) / 2 + bow,
            label,
            ha="center",
            va="center",
            fontsize=style.NORM_FONT_SIZE,
            color=look["color"],
            zorder=4,
            bbox={
                "boxstyle": "round,pad=0.15",
                "facecolor": "white",
                "edgecolor": "none",
            },
        )


def _bow(a: _Place, b: _Place, places: dict[str, _Place]) -> float:
    """How far up (+) or down (-) the edge between ``a`` and ``b`` must curve,
    at its middle, to pass the nodes in the columns it skips; 0 if none."""
    left, right = (a, b) if a.x < b.x else (b, a)
    up = down = 0.0
    blocked = False
    for place in places.values():
        if not left.x < place.x < right.x:
            continue
        t = (place.x - left.x) / (right.x - left.x)
        line = left.y + t * (right.y - left.y)
        top = place.y + place.height / 2 + CLEARANCE
        bottom = place.y - place.height / 2 - CLEARANCE
        blocked = blocked or bottom < line < top
        # A parabola through both ends rises 4 t (1 - t) times its middle;
        # going over, it must clear every node not wholly below the line.
        if top > line:
            up = max(up, (top - line) / (4 * t * (1 - t)))
        if bottom < line:
            down = max(down, (line - bottom) / (4 * t * (1 - t)))
    if not blocked:
        return 0.0
    return up if up <= down else -down
