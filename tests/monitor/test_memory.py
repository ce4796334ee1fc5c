"""saved_memory: what a known small graph keeps for backward, byte for byte."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule.monitor import saved_memory


def small_graph(dtype: type = np.float64) -> tuple[cr.Tensor, ...]:
    x = cr.tensor(np.ones((4, 3), dtype))
    w = cr.tensor(np.full((3, 2), 0.5, dtype), requires_grad=True)
    t = cr.tanh(x @ w)
    loss = (t * t).sum()
    return x, w, t, loss


def test_nodes_saved_arrays_and_total_of_a_known_graph() -> None:
    x, w, t, loss = small_graph()
    report = saved_memory(loss)

    # As documented (docs/conventions.md): matmul keeps both inputs, tanh its
    # output, multiply both inputs (here the same array twice), sum nothing.
    assert [n.op for n in report.nodes] == ["MatMul", "Tanh", "Multiply", "Sum"]
    matmul, tanh, multiply, total = report.nodes
    assert [(a.shape, a.role) for a in matmul.saved] == [
        ((4, 3), "input"),
        ((3, 2), "input"),
    ]
    assert [(a.shape, a.role) for a in tanh.saved] == [((4, 2), "output")]
    assert [a.shared_with for a in multiply.saved] == [1, 1]
    assert total.saved == ()
    assert all(a.dtype == "float64" for n in report.nodes for a in n.saved)
    # Each distinct array once: 4·3·8 + 3·2·8 + 4·2·8 bytes.
    assert report.total_bytes == x.data.nbytes + w.data.nbytes + t.data.nbytes
    assert report.total_bytes == 96 + 48 + 64
    assert [n.nbytes for n in report.nodes] == [144, 64, 0, 0]
    assert report.by_op() == {"MatMul": 144, "Tanh": 64, "Multiply": 0, "Sum": 0}


def test_float32_and_masks() -> None:
    x = cr.tensor(np.array([[-1.0, 2.0]], np.float32), requires_grad=True)
    y = cr.tanh(x)
    report = saved_memory(cr.clip(y, -0.5, 0.5))
    tanh, clip = report.nodes
    assert (tanh.saved[0].dtype, tanh.saved[0].nbytes) == ("float32", 8)
    (mask,) = clip.saved
    # clip keeps a boolean mask: one byte per entry.
    assert (clip.op, mask.role, mask.dtype, mask.shape) == (
        "Clip",
        "constant",
        "bool",
        (1, 2),
    )
    assert report.total_bytes == 8 + 2


def test_relu_keeps_its_output_and_so_adds_no_bytes_of_its_own() -> None:
    x = cr.tensor(np.array([[-1.0, 2.0]]), requires_grad=True)
    report = saved_memory(cr.relu(cr.tanh(x)))
    _, relu = report.nodes
    (kept,) = relu.saved
    assert (relu.op, kept.role) == ("ReLU", "output")
    assert report.total_bytes == 16 + 16


def test_backward_frees_the_saved_arrays_and_the_report_says_so() -> None:
    _, _, _, loss = small_graph()
    loss.backward()
    report = saved_memory(loss)
    assert report.total_bytes == 0
    # MatMul, Tanh and Multiply kept arrays and freed them; Sum kept none.
    assert [n.freed for n in report.nodes] == [True, True, True, False]
    assert "(freed by backward)" in str(report)


def test_printed_table_lists_every_array_and_the_total() -> None:
    *_, loss = small_graph()
    text = str(saved_memory(loss))
    lines = text.splitlines()
    assert lines[0] == "saved for backward: 4 nodes, 3 distinct arrays, 208 B"
    assert lines[1].split() == ["#", "op", "saved", "shape", "dtype", "bytes"]
    assert "input (= #1)" in text
    assert lines[-1] == "by op: MatMul 144 B, Tanh 64 B"


def test_leaves_and_deep_graphs() -> None:
    assert saved_memory(cr.ones(3)).nodes == ()

    x = cr.tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(5000):  # deeper than Python's recursion limit
        y = cr.tanh(y)
    report = saved_memory(y)
    assert len(report.nodes) == 5000
    assert report.total_bytes == 5000 * 16
    assert report.to_dict()["nodes"][0]["saved"][0]["shape"] == [2]


def test_a_transposed_weight_is_marked_as_a_view() -> None:
    w = cr.tensor(np.ones((2, 3)), requires_grad=True)
    report = saved_memory(cr.ones(4, 3) @ w.T)
    matmul = next(n for n in report.nodes if n.op == "MatMul")
    assert [(a.shape, a.view) for a in matmul.saved] == [
        ((4, 3), False),
        ((3, 2), True),
    ]
    assert "input (view)" in str(report)


def test_an_mlp_with_its_loss_byte_for_byte() -> None:
    from chainrule import functional as F
    from chainrule import nn

    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = cr.tensor(np.ones((5, 3)))
    loss = F.cross_entropy(model(x), cr.tensor(np.array([0, 1, 0, 1, 1])))
    report = saved_memory(loss)

    # By hand, float64 = 8 bytes: the batch (5·3) and W1 (4·3) for the first
    # layer, ReLU's output (5·4), which the second layer keeps too (counted
    # once) with W2 (2·4), and the logits (5·2) the loss keeps.
    hand = 8 * (15 + 12) + 8 * 20 + 8 * 8 + 8 * 10
    assert report.total_bytes == hand == 520
    relu, second = report.nodes[1], report.nodes[2]
    assert (relu.op, second.op) == ("ReLU", "Linear")
    assert second.saved[0].shared_with == 1
    assert report.view_bytes == 0

    # And against the arrays the nodes actually hold, found by a walk of
    # our own: every distinct array once.
    seen: dict[int, np.ndarray] = {}
    stack, visited = [loss.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in visited:
            continue
        visited.add(id(node))
        for value in node._saved or ():
            if isinstance(value, np.ndarray | np.generic):
                seen[id(value)] = value
        stack.extend(edge[0] for edge in node.edges if edge and edge[1] >= 0)
    assert len(visited) == len(report.nodes)
    assert report.total_bytes == sum(a.nbytes for a in seen.values())
