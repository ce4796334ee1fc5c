"""nn.Linear and nn.Identity: values and gradients against PyTorch, init, errors."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.errors import DTypeError, ShapeError
from tests.nn.reference import check_against_torch


# PyTorch warns that initialising its zero-element weights does nothing.
@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
@given(
    batch=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
    in_features=st.integers(0, 4),
    out_features=st.integers(0, 4),
    bias=st.booleans(),
)
def test_matches_torch_in_values_and_gradients(
    batch: tuple[int, ...], in_features: int, out_features: int, bias: bool
) -> None:
    rng = np.random.default_rng(0)
    layer = nn.Linear(in_features, out_features, bias=bias, generator=rng)
    twin = torch.nn.Linear(in_features, out_features, bias=bias)
    x = rng.standard_normal((*batch, in_features))
    check_against_torch(layer, twin, x)


def test_weight_has_torch_shape_and_the_forward_is_affine() -> None:
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (2, 3)
    assert layer.bias is not None and layer.bias.shape == (2,)
    x = np.arange(6.0).reshape(2, 3)
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(x).data, expected)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_without_bias() -> None:
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None
    assert list(layer.state_dict()) == ["weight"]
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=False)"


def test_float32_layer_gives_float32_outputs_and_gradients() -> None:
    layer = nn.Linear(3, 2, dtype=np.float32)
    x = cr.tensor(np.ones((4, 3), np.float32), requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == np.float32
    assert layer.weight.dtype == layer.bias.dtype == np.float32
    assert layer.weight.grad.dtype == x.grad.dtype == np.float32


def test_default_dtype_is_the_global_default() -> None:
    assert nn.Linear(2, 2).weight.dtype == np.float64
    cr.set_default_dtype(np.float32)
    try:
        assert nn.Linear(2, 2).weight.dtype == np.float32
    finally:
        cr.set_default_dtype(np.float64)


# --- initialisation -------------------------------------------------------------


def test_init_is_uniform_within_one_over_sqrt_in_features() -> None:
    layer = nn.Linear(400, 300, generator=np.random.default_rng(0))
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.data, layer.bias.data
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # 120,000 draws of U(-k, k): the extremes come within 0.1% of ±k, the
    # mean within 5 standard errors of 0 and the variance near k²/3.
    assert w.max() > 0.999 * bound and w.min() < -0.999 * bound
    assert abs(w.mean()) < 5 * bound / math.sqrt(3 * w.size)
    assert w.var() == pytest.approx(bound**2 / 3, rel=0.02)
    assert b.min() < -0.9 * bound and b.max() > 0.9 * bound


def test_init_bound_agrees_with_torch() -> None:
    # PyTorch's kaiming_uniform_(a=√5) draws within the same bound.
    torch.manual_seed(0)
    twin = torch.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    assert twin.weight.abs().max().item() <= bound
    assert twin.weight.abs().max().item() > 0.999 * bound


def test_init_is_reproducible_from_a_generator_or_the_global_seed() -> None:
    def weights(layer: nn.Linear) -> list[np.ndarray]:
        return [p.data for p in layer.parameters()]

    a = nn.Linear(3, 2, generator=np.random.default_rng(5))
    b = nn.Linear(3, 2, generator=np.random.default_rng(5))
    for x, y in zip(weights(a), weights(b), strict=True):
        np.testing.assert_array_equal(x, y)
    bound = 1 / math.sqrt(3)
    draws = np.random.default_rng(5).uniform(-bound, bound, 8)
    np.testing.assert_array_equal(a.weight.data, draws[:6].reshape(2, 3))
    np.testing.assert_array_equal(a.bias.data, draws[6:])

    cr.manual_seed(11)
    c = nn.Linear(3, 2)
    cr.manual_seed(11)
    d = nn.Linear(3, 2)
    for x, y in zip(weights(c), weights(d), strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(nn.Linear(3, 2).weight.data, d.weight.data)


def test_reset_parameters_redraws_in_place() -> None:
    layer = nn.Linear(3, 2, generator=np.random.default_rng(0))
    weight, array = layer.weight, layer.weight.data
    before = array.copy()
    layer.reset_parameters(np.random.default_rng(1))
    assert layer.weight is weight and layer.weight.data is array
    assert not np.array_equal(before, array)
    layer.reset_parameters(np.random.default_rng(0))
    np.testing.assert_array_equal(before, array)


def test_zero_in_features_gives_a_zero_bias() -> None:
    layer = nn.Linear(0, 3)
    np.testing.assert_array_equal(layer.bias.data, np.zeros(3))
    np.testing.assert_array_equal(layer(np.zeros((2, 0))).data, np.zeros((2, 3)))


# --- errors -----------------------------------------------------------------------


def test_wrong_last_axis_names_the_layer_and_the_shapes() -> None:
    layer = nn.Linear(3, 2)
    with pytest.raises(ShapeError) as error:
        layer(cr.zeros(4, 5))
    message = str(error.value)
    assert "Linear(in_features=3, out_features=2, bias=True)" in message
    assert "input of shape (4, 5)" in message
    assert "in_features=3" in message
    with pytest.raises(ShapeError, match="0-d input"):
        layer(cr.tensor(1.0))


def test_bad_construction_arguments() -> None:
    with pytest.raises(DTypeError, match="float dtype, got int64"):
        nn.Linear(2, 2, dtype=np.int64)
    with pytest.raises(ValueError, match="in_features must be >= 0, got -1"):
        nn.Linear(-1, 2)
    with pytest.raises(TypeError, match=r"out_features must be an int, got 2\.5"):
        nn.Linear(2, 2.5)  # type: ignore[arg-type]


# --- Identity ----------------------------------------------------------------------


def test_identity_returns_its_input_and_ignores_arguments() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    layer = nn.Identity(3, anything=True)
    y = layer(x)
    assert y is x
    assert list(layer.parameters()) == []
    assert repr(layer) == repr(torch.nn.Identity()) == "Identity()"
