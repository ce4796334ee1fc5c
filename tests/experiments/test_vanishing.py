"""gradient_flow: per-layer gradient norms against PyTorch, and the text's claims."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from chainrule.errors import ArgumentError
from chainrule.experiments import gradient_flow, vanishing
from chainrule.experiments.vanishing import FlowRun


def synthetic(n: int = 40, features: int = 6, classes: int = 3):
    rng = np.random.default_rng(1)
    return rng.standard_normal((n, features)), rng.integers(0, classes, n)


def torch_gradients(activation: str, init: str, sizes, x, y, seed):
    """Step-1 norms and the SGD update of the same seeded network, in torch float64.

    The weights come from the experiment's own constructor; everything after
    (forward, cross-entropy, backward, norms) is PyTorch's.
    """
    layers = vanishing._network(sizes, activation, init, seed)
    weights = [torch.tensor(layer.weight.data, requires_grad=True) for layer in layers]
    biases = [torch.tensor(layer.bias.data, requires_grad=True) for layer in layers]
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]

    h = torch.tensor(x)
    outputs = []
    for k, (w, b) in enumerate(zip(weights, biases, strict=True)):
        z = h @ w.T + b
        z.retain_grad()
        outputs.append(z)
        h = act(z) if k < len(weights) - 1 else z
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(y))
    loss.backward()

    weight_norms = [float(w.grad.norm()) for w in weights]
    data_norms = [float(z.grad.norm()) for z in outputs]
    total = math.sqrt(sum(float(p.grad.norm()) ** 2 for p in weights + biases))
    return loss.item(), weight_norms, data_norms, total


@pytest.mark.parametrize(
    ("activation", "init"),
    [("sigmoid", "xavier"), ("tanh", "small"), ("relu", "kaiming"), ("relu", "large")],
)
def test_step_one_norms_match_torch(activation, init) -> None:
    x, y = synthetic()
    result = gradient_flow(
        [activation],
        [init],
        depth=5,
        width=7,
        steps=1,
        batch_size=len(x),  # the whole data: the mean loss ignores the order
        lr=0.1,
        clip_norm=None,
        data=(x, y),
    )
    (run,) = result.runs
    sizes = result.settings["layer_sizes"]
    assert sizes == [6, 7, 7, 7, 7, 3]

    loss, weight_norms, data_norms, total = torch_gradients(
        activation, init, sizes, x, y, seed=0
    )
    np.testing.assert_allclose(run.losses, [loss], rtol=1e-12)
    np.testing.assert_allclose(run.weight_grad_norms[0], weight_norms, rtol=1e-10)
    np.testing.assert_allclose(run.data_grad_norms[0], data_norms, rtol=1e-10)
    # Plain SGD moves the weights by exactly lr times the gradient.
    np.testing.assert_allclose(run.update_norms, [0.1 * total], rtol=1e-10)


def test_clipped_update_has_the_length_lr_times_the_bound() -> None:
    x, y = synthetic()
    result = gradient_flow(
        ["relu"],
        ["large"],
        depth=5,
        width=7,
        steps=1,
        batch_size=len(x),
        lr=0.1,
        clip_norm=0.5,
        data=(x, y),
    )
    unclipped, clipped = result.runs
    *_, total = torch_gradients(
        "relu", "large", result.settings["layer_sizes"], x, y, 0
    )
    assert total > 0.5  # else nothing would be clipped
    assert unclipped.clip_norm is None and clipped.clip_norm == 0.5
    # clip_grad_norm_ scales by max_norm / (norm + 1e-6).
    np.testing.assert_allclose(
        clipped.update_norms, [0.1 * 0.5 * total / (total + 1e-6)], rtol=1e-10
    )
    assert clipped.label == "relu/large + clip 0.5"
    assert clipped.verdict == "bounded"


def test_same_seed_same_numbers_and_batches_cycle() -> None:
    x, y = synthetic(n=10)
    runs = [
        gradient_flow(
            ["tanh"],
            ["xavier"],
            depth=3,
            width=4,
            steps=4,
            batch_size=4,
            clip_norm=None,
            data=(x, y),
        ).runs[0]
        for _ in range(2)
    ]
    assert runs[0].losses == runs[1].losses
    assert len(runs[0].losses) == len(runs[0].update_norms) == 4


# The claims on the real settings: 20 layers of width 64, the digits data.
@pytest.fixture(scope="module")
def digits_result() -> vanishing.GradientFlowResult:
    return gradient_flow(steps=2)


@pytest.fixture(scope="module")
def digits_runs(digits_result) -> dict[str, FlowRun]:
    return {run.label: run for run in digits_result.runs}


def test_sigmoid_gradients_vanish_toward_the_first_layer(digits_runs) -> None:
    for label in ("sigmoid/small", "sigmoid/xavier", "sigmoid/kaiming"):
        run = digits_runs[label]
        assert run.data_ratio < 1e-3, label
        assert run.weight_ratio < 1e-3, label
        assert run.verdict == "vanishing"
        # Each layer shrinks the data gradient: the norms rise toward the output.
        assert np.all(np.diff(np.log(run.data_grad_norms[0])) > 0), label


def test_small_weights_vanish_for_every_activation(digits_runs) -> None:
    for activation in ("sigmoid", "tanh", "relu"):
        run = digits_runs[f"{activation}/small"]
        assert run.data_ratio < 1e-10
        assert run.supports == "small weights vanish"
    # With tanh and relu (zero at 0) every layer's input is tiny too, so the
    # weight gradients are tiny everywhere: first/last is near 1 and only the
    # data gradient shows the trend.
    for activation in ("tanh", "relu"):
        run = digits_runs[f"{activation}/small"]
        assert max(run.first_step) < 1e-15
        assert 0.1 < run.weight_ratio < 10


def test_large_weights_explode(digits_runs) -> None:
    for activation in ("tanh", "relu"):
        run = digits_runs[f"{activation}/large"]
        assert run.data_ratio > 1e3
        assert run.verdict == "exploding"
    # relu with N(0, 1) weights: the loss itself overflows within a few steps.
    relu = gradient_flow(["relu"], ["large"], steps=5, clip_norm=None).runs[0]
    assert relu.diverged_at is not None and relu.diverged_at <= 5
    assert not math.isfinite(relu.losses[-1])


def test_relu_with_kaiming_keeps_the_gradient_flat(digits_runs) -> None:
    run = digits_runs["relu/kaiming"]
    assert 0.1 <= run.data_ratio <= 10
    assert 0.1 <= run.weight_ratio <= 10
    norms = np.array(run.data_grad_norms[0])
    assert norms.max() / norms.min() < 10
    assert run.supports == "relu flows"


def test_tanh_with_xavier_does_not_vanish(digits_runs) -> None:
    # A known limit of the text's claim, stated in docs/experiments.md.
    assert digits_runs["tanh/xavier"].verdict == "healthy"


def test_the_summary_says_the_tanh_half_is_not_shown(digits_result) -> None:
    (line,) = [
        line for line in digits_result.summary().splitlines() if "Sigmoid/Tanh" in line
    ]
    assert "supported by sigmoid/xavier, sigmoid/kaiming" in line
    assert "NOT shown for Tanh: tanh/xavier healthy, tanh/kaiming healthy" in line
    assert "Tanh vanished only with small weights, tanh/small" in line
    assert "NOT shown for Sigmoid" not in line
    assert digits_result.not_shown().keys() == {"tanh"}
    record = digits_result.to_json()
    assert record["not_shown_for"] == {"tanh": ["tanh/xavier", "tanh/kaiming"]}


def test_only_kaiming_counts_as_the_init_fitted_to_relu() -> None:
    # Four layers are shallow enough for ReLU with Xavier to stay healthy.
    rng = np.random.default_rng(0)
    data = rng.standard_normal((64, 8)), rng.integers(0, 3, 64)
    result = gradient_flow(
        ["relu"],
        ["xavier", "kaiming"],
        depth=4,
        width=16,
        steps=1,
        batch_size=32,
        clip_norm=None,
        data=data,
    )
    xavier, kaiming = result.runs
    assert xavier.verdict == kaiming.verdict == "healthy"
    assert (xavier.supports, kaiming.supports) == ("", "relu flows")
    assert result.claims()["relu flows"] == ["relu/kaiming"]


def test_clipping_bounds_the_update(digits_runs) -> None:
    for activation in ("tanh", "relu"):
        clipped = digits_runs[f"{activation}/large + clip 1"]
        unclipped = digits_runs[f"{activation}/large"]
        # The update is measured as new weights - old, so it carries rounding.
        assert max(clipped.update_norms) <= 0.01 * (1 + 1e-12)
        assert all(math.isfinite(v) for v in clipped.losses)
        assert not unclipped.largest_update <= 1.0  # 100 x the bound, or inf
        assert clipped.supports == "clipping bounds"


def test_report_table_summary_and_json(digits_runs) -> None:
    result = gradient_flow(
        ["sigmoid", "relu"],
        ["small", "large"],
        depth=4,
        width=8,
        steps=3,
        data=synthetic(),
    )
    table = result.table().splitlines()
    assert table[0].startswith("| setting")
    assert len(table) == 2 + len(result.runs) == 2 + 6
    assert "NOT supported" in result.summary()  # no sigmoid/xavier was run
    record = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert record["experiment"] == "vanishing"
    assert [r["label"] for r in record["runs"]] == [r.label for r in result.runs]
    assert record["thresholds"]["vanishing"] == 1e-3


def flow_run(data_norms, weight_norms=None, clip_norm=None, updates=()):
    run = FlowRun("relu", "kaiming", clip_norm, lr=0.1)
    if data_norms is not None:
        run.data_grad_norms = [list(data_norms)]
        run.weight_grad_norms = [list(weight_norms or [1.0] * len(data_norms))]
    run.update_norms = list(updates)
    return run


@pytest.mark.parametrize(
    ("data_norms", "verdict"),
    [
        ([1e-4, 1.0], "vanishing"),
        ([0.0, 0.0], "vanishing"),  # 0/0: nothing reaches either end
        ([0.05, 1.0], "shrinking"),
        ([0.5, 1.0], "healthy"),
        ([50.0, 1.0], "growing"),
        ([1e4, 1.0], "exploding"),
        ([math.inf, 1.0], "exploding"),
        (None, "exploding"),  # the loss overflowed before any gradient
    ],
)
def test_verdict_rules(data_norms, verdict) -> None:
    run = flow_run(data_norms)
    assert vanishing._judge(run, run)[0] == verdict


def test_clipping_verdict_needs_every_update_within_the_bound() -> None:
    unclipped = flow_run([1.0, 1.0], updates=[50.0])
    inside = flow_run([1.0, 1.0], clip_norm=1.0, updates=[0.1, 0.1])
    outside = flow_run([1.0, 1.0], clip_norm=1.0, updates=[0.1, 0.2])
    assert vanishing._judge(inside, unclipped) == ("bounded", "clipping bounds")
    assert vanishing._judge(outside, unclipped) == ("not bounded", "")
    # Bounded, but the unclipped run did not need it.
    calm = flow_run([1.0, 1.0], updates=[0.2])
    assert vanishing._judge(inside, calm) == ("bounded", "")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"activations": ["gelu"]}, "unknown activation 'gelu'"),
        ({"activations": []}, "activation is empty"),
        ({"inits": ["he"]}, "unknown init 'he'"),
        ({"depth": 1}, "depth must be an integer of at least 2"),
        ({"width": 0}, "width must be an integer of at least 1"),
        ({"steps": 2.5}, "steps must be an integer"),
        ({"lr": -1.0}, "lr must be a positive number"),
        ({"lr": float("inf")}, "lr must be finite"),
        ({"clip_norm": 0}, "clip_norm must be a positive number"),
        ({"data": np.zeros(3)}, "data must be a pair"),
        ({"data": (np.zeros((4, 2)), np.zeros(4))}, "integer labels"),
    ],
)
def test_bad_arguments_raise_a_clear_error(options, message) -> None:
    with pytest.raises(ArgumentError, match=message):
        gradient_flow(**options)
