"""The DOT text, read back by an independent parser (pydot)."""

from __future__ import annotations

import numpy as np
import pydot
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.viz import Edge, Graph, Node

# pydot's parser calls pyparsing's old names.
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")


def parse(dot: str) -> pydot.Dot:
    (parsed,) = pydot.graph_from_dot_data(dot)
    return parsed


def attributes(parsed: pydot.Dot) -> dict[str, dict[str, str]]:
    """Node name -> its attributes, quotes and escapes undone."""
    return {
        node.get_name(): {k: v.strip('"') for k, v in node.get_attributes().items()}
        for node in parsed.get_nodes()
        if node.get_name() not in ("node", "edge", "graph")
    }


def edges(parsed: pydot.Dot) -> list[tuple[str, str, dict[str, str]]]:
    return [
        (
            e.get_source(),
            e.get_destination(),
            {k: v.strip('"') for k, v in e.get_attributes().items()},
        )
        for e in parsed.get_edges()
    ]


def test_shapes_styles_and_labels_of_a_layer() -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    graph = cr.viz.draw(model, np.ones((4, 3)), detail="full")
    parsed = parse(graph.to_dot())

    nodes = attributes(parsed)
    by_label = {a["label"]: a for a in nodes.values()}
    assert by_label["0.weight\\n(2, 3)"]["shape"] == "circle"
    assert by_label["0.bias\\n(2,)"]["shape"] == "circle"
    assert by_label["input\\n(4, 3)"]["shape"] == "box"
    assert by_label["output\\n(4, 2)"]["shape"] == "box"
    assert by_label["Linear"]["shape"] == "ellipse"
    assert by_label["Tanh"]["shape"] == "ellipse"
    (settings,) = [n for n in parsed.get_nodes() if n.get_name() == "graph"] or [parsed]
    assert settings.get_attributes()["rankdir"] == "LR"

    found = edges(parsed)
    # input, weight, bias -> Linear -> 0 -> Tanh -> output: 6 each way.
    assert len(found) == len(graph.edges) == 2 * 6
    for (source, target, look), edge in zip(found, graph.edges, strict=True):
        assert (source, target) == (edge.source, edge.target)
        if edge.direction == "forward":
            assert look["style"] == "solid" and "constraint" not in look
        else:
            assert look["style"] == "dashed" and look["constraint"] == "false"
    # Forward edges run from the weight to the op; the dashed one back.
    weight = next(n for n, a in nodes.items() if a["label"].startswith("0.weight"))
    out_of_weight = {look["style"] for s, _, look in found if s == weight}
    into_weight = {look["style"] for _, t, look in found if t == weight}
    assert out_of_weight == {"solid"} and into_weight == {"dashed"}


def test_module_boxes_are_rounded_and_norms_are_edge_labels() -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    graph = cr.viz.draw(model, np.ones((4, 3)), grad_norms=True)
    parsed = parse(graph.to_dot())
    nodes = attributes(parsed)
    boxes = [a for a in nodes.values() if "rounded" in a["style"]]
    assert sorted(a["label"] for a in boxes) == ["Linear 0", "Tanh 1"]
    assert all(a["shape"] == "box" for a in boxes)

    labelled = [look for _, _, look in edges(parsed) if "label" in look]
    assert len(labelled) == sum(e.direction == "backward" for e in graph.edges)
    norms = sorted(float(look["label"]) for look in labelled)
    expected = sorted(
        float(f"{e.grad_norm:.3g}") for e in graph.edges if e.grad_norm is not None
    )
    assert norms == expected
    assert "L2 norm" in graph.to_dot()


def test_names_are_quoted_safely() -> None:
    graph = Graph(
        (
            Node("n0", "data", 'say "hi" \\ bye', (1,), 'say "hi"'),
            Node("n1", "op", "Op"),
        ),
        (Edge("n0", "n1", "forward"), Edge("n1", "n0", "backward", 0.5)),
        "full",
    )
    parsed = parse(graph.to_dot())
    label = parsed.get_node("n0")[0].get_attributes()["label"]
    assert label == '"say \\"hi\\" \\\\ bye\\n(1,)"'


@pytest.mark.parametrize("detail", ["module", "full"])
def test_every_node_and_edge_is_in_the_text(detail) -> None:
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4, generator=rng), nn.ReLU())
    graph = cr.viz.draw(model, rng.standard_normal((2, 3)), detail=detail)
    parsed = parse(graph.to_dot())
    assert set(attributes(parsed)) == {n.id for n in graph.nodes}
    assert sorted((s, t) for s, t, _ in edges(parsed)) == sorted(
        (e.source, e.target) for e in graph.edges
    )
