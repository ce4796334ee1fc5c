"""Gradient norms on backward edges, against PyTorch; and no side effects."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import functional as F
from chainrule import nn
from chainrule.errors import GraphDrawingError
from chainrule.viz import Graph, Node


def norm_of(graph: Graph, source: Node, target: Node) -> float:
    (edge,) = graph.edges_between(source, target, "backward")
    assert edge.grad_norm is not None
    return edge.grad_norm


def torch_copy(model: nn.Sequential) -> torch.nn.Sequential:
    layers: list[torch.nn.Module] = []
    for layer in model:
        if isinstance(layer, nn.Linear):
            copy = torch.nn.Linear(layer.in_features, layer.out_features).double()
            with torch.no_grad():
                copy.weight.copy_(torch.from_numpy(layer.weight.data))
                copy.bias.copy_(torch.from_numpy(layer.bias.data))
            layers.append(copy)
        else:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def test_module_level_norms_match_pytorch() -> None:
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(5, 7, generator=rng), nn.Tanh(), nn.Linear(7, 3, generator=rng)
    )
    x = rng.standard_normal((6, 5))
    labels = rng.integers(0, 3, 6)

    def loss(out):
        return F.cross_entropy(out, cr.tensor(labels))

    graph = cr.viz.draw(model, x, loss=loss, grad_norms=True)

    reference = torch_copy(model)
    x_t = torch.tensor(x, requires_grad=True)
    values = []
    h = x_t
    for layer in reference:
        h = layer(h)
        h.retain_grad()
        values.append(h)
    torch.nn.functional.cross_entropy(h, torch.from_numpy(labels)).backward()

    box = {p: graph.node(p, "module") for p in ("0", "1", "2")}
    value = {p: graph.node(p, "data") for p in ("0", "1", "2")}
    expected = [
        # A box's edge back to an input: that input's gradient (one user each).
        (box["0"], graph.node("input"), x_t.grad),
        (box["0"], graph.node("0.weight"), reference[0].weight.grad),
        (box["0"], graph.node("0.bias"), reference[0].bias.grad),
        (box["1"], value["0"], values[0].grad),
        (box["2"], value["1"], values[1].grad),
        (box["2"], graph.node("2.weight"), reference[2].weight.grad),
        (box["2"], graph.node("2.bias"), reference[2].bias.grad),
        # A value's edge back to the box that made it: its data gradient.
        (value["0"], box["0"], values[0].grad),
        (value["1"], box["1"], values[1].grad),
        (value["2"], box["2"], values[2].grad),
    ]
    for source, target, grad in expected:
        assert norm_of(graph, source, target) == pytest.approx(
            float(grad.norm()), rel=1e-10
        ), (source.text, target.text)
    # The loss is the root: seeded with 1.
    loss_box = graph.node("loss", "module")
    assert norm_of(graph, graph.node("loss", "data"), loss_box) == 1.0


def test_a_diamond_splits_the_gradient_by_path() -> None:
    values = np.array([0.5, 1.0, 2.0])
    x = cr.tensor(values, requires_grad=True, name="x")
    a = cr.exp(x)
    b = cr.sin(x)
    graph = cr.viz.graph((a * 3 + b).sum(), grad_norms=True)

    x_node = graph.node("x")
    exp, sin = graph.node("Exp"), graph.node("Sin")
    # Each path's contribution, by hand: d/dx 3 exp(x) and d/dx sin(x) ...
    assert norm_of(graph, exp, x_node) == pytest.approx(
        np.linalg.norm(3 * np.exp(values))
    )
    assert norm_of(graph, sin, x_node) == pytest.approx(np.linalg.norm(np.cos(values)))
    # ... which add up to x's gradient, as PyTorch computes it.
    x_t = torch.tensor(values, requires_grad=True)
    (3 * torch.exp(x_t) + torch.sin(x_t)).sum().backward()
    np.testing.assert_allclose(3 * np.exp(values) + np.cos(values), x_t.grad.numpy())


def test_a_broadcast_input_gets_the_reduced_gradient() -> None:
    b = cr.tensor([1.0, 2.0], requires_grad=True, name="b")
    x = cr.tensor(np.ones((5, 2)), requires_grad=True, name="x")
    graph = cr.viz.graph(x + b, grad_norms=True)
    # b's gradient is the seed of ones summed over the 5 rows: (5, 5).
    assert norm_of(graph, graph.node("Add"), graph.node("b")) == pytest.approx(
        np.hypot(5, 5)
    )


def test_measuring_changes_no_grad_and_runs_no_hook() -> None:
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4, generator=rng), nn.Tanh())
    x = cr.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    h = model[0](x)
    h.retain_grad()
    seen = []
    model[0].weight.register_hook(lambda grad: seen.append(grad))
    y = model[1](h).sum()

    cr.viz.graph(y, model=model, grad_norms=True)

    assert x.grad is None and h.grad is None and seen == []
    assert all(p.grad is None for p in model.parameters())
    # The graph is still whole, and the hooks are back in place.
    y.backward()
    assert h.grad is not None and len(seen) == 1
    assert "backward" not in vars(y.grad_fn)


def test_a_freed_graph_cannot_be_measured() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(GraphDrawingError, match="retain_graph=True"):
        cr.viz.graph(y, grad_norms=True)
    # Without norms it still draws.
    assert len(cr.viz.graph(y).nodes) == 5
