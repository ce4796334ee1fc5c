"""nn.Sequential: order, indexing, append, and a network against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from tests.nn.reference import check_against_torch


def mlp(rng: np.random.Generator) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(4, 8, generator=rng),
        nn.GELU(),
        nn.Linear(8, 8, generator=rng),
        nn.Tanh(),
        nn.Linear(8, 3, generator=rng),
        nn.LogSoftmax(axis=-1),
    )


def test_network_matches_torch_in_values_and_every_gradient() -> None:
    twin = torch.nn.Sequential(
        torch.nn.Linear(4, 8),
        torch.nn.GELU(),
        torch.nn.Linear(8, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 3),
        torch.nn.LogSoftmax(dim=-1),
    )
    x = np.random.default_rng(1).standard_normal((16, 4))
    check_against_torch(mlp(np.random.default_rng(0)), twin, x)


def test_names_and_order() -> None:
    model = mlp(np.random.default_rng(0))
    assert [name for name, _ in model.named_children()] == list("012345")
    assert list(model.state_dict())[:2] == ["0.weight", "0.bias"]
    named = nn.Sequential({"encode": nn.Linear(2, 2), "act": nn.ReLU()})
    assert [name for name, _ in named.named_children()] == ["encode", "act"]
    assert list(named.state_dict()) == ["encode.weight", "encode.bias"]


def test_indexing_length_and_iteration() -> None:
    layers = [nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3
    assert list(model) == layers
    assert model[0] is layers[0]
    assert model[-1] is layers[2]
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        model[3]


def test_slicing_gives_a_sequential_of_the_same_modules() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    tail = model[1:]
    assert isinstance(tail, nn.Sequential)
    assert list(tail) == list(model)[1:]
    assert [name for name, _ in tail.named_children()] == ["1", "2"]
    assert tail[1] is model[2]


def test_append() -> None:
    model = nn.Sequential(nn.Linear(2, 3))
    relu = nn.ReLU()
    assert model.append(relu) is model
    assert model[1] is relu
    assert [name for name, _ in model.named_children()] == ["0", "1"]
    with pytest.raises(TypeError, match="expected a Module, got function"):
        model.append(cr.relu)  # type: ignore[arg-type]


def test_non_module_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="argument 1 is a function, not a Module"):
        nn.Sequential(nn.Linear(2, 2), cr.relu)  # type: ignore[arg-type]


def test_empty_sequential_returns_its_input() -> None:
    x = cr.tensor([1.0])
    assert nn.Sequential()(x) is x
    assert repr(nn.Sequential()) == "Sequential()"
