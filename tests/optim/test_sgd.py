"""optim.SGD: updates against torch.optim.SGD, and its option checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim
from tests.optim.reference import check_against_torch

OPTIONS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.1, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.1, "momentum": 0.9, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.1},
    {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1, "nesterov": True},
    {"lr": 0.1, "maximize": True},
    {
        "lr": 0.1,
        "momentum": 0.9,
        "dampening": 0.5,
        "weight_decay": 0.2,
        "maximize": True,
    },
    {"lr": 0.0, "momentum": 0.9},
]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_matches_torch(options: dict[str, Any]) -> None:
    check_against_torch("SGD", options)


@pytest.mark.parametrize("options", OPTIONS[1::2], ids=str)
def test_float32_stays_float32_and_matches_torch(options: dict[str, Any]) -> None:
    check_against_torch("SGD", options, dtype=np.float32)


def test_weights_without_a_gradient_are_skipped_and_keep_no_state() -> None:
    missing = frozenset({(0, 1), (1, 1), (3, 0), (3, 2)})
    check_against_torch("SGD", {"lr": 0.1, "momentum": 0.9}, missing=missing)


def test_param_groups_with_their_own_options() -> None:
    groups = [
        ([0], {}),
        ([1, 2], {"lr": 0.5, "momentum": 0.9, "nesterov": True}),
    ]
    optimizer = check_against_torch("SGD", {"lr": 0.01}, groups=groups)
    assert [g["lr"] for g in optimizer.param_groups] == [0.01, 0.5]


def test_the_default_learning_rate_is_pytorchs() -> None:
    w = cr.tensor([1.0], requires_grad=True)
    w.grad = cr.tensor([1.0])
    optim.SGD([w]).step()
    assert w.item() == 1.0 - 1e-3
    assert torch.optim.SGD([torch.zeros(1)]).defaults["lr"] == 1e-3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lr": -0.1}, r"SGD: lr must be >= 0, got -0\.1"),
        ({"momentum": -0.5}, r"SGD: momentum must be >= 0, got -0\.5"),
        ({"weight_decay": -1e-4}, r"SGD: weight_decay must be >= 0"),
        ({"nesterov": True}, r"nesterov=True needs momentum > 0 and dampening = 0"),
        (
            {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
            r"got momentum=0\.9, dampening=0\.1",
        ),
    ],
)
def test_invalid_options_are_refused_as_by_torch(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        optim.SGD([cr.zeros(2, requires_grad=True)], **options)
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.zeros(2, requires_grad=True)], **options)


def test_a_nan_learning_rate_is_refused() -> None:
    # Stricter than PyTorch's SGD, which checks lr < 0 and so lets nan pass.
    with pytest.raises(ValueError, match=r"SGD: lr must be >= 0, got nan"):
        optim.SGD([cr.zeros(2, requires_grad=True)], lr=float("nan"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lr": "fast"}, r"SGD: lr must be a number, got 'fast'"),
        ({"nesterov": "yes"}, r"SGD: nesterov must be True or False, got 'yes'"),
    ],
)
def test_options_of_the_wrong_type_are_refused(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        optim.SGD([cr.zeros(2, requires_grad=True)], **options)


def test_a_group_option_is_checked_and_named() -> None:
    w, b = cr.zeros(2, requires_grad=True), cr.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match=r"SGD parameter group 1: lr must be >= 0"):
        optim.SGD([{"params": [w]}, {"params": [b], "lr": -1.0}], lr=0.1)
