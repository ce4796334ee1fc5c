"""Runs of identical layers collapse into one box, so deep models draw."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import numpy as np

import chainrule as cr
from chainrule import functional as F
from chainrule import nn
from chainrule.viz import Graph

PNG = b"\x89PNG\r\n\x1a\n"


def deep(pairs: int, width: int = 4, seed: int = 0) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    layers: list[nn.Module] = []
    for _ in range(pairs):
        layers += [nn.Linear(width, width, generator=rng), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 2, generator=rng))


def drawing(model: nn.Module, detail: str = "module") -> Graph:
    labels = cr.tensor(np.array([0, 1, 1]))
    return cr.viz.draw(
        model,
        np.ones((3, 4)),
        loss=lambda out: F.cross_entropy(out, labels),
        detail=detail,
        grad_norms=True,
    )


def boxes(graph: Graph) -> list[str]:
    return [n.label for n in graph.nodes if n.kind in ("module", "repeat")]


def test_a_300_layer_sequential_is_one_box_between_its_first_and_last_layers():
    graph = drawing(deep(150))
    assert len(graph.nodes) > 900

    small = graph.collapse_repeats()
    assert boxes(small) == [
        "Linear 0",
        "Tanh 1",
        "Linear+Tanh ×148\nlayers 2–297",
        "Linear 298",
        "Tanh 299",
        "Linear 300",
        "loss",
    ]
    (box,) = [n for n in small.nodes if n.kind == "repeat"]
    assert box.name == "2–297"
    # The box takes the value Tanh 1 made and makes the one Linear 298 takes;
    # its dashed edges carry the gradients the layers it replaces did: what
    # Linear 2 sent back into its input, and the data gradient at Tanh 297's
    # output.
    before, after = graph.node("1", "data"), graph.node("297", "data")
    first, last = graph.node("2", "module"), graph.node("297", "module")
    (into_input,) = small.edges_between(box, before, "backward")
    (reference,) = graph.edges_between(first, before, "backward")
    assert into_input.grad_norm == reference.grad_norm is not None
    (at_output,) = small.edges_between(after, box, "backward")
    (reference,) = graph.edges_between(after, last, "backward")
    assert at_output.grad_norm == reference.grad_norm is not None
    assert small.detail == "module" and small.grad_norms == "measured"


def test_full_detail_collapses_the_same_way():
    small = drawing(deep(50), detail="full").collapse_repeats()
    assert [n.label for n in small.nodes if n.kind == "repeat"] == ["Linear+Tanh ×48"]
    assert len(small.nodes) < 40


def test_a_longer_block_is_found_and_short_runs_are_left_alone():
    rng = np.random.default_rng(1)
    layers: list[nn.Module] = []
    for _ in range(6):
        layers += [nn.Linear(4, 4, generator=rng), nn.LayerNorm(4), nn.ReLU()]
    small = drawing(nn.Sequential(*layers, nn.Linear(4, 2))).collapse_repeats()
    assert [n.label for n in small.nodes if n.kind == "repeat"] == [
        "Linear+LayerNorm+ReLU ×4\nlayers 3–14"
    ]
    # Three repetitions: the first and the last would leave one, not a run.
    few = drawing(deep(3))
    assert few.collapse_repeats() is few


def test_layers_of_other_shapes_or_off_the_chain_are_not_collapsed():
    funnel = nn.Sequential(*[nn.Linear(4 + k, 5 + k) for k in range(8)])
    graph = cr.viz.draw(funnel, np.ones((2, 4)))
    assert graph.collapse_repeats() is graph

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.Sequential(*[nn.Linear(4, 4) for _ in range(8)])

        def forward(self, x):
            for block in self.blocks:
                x = x + block(x)  # each value is used twice: no chain
            return x

    graph = cr.viz.draw(Residual(), np.ones((2, 4)), detail="full")
    assert graph.collapse_repeats() is graph


def test_a_deep_model_draws_without_graphviz(tmp_path: Path) -> None:
    path = drawing(deep(300)).save(tmp_path / "deep.png", engine="matplotlib")
    assert path.read_bytes()[:8] == PNG
    height, width, _ = matplotlib.image.imread(path).shape
    assert 1000 < width < 6000 and height < 800
    svg = drawing(deep(300)).save(tmp_path / "deep.svg", engine="matplotlib")
    text = svg.read_text()
    assert "Linear+Tanh ×298" in text and "dashed box ×N" in text


def test_the_dot_text_keeps_every_layer(tmp_path: Path) -> None:
    graph = drawing(deep(300))
    dot = graph.save(tmp_path / "deep.dot").read_text()
    assert "×" not in dot and dot.count('label="Linear') == 301


def test_a_repeat_box_is_a_dashed_rounded_box_in_dot() -> None:
    dot = drawing(deep(10)).collapse_repeats().to_dot()
    (line,) = [line for line in dot.splitlines() if "×8" in line]
    assert 'style="rounded,filled,dashed"' in line
