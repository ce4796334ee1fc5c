"""optim.RMSprop: updates against torch.optim.RMSprop, and option checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim
from tests.optim.reference import check_against_torch

OPTIONS = [
    {},
    {"lr": 0.05, "centered": True},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "centered": True},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.05, "maximize": True},
    {"lr": 0.05, "alpha": 0.5, "eps": 1e-3},
    {
        "lr": 0.05,
        "alpha": 0.9,
        "weight_decay": 0.2,
        "momentum": 0.5,
        "centered": True,
        "maximize": True,
    },
]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_matches_torch(options: dict[str, Any]) -> None:
    check_against_torch("RMSprop", options)


@pytest.mark.parametrize("options", OPTIONS[1::2], ids=str)
def test_float32_stays_float32_and_matches_torch(options: dict[str, Any]) -> None:
    check_against_torch("RMSprop", options, dtype=np.float32)


def test_weights_without_a_gradient_are_skipped_and_keep_no_state() -> None:
    missing = frozenset({(0, 1), (1, 1), (3, 0), (3, 2)})
    options = {"lr": 0.05, "momentum": 0.9, "centered": True}
    check_against_torch("RMSprop", options, missing=missing)


def test_param_groups_with_their_own_options() -> None:
    groups = [
        ([0], {"centered": True}),
        ([1, 2], {"lr": 0.001, "momentum": 0.9, "alpha": 0.9}),
    ]
    check_against_torch("RMSprop", {"lr": 0.05}, groups=groups)


def test_a_constant_gradient_centered_stays_finite() -> None:
    # The running variance of a constant gradient tends to 0; rounding can
    # take v - a² below 0, where a square root would give nan.
    # (Here it does at step 53, for the gradient 1e-3.)
    w = cr.tensor(np.zeros(4), requires_grad=True)
    optimizer = optim.RMSprop([w], lr=1e-6, alpha=0.5, centered=True)
    for _ in range(100):
        w.grad = cr.tensor([0.1, 1e-3, 1.0, 3.0])
        optimizer.step()
    assert np.all(np.isfinite(w.data))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lr": -0.01}, r"RMSprop: lr must be >= 0, got -0\.01"),
        ({"alpha": -0.5}, r"RMSprop: alpha must be >= 0, got -0\.5"),
        ({"eps": -1.0}, r"RMSprop: eps must be >= 0"),
        ({"momentum": -0.9}, r"RMSprop: momentum must be >= 0"),
        ({"weight_decay": -1.0}, r"RMSprop: weight_decay must be >= 0"),
    ],
)
def test_invalid_options_are_refused_as_by_torch(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        optim.RMSprop([cr.zeros(2, requires_grad=True)], **options)
    with pytest.raises(ValueError):
        torch.optim.RMSprop([torch.zeros(2, requires_grad=True)], **options)
