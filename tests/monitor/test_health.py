"""Vanishing and exploding gradients are flagged by layer; healthy nets are not."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable

import numpy as np
import pytest

import chainrule as cr
from chainrule import functional as F
from chainrule import nn, optim
from chainrule.monitor import (
    ExplodingGradientWarning,
    GradientHealthWarning,
    GradientMonitor,
    SaturationWarning,
    VanishingGradientWarning,
)


def deep(
    depth: int,
    width: int,
    activation: type[nn.Module],
    init: Callable[[nn.Linear, np.random.Generator], object],
    seed: int = 0,
) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    layers: list[nn.Module] = []
    for _ in range(depth):
        linear = nn.Linear(width, width, generator=rng)
        init(linear, rng)
        layers += [linear, activation()]
    layers.append(nn.Linear(width, 3, generator=rng))
    return nn.Sequential(*layers)


def train(
    model: nn.Module, monitor: GradientMonitor, steps: int = 3, width: int = 16
) -> None:
    rng = np.random.default_rng(1)
    x = cr.tensor(rng.standard_normal((32, width)))
    y = cr.tensor(rng.integers(0, 3, 32))
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        monitor.step(optimizer)


def small(linear: nn.Linear, rng: np.random.Generator) -> None:
    nn.init.normal_(linear.weight, std=0.1, generator=rng)


def large(linear: nn.Linear, rng: np.random.Generator) -> None:
    nn.init.normal_(linear.weight, std=1.0, generator=rng)


def kaiming(linear: nn.Linear, rng: np.random.Generator) -> None:
    nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu", generator=rng)
    nn.init.zeros_(linear.bias)


def test_deep_sigmoid_with_small_weights_warns_of_vanishing_naming_layers() -> None:
    model = deep(10, 16, nn.Sigmoid, small)
    monitor = GradientMonitor(model)
    with monitor, pytest.warns(VanishingGradientWarning) as caught:
        train(model, monitor)

    assert len(caught) == 1  # once, though every step shows it
    message = str(caught[0].message)
    assert message.startswith("vanishing gradients at step 0")
    assert "'0' (Linear)" in message and "'1' (Sigmoid)" in message
    assert "'20' (Linear)" in message  # the reference: the last layer
    assert caught[0].filename == __file__  # points at the monitor.step call

    (finding,) = monitor.findings
    assert (finding.kind, finding.cause, finding.step) == ("vanishing", "depth", 0)
    assert finding.count == 3 and finding.last_step == 2
    assert finding.layers[:2] == ("0", "1") and "20" not in finding.layers
    # By the definition: those layers are below 1e-3 of the last layer's.
    rows = {r.layer: r.data_grad_norm for r in monitor.steps[0].layers}
    assert all(rows[layer] < 1e-3 * rows["20"] for layer in finding.layers)
    assert not monitor.healthy
    assert monitor.verdict().startswith("vanishing gradients (depth) from step 0")


def test_deep_relu_with_large_weights_warns_of_exploding_naming_layers() -> None:
    model = deep(8, 64, nn.ReLU, large)
    monitor = GradientMonitor(model)
    with monitor, pytest.warns(ExplodingGradientWarning) as caught:
        train(model, monitor, steps=1, width=64)

    message = str(caught[0].message)
    assert message.startswith("exploding gradients at step 0")
    assert "above 1000 times the last layer's" in message
    assert "'0' (Linear)" in message
    (finding,) = monitor.findings
    assert (finding.kind, finding.cause) == ("exploding", "depth")
    assert finding.layers[0] == "0"


def test_non_finite_gradients_warn_as_exploding_naming_the_layers(tmp_path) -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    model[2].weight.data[0, 0] = np.nan
    with GradientMonitor(model) as monitor, pytest.warns(ExplodingGradientWarning) as w:
        (model(cr.ones(4, 2)) ** 2).sum().backward()
        monitor.step()

    message = str(w[0].message)
    assert "non-finite gradient norms" in message
    assert "'0' (Linear) weight gradient nan and data gradient nan" in message
    # A layer without parameters is named for its data gradient only.
    assert "'1' (Tanh) data gradient nan" in message
    assert "'1' (Tanh) weight" not in message
    causes = {(f.kind, f.cause) for f in monitor.findings}
    assert ("exploding", "non-finite") in causes
    # nan goes to JSON as a string, so the file stays valid JSON.
    record = json.loads(monitor.to_json())["records"][0]
    assert record["weight_grad_norm"] == "nan"
    json.loads(monitor.to_json(tmp_path / "m.json"))


def test_a_gradient_norm_growing_across_steps_warns_as_exploding() -> None:
    # A linear net: scaling the input scales the weight gradients but not the
    # data gradients, so only the growth across steps can flag it.
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(4, 4, generator=rng), nn.Linear(4, 2, generator=rng)
    )
    x = rng.standard_normal((8, 4))
    monitor = GradientMonitor(model)
    with monitor, pytest.warns(ExplodingGradientWarning) as caught:
        for step in range(3):
            model.zero_grad()
            model(cr.tensor(x * 100.0**step)).sum().backward()
            monitor.step()

    (finding,) = monitor.findings
    assert (finding.kind, finding.cause, finding.step) == ("exploding", "steps", 2)
    assert finding.layers == ("0", "1")
    assert "grew from" in str(caught[0].message)
    assert "more than 1000 times" in str(caught[0].message)


def test_relu_with_kaiming_init_of_modest_depth_does_not_warn() -> None:
    model = deep(6, 32, nn.ReLU, kaiming)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientHealthWarning)
        with GradientMonitor(model) as monitor:
            train(model, monitor, steps=5, width=32)
    assert monitor.healthy and monitor.findings == []
    assert (
        monitor.verdict() == "healthy: no vanishing or exploding gradients in 5 steps"
    )


def test_tanh_with_xavier_init_does_not_warn() -> None:
    def xavier(linear: nn.Linear, rng: np.random.Generator) -> None:
        nn.init.xavier_uniform_(linear.weight, gain=5 / 3, generator=rng)

    model = deep(6, 32, nn.Tanh, xavier)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientHealthWarning)
        with GradientMonitor(model) as monitor:
            train(model, monitor, steps=3, width=32)
    assert monitor.healthy


def test_warn_false_records_findings_quietly_and_thresholds_are_settable() -> None:
    model = deep(10, 16, nn.Sigmoid, small)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with GradientMonitor(model, warn=False) as monitor:
            train(model, monitor, steps=1)
    assert [f.kind for f in monitor.findings] == ["vanishing"]

    # A loose enough threshold calls the same network healthy.
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientHealthWarning)
        with GradientMonitor(model, vanishing=1e-15) as monitor:
            train(model, monitor, steps=1)
    assert monitor.healthy


def test_a_saturated_tanh_net_is_flagged_naming_the_layers() -> None:
    # Six Tanh layers after std-3 weights: about 85% of their outputs beyond
    # |tanh| > 0.97, though the data-gradient norms stay within a factor of
    # 10 across depth (so the depth check alone called it healthy).
    def std3(linear: nn.Linear, rng: np.random.Generator) -> None:
        nn.init.normal_(linear.weight, std=3.0, generator=rng)

    model = deep(6, 16, nn.Tanh, std3)
    monitor = GradientMonitor(model)
    with monitor, pytest.warns(SaturationWarning) as caught:
        train(model, monitor)

    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("saturated units at step 0: more than half")
    assert "'1' (Tanh) 8" in message and "'11' (Tanh)" in message
    assert "audit_init" in message
    (finding,) = monitor.findings
    assert (finding.kind, finding.cause) == ("saturation", "saturated")
    assert finding.layers == ("1", "3", "5", "7", "9", "11")
    assert finding.count == 3
    assert all(r.saturated > 0.5 for r in monitor.steps[0].layers if r.kind == "Tanh")
    assert not monitor.healthy
    assert monitor.verdict().startswith(
        "saturated units from step 0, in 3 of 3 steps: '1' (Tanh), '3' (Tanh)"
    )


def mostly_dead(linear: nn.Linear, rng: np.random.Generator) -> None:
    kaiming(linear, rng)
    nn.init.constant_(linear.bias[:12], -10.0)  # 12 of 16 units never fire


def test_mostly_dead_relu_layers_are_flagged() -> None:
    model = deep(3, 16, nn.ReLU, mostly_dead)
    monitor = GradientMonitor(model, warn=False)
    with monitor:
        train(model, monitor, steps=2)

    (finding,) = monitor.findings
    assert (finding.kind, finding.cause) == ("saturation", "dead")
    assert finding.layers == ("1", "3", "5")
    assert "0 for every sample" in finding.message
    assert monitor.verdict().startswith("dead units from step 0")


def test_half_or_fewer_stuck_units_and_tiny_batches_are_not_flagged() -> None:
    def half_dead(linear: nn.Linear, rng: np.random.Generator) -> None:
        kaiming(linear, rng)
        nn.init.constant_(linear.bias[:8], -10.0)  # exactly half

    model = deep(3, 16, nn.ReLU, half_dead)
    with GradientMonitor(model, warn=False) as monitor:
        train(model, monitor, steps=1)
    assert monitor.healthy

    # One sample: about half of a healthy ReLU layer's units are 0 by chance,
    # so dead units are not judged from batches that small.
    model = deep(3, 16, nn.ReLU, kaiming)
    rng = np.random.default_rng(2)
    with GradientMonitor(model, warn=False) as monitor:
        for _ in range(10):
            model.zero_grad()
            model(cr.tensor(rng.standard_normal((1, 16)))).sum().backward()
            monitor.step()
    assert any(r.dead > 0.5 for s in monitor.steps for r in s.layers if r.dead)
    assert monitor.healthy


def test_saturated_and_dead_layers_of_one_net_each_warn_once() -> None:
    rng = np.random.default_rng(0)
    saturating = nn.Linear(16, 16, generator=rng)
    nn.init.normal_(saturating.weight, std=3.0, generator=rng)
    dying = nn.Linear(16, 16, generator=rng)
    mostly_dead(dying, rng)
    model = nn.Sequential(saturating, nn.Tanh(), dying, nn.ReLU(), nn.Linear(16, 3))
    monitor = GradientMonitor(model)
    with monitor, pytest.warns(SaturationWarning) as caught:
        train(model, monitor, steps=2)
    assert [str(w.message).split(" at ")[0] for w in caught] == [
        "saturated units",
        "dead units",
    ]
    assert [(f.cause, f.layers) for f in monitor.findings] == [
        ("saturated", ("1",)),
        ("dead", ("3",)),
    ]


def zero_last_layer(width: int = 16) -> nn.Sequential:
    model = deep(2, width, nn.ReLU, kaiming)
    nn.init.zeros_(model[4].weight)
    nn.init.zeros_(model[4].bias)
    return model


def test_a_zero_initialised_last_layer_is_not_vanishing() -> None:
    # Zero weights in the last layer send exactly 0 back to every layer
    # before it at step 0: no gradient has reached them yet, which is not a
    # gradient that shrank on its way. The first update lets it through.
    model = zero_last_layer()
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientHealthWarning)
        with GradientMonitor(model) as monitor:
            train(model, monitor, steps=3)
    first = {r.layer: r.data_grad_norm for r in monitor.steps[0].layers}
    assert first["0"] == first["3"] == 0.0 and first["4"] > 0
    later = {r.layer: r.data_grad_norm for r in monitor.steps[1].layers}
    assert all(norm > 0 for norm in later.values())
    assert monitor.healthy


def test_a_tiny_but_nonzero_first_gradient_still_vanishes() -> None:
    # The other side of the rule above: the same network with last-layer
    # weights of 1e-9 instead of 0 passes a gradient 1e-9 as large, and that
    # is vanishing.
    model = zero_last_layer()
    nn.init.constant_(model[4].weight, 1e-9)
    with GradientMonitor(model, warn=False) as monitor:
        train(model, monitor, steps=1)
    (finding,) = monitor.findings
    assert (finding.kind, finding.cause) == ("vanishing", "depth")
    assert finding.layers[0] == "0"
