"""optim.Adam and optim.AdamW: updates against PyTorch's, and option checks."""

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
    {"lr": 0.05},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.05, "amsgrad": True},
    {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1},
    {"lr": 0.05, "maximize": True},
    {"lr": 0.05, "betas": (0.3, 0.9), "eps": 1e-3},
    {"lr": 0.05, "betas": (0.0, 0.5), "amsgrad": True, "maximize": True},
    {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True, "maximize": True},
]


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_matches_torch(name: str, options: dict[str, Any]) -> None:
    check_against_torch(name, options)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("options", OPTIONS[2::2], ids=str)
def test_float32_stays_float32_and_matches_torch(
    name: str, options: dict[str, Any]
) -> None:
    check_against_torch(name, options, dtype=np.float32)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_weights_without_a_gradient_are_skipped_and_keep_no_state(name: str) -> None:
    missing = frozenset({(0, 1), (1, 1), (3, 0), (3, 2)})
    check_against_torch(name, {"lr": 0.05, "amsgrad": True}, missing=missing)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_param_groups_with_their_own_options(name: str) -> None:
    groups = [
        ([0, 2], {"weight_decay": 0.5}),
        ([1], {"lr": 0.2, "betas": (0.5, 0.99), "amsgrad": True}),
    ]
    check_against_torch(name, {"lr": 0.01}, groups=groups)


def test_adamw_decays_every_weight_by_the_same_factor() -> None:
    # Zero gradients: the Adam step is 0, only the decoupled decay remains;
    # Adam's L2 penalty instead moves each weight by about lr.
    start = np.array([1.0, -4.0])
    w, v = cr.tensor(start, requires_grad=True), cr.tensor(start, requires_grad=True)
    w.grad, v.grad = cr.zeros(2), cr.zeros(2)
    optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
    optim.Adam([v], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(w.data, start * (1 - 0.1 * 0.5))
    np.testing.assert_allclose(v.data, start - 0.1 * np.sign(start), rtol=1e-7)


def test_adamw_default_weight_decay_is_pytorchs() -> None:
    optimizer = optim.AdamW([cr.zeros(1, requires_grad=True)])
    twin = torch.optim.AdamW([torch.zeros(1, requires_grad=True)])
    assert optimizer.defaults["weight_decay"] == twin.defaults["weight_decay"] == 1e-2
    assert optim.Adam([cr.zeros(1, requires_grad=True)]).defaults["lr"] == 1e-3


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lr": -1e-3}, r"lr must be >= 0, got -0\.001"),
        ({"eps": -1e-8}, r"eps must be >= 0"),
        ({"betas": (1.0, 0.999)}, r"betas\[0\] must be in \[0, 1\), got 1\.0"),
        ({"betas": (0.9, -0.1)}, r"betas\[1\] must be in \[0, 1\), got -0\.1"),
        ({"weight_decay": -0.1}, r"weight_decay must be >= 0"),
        ({"lr": float("nan")}, r"lr must be >= 0, got nan"),
    ],
)
def test_invalid_options_are_refused_as_by_torch(
    name: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=f"{name}: {message}"):
        getattr(optim, name)([cr.zeros(2, requires_grad=True)], **options)
    with pytest.raises(ValueError):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **options)


def test_betas_must_be_a_pair() -> None:
    with pytest.raises(TypeError, match=r"Adam: betas must be a pair"):
        optim.Adam([cr.zeros(2, requires_grad=True)], betas=0.9)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Adam: amsgrad must be True or False"):
        optim.Adam([cr.zeros(2, requires_grad=True)], amsgrad=1)  # type: ignore[arg-type]
