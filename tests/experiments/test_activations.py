"""activation_derivatives: autograd's derivatives against the formulas."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from chainrule.errors import ArgumentError
from chainrule.experiments import activation_derivatives, derivative

X = np.concatenate([np.linspace(-8, 8, 161), [-1e-9, 0.0, 1e-9]])


def sigma(x):
    return 1 / (1 + np.exp(-x))


FORMULAS = {
    "sigmoid": lambda x: sigma(x) * (1 - sigma(x)),
    "tanh": lambda x: 1 - np.tanh(x) ** 2,
    # relu'(0) = 0 and leaky_relu'(0) = 0.01 (docs/conventions.md).
    "relu": lambda x: (x > 0).astype(float),
    "leaky_relu": lambda x: np.where(x > 0, 1.0, 0.01),
}


@pytest.mark.parametrize("name", list(FORMULAS))
def test_derivative_matches_its_formula(name) -> None:
    np.testing.assert_allclose(
        derivative(name, X), FORMULAS[name](X), rtol=1e-12, atol=1e-15
    )


def test_gelu_derivative_matches_its_formula_and_torch() -> None:
    # gelu'(x) = Phi(x) + x phi(x), with Phi from math.erfc (precise in the tail).
    phi = np.exp(-(X**2) / 2) / math.sqrt(2 * math.pi)
    big_phi = np.array([math.erfc(-v / math.sqrt(2)) / 2 for v in X])
    np.testing.assert_allclose(derivative("gelu", X), big_phi + X * phi, rtol=1e-12)

    x = torch.tensor(X, requires_grad=True)
    torch.nn.functional.gelu(x).sum().backward()
    # PyTorch loses relative precision where gelu' is below 1e-10 (x < -6).
    np.testing.assert_allclose(
        derivative("gelu", X), x.grad.numpy(), rtol=1e-10, atol=1e-16
    )


def test_the_points_the_text_names() -> None:
    curves = activation_derivatives()
    keys = curves.key_values
    assert keys["sigmoid"]["0"] == 0.25
    assert keys["sigmoid"]["max"] == 0.25 and keys["sigmoid"]["argmax"] == 0
    assert keys["tanh"]["0"] == 1.0 and keys["tanh"]["argmax"] == 0
    # Both tend to 0 for large |x|.
    assert keys["sigmoid"]["limit"] == pytest.approx(FORMULAS["sigmoid"](6.0))
    assert keys["tanh"]["-limit"] < 1e-4
    # relu jumps from 0 to 1 at 0, where it is defined as 0.
    assert (keys["relu"]["0-"], keys["relu"]["0"], keys["relu"]["0+"]) == (0, 0, 1)
    assert keys["relu"]["jump"] == 1.0
    for name in ("sigmoid", "tanh", "gelu"):
        assert abs(keys[name]["jump"]) < 1e-6


def test_grid_is_odd_symmetric_and_holds_zero() -> None:
    curves = activation_derivatives(["tanh"], limit=2.0, points=9)
    np.testing.assert_allclose(curves.x, np.linspace(-2, 2, 9))
    assert 0.0 in curves.x
    np.testing.assert_allclose(curves.values["tanh"], np.tanh(curves.x))
    np.testing.assert_allclose(curves.derivatives["tanh"], FORMULAS["tanh"](curves.x))


def test_table_findings_and_json() -> None:
    curves = activation_derivatives(["sigmoid", "relu"], points=11)
    lines = curves.table().splitlines()
    assert lines[0].startswith("| function") and len(lines) == 4
    findings = curves.findings()
    assert "sigmoid'(0) = 0.25" in findings[0]
    assert findings[1].startswith("relu' jumps at x = 0 from 0 to 1")
    record = json.loads(json.dumps(curves.to_json(), allow_nan=False))
    assert record["key_values"]["sigmoid"]["0"] == 0.25
    assert len(record["derivatives"]["relu"]) == 11


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"names": ["swish"]}, "unknown function 'swish'"),
        ({"names": []}, "function is empty"),
        ({"points": 10}, "points must be odd .* use 11"),
        ({"points": 1}, "points must be an integer of at least 3"),
        ({"limit": 0}, "limit must be a positive number"),
        ({"limit": float("nan")}, "limit must be a positive number"),
        ({"limit": float("inf")}, "limit must be finite, got inf"),
    ],
)
def test_bad_arguments_raise_a_clear_error(options, message) -> None:
    with pytest.raises(ArgumentError, match=message):
        activation_derivatives(**options)


def test_derivative_of_an_unknown_function() -> None:
    with pytest.raises(ArgumentError, match="choose from sigmoid"):
        derivative("softsign", X)
