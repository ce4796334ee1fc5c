"""audit_init: numbers by hand, suggestions for bad initialisations, none for good."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import functional as F
from chainrule import nn
from chainrule.monitor import audit_init


def stack(
    depth: int, width: int, activation: type[nn.Module], init: str, seed: int = 0
) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    layers: list[nn.Module] = []
    for _ in range(depth):
        linear = nn.Linear(width, width, generator=rng)
        if init == "small":
            nn.init.normal_(linear.weight, std=0.01, generator=rng)
        elif init == "large":
            nn.init.normal_(linear.weight, std=1.0, generator=rng)
        elif init == "kaiming":
            nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu", generator=rng)
        elif init == "xavier_tanh":
            nn.init.xavier_uniform_(linear.weight, gain=5 / 3, generator=rng)
        nn.init.zeros_(linear.bias)
        layers += [linear, activation()]
    return nn.Sequential(*layers)


def batch(width: int, n: int = 256, scale: float = 1.0) -> np.ndarray:
    return scale * np.random.default_rng(7).standard_normal((n, width))


def test_numbers_are_the_stds_and_the_gradient_norm_ratio_by_hand() -> None:
    rng = np.random.default_rng(3)
    model = nn.Sequential(
        nn.Linear(3, 4, generator=rng), nn.ReLU(), nn.Linear(4, 2, generator=rng)
    )
    x = rng.standard_normal((5, 3))
    audit = audit_init(model, x, generator=np.random.default_rng(11))

    w1, b1 = model[0].weight.data, model[0].bias.data
    w2, b2 = model[2].weight.data, model[2].bias.data
    z = x @ w1.T + b1
    out = np.maximum(z, 0) @ w2.T + b2
    noise = np.random.default_rng(11).standard_normal(out.shape)  # the seed
    grad_z = (noise @ w2) * (z > 0)

    first, last = audit.layers
    assert (first.layer, first.kind, first.activation) == ("0", "Linear", "ReLU")
    assert (last.layer, last.activation) == ("2", None)
    assert first.activation_std == pytest.approx(np.std(z), rel=1e-12)
    assert last.activation_std == pytest.approx(np.std(out), rel=1e-12)
    assert first.grad_std == pytest.approx(np.std(grad_z), rel=1e-12)
    assert last.grad_std == pytest.approx(np.std(noise), rel=1e-12)
    assert first.grad_scale == pytest.approx(
        np.linalg.norm(grad_z) / np.linalg.norm(noise), rel=1e-12
    )
    assert last.grad_scale == 1.0
    assert audit.input_std == pytest.approx(np.std(x))
    assert audit.batch_size == 5


def test_small_init_under_relu_gets_kaiming_suggestions() -> None:
    audit = audit_init(stack(4, 32, nn.ReLU, "small"), batch(32))
    assert not audit.ok
    assert [a.layer for a in audit.flagged] == ["0", "2", "4", "6"]
    for layer in audit.flagged:
        assert layer.suggestion.startswith(
            'nn.init.kaiming_uniform_(weight, nonlinearity="relu") (gain √2'
        )
        assert layer.suggestion.endswith("nn.init.zeros_(bias)")
    assert "values shrink" in audit.flagged[-1].problem
    text = str(audit)
    assert "suggestions:" in text and "far off" in text
    assert "'6' (Linear): values shrink" in text


def test_large_init_under_tanh_gets_xavier_with_gain_5_3() -> None:
    # Output std 8 is within a factor of 10 of 1, but tanh saturates.
    audit = audit_init(stack(4, 64, nn.Tanh, "large"), batch(64))
    assert [a.layer for a in audit.flagged] == ["0", "2", "4", "6"]
    for a in audit.flagged:
        assert "xavier_uniform_(weight, gain=5/3)" in a.suggestion
        assert a.saturated > 0.5
        assert "of the Tanh's outputs are saturated" in a.problem


def test_sigmoid_suggestion_says_the_derivative_is_the_limit() -> None:
    audit = audit_init(stack(8, 32, nn.Sigmoid, "small"), batch(32))
    assert audit.flagged
    suggestion = audit.flagged[0].suggestion
    assert suggestion.startswith(
        "nn.init.xavier_uniform_(weight) (gain 1, for the Sigmoid after it), "
        "and nn.init.zeros_(bias); but sigmoid'(x) <= 1/4"
    )
    assert "data gradients vanish" in audit.flagged[0].problem


@pytest.mark.parametrize(
    ("activation", "init"), [(nn.ReLU, "kaiming"), (nn.Tanh, "xavier_tanh")]
)
def test_a_good_initialisation_gets_no_suggestion(activation, init) -> None:
    audit = audit_init(stack(6, 64, activation, init), batch(64))
    assert audit.ok, str(audit)
    assert audit.flagged == [] and audit.input_problem is None
    assert all(a.suggestion is None for a in audit.layers)
    assert "nothing to change" in str(audit)
    for a in audit.layers:
        assert 0.1 <= a.activation_std <= 10 and 0.1 <= a.grad_scale <= 10


def test_inputs_far_from_magnitude_1_are_flagged() -> None:
    audit = audit_init(stack(2, 16, nn.ReLU, "kaiming"), batch(16, scale=300.0))
    assert audit.input_problem is not None
    assert "standardise the inputs" in audit.input_problem
    assert not audit.ok and "input:" in str(audit)


@pytest.mark.parametrize(
    ("activation", "init"), [(nn.ReLU, "kaiming"), (nn.Tanh, "xavier_tanh")]
)
def test_unstandardised_inputs_do_not_blame_a_good_initialisation(
    activation, init
) -> None:
    # x * 100 makes every layer's output 100 times too large (and saturates
    # the Tanh layers), but the remedy is to standardise the inputs, not to
    # re-initialise with what the layers already have. The layers are judged
    # on the batch standardised, as they would see it.
    model = stack(4, 32, activation, init)
    audit = audit_init(model, batch(32, scale=100.0))
    assert audit.input_problem is not None and audit.standardised
    assert audit.flagged == [], str(audit)
    assert not audit.ok  # the input still is
    text = str(audit)
    assert "init." not in text and "standardise the inputs" in text
    assert "layers judged on the batch standardised" in text.splitlines()[0]
    same = audit_init(model, batch(32))
    for a, b in zip(audit.layers, same.layers, strict=True):
        assert a.activation_std == pytest.approx(b.activation_std, rel=0.05)


def test_unstandardised_inputs_and_a_bad_initialisation_both_get_advice() -> None:
    audit = audit_init(stack(3, 16, nn.ReLU, "small"), batch(16, scale=100.0))
    assert audit.input_problem is not None
    assert [a.layer for a in audit.flagged] == ["0", "2", "4"]
    assert "kaiming_uniform_" in audit.flagged[0].suggestion


def test_a_given_loss_is_backpropagated_instead_of_noise() -> None:
    model = stack(3, 16, nn.ReLU, "kaiming").append(nn.Linear(16, 16))
    labels = cr.tensor(np.arange(64) % 16)
    audit = audit_init(
        model, batch(16, n=64), loss=lambda out: F.cross_entropy(out, labels)
    )
    assert audit.seed == "the given loss"
    assert audit.layers[-1].grad_scale == 1.0
    assert audit.layers[0].grad_std is not None
    with pytest.raises(ValueError, match="one-element Tensor"):
        audit_init(model, batch(16), loss=lambda out: out)


def test_the_model_is_left_unchanged() -> None:
    model = nn.Sequential(
        nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)
    )
    state = model.state_dict()
    audit_init(model, batch(4, scale=3.0) + 5.0)

    assert all(p.grad is None for p in model.parameters())
    after = model.state_dict()
    assert all(np.array_equal(state[k], after[k]) for k in state)
    assert not any(m._forward_hooks for m in model.modules())


def test_report_data_and_argument_errors() -> None:
    audit = audit_init(stack(2, 8, nn.ReLU, "small"), batch(8))
    data = audit.to_dict()
    assert data["ok"] is False and len(data["layers"]) == 2
    assert data["layers"][0]["activation"] == "ReLU"
    header = str(audit).splitlines()[1].split()
    assert header[:4] == ["layer", "type", "then", "out"]

    with pytest.raises(TypeError, match=r"nn\.Module"):
        audit_init(lambda x: x, batch(8))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="first axis"):
        audit_init(stack(1, 8, nn.ReLU, "small"), np.zeros((0, 8)))
    with pytest.raises(ValueError, match="tolerance"):
        audit_init(stack(1, 8, nn.ReLU, "small"), batch(8), tolerance=1.0)


def test_the_activation_is_found_past_a_normalisation_layer() -> None:
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(16, 16, generator=rng),
        nn.LayerNorm(16),
        nn.ReLU(),
        nn.Linear(16, 16, generator=rng),
        nn.BatchNorm1d(16),
        nn.Tanh(),
        nn.Linear(16, 16, generator=rng),
        nn.LayerNorm(16),
        nn.Linear(16, 3, generator=rng),
    )
    for layer in (model[0], model[3]):
        nn.init.normal_(layer.weight, std=1e-3, generator=rng)  # far off
        nn.init.zeros_(layer.bias)
    audit = audit_init(model, batch(16))

    first, second, third, last = audit.layers
    assert (first.activation, first.through) == ("ReLU", "LayerNorm")
    assert (second.activation, second.through) == ("Tanh", "BatchNorm1d")
    # A normalisation layer followed by another layer leads to no activation.
    assert (third.activation, third.through) == (None, None)
    assert (last.activation, last.through) == (None, None)
    assert 'kaiming_uniform_(weight, nonlinearity="relu")' in first.suggestion
    assert "past the LayerNorm" in first.suggestion
    assert "gain=5/3" in second.suggestion
    # Saturation is counted at the Tanh's output: after batch norm its input
    # is standardised, so few of its outputs pass 0.97 (P(|z| > 2.09) = 4%).
    assert second.saturated is not None and second.saturated < 0.1
