"""End to end: a small MLP learns a toy regression with every optimizer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.optim.lr_scheduler import CosineAnnealingLR


def toy_problem() -> tuple[cr.Tensor, cr.Tensor]:
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(64, 2))
    y = np.sin(1.5 * x[:, :1]) * x[:, 1:]
    return cr.tensor(x), cr.tensor(y)


def mlp() -> nn.Sequential:
    rng = np.random.default_rng(1)
    return nn.Sequential(
        nn.Linear(2, 32, generator=rng), nn.Tanh(), nn.Linear(32, 1, generator=rng)
    )


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}),
        ("Adam", {"lr": 0.02}),
        ("Adam", {"lr": 0.02, "amsgrad": True}),
        ("AdamW", {"lr": 0.02}),
        ("RMSprop", {"lr": 0.005}),
        ("RMSprop", {"lr": 0.002, "momentum": 0.5, "centered": True}),
    ],
    ids=str,
)
def test_training_reduces_the_loss(name: str, options: dict[str, Any]) -> None:
    x, y = toy_problem()
    model = mlp()
    optimizer = getattr(optim, name)(model.parameters(), **options)
    scheduler = CosineAnnealingLR(optimizer, T_max=200, eta_min=1e-4)

    losses = []
    for _ in range(200):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())

    assert losses[-1] < 0.05 * losses[0], (losses[0], losses[-1])
