"""The extracted graph: nodes, edges, module boxes, on small graphs of known shape."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import GraphDrawingError
from chainrule.viz import Graph, Node


def texts(graph: Graph) -> list[tuple[str, str]]:
    return [(n.kind, n.text.replace("\n", " ")) for n in graph.nodes]


def forward_pairs(graph: Graph) -> set[tuple[str, str]]:
    label = {n.id: n.name or n.label or n.text for n in graph.nodes}
    return {
        (label[e.source], label[e.target])
        for e in graph.edges
        if e.direction == "forward"
    }


def users(graph: Graph, node: Node) -> list[Node]:
    by_id = {n.id: n for n in graph.nodes}
    return [
        by_id[e.target]
        for e in graph.edges
        if e.source == node.id and e.direction == "forward"
    ]


def test_an_affine_tanh_layer_in_full_detail() -> None:
    x = cr.tensor(np.ones((4, 3)))
    w = cr.ones(3, 2, requires_grad=True)
    b = cr.zeros(2, requires_grad=True)
    y = cr.tanh(x @ w + b)
    y.name = "h"

    graph = cr.viz.graph(y, params={"w": w, "b": b})

    assert graph.detail == "full"
    assert texts(graph) == [
        ("weight", "w (3, 2)"),
        ("op", "MatMul"),
        ("data", "(4, 2)"),
        ("weight", "b (2,)"),
        ("op", "Add"),
        ("data", "(4, 2)"),
        ("op", "Tanh"),
        ("data", "h (4, 2)"),
    ]
    # Every forward edge has its backward edge the other way, and nothing else.
    forward = [(e.source, e.target) for e in graph.edges if e.direction == "forward"]
    backward = [(e.target, e.source) for e in graph.edges if e.direction == "backward"]
    assert sorted(forward) == sorted(backward)
    assert len(forward) == 7
    assert all(e.grad_norm is None for e in graph.edges)
    assert graph.node("w").kind == "weight"
    assert users(graph, graph.node("w"))[0].label == "MatMul"


def test_parameters_are_weights_named_by_module_path() -> None:
    model = nn.Linear(3, 2)
    graph = cr.viz.graph(model(cr.ones(5, 3)), model=model)
    weights = {n.name: n.shape for n in graph.nodes if n.kind == "weight"}
    assert weights == {"weight": (2, 3), "bias": (2,)}
    # Without the model a Parameter is still a weight, unnamed.
    unnamed = cr.viz.graph(model(cr.ones(5, 3)))
    assert [n.name for n in unnamed.nodes if n.kind == "weight"] == [None, None]


def test_a_graph_without_parameters_has_data_nodes_only() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True, name="x")
    graph = cr.viz.graph((x * x).sum())
    assert [n.kind for n in graph.nodes] == ["data", "op", "data", "op", "data"]
    assert graph.node("x").shape == (2,)
    # x enters Multiply twice (x * x): two forward edges, two backward edges.
    multiply = graph.node("Multiply")
    assert len(graph.edges_between(graph.node("x"), multiply, "forward")) == 2
    assert len(graph.edges_between(multiply, graph.node("x"), "backward")) == 2


def test_a_diamond_shares_its_input() -> None:
    x = cr.tensor([0.5, 1.0, 2.0], requires_grad=True, name="x")
    graph = cr.viz.graph(cr.exp(x) + cr.sin(x))
    x_node = graph.node("x")
    assert sorted(n.label for n in users(graph, x_node)) == ["Exp", "Sin"]
    (add,) = [n for n in graph.nodes if n.label == "Add"]
    into_add = [
        e for e in graph.edges if e.target == add.id and e.direction == "forward"
    ]
    assert len(into_add) == 2
    assert sum(n.kind == "data" for n in graph.nodes) == 4


def test_every_output_of_a_multi_output_op_is_a_data_node() -> None:
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="x")
    first, second, third = cr.split(x, 3, axis=1)
    graph = cr.viz.graph((first * 2 + second).sum())

    (split,) = [n for n in graph.nodes if n.label == "Split"]
    outputs = users(graph, split)
    # The third output is not used: it is not part of the graph.
    assert sorted(n.text for n in outputs) == ["output 0\n(2, 1)", "output 1\n(2, 1)"]
    del third


def test_deep_chain_draws_without_recursion() -> None:
    x = cr.tensor(1.0, requires_grad=True, name="x")
    y = x
    for _ in range(10_000):
        y = y * 1.0
    graph = cr.viz.graph(y)
    assert sum(n.kind == "op" for n in graph.nodes) == 10_000
    dot = graph.to_dot()
    assert dot.count('label="Multiply"') == 10_000


def test_a_leaf_is_a_graph_of_one_node() -> None:
    w = nn.Parameter(np.ones(3))
    graph = cr.viz.graph(w)
    assert texts(graph) == [("weight", "(3,)")]
    assert graph.edges == ()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: cr.viz.graph(np.ones(3)), TypeError, "expected a Tensor"),
        (lambda: cr.viz.graph(cr.ones(3)), GraphDrawingError, "requires_grad=True"),
        (
            lambda: cr.viz.graph(cr.ones(3, requires_grad=True) * 2, detail="layers"),
            GraphDrawingError,
            "'module' or 'full'",
        ),
        (
            lambda: cr.viz.graph(cr.ones(3, requires_grad=True) * 2, detail="module"),
            GraphDrawingError,
            "record_modules",
        ),
        (
            lambda: cr.viz.graph(cr.ones(3, requires_grad=True), model="net"),
            TypeError,
            "nn.Module",
        ),
    ],
)
def test_errors_say_what_to_do(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


# --- module level -----------------------------------------------------------------


def mlp() -> nn.Sequential:
    rng = np.random.default_rng(0)
    return nn.Sequential(
        nn.Linear(4, 8, generator=rng),
        nn.Tanh(),
        nn.Linear(8, 8, generator=rng),
        nn.ReLU(),
        nn.Linear(8, 2, generator=rng),
    )


def test_a_model_collapses_to_one_box_per_layer() -> None:
    model = mlp()
    graph = cr.viz.draw(model, np.ones((3, 4)))
    assert graph.detail == "module"
    assert [n.label for n in graph.nodes if n.kind == "module"] == [
        "Linear 0",
        "Tanh 1",
        "Linear 2",
        "ReLU 3",
        "Linear 4",
    ]
    assert [n.kind for n in graph.nodes].count("op") == 0
    data = {n.name: n.shape for n in graph.nodes if n.kind == "data"}
    assert data == {
        "input": (3, 4),
        "0": (3, 8),
        "1": (3, 8),
        "2": (3, 8),
        "3": (3, 8),
        "output": (3, 2),
    }
    assert forward_pairs(graph) >= {
        ("input", "0"),
        ("0.weight", "0"),
        ("0.bias", "0"),
        ("0", "1"),
        ("4", "output"),
    }
    # The hooks are gone again.
    assert all(not m._forward_hooks for m in model.modules())


def test_full_detail_shows_every_op_of_the_same_forward() -> None:
    model = mlp()
    full = cr.viz.draw(model, np.ones((3, 4)), detail="full")
    ops = [n.label for n in full.nodes if n.kind == "op"]
    assert ops.count("Linear") == 3  # x @ Wᵀ + b is one op
    assert ops.count("Tanh") == 1 and ops.count("ReLU") == 1
    assert not any(n.kind == "module" for n in full.nodes)
    # Module outputs keep their names; a Linear has no values inside it.
    names = [n.name for n in full.nodes if n.kind == "data"]
    assert names == ["input", "0", "1", "2", "3", "output"]


def test_record_modules_then_graph_is_the_same_as_draw() -> None:
    model = mlp()
    x = cr.tensor(np.ones((3, 4)), requires_grad=True, name="input")
    with cr.viz.record_modules(model):
        y = model(x)
    y.name = "output"
    assert texts(cr.viz.graph(y, model=model)) == texts(
        cr.viz.draw(model, np.ones((3, 4)))
    )


class Residual(nn.Module):
    """Own ops (the skip and the scale) around two children, one of them nested."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
        self.head = nn.Linear(3, 1)
        self.scale = nn.Parameter(2.0)

    def forward(self, x):
        h = self.body(x) + x
        return self.head(h) * self.scale


def test_nested_modules_box_at_the_top_level_and_own_ops_stay() -> None:
    model = Residual()
    graph = cr.viz.draw(model, np.ones((2, 3)))
    assert [n.label for n in graph.nodes if n.kind in ("module", "op")] == [
        "Sequential body",
        "Add",
        "Linear head",
        "Multiply",
    ]
    assert graph.node("scale").kind == "weight"
    assert forward_pairs(graph) >= {
        ("input", "body"),
        ("input", "Add"),
        ("body.0.weight", "body"),
        ("scale", "Multiply"),
    }
    # The values inside body (its Linear's output) are not drawn.
    assert "body.0" not in {n.name for n in graph.nodes}
    full = cr.viz.draw(model, np.ones((2, 3)), detail="full")
    assert "body.0" in {n.name for n in full.nodes}


def test_a_layer_called_twice_is_two_boxes() -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.Linear(2, 2)

        def forward(self, x):
            return self.layer(self.layer(x))

    model = Twice()
    graph = cr.viz.draw(model, np.ones((1, 2)))
    assert [n.label for n in graph.nodes if n.kind == "module"] == [
        "Linear layer",
        "Linear layer (call 2)",
    ]
    weight = graph.node("layer.weight")
    assert len(users(graph, weight)) == 2


def test_a_model_without_children_is_one_box() -> None:
    graph = cr.viz.draw(nn.Linear(3, 2), np.ones((1, 3)))
    assert [n.label for n in graph.nodes if n.kind == "module"] == ["Linear"]


def test_draw_puts_buffers_back_and_boxes_the_loss() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    before = model[1].running_mean.data.copy()
    rng = np.random.default_rng(1)
    y = cr.tensor(rng.standard_normal((5, 4)))
    graph = cr.viz.draw(
        model,
        rng.standard_normal((5, 3)) * 10,
        loss=lambda out: cr.functional.mse_loss(out, y),
    )
    np.testing.assert_array_equal(model[1].running_mean.data, before)
    assert [n.label for n in graph.nodes if n.kind == "module"] == [
        "Linear 0",
        "BatchNorm1d 1",
        "loss",
    ]
    assert graph.node("loss").shape == ()


def test_draw_refuses_a_model_returning_several_tensors() -> None:
    class Pair(nn.Module):
        def forward(self, x):
            return x * 2, x * 3

    with pytest.raises(TypeError, match="loss="):
        cr.viz.draw(Pair(), np.ones(2))
    graph = cr.viz.draw(Pair(), np.ones(2), loss=lambda pair: (pair[0] + pair[1]).sum())
    assert [n.label for n in graph.nodes if n.kind == "module"] == ["Pair", "loss"]
