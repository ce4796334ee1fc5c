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
    with pytest.raises(GraphDrawingError, match="retain_graph=True") as caught:
        cr.viz.graph(y, grad_norms=True)
    assert "cr.viz.watch(output) before that backward()" in str(caught.value)
    # Without norms it still draws.
    assert len(cr.viz.graph(y).nodes) == 5


# --- norms recorded from your own backward (cr.viz.watch) ----------------------


def mlp(seed: int = 0) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Linear(5, 7, generator=rng), nn.Tanh(), nn.Linear(7, 3, generator=rng)
    )


def training_step(model, x, labels, watch: bool) -> cr.Tensor:
    """A forward, then the ordinary loss.backward() (which frees the graph)."""
    with cr.viz.record_modules(model):
        loss = F.cross_entropy(model(x), labels)
    if watch:
        cr.viz.watch(loss)
    loss.backward()
    return loss


@pytest.mark.parametrize("detail", ["module", "full"])
def test_norms_after_an_ordinary_backward_are_the_measured_ones(detail) -> None:
    rng = np.random.default_rng(1)
    x = cr.tensor(rng.standard_normal((6, 5)), requires_grad=True, name="input")
    labels = cr.tensor(rng.integers(0, 3, 6))

    # The same graph, drawn while alive, measures the norms by an extra pass.
    model = mlp()
    with cr.viz.record_modules(model):
        alive = F.cross_entropy(model(x), labels)
    measured = cr.viz.graph(alive, model=model, detail=detail, grad_norms=True)

    loss = training_step(model, x, labels, watch=True)
    recorded = cr.viz.graph(loss, model=model, detail=detail, grad_norms=True)

    assert (measured.grad_norms, recorded.grad_norms) == ("measured", "recorded")
    assert [n.text for n in recorded.nodes] == [n.text for n in measured.nodes]
    pairs = list(zip(recorded.edges, measured.edges, strict=True))
    assert all(a.grad_norm is not None for a, _ in pairs if a.direction == "backward")
    for ours, reference in pairs:
        if reference.grad_norm is None:  # a forward edge
            assert ours.grad_norm is None
        else:
            assert ours.grad_norm == pytest.approx(reference.grad_norm, rel=1e-12)
    assert recorded.unrecorded == []


def test_watching_leaves_grad_as_the_backward_alone_makes_it() -> None:
    rng = np.random.default_rng(2)
    x = cr.tensor(rng.standard_normal((6, 5)))
    labels = cr.tensor(rng.integers(0, 3, 6))
    plain, watched = mlp(), mlp()
    training_step(plain, x, labels, watch=False)
    loss = training_step(watched, x, labels, watch=True)
    cr.viz.graph(loss, model=watched, grad_norms=True)
    for p, q in zip(plain.parameters(), watched.parameters(), strict=True):
        np.testing.assert_array_equal(p.grad.data, q.grad.data)
    # The spies removed themselves when they had seen the backward.
    node = loss.grad_fn
    assert node is not None and "backward" not in vars(node)


def test_recorded_norms_are_of_the_gradients_after_your_hooks() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True, name="x")
    h = x * 3
    h.register_hook(lambda grad: grad * 10)
    y = (h * h).sum()
    cr.viz.watch(y)
    y.backward()
    graph = cr.viz.graph(y, grad_norms=True)
    multiply = graph.nodes[1]
    assert multiply.label == "Multiply"
    # The hook made h's gradient 10 * 2h; x's is 3 times that.
    expected = np.linalg.norm(10 * 2 * 3 * 3 * np.array([1.0, 2.0]))
    assert norm_of(graph, multiply, graph.node("x")) == pytest.approx(expected)
    np.testing.assert_allclose(x.grad.data, 10 * 2 * 9 * np.array([1.0, 2.0]))


def test_ops_the_watched_backward_did_not_run_say_so() -> None:
    model = mlp()
    x = cr.tensor(np.ones((2, 5)))
    with cr.viz.record_modules(model):
        out = model(x)
    cr.viz.watch(out)  # the model's output, not the loss made from it
    loss = (out**2).mean()
    loss.backward()
    graph = cr.viz.graph(loss, model=model, grad_norms=True)

    missing = graph.unrecorded
    assert missing and all(e.direction == "backward" for e in missing)
    # The ops made after `out` (Power, Mean) had no spy: exactly their edges.
    ops = {n.id for n in graph.nodes if n.label in ("Power", "Mean")}
    assert all({e.source, e.target} & ops for e in missing)
    assert len(missing) == 4
    assert all(e.grad_norm is None for e in missing)
    # The gradient of `out` itself was recorded, by the op that made it.
    (out_edge,) = graph.edges_between(
        graph.node("2", "data"), graph.node("2", "module"), "backward"
    )
    assert out_edge.recorded and out_edge.grad_norm > 0
    assert "not recorded" in graph.to_dot()
    assert "an op the watched backward did not run" in graph.to_dot()


def test_measuring_a_watched_graph_keeps_the_watch() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (cr.exp(x) * 2).sum()
    cr.viz.watch(y)
    before = cr.viz.graph(y, grad_norms=True)  # alive: measured
    assert "backward" in vars(y.grad_fn)  # the watch is still in place
    y.backward()
    after = cr.viz.graph(y, grad_norms=True)
    assert (before.grad_norms, after.grad_norms) == ("measured", "recorded")
    assert [e.grad_norm for e in after.edges] == [e.grad_norm for e in before.edges]


def test_watch_refuses_what_it_cannot_record() -> None:
    with pytest.raises(GraphDrawingError, match="does not require grad"):
        cr.viz.watch(cr.ones(2))
    x = cr.tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(GraphDrawingError, match="before backward"):
        cr.viz.watch(y)
