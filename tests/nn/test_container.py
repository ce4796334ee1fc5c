"""The containers against PyTorch's: Sequential (order, indexing, append, a
network), ModuleList, ModuleDict and ParameterList (names, list and dict
operations, repr, training through them)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim
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


# --- ModuleList -------------------------------------------------------------------


class Tower(nn.Module):
    """Residual blocks in a ModuleList, and a head in a ModuleDict."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4, generator=rng) for _ in range(3)])
        self.heads = nn.ModuleDict({"out": nn.Linear(4, 2, generator=rng)})

    def forward(self, x: Any) -> Any:
        for block in self.blocks:
            x = x + cr.tanh(block(x))
        return self.heads["out"](x)


class TorchTower(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = torch.nn.ModuleList([torch.nn.Linear(4, 4) for _ in range(3)])
        self.heads = torch.nn.ModuleDict({"out": torch.nn.Linear(4, 2)})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = x + torch.tanh(block(x))
        return self.heads["out"](x)


def test_a_model_of_containers_matches_torch_in_names_values_and_gradients() -> None:
    model, twin = Tower(np.random.default_rng(0)), TorchTower()
    assert list(model.state_dict()) == list(twin.state_dict())
    x = np.random.default_rng(1).standard_normal((5, 4))
    check_against_torch(model, twin, x)


def test_an_optimizer_trains_every_layer_of_a_module_list() -> None:
    model = Tower(np.random.default_rng(0))
    before = model.state_dict()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    model(cr.ones(2, 4)).sum().backward()
    optimizer.step()
    after = model.state_dict()
    assert len(before) == 8
    assert not any(np.array_equal(before[k], after[k]) for k in before)


# (name, operation, whether torch.nn.ModuleList does it as a list would: its
# insert mislabels a negative or past-the-end position, its pop needs one)
LIST_OPERATIONS: list[tuple[str, Callable[[Any, Callable[[int], Any]], Any], bool]] = [
    ("append", lambda ms, make: ms.append(make(9)), True),
    ("extend", lambda ms, make: ms.extend([make(7), make(8)]), True),
    ("+=", lambda ms, make: ms.__iadd__([make(7)]), True),
    ("insert at 0", lambda ms, make: ms.insert(0, make(9)), True),
    ("insert at 2", lambda ms, make: ms.insert(2, make(9)), True),
    ("insert at -1", lambda ms, make: ms.insert(-1, make(9)), False),
    ("insert past the end", lambda ms, make: ms.insert(10, make(9)), False),
    ("set", lambda ms, make: ms.__setitem__(-2, make(9)), True),
    ("delete", lambda ms, make: ms.__delitem__(1), True),
    ("delete a slice", lambda ms, make: ms.__delitem__(slice(0, None, 2)), True),
    ("pop", lambda ms, make: ms.pop(), False),
    ("pop at 0", lambda ms, make: ms.pop(0), True),
]


@pytest.mark.parametrize(
    ("operation", "as_torch"),
    [(op, as_torch) for _, op, as_torch in LIST_OPERATIONS],
    ids=[name for name, _, _ in LIST_OPERATIONS],
)
def test_module_list_operations_match_a_list_and_torch(
    operation: Any, as_torch: bool
) -> None:
    ours = nn.ModuleList([nn.Linear(n, 1) for n in (1, 2, 3)])
    plain = [1, 2, 3]
    operation(ours, lambda n: nn.Linear(n, 1))
    operation(plain, lambda n: n)
    assert [m.in_features for m in ours] == plain
    assert [name for name, _ in ours.named_children()] == [
        str(k) for k in range(len(plain))
    ]
    if as_torch:
        theirs = torch.nn.ModuleList([torch.nn.Linear(n, 1) for n in (1, 2, 3)])
        operation(theirs, lambda n: torch.nn.Linear(n, 1))
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_module_list_indexing_and_slicing_match_torch() -> None:
    ours = nn.ModuleList([nn.Linear(n, 1) for n in (1, 2, 3, 4)])
    theirs = torch.nn.ModuleList([torch.nn.Linear(n, 1) for n in (1, 2, 3, 4)])
    for index in (0, 3, -1, -4, np.int64(2)):
        assert ours[index].in_features == theirs[index].in_features
    for part in (slice(1, 3), slice(None, None, -1), slice(5, 9)):
        tail, torch_tail = ours[part], theirs[part]
        assert isinstance(tail, nn.ModuleList)
        assert [m.in_features for m in tail] == [m.in_features for m in torch_tail]
        assert list(tail.state_dict()) == list(torch_tail.state_dict())
    assert ours[1:][0] is ours[1], "a slice holds the same modules"
    joined = ours[:1] + ours[3:]
    assert [m.in_features for m in joined] == [1, 4]


def test_module_list_errors() -> None:
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    with pytest.raises(IndexError, match="index 2 is out of range for 2 modules"):
        layers[2]
    with pytest.raises(IndexError, match="index -3 is out of range for 2 modules"):
        layers[-3] = nn.ReLU()
    with pytest.raises(TypeError, match="indices must be integers or slices, got str"):
        layers["0"]  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="append: expected a Module, got function"):
        layers.append(cr.relu)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="item 1: expected a Module, got int"):
        nn.ModuleList([nn.ReLU(), 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="item 0: expected a Module, got str"):
        layers.extend(nn.ModuleDict({"a": nn.ReLU()}))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got one Linear; use append"):
        layers.extend(nn.Linear(1, 1))  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match=r"for layer in self\.layers"):
        layers(cr.ones(2))
    assert len(layers) == 2, "a refused change changes nothing"


def test_module_list_repr_matches_torch() -> None:
    ours = nn.ModuleList(
        [nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 3), nn.ReLU()]
    )
    theirs = torch.nn.ModuleList(
        [
            torch.nn.Linear(2, 2),
            torch.nn.Linear(2, 2),
            torch.nn.ReLU(),
            torch.nn.Linear(2, 3),
            torch.nn.ReLU(),
        ]
    )
    assert repr(ours) == repr(theirs)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList()) == "ModuleList()"
    nested = nn.ModuleList([nn.Sequential(nn.Linear(1, 1), nn.ReLU())] * 2)
    torch_nested = torch.nn.ModuleList(
        [torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU())] * 2
    )
    assert repr(nested) == repr(torch_nested)


def test_a_module_held_twice_is_listed_twice_and_trained_once() -> None:
    shared = nn.Linear(2, 2)
    layers = nn.ModuleList([shared, shared])
    assert len(layers) == 2 and list(layers) == [shared, shared]
    assert len(list(layers.parameters())) == 2
    assert list(layers.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


# --- ModuleDict -------------------------------------------------------------------


def test_module_dict_operations_match_torch() -> None:
    ours = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.Linear(2, 1)})
    theirs = torch.nn.ModuleDict(
        {"b": torch.nn.Linear(1, 1), "a": torch.nn.Linear(2, 1)}
    )
    for d, linear in ((ours, nn.Linear), (theirs, torch.nn.Linear)):
        d["c"] = linear(3, 1)
        d["b"] = linear(4, 1)  # replacing keeps the place
        d.update([("d", linear(5, 1))])
        del d["a"]
        assert d.pop("d").in_features == 5
    assert list(ours) == list(theirs) == ["b", "c"]
    assert ours.keys() == list(theirs.keys())
    assert [m.in_features for m in ours.values()] == [4, 3]
    assert [(k, m.in_features) for k, m in ours.items()] == [("b", 4), ("c", 3)]
    assert "b" in ours and "a" not in ours and len(ours) == 2
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    ours.clear()
    assert len(ours) == 0 and repr(ours) == "ModuleDict()"


def test_module_dict_errors() -> None:
    heads = nn.ModuleDict({"digit": nn.Linear(1, 1)})
    with pytest.raises(KeyError, match=r"no module 'parity'; its keys are \['digit'\]"):
        heads["parity"]
    with pytest.raises(KeyError, match="no module 'parity'"):
        del heads["parity"]
    with pytest.raises(KeyError, match="already has an attribute 'keys'"):
        heads["keys"] = nn.ReLU()
    with pytest.raises(KeyError, match=r"contain no '\.'"):
        heads["a.b"] = nn.ReLU()
    with pytest.raises(TypeError, match="ModuleDict: expected a Module, got float"):
        heads["scale"] = 2.0  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"\(name, module\) pairs, got an item"):
        heads.update([nn.ReLU()])  # type: ignore[list-item]
    with pytest.raises(NotImplementedError, match="ModuleDict holds its contents"):
        heads(cr.ones(1))
    assert heads.keys() == ["digit"]


# --- ParameterList ----------------------------------------------------------------


def test_parameter_list_matches_torch_in_names_and_is_trained() -> None:
    values = [np.ones(3), np.full((2, 2), 2.0)]
    ours = nn.ParameterList([nn.Parameter(v) for v in values])
    theirs = torch.nn.ParameterList(
        [torch.nn.Parameter(torch.tensor(v)) for v in values]
    )
    ours.append(nn.Parameter(np.zeros(1)))
    theirs.append(torch.nn.Parameter(torch.zeros(1, dtype=torch.float64)))
    assert [n for n, _ in ours.named_parameters()] == [
        n for n, _ in theirs.named_parameters()
    ]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0", "1", "2"]
    assert [p.shape for p in ours] == [tuple(p.shape) for p in theirs]
    assert ours[-1].shape == (1,) and len(ours[1:]) == 2 and ours[1:][0] is ours[1]

    optimizer = optim.SGD(ours.parameters(), lr=1.0)
    sum(p.sum() for p in ours).backward()
    optimizer.step()
    assert [p.data.ravel()[0] for p in ours] == [0.0, 1.0, -1.0]


def test_parameter_list_repr_and_errors() -> None:
    scales = nn.ParameterList([nn.Parameter(np.ones((2, 3)))])
    assert repr(scales) == (
        "ParameterList(\n  (0): Parameter containing: [float64 of shape (2, 3)]\n)"
    )
    assert repr(nn.ParameterList()) == "ParameterList()"
    with pytest.raises(TypeError, match=r"expected an nn\.Parameter, got Tensor"):
        scales.append(cr.ones(2))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got one Parameter; use append"):
        scales.extend(nn.Parameter(1.0))
    with pytest.raises(IndexError, match="index 1 is out of range for 1 parameters"):
        scales[1] = nn.Parameter(1.0)
    with pytest.raises(NotImplementedError, match="ParameterList holds"):
        scales(cr.ones(1))
    scales[0] = replacement = nn.Parameter(np.zeros(2))
    assert scales[0] is replacement and len(scales) == 1


def test_parameter_list_is_a_list_like_module_list() -> None:
    a, b, c = (nn.Parameter([float(k)]) for k in range(3))
    weights = nn.ParameterList([a, b])
    weights.insert(0, c)
    assert list(weights) == [c, a, b]
    assert weights.pop(1) is a
    del weights[0]
    weights += [c]
    assert list(weights) == [b, c]
    assert list(weights.state_dict()) == ["0", "1"]
    copied = copy.deepcopy(nn.ModuleList([nn.Linear(1, 1), weights]))
    assert list(copied.state_dict()) == ["0.weight", "0.bias", "1.0", "1.1"]
    assert copied[1][0] is not b
