"""Activation layers: values and data gradients against PyTorch's, and repr."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from tests.nn.reference import check_against_torch

# (chainrule layer, PyTorch layer, repr) for each activation.
LAYERS: list[tuple[Callable[[], nn.Module], Callable[[], Any], str]] = [
    (nn.ReLU, torch.nn.ReLU, "ReLU()"),
    (nn.Sigmoid, torch.nn.Sigmoid, "Sigmoid()"),
    (nn.Tanh, torch.nn.Tanh, "Tanh()"),
    (nn.LeakyReLU, torch.nn.LeakyReLU, "LeakyReLU(negative_slope=0.01)"),
    (
        lambda: nn.LeakyReLU(0.2),
        lambda: torch.nn.LeakyReLU(0.2),
        "LeakyReLU(negative_slope=0.2)",
    ),
    (nn.ELU, torch.nn.ELU, "ELU(alpha=1.0)"),
    (lambda: nn.ELU(0.5), lambda: torch.nn.ELU(0.5), "ELU(alpha=0.5)"),
    (nn.GELU, torch.nn.GELU, "GELU(approximate='none')"),
    (
        lambda: nn.GELU("tanh"),
        lambda: torch.nn.GELU("tanh"),
        "GELU(approximate='tanh')",
    ),
    (nn.Softplus, torch.nn.Softplus, "Softplus(beta=1.0, threshold=20.0)"),
    (
        lambda: nn.Softplus(2.0, 3.0),
        lambda: torch.nn.Softplus(2.0, 3.0),
        "Softplus(beta=2.0, threshold=3.0)",
    ),
    (nn.Softmax, lambda: torch.nn.Softmax(dim=-1), "Softmax(axis=-1)"),
    (lambda: nn.Softmax(0), lambda: torch.nn.Softmax(dim=0), "Softmax(axis=0)"),
    (nn.LogSoftmax, lambda: torch.nn.LogSoftmax(dim=-1), "LogSoftmax(axis=-1)"),
    (
        lambda: nn.LogSoftmax(1),
        lambda: torch.nn.LogSoftmax(dim=1),
        "LogSoftmax(axis=1)",
    ),
]
IDS = [text for _, _, text in LAYERS]


@pytest.mark.parametrize(("make", "make_twin", "text"), LAYERS, ids=IDS)
def test_matches_torch(make: Any, make_twin: Any, text: str) -> None:
    # Normal draws are never exactly at a kink (0).
    x = 3 * np.random.default_rng(0).standard_normal((4, 3, 5))
    check_against_torch(make(), make_twin(), x)


@pytest.mark.parametrize(("make", "make_twin", "text"), LAYERS, ids=IDS)
def test_repr(make: Any, make_twin: Any, text: str) -> None:
    layer = make()
    assert repr(layer) == text
    assert list(layer.parameters()) == []
    if "Softmax" not in text:  # PyTorch says dim where chainrule says axis
        assert repr(make_twin()) == text


@pytest.mark.parametrize(("make", "make_twin", "text"), LAYERS, ids=IDS)
def test_float32_stays_float32(make: Any, make_twin: Any, text: str) -> None:
    x = cr.tensor(
        np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4), requires_grad=True
    )
    y = make()(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float32


def test_bad_settings_fail_at_construction() -> None:
    with pytest.raises(ValueError, match=r"'none'.*'tanh'.*got 'fast'"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="beta = 0"):
        nn.Softplus(beta=0)


def test_relu_layer_keeps_relu_gradient_at_zero() -> None:
    x = cr.tensor([0.0], requires_grad=True)
    nn.ReLU()(x).sum().backward()
    assert x.grad.item() == 0.0
