"""nn.init: the distributions match their formulas, the gains and fans match
PyTorch, and the point of it all: through 20 layers, Kaiming init keeps ReLU
activations (and weight gradients) near magnitude 1, and Xavier init tanh and
linear ones, where a badly scaled init makes them vanish or explode."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.errors import DTypeError

init = nn.init


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def relative_error_of_std(n: int) -> float:
    """Five standard errors of a sample standard deviation (about 1/sqrt(2n))."""
    return 5 / math.sqrt(2 * n)


# --- the distributions ----------------------------------------------------------------


def test_uniform_and_normal_follow_their_parameters():
    w = init.uniform_(cr.zeros(100_000), -1.0, 3.0, generator=rng())
    assert w.data.min() >= -1.0 and w.data.max() < 3.0
    assert w.data.min() < -0.999 and w.data.max() > 2.999
    assert w.data.std() == pytest.approx(4 / math.sqrt(12), rel=0.01)

    w = init.normal_(cr.zeros(100_000), 2.0, 0.5, generator=rng())
    assert w.data.mean() == pytest.approx(2.0, abs=5 * 0.5 / math.sqrt(1e5))
    assert w.data.std() == pytest.approx(0.5, rel=relative_error_of_std(100_000))


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
@pytest.mark.parametrize("shape", [(300, 500), (64, 32, 3, 3)])
def test_xavier_draws_with_variance_two_over_fan_in_plus_fan_out(gain, shape):
    fan_in, fan_out = init.calculate_fan_in_and_fan_out(cr.zeros(*shape))
    std = gain * math.sqrt(2 / (fan_in + fan_out))
    size = math.prod(shape)

    w = init.xavier_uniform_(cr.zeros(*shape), gain, generator=rng()).data
    bound = math.sqrt(3) * std
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert w.std() == pytest.approx(std, rel=relative_error_of_std(size))

    w = init.xavier_normal_(cr.zeros(*shape), gain, generator=rng()).data
    assert w.std() == pytest.approx(std, rel=relative_error_of_std(size))
    assert abs(w.mean()) < 5 * std / math.sqrt(size)


@pytest.mark.parametrize(
    ("a", "mode", "nonlinearity", "gain"),
    [
        (0.0, "fan_in", "relu", math.sqrt(2)),
        (0.0, "fan_out", "leaky_relu", math.sqrt(2)),
        (0.2, "fan_in", "leaky_relu", math.sqrt(2 / 1.04)),
        (0.0, "fan_out", "linear", 1.0),
    ],
)
@pytest.mark.parametrize("shape", [(300, 500), (64, 32, 3, 3)])
def test_kaiming_draws_with_standard_deviation_gain_over_root_fan(
    a, mode, nonlinearity, gain, shape
):
    fan_in, fan_out = init.calculate_fan_in_and_fan_out(cr.zeros(*shape))
    std = gain / math.sqrt(fan_in if mode == "fan_in" else fan_out)
    size = math.prod(shape)

    w = init.kaiming_uniform_(
        cr.zeros(*shape), a, mode, nonlinearity, generator=rng()
    ).data
    bound = math.sqrt(3) * std
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert w.std() == pytest.approx(std, rel=relative_error_of_std(size))

    w = init.kaiming_normal_(cr.zeros(*shape), a, mode, nonlinearity, generator=rng())
    assert w.data.std() == pytest.approx(std, rel=relative_error_of_std(size))


def test_kaiming_uniform_with_a_root_5_is_linears_default_bound():
    # PyTorch's Linear initialises with kaiming_uniform_(a=√5): 1/√fan_in.
    w = init.kaiming_uniform_(cr.zeros(200, 400), math.sqrt(5), generator=rng()).data
    assert np.abs(w).max() <= 1 / math.sqrt(400)
    assert np.abs(w).max() > 0.999 / math.sqrt(400)


def test_constants():
    w = cr.zeros(2, 3)
    assert init.ones_(w) is w and w.data.tolist() == [[1.0] * 3] * 2
    assert init.zeros_(w).data.tolist() == [[0.0] * 3] * 2
    assert init.constant_(w, -0.25).data.tolist() == [[-0.25] * 3] * 2
    counts = cr.tensor([1, 2])
    assert init.constant_(counts, 7).data.tolist() == [7, 7]


# --- gains and fans against PyTorch ---------------------------------------------------


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [
        ("linear", None),
        ("conv2d", None),
        ("conv_transpose3d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 1),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, 1e-15)


def mean_square_through(f, z_max: float = 12.0, points: int = 400_001) -> float:
    """E[f(z)^2] for z ~ N(0, 1), by the trapezoid rule."""
    z = np.linspace(-z_max, z_max, points)
    density = np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi)
    return float(np.trapezoid(f(z) ** 2 * density, z))


@pytest.mark.parametrize(
    ("nonlinearity", "param", "f"),
    [
        ("relu", None, lambda z: np.maximum(z, 0)),
        ("leaky_relu", 0.2, lambda z: np.where(z > 0, z, 0.2 * z)),
        ("gelu", None, lambda z: cr.gelu(cr.tensor(z)).data),
        ("elu", None, lambda z: np.where(z > 0, z, np.expm1(z))),
        ("elu", 0.5, lambda z: np.where(z > 0, z, 0.5 * np.expm1(z))),
        ("elu", 2.0, lambda z: np.where(z > 0, z, 2.0 * np.expm1(z))),
    ],
)
def test_gains_keep_the_mean_square_of_unit_normal_inputs(nonlinearity, param, f):
    # Kaiming's criterion: with weights of variance gain² / fan_in, the next
    # layer's pre-activations keep variance 1. It gives relu's √2 and
    # leaky_relu's √(2 / (1 + a²)) exactly; gelu and elu (which PyTorch's
    # calculate_gain lacks) are defined by it.
    gain = init.calculate_gain(nonlinearity, param)
    kept = gain**2 * mean_square_through(f)
    assert kept == pytest.approx(1.0, abs=1e-9), (
        f"calculate_gain({nonlinearity!r}, {param}) = {gain} keeps mean square {kept}"
    )


def test_calculate_gain_errors():
    with pytest.raises(
        ValueError, match="unsupported nonlinearity 'softplus'; use one of"
    ):
        init.calculate_gain("softplus")
    with pytest.raises(ValueError, match=r"negative slope .* got True"):
        init.calculate_gain("leaky_relu", True)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(3, 4), (0, 5), (8, 3, 5), (6, 2, 3, 3), (1, 1)])
def test_fans_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.calculate_fan_in_and_fan_out(cr.zeros(*shape)) == expected


def test_fans_need_two_axes():
    with pytest.raises(ValueError, match=r"shape \(5,\) has no fan-in .* zeros_"):
        init.calculate_fan_in_and_fan_out(cr.zeros(5))
    with pytest.raises(ValueError, match="at least 2 axes"):
        init.xavier_uniform_(cr.zeros(5))


# --- writing in place, seeding, dtypes, errors ---------------------------------------


def test_writes_in_place_outside_the_graph_and_returns_the_tensor():
    layer = nn.Linear(4, 3)
    weight, array = layer.weight, layer.weight.data
    result = init.kaiming_normal_(layer.weight, generator=rng())
    assert result is weight and layer.weight is weight and weight.data is array
    assert weight.requires_grad and weight.grad_fn is None
    plain = np.zeros((3, 4))
    assert init.xavier_uniform_(plain, generator=rng()) is plain
    assert np.abs(plain).max() > 0


def test_generator_and_default_generator_make_draws_reproducible():
    functions: list[Callable[..., Any]] = [
        init.uniform_,
        init.normal_,
        init.xavier_uniform_,
        init.xavier_normal_,
        init.kaiming_uniform_,
        init.kaiming_normal_,
    ]
    for fn in functions:
        a = fn(cr.zeros(5, 4), generator=rng(3)).data
        b = fn(cr.zeros(5, 4), generator=rng(3)).data
        np.testing.assert_array_equal(a, b)
        cr.manual_seed(9)
        c = fn(cr.zeros(5, 4)).data
        cr.manual_seed(9)
        np.testing.assert_array_equal(c, fn(cr.zeros(5, 4)).data)
        assert not np.array_equal(c, fn(cr.zeros(5, 4)).data)


def test_float32_stays_float32_and_empty_tensors_are_left_alone():
    w = init.kaiming_uniform_(cr.zeros(4, 3, dtype=np.float32), generator=rng())
    assert w.dtype == np.float32
    empty = cr.zeros(0, 3)
    for fn in (init.kaiming_normal_, init.xavier_uniform_, init.uniform_):
        assert fn(empty, generator=rng()) is empty


def test_errors_say_what_to_pass():
    with pytest.raises(DTypeError, match="random values need a float tensor"):
        init.normal_(cr.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"mode must be 'fan_in' .* got 'fanin'"):
        init.kaiming_normal_(cr.zeros(3, 3), mode="fanin")
    with pytest.raises(TypeError, match=r"expected a Tensor .* got list"):
        init.zeros_([1.0, 2.0])
    with pytest.raises(ValueError, match="read-only"):
        init.ones_(cr.from_numpy(np.broadcast_to(np.zeros(3), (2, 3))))
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal_(cr.zeros(3), std=-1.0)


# --- what initialisation is for: magnitude 1 through depth ---------------------------

DEPTH, WIDTH, BATCH = 20, 256, 256


def deep_stack(
    initialise: Callable[[nn.Parameter, np.random.Generator], Any],
    activation: Callable[[Any], Any],
) -> tuple[list[float], list[float]]:
    """Root mean square of each layer's activations, and of each layer's
    weight gradient relative to the last layer's, for a 20-layer stack fed
    standard normal data."""
    generator = rng(0)
    layers = [
        nn.Linear(WIDTH, WIDTH, bias=False, generator=generator) for _ in range(DEPTH)
    ]
    for layer in layers:
        initialise(layer.weight, generator)

    h = cr.tensor(generator.standard_normal((BATCH, WIDTH)))
    sizes = []
    for layer in layers:
        h = activation(layer(h))
        sizes.append(float(np.sqrt(np.mean(h.data**2))))
    h.backward(generator.standard_normal(h.shape))
    grads = [float(np.sqrt(np.mean(layer.weight.grad.data**2))) for layer in layers]
    return sizes, [g / grads[-1] for g in grads]


def within_factor_two(values: list[float], of: float = 1.0) -> bool:
    return all(of / 2 <= v <= 2 * of for v in values)


def test_kaiming_keeps_relu_activations_and_gradients_near_one():
    sizes, grads = deep_stack(
        lambda w, g: init.kaiming_normal_(w, nonlinearity="relu", generator=g),
        cr.relu,
    )
    assert within_factor_two(sizes), sizes
    assert within_factor_two(grads), grads


def test_kaiming_fan_out_and_uniform_do_too():
    for initialise in (
        lambda w, g: init.kaiming_normal_(w, mode="fan_out", generator=g),
        lambda w, g: init.kaiming_uniform_(w, generator=g),
    ):
        sizes, grads = deep_stack(initialise, cr.relu)
        assert within_factor_two(sizes), sizes
        assert within_factor_two(grads), grads


def test_badly_scaled_inits_make_relu_activations_vanish_or_explode():
    # The same measurement fails without the right scale: PyTorch's Linear
    # default (variance 1/(3 fan_in)) loses a factor √6 per layer, and a
    # fixed N(0, 0.1²) gains one of 0.1·√(fan_in/2) ≈ 1.13.
    small, _ = deep_stack(lambda w, g: None, cr.relu)
    assert small[-1] < 1e-6
    large, _ = deep_stack(lambda w, g: init.normal_(w, 0.0, 0.1, generator=g), cr.relu)
    assert large[-1] > 5


def test_xavier_keeps_linear_activations_and_gradients_near_one():
    sizes, grads = deep_stack(
        lambda w, g: init.xavier_normal_(w, generator=g), lambda z: z
    )
    assert within_factor_two(sizes), sizes
    assert within_factor_two(grads), grads


def test_xavier_with_the_tanh_gain_keeps_tanh_activations_near_one():
    # tanh shrinks what passes through it; the gain 5/3 makes up for it, so
    # the activations settle (near 0.65) instead of decaying layer by layer.
    tanh_gain = init.calculate_gain("tanh")
    sizes, _ = deep_stack(
        lambda w, g: init.xavier_uniform_(w, tanh_gain, generator=g), cr.tanh
    )
    assert within_factor_two(sizes), sizes
    assert max(sizes[5:]) < 1.1 * min(sizes[5:]), "settled, not drifting"

    decaying, _ = deep_stack(lambda w, g: init.xavier_uniform_(w, generator=g), cr.tanh)
    assert decaying[-1] < 0.25
