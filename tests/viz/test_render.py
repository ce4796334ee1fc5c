"""SVG and PNG files: valid, legible sizes; Graphviz when present; clear refusals."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import (
    GraphDrawingError,
    GraphTooLargeError,
    MissingDependencyError,
)
from chainrule.viz import Graph

PNG = b"\x89PNG\r\n\x1a\n"
SRC = Path(__file__).resolve().parents[2] / "src"


def three_layers() -> nn.Sequential:
    rng = np.random.default_rng(0)
    return nn.Sequential(
        nn.Linear(64, 32, generator=rng),
        nn.ReLU(),
        nn.Linear(32, 16, generator=rng),
        nn.ReLU(),
        nn.Linear(16, 10, generator=rng),
    )


def drawing(detail: str = "module", grad_norms: bool = True) -> Graph:
    return cr.viz.draw(
        three_layers(), np.ones((4, 64)), detail=detail, grad_norms=grad_norms
    )


@pytest.mark.parametrize("detail", ["module", "full"])
def test_svg_is_an_svg_document(tmp_path: Path, detail: str) -> None:
    path = drawing(detail).save(tmp_path / "graph.svg", engine="matplotlib")
    root = ElementTree.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    # Labels are SVG text, not outlines.
    assert "0.weight" in "".join(root.itertext())
    # The same graph gives the same file (no date inside).
    again = drawing(detail).save(tmp_path / "again.svg", engine="matplotlib")
    assert again.read_bytes() == path.read_bytes()


def test_png_has_the_signature_and_a_legible_size(tmp_path: Path) -> None:
    path = drawing().save(tmp_path / "graph.png", engine="matplotlib")
    data = path.read_bytes()
    assert data[:8] == PNG and len(data) > 20_000
    height, width, _ = matplotlib.image.imread(path).shape
    # Wider than tall (left to right, as the text draws it), and big enough
    # for 10-point labels at 150 dpi, without being a poster.
    assert 1200 < width < 6000 and 250 < height < 1500


def test_a_png_grows_with_the_graph(tmp_path: Path) -> None:
    one_layer = cr.viz.draw(nn.Linear(64, 10), np.ones((4, 64)), detail="full")
    small = one_layer.save(tmp_path / "small.png", engine="matplotlib")
    large = drawing("full").save(tmp_path / "large.png", engine="matplotlib")
    assert (
        matplotlib.image.imread(large).shape[1]
        > matplotlib.image.imread(small).shape[1]
    )


def test_nodes_do_not_overlap_in_the_layout() -> None:
    import networkx

    from chainrule.viz import render

    graph = drawing("full")
    places = render._layout(graph, networkx, column_gap=1.0)
    boxes = list(places.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart_x = abs(a.x - b.x) >= (a.width + b.width) / 2
            apart_y = abs(a.y - b.y) >= (a.height + b.height) / 2
            assert apart_x or apart_y, (a, b)
    # Forward edges run left to right.
    for edge in graph.edges:
        if edge.direction == "forward":
            assert places[edge.source].x < places[edge.target].x


def test_dot_files_need_no_library(tmp_path: Path) -> None:
    graph = drawing()
    path = graph.save(tmp_path / "graph.dot")
    assert path.read_text() == graph.to_dot()


def test_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GraphDrawingError, match=r"\.svg, \.png or \.dot"):
        drawing().save(tmp_path / "graph.jpg")
    with pytest.raises(GraphDrawingError, match="engine must be"):
        drawing().save(tmp_path / "graph.svg", engine="pillow")  # type: ignore[arg-type]


def narrowing_chain(steps: int) -> cr.Tensor:
    """A chain in which every value has another shape: nothing repeats."""
    y = cr.tensor(np.ones(steps + 1), requires_grad=True)
    for _ in range(steps):
        y = y[1:] * 2.0
    return y


def test_a_huge_graph_is_refused_with_the_way_out(tmp_path: Path) -> None:
    graph = cr.viz.graph(narrowing_chain(700))
    assert graph.collapse_repeats() is graph
    with pytest.raises(GraphTooLargeError) as caught:
        graph.save(tmp_path / "chain.png", engine="matplotlib")
    message = str(caught.value)
    assert message.startswith("this graph has 2,801 nodes, too many to draw")
    assert "draw a model with detail='module'" in message  # it is full detail
    assert message.endswith("or save it as .dot")
    assert isinstance(caught.value, GraphDrawingError)
    assert graph.save(tmp_path / "chain.dot").stat().st_size > 100_000


def test_the_refusal_does_not_suggest_the_detail_in_use(tmp_path: Path) -> None:
    funnel = nn.Sequential(*[nn.Linear(k + 1, k + 2) for k in range(300)])
    graph = cr.viz.draw(funnel, np.ones((2, 1)))  # module detail, no repeats
    with pytest.raises(GraphTooLargeError) as caught:
        graph.save(tmp_path / "funnel.svg", engine="matplotlib")
    message = str(caught.value)
    assert "1,201 nodes" in message and "detail=" not in message
    # The command line's words for the same ways out.
    cli = caught.value.advice(output="funnel.svg")
    assert cli.endswith("or write --output funnel.dot") and "detail" not in cli


def test_without_networkx_the_error_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "networkx", None)
    with pytest.raises(MissingDependencyError, match=r"chainrule\[viz\]"):
        drawing().save(tmp_path / "graph.svg", engine="matplotlib")
    drawing().save(tmp_path / "graph.dot")  # DOT still works


FAKE_DOT = """#!{python}
import sys
from pathlib import Path
Path(sys.argv[0]).with_name("seen.dot").write_text(sys.stdin.read())
svg = '<svg xmlns="http://www.w3.org/2000/svg">'
sys.stdout.write(svg + " ".join(sys.argv[1:]) + "</svg>")
"""


def fake_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    dot = folder / "dot"
    dot.write_text(FAKE_DOT.format(python=sys.executable))
    dot.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder


def test_graphviz_is_used_when_its_dot_program_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = fake_graphviz(tmp_path, monkeypatch)
    graph = drawing()
    path = graph.save(tmp_path / "graph.svg")
    assert path.read_text() == '<svg xmlns="http://www.w3.org/2000/svg">-Tsvg</svg>'
    assert (folder / "seen.dot").read_text() == graph.to_dot()
    # engine="matplotlib" still draws without it.
    drawn = graph.save(tmp_path / "own.svg", engine="matplotlib")
    assert "-Tsvg" not in drawn.read_text()


def test_graphviz_failures_and_absence_are_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphDrawingError, match="engine='matplotlib'"):
        drawing().save(tmp_path / "graph.svg", engine="graphviz")
    broken = tmp_path / "dot"
    broken.write_text(f"#!{sys.executable}\nimport sys\nsys.exit('syntax error')\n")
    broken.chmod(0o755)
    with pytest.raises(GraphDrawingError, match="syntax error"):
        drawing().save(tmp_path / "graph.svg")


def test_jupyter_shows_an_svg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz: the pip-only path
    assert drawing(grad_norms=False)._repr_svg_().lstrip().startswith("<?xml")


def test_import_chainrule_loads_no_drawing_library() -> None:
    code = (
        "import sys, chainrule as cr\n"
        "x = cr.ones(2, requires_grad=True)\n"
        "cr.viz.graph((x * x).sum()).to_dot()\n"
        "print(sorted(m for m in ('networkx', 'matplotlib') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_an_edge_that_skips_columns_curves_around_the_nodes_between() -> None:
    import networkx

    from chainrule.viz import render

    class Residual(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Linear(3, 3), nn.Tanh())

        def forward(self, x):
            return self.body(x) + x

    graph = cr.viz.draw(Residual(), np.ones((2, 3)), detail="full")
    places = render._layout(graph, networkx, column_gap=0.55)
    skipping = 0
    for edge in graph.edges:
        if edge.direction != "forward":
            continue
        a, b = places[edge.source], places[edge.target]
        bow = render._bow(a, b, places)
        skipping += bow != 0
        for p in places.values():
            if a.x < p.x < b.x:
                t = (p.x - a.x) / (b.x - a.x)
                y = a.y + t * (b.y - a.y) + 4 * t * (1 - t) * bow
                assert not p.y - p.height / 2 < y < p.y + p.height / 2
    assert skipping >= 1  # input -> Add passes the body's ops
