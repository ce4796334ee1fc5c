"""GradientMonitor's numbers against values worked out by hand on tiny networks."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.monitor import GradientMonitor, LayerRecord


def tiny_relu_net() -> nn.Sequential:
    """Linear(2, 2) -> ReLU -> Linear(2, 1) with weights chosen for hand work."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    model[0].weight.data[...] = [[1.0, 0.0], [-1.0, -1.0]]
    model[0].bias.data[...] = [0.0, 0.0]
    model[2].weight.data[...] = [[2.0, 5.0]]
    model[2].bias.data[...] = [1.0]
    return model


# By hand, for x = [[1, 2], [3, -1]] and loss = sum(output):
#   z = x W1ᵀ = [[1, -3], [3, -2]]   h = relu(z) = [[1, 0], [3, 0]]   (unit 2 dead)
#   output = h W2ᵀ + 1 = [[3], [7]]
#   data gradients: at the output ones(2, 1)       -> norm √2
#                   at h: ones · W2 = [[2, 5]] * 2 -> norm √58
#                   at z: [[2, 0], [2, 0]]         -> norm √8
#   weight gradients: W2: Σ h = [4, 0], b2: 2      -> norm √20
#                     W1: dzᵀ x = [[8, 2], [0, 0]], b1: [4, 0] -> norm √84
#   ‖W1, b1‖ = √3, ‖W2, b2‖ = √30; SGD(lr=0.1) moves each by 0.1·‖grad‖.
X = [[1.0, 2.0], [3.0, -1.0]]


def run_tiny_step(**step_options: object) -> tuple[GradientMonitor, object]:
    model = tiny_relu_net()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with GradientMonitor(model) as monitor:
        model(cr.tensor(X)).sum().backward()
        record = monitor.step(optimizer, **step_options)
    return monitor, record


def by_layer(rows: tuple[LayerRecord, ...]) -> dict[str, LayerRecord]:
    return {row.layer: row for row in rows}


def test_tiny_network_numbers_match_the_hand_computation() -> None:
    monitor, record = run_tiny_step()
    rows = by_layer(record.layers)

    assert [r.layer for r in record.layers] == ["0", "1", "2"]
    assert [r.depth for r in record.layers] == [0, 1, 2]
    assert [r.kind for r in record.layers] == ["Linear", "ReLU", "Linear"]
    assert rows["0"].weight_grad_norm == pytest.approx(math.sqrt(84), rel=1e-14)
    assert rows["2"].weight_grad_norm == pytest.approx(math.sqrt(20), rel=1e-14)
    assert rows["1"].weight_grad_norm is None
    assert rows["0"].data_grad_norm == pytest.approx(math.sqrt(8), rel=1e-14)
    assert rows["1"].data_grad_norm == pytest.approx(math.sqrt(58), rel=1e-14)
    assert rows["2"].data_grad_norm == pytest.approx(math.sqrt(2), rel=1e-14)
    assert rows["0"].update_ratio == pytest.approx(
        0.1 * math.sqrt(84) / math.sqrt(3), rel=1e-12
    )
    assert rows["2"].update_ratio == pytest.approx(
        0.1 * math.sqrt(20) / math.sqrt(30), rel=1e-12
    )
    assert rows["1"].update_ratio is None
    assert rows["1"].dead == 0.5
    assert rows["1"].saturated is None and rows["0"].dead is None
    assert record.total_grad_norm == pytest.approx(math.sqrt(104), rel=1e-14)
    assert record.clip is None
    assert monitor.healthy


def test_weight_gradients_are_read_before_clipping_and_clipping_is_counted() -> None:
    monitor, record = run_tiny_step(max_norm=1.0)
    rows = by_layer(record.layers)
    scale = 1.0 / (math.sqrt(104) + 1e-6)

    assert rows["0"].weight_grad_norm == pytest.approx(math.sqrt(84), rel=1e-14)
    assert record.clip is not None and record.clip.clipped
    assert record.clip.total_norm == pytest.approx(math.sqrt(104), rel=1e-14)
    assert record.clip.scale == pytest.approx(scale, rel=1e-14)
    # The optimizer stepped with the clipped gradients.
    assert rows["0"].update_ratio == pytest.approx(
        0.1 * scale * math.sqrt(84) / math.sqrt(3), rel=1e-12
    )
    assert monitor.clip_counts() == (1, 1)
    assert "clipping acted in 1 of 1 steps" in monitor.verdict()


def test_tanh_and_sigmoid_saturation_fractions_are_exact() -> None:
    # tanh: z = [[2, 0.5], [-4, -1]]: only |tanh(-4)| = 0.99933 > 0.97
    # (tanh(2) = 0.96403 is just below the threshold): 1 of 4.
    tanh_net = nn.Sequential(nn.Linear(1, 2, bias=False), nn.Tanh())
    tanh_net[0].weight.data[...] = [[2.0], [0.5]]
    # sigmoid: z = [[10, 1], [1, 0.1], [-10, -1]]: sigmoid(10) > 0.97 and
    # sigmoid(-10) < 0.03 are saturated, the other four are not: 2 of 6.
    sigmoid_net = nn.Sequential(nn.Linear(1, 2, bias=False), nn.Sigmoid())
    sigmoid_net[0].weight.data[...] = [[10.0], [1.0]]

    for model, x, expected in (
        (tanh_net, [[1.0], [-2.0]], 1 / 4),
        (sigmoid_net, [[1.0], [0.1], [-1.0]], 2 / 6),
    ):
        with GradientMonitor(model) as monitor:
            model(cr.tensor(x)).sum().backward()
            rows = by_layer(monitor.step().layers)
        assert rows["1"].saturated == expected
        assert rows["1"].dead is None and rows["0"].saturated is None


def test_tanh_data_gradients_by_hand() -> None:
    model = nn.Sequential(nn.Linear(1, 2, bias=False), nn.Tanh())
    model[0].weight.data[...] = [[2.0], [0.5]]
    with GradientMonitor(model) as monitor:
        model(cr.tensor([[1.0], [-2.0]])).sum().backward()
        rows = by_layer(monitor.step().layers)

    # d loss / d tanh output = 1 everywhere (4 entries): norm 2. At the
    # Linear output: 1 - tanh(z)² for z = 2, 0.5, -4, -1.
    z = [2.0, 0.5, -4.0, -1.0]
    expected = math.sqrt(sum((1 - math.tanh(v) ** 2) ** 2 for v in z))
    assert rows["1"].data_grad_norm == pytest.approx(2.0, rel=1e-14)
    assert rows["0"].data_grad_norm == pytest.approx(expected, rel=1e-14)
    # Weight gradient: Σ_n (1 - tanh(z_nj)²) x_n per unit j.
    w_grad = [
        (1 - math.tanh(2.0) ** 2) * 1 + (1 - math.tanh(-4.0) ** 2) * -2,
        (1 - math.tanh(0.5) ** 2) * 1 + (1 - math.tanh(-1.0) ** 2) * -2,
    ]
    assert rows["0"].weight_grad_norm == pytest.approx(math.hypot(*w_grad))


def test_a_layer_called_twice_counts_both_outputs() -> None:
    layer = nn.Linear(2, 2, bias=False)
    layer.weight.data[...] = [[1.0, 2.0], [0.0, -1.0]]
    model = nn.Sequential(layer, layer)
    assert [path for path, _ in model.named_modules()] == ["", "0"]
    with GradientMonitor(model) as monitor:
        model(cr.tensor([[1.0, 1.0]])).sum().backward()
        (row,) = monitor.step().layers

    # loss = sum(W W x): the second output's gradient is [1, 1], the first
    # output's is [1, 1] W = [1, 1].
    assert row.data_grad_norm == pytest.approx(math.sqrt(2 + 2), rel=1e-14)


def test_evaluation_under_no_grad_is_not_measured() -> None:
    model = tiny_relu_net()
    with GradientMonitor(model) as monitor:
        with cr.no_grad():
            model(cr.tensor([[-5.0, -5.0]] * 3))  # would make every unit dead
        model(cr.tensor(X)).sum().backward()
        rows = by_layer(monitor.step().layers)
    assert rows["1"].dead == 0.5


def test_steps_accumulate_and_series_reads_one_field_over_steps() -> None:
    model = tiny_relu_net()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    with GradientMonitor(model) as monitor:
        for _ in range(3):
            optimizer.zero_grad()
            model(cr.tensor(X)).sum().backward()
            monitor.step(optimizer)

    assert [r.step for r in monitor.steps] == [0, 1, 2]
    assert len(monitor.records) == 9
    assert monitor.layers == ["0", "1", "2"]
    dead = monitor.series("dead", "1")
    np.testing.assert_array_equal(dead, [0.5, 0.5, 0.5])
    assert monitor.series("weight_grad_norm", "0")[0] == pytest.approx(math.sqrt(84))
    assert np.isnan(monitor.series("weight_grad_norm", "1")).all()
    with pytest.raises(ValueError, match="unknown field"):
        monitor.series("norm", "0")
    with pytest.raises(KeyError, match="recorded layers"):
        monitor.series("dead", "7")


def test_detach_removes_every_hook_and_keeps_the_records() -> None:
    model = tiny_relu_net()
    monitor = GradientMonitor(model).attach()
    assert monitor.attached and model[1]._forward_hooks
    model(cr.tensor(X)).sum().backward()
    monitor.step()
    monitor.detach()

    assert not monitor.attached
    assert not any(m._forward_hooks for m in model.modules())
    model.zero_grad()
    model(cr.tensor(X)).sum().backward()
    rows = by_layer(monitor.step().layers)
    # Without hooks only the weight gradients are read.
    assert set(rows) == {"0", "2"}
    assert rows["0"].data_grad_norm is None
    assert rows["0"].weight_grad_norm == pytest.approx(math.sqrt(84))
    assert len(monitor.steps) == 2


def test_layers_option_and_argument_errors() -> None:
    model = tiny_relu_net()
    with GradientMonitor(model, layers=["2"]) as monitor:
        model(cr.tensor(X)).sum().backward()
        assert [r.layer for r in monitor.step().layers] == ["2"]

    with pytest.raises(KeyError, match=r"no module '5'.*\['0', '1', '2'\]"):
        GradientMonitor(model, layers=["5"])
    with pytest.raises(TypeError, match=r"nn\.Module"):
        GradientMonitor(lambda x: x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="vanishing < 1 < exploding"):
        GradientMonitor(model, vanishing=2.0)
    with pytest.raises(ValueError, match="saturation"):
        GradientMonitor(model, saturation=0.3)


def test_a_model_without_submodules_is_its_own_layer() -> None:
    model = nn.Linear(2, 1)
    with GradientMonitor(model) as monitor:
        model(cr.tensor(X)).sum().backward()
        (row,) = monitor.step().layers
    assert row.layer == "" and row.kind == "Linear"
    assert "(model)" in monitor.report()


def test_report_shows_the_step_as_a_table_and_the_verdict() -> None:
    monitor, _ = run_tiny_step(max_norm=100.0)
    text = monitor.report()
    lines = text.splitlines()
    assert lines[0].startswith("gradient health at step 0")
    assert lines[1].split() == [
        "depth",
        "layer",
        "type",
        "weight",
        "grad",
        "data",
        "grad",
        "update/weight",
        "saturated",
        "dead",
    ]
    assert lines[3].split()[:3] == ["1", "1", "ReLU"] and "50.0%" in lines[3]
    assert "9.17e+00" in lines[2]  # √84
    assert "not clipped" in text
    assert lines[-1] == (
        "verdict: healthy: no vanishing or exploding gradients in 1 steps; "
        "clipping acted in 0 of 1 steps"
    )
    assert "no steps recorded" in GradientMonitor(tiny_relu_net()).report()


def test_to_json_holds_every_record_and_reads_back(tmp_path) -> None:
    monitor, _ = run_tiny_step(max_norm=1.0)
    path = tmp_path / "health.json"
    text = monitor.to_json(path)
    data = json.loads(path.read_text())

    assert text == path.read_text()
    assert data["format"] == "chainrule.monitor"
    assert data["thresholds"] == {
        "vanishing": 1e-3,
        "exploding": 1e3,
        "saturation": 0.97,
        "stuck": 0.5,
        "dead_batch": 4,
    }
    assert [layer["layer"] for layer in data["layers"]] == ["0", "1", "2"]
    assert len(data["records"]) == 3
    first = data["records"][0]
    assert first["layer"] == "0" and first["saturated"] is None
    assert first["weight_grad_norm"] == pytest.approx(math.sqrt(84))
    assert data["steps"][0]["clip"]["clipped"] is True
    assert data["steps"][0]["batch_size"] == monitor.steps[0].batch_size > 0
    assert data["verdict"].startswith("healthy")


def test_monitor_follows_the_float32_model_and_keeps_its_dtype() -> None:
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float32), nn.Tanh())
    with GradientMonitor(model) as monitor:
        model(cr.tensor(np.ones((2, 3), np.float32))).sum().backward()
        rows = monitor.step(optim.SGD(model.parameters(), lr=0.1)).layers
    assert all(isinstance(r.data_grad_norm, float) for r in rows)
    assert model[0].weight.dtype == np.float32
    assert model[0].weight.grad.dtype == np.float32


def test_dead_units_are_positions_zero_in_every_sample() -> None:
    from chainrule.monitor.measures import dead

    # Batch of 2, 2 channels x 3 positions: a unit is (channel, position).
    y = np.array(
        [
            [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]],
            [[0.0, 0.0, 0.0], [3.0, 0.0, 0.0]],
        ]
    )
    # Zero in both samples: (0, 0), (0, 2) and (1, 1); the others are alive.
    assert dead(y) == (3, 6)
    assert dead(np.array([0.0, 1.0, 0.0])) == (2, 3)  # one sample
    assert dead(np.zeros((0, 4))) == (0, 0)


def test_a_step_before_any_backward_warns_and_is_not_called_healthy() -> None:
    from chainrule.monitor.health import GradientHealthWarning

    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    monitor = GradientMonitor(model)
    model(cr.ones(5, 3)).sum()  # no backward()
    with pytest.warns(GradientHealthWarning, match="after loss.backward"):
        monitor.step()
    assert monitor.verdict().startswith("no gradients recorded in 1 steps")
