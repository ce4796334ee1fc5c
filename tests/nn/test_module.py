"""nn.Module: registration, walking the tree, modes, gradients, state dicts, repr."""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.errors import DTypeError, StateDictError
from tests.nn.reference import check_against_torch, copy_weights


class Block(nn.Module):
    """Two Linear layers and a free-standing scale: a custom module."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4, generator=rng)
        self.scale = nn.Parameter(rng.standard_normal(4))
        self.fc2 = nn.Linear(4, 2, generator=rng)

    def forward(self, x: Any) -> Any:
        return self.fc2(cr.tanh(self.fc1(x)) * self.scale)


class TorchBlock(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(3, 4)
        self.scale = torch.nn.Parameter(torch.zeros(4))
        self.fc2 = torch.nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.tanh(self.fc1(x)) * self.scale)


class Net(nn.Module):
    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.encoder = Block(rng)
        self.bias = nn.Parameter(np.zeros(2))
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(2, 1, generator=rng))

    def forward(self, x: Any) -> Any:
        return self.head(self.encoder(x) + self.bias)


class TorchNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = TorchBlock()
        self.bias = torch.nn.Parameter(torch.zeros(2))
        self.head = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x) + self.bias)


def net() -> Net:
    return Net(np.random.default_rng(0))


# --- registration -------------------------------------------------------------


def test_parameters_are_registered_in_assignment_order_with_dotted_names() -> None:
    names = [name for name, _ in net().named_parameters()]
    # Module by module (as named_modules), each module's own first, as PyTorch.
    assert names == [
        "bias",
        "encoder.scale",
        "encoder.fc1.weight",
        "encoder.fc1.bias",
        "encoder.fc2.weight",
        "encoder.fc2.bias",
        "head.1.weight",
        "head.1.bias",
    ]
    assert names == [name for name, _ in TorchNet().named_parameters()]


def test_parameters_are_the_assigned_objects() -> None:
    model = net()
    params = list(model.parameters())
    assert params[0] is model.bias
    assert params[1] is model.encoder.scale
    assert params[2] is model.encoder.fc1.weight
    assert [p for _, p in model.named_parameters()] == params
    assert list(model.parameters(recurse=False)) == [model.bias]
    assert [n for n, _ in model.encoder.named_parameters(prefix="enc")][:2] == [
        "enc.scale",
        "enc.fc1.weight",
    ]


def test_modules_and_children() -> None:
    model = net()
    assert [name for name, _ in model.named_modules()] == [
        "",
        "encoder",
        "encoder.fc1",
        "encoder.fc2",
        "head",
        "head.0",
        "head.1",
    ]
    assert [name for name, _ in model.named_modules()] == [
        name for name, _ in TorchNet().named_modules()
    ]
    assert next(model.modules()) is model
    assert [name for name, _ in model.named_children()] == ["encoder", "head"]
    assert list(model.children()) == [model.encoder, model.head]


def test_plain_values_and_tensors_are_not_registered() -> None:
    model = nn.Module()
    model.size = 3
    model.constant = cr.tensor([1.0, 2.0])
    assert list(model.parameters()) == []
    assert list(model.buffers()) == []
    assert model.state_dict() == {}
    assert model.size == 3


class Layers(nn.Module):
    """What the trial wrote: layers kept in a plain Python list."""

    def __init__(self, container: Any) -> None:
        super().__init__()
        self.layers = container


class TorchLayers(torch.nn.Module):
    def __init__(self, container: Any) -> None:
        super().__init__()
        self.layers = container


@pytest.mark.parametrize(
    ("make", "remedy"),
    [
        (lambda: [nn.Linear(2, 2), nn.ReLU()], r"nn\.ModuleList\(\[\.\.\.\]\)"),
        (lambda: (nn.Linear(2, 2),), r"nn\.ModuleList"),
        (lambda: {"head": nn.Linear(2, 2)}, r"nn\.ModuleDict\(\{\.\.\.\}\)"),
        (lambda: [nn.Parameter([1.0])], r"nn\.ParameterList\(\[\.\.\.\]\)"),
        (lambda: {"w": nn.Parameter([1.0])}, r"nn\.ParameterList\(\.\.\.\)"),
        (lambda: [[1, 2], ({"deep": nn.ReLU()},)], r"nn\.ModuleList"),
        (lambda: {nn.ReLU()}, r"nn\.ModuleList"),
    ],
    ids=["list", "tuple", "dict", "parameters", "parameter dict", "nested", "set"],
)
def test_a_container_of_modules_or_parameters_is_refused(
    make: Any, remedy: str
) -> None:
    with pytest.raises(TypeError, match=r"Layers\.layers: .* not registered") as info:
        Layers(make())
    assert re.search(rf"Use self\.layers = {remedy}", str(info.value)), info.value
    assert "optimizer" in str(info.value)


def test_torch_silently_ignores_what_chainrule_refuses() -> None:
    # Why chainrule refuses: PyTorch registers nothing, and trains nothing.
    twin = TorchLayers([torch.nn.Linear(2, 2)])
    assert list(twin.parameters()) == [] and list(twin.state_dict()) == []
    model = Layers(nn.ModuleList([nn.Linear(2, 2)]))
    twin = TorchLayers(torch.nn.ModuleList([torch.nn.Linear(2, 2)]))
    assert list(model.state_dict()) == list(twin.state_dict())


def test_containers_without_modules_or_parameters_are_plain_attributes() -> None:
    cycle: list[Any] = [1]
    cycle.append(cycle)
    for value in ([64, 32], (), {"lr": 0.1, "sizes": [cr.ones(2)]}, cycle, set()):
        model = Layers(value)
        assert model.layers is value
        assert list(model.parameters()) == []


def test_a_container_can_still_be_kept_unregistered_on_purpose() -> None:
    model = nn.Module()
    helpers = [nn.Linear(2, 2)]
    object.__setattr__(model, "helpers", helpers)
    assert model.helpers is helpers
    assert list(model.parameters()) == []


def test_registered_names_are_attributes_and_in_dir() -> None:
    model = net()
    assert "encoder" not in model.__dict__
    assert {"encoder", "bias", "head"} <= set(dir(model))
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        _ = model.nope


def test_deleting_removes_from_the_registries() -> None:
    model = net()
    del model.bias
    del model.head
    assert "bias" not in dict(model.named_parameters())
    assert [name for name, _ in model.named_children()] == ["encoder"]
    assert not any(key.startswith("head.") for key in model.state_dict())
    with pytest.raises(AttributeError):
        _ = model.bias
    model.bias = 5
    assert model.bias == 5
    del model.bias
    with pytest.raises(AttributeError):
        del model.bias


def test_reassigning_a_parameter_keeps_its_place() -> None:
    model = net()
    new = nn.Parameter(np.ones(2))
    model.bias = new
    assert next(model.parameters()) is new
    assert model.bias is new


def test_overwriting_moves_a_name_between_registries() -> None:
    model = nn.Module()
    model.x = nn.Parameter([1.0])
    # As in PyTorch, only a Parameter (or None) may replace a Parameter.
    with pytest.raises(TypeError, match=r"Linear to Module\.x, which is a Parameter"):
        model.x = nn.Linear(1, 1)
    del model.x
    model.x = nn.Linear(1, 1)
    assert list(dict(model.named_parameters())) == ["x.weight", "x.bias"]
    model.x = nn.Parameter([2.0])
    assert list(model.children()) == []
    assert list(dict(model.named_parameters())) == ["x"]
    model.register_buffer("count", cr.tensor(0))
    model.count = nn.Parameter([3.0])
    assert list(model.buffers()) == []
    assert list(dict(model.named_parameters())) == ["x", "count"]


def test_a_plain_attribute_becomes_registered_when_a_parameter_is_assigned() -> None:
    model = nn.Module()
    model.w = 1
    model.w = nn.Parameter([1.0])
    assert "w" not in model.__dict__
    assert list(dict(model.named_parameters())) == ["w"]


def test_parameter_set_to_none_is_skipped() -> None:
    model = nn.Module()
    model.w = nn.Parameter([1.0])
    model.w = None
    assert model.w is None
    assert list(model.parameters()) == []
    assert model.state_dict() == {}
    model.w = nn.Parameter([2.0])
    assert len(list(model.parameters())) == 1


def test_assigning_a_plain_tensor_to_a_parameter_is_a_type_error() -> None:
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"Tensor to Linear\.weight.*nn\.Parameter"):
        layer.weight = cr.tensor(np.zeros((2, 2)))
    with pytest.raises(TypeError, match=r"ndarray to Linear\.bias"):
        layer.bias = np.zeros(2)
    assert isinstance(layer.weight, nn.Parameter)


def test_assigning_a_non_module_to_a_submodule_is_a_type_error() -> None:
    model = net()
    with pytest.raises(TypeError, match=r"int to Net\.head, which is a submodule"):
        model.head = 3
    model.head = None
    assert list(model.children()) == [model.encoder]


def test_assigning_before_init_says_to_call_super_init() -> None:
    class Forgot(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter([1.0])

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__\(\).*Forgot"):
        Forgot()


def test_a_name_the_class_uses_cannot_be_registered() -> None:
    model = nn.Module()
    with pytest.raises(KeyError, match="'forward'"):
        model.forward = nn.Parameter([1.0])


def test_register_parameter() -> None:
    model = nn.Module()
    model.register_parameter("w", nn.Parameter([1.0]))
    model.register_parameter("optional", None)
    assert list(dict(model.named_parameters())) == ["w"]
    assert model.optional is None
    with pytest.raises(TypeError, match=r"nn\.Parameter\(tensor\)"):
        model.register_parameter("t", cr.tensor([1.0]))  # type: ignore[arg-type]
    with pytest.raises(KeyError, match=r"contain no '\.'"):
        model.register_parameter("a.b", nn.Parameter([1.0]))
    with pytest.raises(KeyError, match="non-empty"):
        model.register_parameter("", nn.Parameter([1.0]))
    model.plain = 1
    with pytest.raises(KeyError, match="already has an attribute 'plain'"):
        model.register_parameter("plain", nn.Parameter([1.0]))
    with pytest.raises(TypeError, match="must be a str"):
        model.register_parameter(1, None)  # type: ignore[arg-type]


def test_buffers_are_state_but_not_parameters() -> None:
    model = nn.Linear(2, 1)
    model.register_buffer("mean", cr.zeros(2))
    model.register_buffer("scratch", cr.zeros(3), persistent=False)
    assert [name for name, _ in model.named_buffers()] == ["mean", "scratch"]
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["weight", "bias", "mean"]

    model.mean = cr.ones(2)
    np.testing.assert_array_equal(model.state_dict()["mean"], [1.0, 1.0])
    with pytest.raises(TypeError, match=r"buffer; assign a Tensor"):
        model.mean = np.ones(2)
    with pytest.raises(TypeError, match=r"cr\.tensor\(value\)"):
        model.register_buffer("raw", np.ones(2))  # type: ignore[arg-type]


def test_buffers_match_torch_in_state_dict_order() -> None:
    model = nn.Module()
    model.register_buffer("a", cr.zeros(1))
    model.w = nn.Parameter([1.0])
    model.child = nn.Linear(1, 1)
    twin = torch.nn.Module()
    twin.register_buffer("a", torch.zeros(1))
    twin.w = torch.nn.Parameter(torch.ones(1))
    twin.child = torch.nn.Linear(1, 1)
    assert list(model.state_dict()) == list(twin.state_dict())


def test_add_module() -> None:
    model = nn.Module()
    model.add_module("first", nn.ReLU())
    model.register_module("second", nn.Tanh())
    assert [name for name, _ in model.named_children()] == ["first", "second"]
    with pytest.raises(TypeError, match="expected a Module"):
        model.add_module("bad", 3)  # type: ignore[arg-type]


# --- shared parameters and modules --------------------------------------------


def test_a_shared_parameter_is_listed_once_and_gets_both_gradients() -> None:
    shared = nn.Parameter([2.0, 3.0])
    model = nn.Module()
    model.a = nn.Module()
    model.b = nn.Module()
    model.a.w = shared
    model.b.w = shared
    assert [name for name, _ in model.named_parameters()] == ["a.w"]

    x = cr.tensor([1.0, -1.0])
    (model.a.w * x + model.b.w * model.b.w).sum().backward()
    np.testing.assert_array_equal(shared.grad.data, x.data + 2 * shared.data)
    # As in PyTorch, the state dict names it under every path.
    assert list(model.state_dict()) == ["a.w", "b.w"]


def test_a_shared_module_is_listed_once() -> None:
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    assert [name for name, _ in model.named_modules()] == ["", "0", "1"]
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    twin = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh())
    twin.append(twin[0])
    assert list(model.state_dict()) == list(twin.state_dict())
    check_against_torch(model, twin, np.random.default_rng(1).standard_normal((5, 2)))


# --- forward and gradients ----------------------------------------------------


def test_module_without_forward_says_so() -> None:
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty defines no forward"):
        Empty()(cr.zeros(1))


def test_call_passes_arguments_to_forward() -> None:
    class Combine(nn.Module):
        def forward(self, x: Any, y: Any, *, scale: float = 1.0) -> Any:
            return (x + y) * scale

    out = Combine()(cr.tensor([1.0]), cr.tensor([2.0]), scale=3.0)
    np.testing.assert_array_equal(out.data, [9.0])


def test_custom_modules_match_torch_in_values_and_every_gradient() -> None:
    x = np.random.default_rng(1).standard_normal((6, 3))
    check_against_torch(Block(np.random.default_rng(0)), TorchBlock(), x)
    check_against_torch(net(), TorchNet(), x)


def test_sgd_by_hand_reduces_the_loss_as_in_torch() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 3))
    target = np.sin(x.sum(axis=1, keepdims=True))
    model = net()
    twin = copy_weights(model, TorchNet())
    x_torch, target_torch = torch.from_numpy(x), torch.from_numpy(target)
    lr = 0.1

    losses = []
    for _ in range(30):
        loss = ((model(x) - target) ** 2).mean()
        model.zero_grad()
        loss.backward()
        for param in model.parameters():
            param.data -= lr * param.grad.data
        losses.append(loss.item())

        loss_torch = ((twin(x_torch) - target_torch) ** 2).mean()
        twin.zero_grad()
        loss_torch.backward()
        with torch.no_grad():
            for param in twin.parameters():
                param -= lr * param.grad
        assert loss.item() == pytest.approx(loss_torch.item(), rel=1e-10)

    assert all(later < earlier for earlier, later in itertools.pairwise(losses))
    assert losses[-1] < 0.6 * losses[0]
    for name, value in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[name], value.numpy(), 1e-9)


def test_requires_grad_false_freezes_the_weights() -> None:
    model = nn.Linear(2, 3)
    assert model.requires_grad_(False) is model
    x = cr.tensor(np.ones((1, 2)), requires_grad=True)
    model(x).sum().backward()
    assert model.weight.grad is None
    assert x.grad is not None
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


# --- modes and zero_grad ------------------------------------------------------


def test_train_and_eval_reach_every_module() -> None:
    model = net()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model.head[1].training
    with pytest.raises(TypeError, match="True or False"):
        model.train("yes")  # type: ignore[arg-type]


def test_train_calls_overridden_train_of_children() -> None:
    calls = []

    class Recording(nn.Module):
        def train(self, mode: bool = True) -> Recording:
            calls.append(mode)
            return super().train(mode)

    nn.Sequential(Recording()).eval()
    assert calls == [False]


def test_zero_grad_sets_grad_to_none() -> None:
    model = net()
    model(np.ones((2, 3))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_zero_grad_without_none_zeros_in_place() -> None:
    model = nn.Linear(2, 2)
    model(np.ones((1, 2))).sum().backward()
    grad = model.weight.grad
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is grad
    np.testing.assert_array_equal(grad.data, np.zeros((2, 2)))
    model(np.ones((1, 2))).sum().backward()
    np.testing.assert_array_equal(model.weight.grad.data, np.ones((2, 2)))


def test_zero_grad_without_none_replaces_a_recorded_gradient() -> None:
    model = nn.Module()
    model.w = nn.Parameter([1.0, 2.0])
    (model.w**3).sum().backward(create_graph=True)
    recorded = model.w.grad
    assert recorded.grad_fn is not None
    model.zero_grad(set_to_none=False)
    assert model.w.grad is not recorded
    assert model.w.grad.grad_fn is None
    np.testing.assert_array_equal(model.w.grad.data, [0.0, 0.0])
    np.testing.assert_array_equal(recorded.data, [3.0, 12.0])


# --- apply and copies ---------------------------------------------------------


def test_apply_visits_children_first_and_can_reinitialise() -> None:
    model = net()
    visited: list[str] = []
    assert model.apply(lambda m: visited.append(type(m).__name__)) is model
    assert visited == [
        "Linear",
        "Linear",
        "Block",
        "ReLU",
        "Linear",
        "Sequential",
        "Net",
    ]

    before = model.state_dict()
    rng = np.random.default_rng(99)
    model.apply(lambda m: m.reset_parameters(rng) if isinstance(m, nn.Linear) else 0)
    after = model.state_dict()
    assert not np.array_equal(before["encoder.fc1.weight"], after["encoder.fc1.weight"])
    np.testing.assert_array_equal(before["bias"], after["bias"])


def test_deepcopy_gives_independent_weights() -> None:
    model = net()
    clone = copy.deepcopy(model)
    for (name, p), (_, q) in zip(
        model.named_parameters(), clone.named_parameters(), strict=True
    ):
        assert p is not q and isinstance(q, nn.Parameter), name
        np.testing.assert_array_equal(p.data, q.data)
    clone.bias.data += 1
    assert not np.array_equal(model.bias.data, clone.bias.data)


# --- state_dict and load_state_dict -------------------------------------------


def test_state_dict_holds_copies() -> None:
    model = net()
    state = model.state_dict()
    assert all(type(value) is np.ndarray for value in state.values())
    assert state["bias"] is not model.bias.data
    model.bias.data += 1.0
    np.testing.assert_array_equal(state["bias"], np.zeros(2))
    state["encoder.scale"][:] = 0
    assert model.encoder.scale.data.any()


def test_state_dict_keys_match_torch() -> None:
    assert list(net().state_dict()) == list(TorchNet().state_dict())


def test_load_state_dict_round_trip_keeps_the_parameter_objects() -> None:
    source, target = Net(np.random.default_rng(0)), Net(np.random.default_rng(1))
    params = list(target.parameters())
    arrays = [p.data for p in params]
    result = target.load_state_dict(source.state_dict())
    assert result == nn.IncompatibleKeys([], [])
    assert list(target.parameters()) == params
    assert [p.data for p in params] == arrays
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key], value, err_msg=key)
    x = np.ones((2, 3))
    np.testing.assert_array_equal(source(x).data, target(x).data)


def test_load_state_dict_through_a_file(tmp_path: Any) -> None:
    source, target = Net(np.random.default_rng(0)), Net(np.random.default_rng(1))
    path = tmp_path / "weights.npz"
    np.savez(path, **source.state_dict())
    with np.load(path) as saved:
        target.load_state_dict(saved)
    x = np.ones((2, 3))
    np.testing.assert_array_equal(source(x).data, target(x).data)


def test_load_state_dict_accepts_tensors_and_casts_to_the_model_dtype() -> None:
    model = nn.Linear(2, 1, dtype=np.float32)
    model.load_state_dict({"weight": cr.tensor([[1.0, 2.0]]), "bias": [0.5]})
    assert model.weight.dtype == np.float32
    np.testing.assert_array_equal(model.weight.data, [[1.0, 2.0]])
    np.testing.assert_array_equal(model.bias.data, [0.5])


def test_load_state_dict_loads_buffers() -> None:
    model = nn.Linear(1, 1)
    model.register_buffer("steps", cr.tensor(0))
    state = model.state_dict()
    state["steps"] = np.array(7)
    model.load_state_dict(state)
    assert model.steps.item() == 7


def unchanged(model: nn.Module, before: dict[str, np.ndarray]) -> bool:
    after = model.state_dict()
    return all(np.array_equal(after[key], value) for key, value in before.items())


def test_missing_keys_are_named_and_nothing_is_loaded() -> None:
    model = net()
    before = model.state_dict()
    state = {key: value + 1 for key, value in before.items()}
    del state["head.1.bias"], state["encoder.scale"]
    with pytest.raises(StateDictError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "missing keys: 'encoder.scale', 'head.1.bias'" in message
    assert "nothing was loaded" in message
    assert "unexpected" not in message
    assert unchanged(model, before)


def test_unexpected_keys_are_named_and_nothing_is_loaded() -> None:
    model = net()
    before = model.state_dict()
    state = {key: value + 1 for key, value in before.items()}
    state["head.2.weight"] = np.zeros(1)
    with pytest.raises(StateDictError, match=r"unexpected keys: 'head\.2\.weight'"):
        model.load_state_dict(state)
    assert unchanged(model, before)


def test_shape_mismatch_names_key_and_both_shapes_even_when_not_strict() -> None:
    model = net()
    before = model.state_dict()
    state = {key: value + 1 for key, value in before.items()}
    state["encoder.fc1.weight"] = np.zeros((3, 4))
    for strict in (True, False):
        with pytest.raises(StateDictError) as error:
            model.load_state_dict(state, strict=strict)
        assert (
            "shape mismatch for 'encoder.fc1.weight': the model has shape (4, 3), "
            "the state dict (3, 4)"
        ) in str(error.value)
        assert unchanged(model, before)


def test_every_problem_is_reported_at_once() -> None:
    model = nn.Linear(2, 3)
    state = {"weight": np.zeros((2, 2)), "extra": np.zeros(1)}
    with pytest.raises(StateDictError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "missing keys: 'bias'" in message
    assert "unexpected keys: 'extra'" in message
    assert "'weight': the model has shape (3, 2), the state dict (2, 2)" in message
    assert message.startswith(
        "load_state_dict: the state dict does not fit this Linear"
    )


def test_unloadable_values_are_named() -> None:
    model = nn.Linear(1, 1)
    before = model.state_dict()
    with pytest.raises(StateDictError, match=r"dtype mismatch for 'bias': .*complex"):
        model.load_state_dict({"weight": [[1.0]], "bias": np.array([1j])})
    with pytest.raises(StateDictError, match=r"'weight' is not an array"):
        model.load_state_dict({"weight": [[1.0], [1.0, 2.0]], "bias": [0.0]})
    assert unchanged(model, before)


def test_load_state_dict_wants_a_mapping() -> None:
    model = nn.Linear(1, 1)
    with pytest.raises(TypeError, match=r"mapping of name -> array.*got Linear"):
        model.load_state_dict(nn.Linear(1, 1))  # type: ignore[arg-type]


def test_read_only_model_arrays_are_refused_before_writing() -> None:
    model = nn.Module()
    model.a = nn.Parameter([1.0])
    model.b = nn.Parameter([2.0])
    model.b.data.flags.writeable = False
    with pytest.raises(StateDictError, match="'b' is read-only"):
        model.load_state_dict({"a": [10.0], "b": [20.0]})
    assert model.a.item() == 1.0


def test_not_strict_loads_the_common_keys_and_reports_the_rest() -> None:
    model = nn.Linear(2, 1)
    result = model.load_state_dict(
        {"weight": np.array([[1.0, 2.0]]), "other": np.zeros(3)}, strict=False
    )
    assert result.missing_keys == ["bias"]
    assert result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(model.weight.data, [[1.0, 2.0]])


# --- repr ---------------------------------------------------------------------


def test_repr_nests_like_torch() -> None:
    assert repr(net()) == (
        "Net(\n"
        "  (encoder): Block(\n"
        "    (fc1): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (fc2): Linear(in_features=4, out_features=2, bias=True)\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=2, out_features=1, bias=True)\n"
        "  )\n"
        ")"
    )
    torch_text = (
        repr(TorchNet()).replace("TorchNet", "Net").replace("TorchBlock", "Block")
    )
    assert repr(net()) == torch_text


def test_repr_shows_extra_repr_lines_and_none_children() -> None:
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = nn.Tanh()
            self.register_module("missing", None)

        def extra_repr(self) -> str:
            return "scale=2.0,\nshift=1.0"

    assert repr(Scaled()) == (
        "Scaled(\n  scale=2.0,\n  shift=1.0\n  (inner): Tanh()\n  (missing): None\n)"
    )
    assert repr(nn.Module()) == "Module()"


# --- casting: to, float, double -------------------------------------------------


def normed(rng: np.random.Generator) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(3, 4, generator=rng), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 1)
    )


def torch_normed() -> torch.nn.Sequential:
    return torch.nn.Sequential(
        torch.nn.Linear(3, 4),
        torch.nn.BatchNorm1d(4),
        torch.nn.Tanh(),
        torch.nn.Linear(4, 1),
    )


@pytest.mark.parametrize(
    ("cast", "torch_cast"),
    [
        (lambda m: m.float(), lambda m: m.float()),
        (lambda m: m.to(np.float32), lambda m: m.to(torch.float32)),
        (lambda m: m.to("cpu", dtype=np.float32), lambda m: m.to("cpu", torch.float32)),
        (lambda m: m.float().double(), lambda m: m.float().double()),
    ],
    ids=["float", "to(dtype)", "to(device, dtype)", "float then double"],
)
def test_casting_a_module_matches_torch_in_every_dtype(
    cast: Any, torch_cast: Any
) -> None:
    model = normed(np.random.default_rng(0))
    twin = copy_weights(model, torch_normed())
    assert cast(model) is model
    torch_cast(twin)
    ours = model.state_dict()
    theirs = twin.state_dict()
    assert {k: str(v.dtype) for k, v in ours.items()} == {
        k: str(v.dtype).removeprefix("torch.") for k, v in theirs.items()
    }
    for key, value in theirs.items():
        np.testing.assert_array_equal(ours[key], value.numpy(), err_msg=key)


def test_casting_keeps_the_parameters_so_an_earlier_optimizer_trains_on() -> None:
    model = normed(np.random.default_rng(0))
    twin = copy_weights(model, torch_normed())
    weights = list(model.parameters())
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    torch_optimizer = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    x = np.random.default_rng(1).standard_normal((8, 3))

    for step in range(3):
        if step == 1:
            model.float()
            twin.float()
            assert list(model.parameters()) == weights
            assert all(w.dtype == np.float32 for w in weights)
        dtype = np.float64 if step == 0 else np.float32
        optimizer.zero_grad()
        torch_optimizer.zero_grad()
        model(cr.tensor(x.astype(dtype))).sum().backward()
        twin(torch.tensor(x.astype(dtype))).sum().backward()
        optimizer.step()
        torch_optimizer.step()

    theirs_state = twin.state_dict()
    for name, ours in model.state_dict().items():
        theirs = theirs_state[name]
        assert ours.dtype == theirs.numpy().dtype, name
        np.testing.assert_allclose(
            ours, theirs.numpy(), rtol=1e-5, atol=1e-6, err_msg=name
        )


def test_casting_casts_the_gradients_too() -> None:
    layer = nn.Linear(2, 2)
    layer(cr.ones(1, 2)).sum().backward()
    layer.float()
    assert layer.weight.grad is not None and layer.weight.grad.dtype == np.float32
    layer.weight.grad = None
    layer(cr.ones(1, 2, dtype=np.float32)).sum().backward()
    assert layer.weight.grad.dtype == np.float32


def test_casting_a_module_refuses_integers_and_other_devices() -> None:
    layer = nn.Linear(2, 2)
    with pytest.raises(DTypeError, match=r"Linear\.to\(int64\): .* floating point"):
        layer.to(np.int64)
    with pytest.raises(NotImplementedError, match=r"Linear\.to: device 'cuda'"):
        layer.to("cuda")
    assert layer.weight.dtype == np.float64
    assert layer.to("cpu") is layer
