"""optim.Optimizer: parameter groups, a step's contract, state dicts."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.errors import DTypeError, ShapeError, StateDictError

ALL = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
]
IDS = [name for name, _ in ALL]


def weights(dtype: Any = np.float64) -> list[cr.Tensor]:
    rng = np.random.default_rng(1)
    shapes = [(3, 2), (2,), ()]
    return [
        cr.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
        for s in shapes
    ]


def train(optimizer: optim.Optimizer, params: list[cr.Tensor], steps: range) -> None:
    """Steps with gradients that depend on the step number only."""
    for step in steps:
        rng = np.random.default_rng(100 + step)
        for w in params:
            w.grad = cr.tensor(rng.standard_normal(w.shape).astype(w.dtype))
        optimizer.step()


# --- building ----------------------------------------------------------------


def test_model_parameters_form_one_group_with_the_defaults() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    (group,) = optimizer.param_groups
    assert all(a is b for a, b in zip(group["params"], model.parameters(), strict=True))
    assert {k: v for k, v in group.items() if k != "params"} == optimizer.defaults
    assert optimizer.defaults == {
        "lr": 0.1,
        "momentum": 0.0,
        "dampening": 0.0,
        "weight_decay": 0.0,
        "nesterov": False,
        "maximize": False,
    }


def test_groups_take_their_own_options_keep_extra_keys_and_default_the_rest() -> None:
    a, b, c = weights()
    optimizer = optim.Adam(
        [{"params": [a, b], "name": "body"}, {"params": c, "lr": 0.5}], lr=0.01
    )
    body, head = optimizer.param_groups
    assert body["lr"] == 0.01 and body["name"] == "body"
    assert head["lr"] == 0.5 and head["betas"] == (0.9, 0.999)
    assert head["params"][0] is c


def test_add_param_group() -> None:
    a, b, c = weights()
    optimizer = optim.SGD([a], lr=0.1)
    optimizer.add_param_group({"params": [b, c], "momentum": 0.9})
    assert [len(g["params"]) for g in optimizer.param_groups] == [1, 2]
    assert optimizer.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match=r"already in parameter group 0"):
        optimizer.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match=r"SGD parameter group 2 has no 'params'"):
        optimizer.add_param_group({"lr": 0.1})


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        (cr.zeros(2, requires_grad=True), TypeError, r"got a single Tensor; wrap it"),
        ({"params": []}, TypeError, r"a single dict; a parameter group goes in a list"),
        ({cr.zeros(2)}, TypeError, r"params is a set"),
        ([], ValueError, r"SGD got an empty parameter list"),
        (3, TypeError, r"must be an iterable of Tensors, got int"),
        ([np.zeros(2)], TypeError, r"params\[0\] is a ndarray, not a Tensor"),
        (
            [("w", cr.zeros(2))],
            TypeError,
            r"named_parameters\(\) gives \(name, tensor\) pairs",
        ),
        ([nn.Linear(2, 2)], TypeError, r"params\[0\] is a Linear.*module.parameters"),
        ([cr.zeros(2, requires_grad=True) * 2], ValueError, r"not a leaf"),
        ([cr.tensor([1, 2])], DTypeError, r"params\[0\] has dtype int64"),
        ([cr.zeros(2), {"params": []}], TypeError, r"mixes tensors and"),
    ],
)
def test_bad_params_are_refused_with_the_fix(
    params: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        optim.SGD(params, lr=0.1)


def test_a_weight_listed_twice_is_refused() -> None:
    w = cr.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"params\[1\] appears twice"):
        optim.SGD([w, w])
    with pytest.raises(ValueError, match=r"already in parameter group 0"):
        optim.SGD([{"params": [w]}, {"params": [w]}])


def test_repr_lists_the_groups() -> None:
    a, b, c = weights()
    optimizer = optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1)
    text = repr(optimizer)
    assert text.startswith("SGD(\n  group 0 (2 weights): lr=0.1, momentum=0.0")
    assert "group 1 (1 weights): lr=0.5" in text


# --- a step ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "options"), ALL, ids=IDS)
def test_a_step_updates_in_place_records_nothing_and_leaves_grads_alone(
    name: str, options: dict[str, Any]
) -> None:
    params = weights()
    arrays = [w.data for w in params]
    optimizer = getattr(optim, name)(params, **options)
    for _ in range(2):
        for w in params:
            w.grad = cr.ones(*w.shape)
        optimizer.step()

        for w, array in zip(params, arrays, strict=True):
            assert w.data is array and w.is_leaf and w.requires_grad
            np.testing.assert_array_equal(w.grad.data, np.ones(w.shape))


@pytest.mark.parametrize(("name", "options"), ALL, ids=IDS)
def test_float32_weights_and_state_stay_float32(
    name: str, options: dict[str, Any]
) -> None:
    params = weights(np.float32)
    optimizer = getattr(optim, name)(params, **options)
    train(optimizer, params, range(3))
    for w in params:
        assert w.dtype == np.float32
        for key, value in optimizer.state[w].items():
            assert key == "step" or value.dtype == np.float32, key


def test_a_float32_weight_and_its_state_stay_float32() -> None:
    w = cr.tensor(np.ones(2, np.float32), requires_grad=True)
    optimizer = optim.Adam([w], lr=0.1)
    with pytest.raises(DTypeError, match="gradient of dtype float64"):
        w.grad = cr.tensor(np.ones(2, np.float64))  # as PyTorch, refused
    (w * 2.0).sum().backward()
    optimizer.step()
    assert w.dtype == np.float32
    assert optimizer.state[w]["exp_avg"].dtype == np.float32


def test_a_weight_that_never_gets_a_gradient_is_untouched() -> None:
    used, frozen = weights()[:2]
    frozen.requires_grad_(False)
    before = frozen.data.copy()
    optimizer = optim.Adam([used, frozen], lr=0.1, weight_decay=0.1)
    train(optimizer, [used], range(3))
    np.testing.assert_array_equal(frozen.data, before)
    assert frozen not in optimizer.state


def test_a_closure_is_called_and_its_loss_returned() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.SGD([w], lr=0.25)

    def closure() -> cr.Tensor:
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with cr.no_grad():
        loss = optimizer.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_array_equal(w.data, [0.5, 1.0])


def test_zero_grad_sets_none_or_zeros_in_place() -> None:
    a, b, c = weights()
    optimizer = optim.SGD([a, b, c], lr=0.1)
    (a.sum() + b.sum()).backward()
    grad_array = a.grad.data
    optimizer.zero_grad(set_to_none=False)
    assert a.grad.data is grad_array and not grad_array.any()
    assert c.grad is None
    optimizer.zero_grad()
    assert a.grad is None and b.grad is None


def test_zero_grad_replaces_a_gradient_that_is_part_of_a_graph() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w**3).sum().backward(create_graph=True)
    graph_grad = w.grad
    optim.SGD([w]).zero_grad(set_to_none=False)
    assert w.grad is not graph_grad
    np.testing.assert_array_equal(graph_grad.data, [3.0, 12.0])
    np.testing.assert_array_equal(w.grad.data, [0.0, 0.0])


def test_a_gradient_of_the_wrong_shape_is_refused() -> None:
    # .grad's setter checks the shape; .data may still be reshaped after it.
    w = cr.zeros(3, requires_grad=True)
    w.grad = cr.ones(3)
    w.data = np.zeros(1)
    with pytest.raises(
        ShapeError, match=r"weight of shape \(1,\) has a gradient of shape \(3,\)"
    ):
        optim.SGD([w]).step()


def test_a_read_only_weight_is_refused() -> None:
    array = np.zeros(2)
    array.flags.writeable = False
    w = cr.from_numpy(array, requires_grad=True)
    w.grad = cr.ones(2)
    with pytest.raises(ValueError, match=r"read-only"):
        optim.SGD([w]).step()


# --- state dicts -------------------------------------------------------------


@pytest.mark.parametrize(("name", "options"), ALL, ids=IDS)
def test_a_loaded_state_resumes_exactly_like_an_uninterrupted_run(
    name: str, options: dict[str, Any]
) -> None:
    groups = lambda p: [{"params": p[:2]}, {"params": p[2:], "lr": 0.02}]  # noqa: E731
    straight = weights()
    optimizer = getattr(optim, name)(groups(straight), **options)
    train(optimizer, straight, range(6))

    first = weights()
    optimizer = getattr(optim, name)(groups(first), **options)
    train(optimizer, first, range(3))
    saved = optimizer.state_dict()
    resumed = [cr.tensor(w.data, requires_grad=True) for w in first]
    fresh = getattr(optim, name)(groups(resumed), **options)
    fresh.load_state_dict(saved)
    train(fresh, resumed, range(3, 6))

    for w, expected in zip(resumed, straight, strict=True):
        np.testing.assert_array_equal(w.data, expected.data)


def save_like_a_file(state_dict: dict[str, Any]) -> dict[str, Any]:
    """Arrays (and counts, as 0-d arrays) to an array dict, the rest to JSON."""
    arrays = {
        f"{index}.{key}": np.asarray(value)
        for index, entry in state_dict["state"].items()
        for key, value in entry.items()
    }
    text = json.dumps({"param_groups": state_dict["param_groups"]})
    state: dict[str, dict[str, Any]] = {}
    for name, array in arrays.items():
        index, key = name.split(".")
        state.setdefault(index, {})[key] = array.copy()
    return {"state": state, **json.loads(text)}


@pytest.mark.parametrize(("name", "options"), ALL, ids=IDS)
def test_the_state_dict_survives_json_and_an_array_file(
    name: str, options: dict[str, Any]
) -> None:
    straight = weights()
    optimizer = getattr(optim, name)(straight, **options)
    train(optimizer, straight, range(5))

    first = weights()
    optimizer = getattr(optim, name)(first, **options)
    train(optimizer, first, range(2))
    reloaded = save_like_a_file(optimizer.state_dict())
    fresh = getattr(optim, name)(first, **options)
    fresh.load_state_dict(reloaded)
    train(fresh, first, range(2, 5))

    for w, expected in zip(first, straight, strict=True):
        np.testing.assert_array_equal(w.data, expected.data)
    assert fresh.param_groups[0] == optimizer.param_groups[0]
    for value in fresh.state_dict()["state"][0].values():
        assert isinstance(value, int | np.ndarray)


def test_the_state_dict_is_a_snapshot_with_plain_values() -> None:
    params = weights()
    optimizer = optim.Adam(params, lr=0.1)
    train(optimizer, params, range(2))
    saved = optimizer.state_dict()
    copy_of_saved = saved["state"][0]["exp_avg"].copy()
    train(optimizer, params, range(2, 4))
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], copy_of_saved)
    assert saved["state"][0]["step"] == 2 and type(saved["state"][0]["step"]) is int
    assert saved["param_groups"] == [
        {
            "lr": 0.1,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 0.0,
            "amsgrad": False,
            "maximize": False,
            "params": [0, 1, 2],
        }
    ]


def test_loading_copies_and_casts_to_the_weights_dtype() -> None:
    source = weights()
    optimizer = optim.SGD(source, lr=0.1, momentum=0.9)
    train(optimizer, source, range(2))
    saved = optimizer.state_dict()
    target = weights(np.float32)
    fresh = optim.SGD(target, lr=0.1, momentum=0.9)
    fresh.load_state_dict(saved)
    buffer = fresh.state[target[0]]["momentum_buffer"]
    assert buffer.dtype == np.float32
    assert buffer is not saved["state"][0]["momentum_buffer"]


def loaded_into(optimizer: optim.Optimizer, saved: Any) -> str:
    """The StateDictError message; checks that nothing was loaded."""
    before = optimizer.state_dict()
    with pytest.raises(StateDictError) as info:
        optimizer.load_state_dict(saved)
    after = optimizer.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert after["state"].keys() == before["state"].keys()
    return str(info.value)


def trained(name: str, params: Any, **options: Any) -> optim.Optimizer:
    optimizer = getattr(optim, name)(params, **options)
    for w in optimizer.param_groups[0]["params"]:
        w.grad = cr.ones(*w.shape)
    optimizer.step()
    return optimizer


def test_loading_the_state_of_another_optimizer_type_is_refused() -> None:
    saved = trained("SGD", weights(), lr=0.1, momentum=0.9).state_dict()
    message = loaded_into(trained("Adam", weights()), saved)
    assert "lacks the option(s) betas, eps, amsgrad that Adam has" in message
    assert "another optimizer type" in message
    message = loaded_into(trained("RMSprop", weights()), saved)
    assert "lacks the option(s) alpha, eps, centered" in message


def test_loading_with_another_number_of_groups_or_weights_is_refused() -> None:
    a, b, c = weights()
    saved = trained("SGD", [a, b, c], momentum=0.9).state_dict()
    two_groups = optim.SGD([{"params": [a]}, {"params": [b, c]}], momentum=0.9)
    with pytest.raises(
        StateDictError, match=r"has 1 parameter group\(s\), this optimizer 2"
    ):
        two_groups.load_state_dict(saved)
    message = loaded_into(optim.SGD([a, b], momentum=0.9), saved)
    assert (
        "parameter group 0 has 3 weight(s) in the state dict, 2 in this optimizer"
        in message
    )


def test_loading_state_of_another_shape_is_refused() -> None:
    saved = trained("Adam", weights()).state_dict()
    other = [cr.zeros(3, 3, requires_grad=True), *weights()[1:]]
    message = loaded_into(optim.Adam(other), saved)
    assert (
        "shape mismatch for state 'exp_avg' of weight 0: the weight has shape "
        "(3, 3), the state dict (3, 2)"
    ) in message


def test_loading_invalid_or_incomplete_state_is_refused() -> None:
    saved = trained("Adam", weights(), amsgrad=True).state_dict()
    saved["param_groups"][0]["lr"] = -1.0
    del saved["state"][1]["max_exp_avg_sq"]
    saved["state"][2]["step"] = 1.5
    saved["state"][7] = {}
    message = loaded_into(optim.Adam(weights(), amsgrad=True), saved)
    assert "parameter group 0: lr must be >= 0, got -1.0" in message
    assert "state of weight 1 lacks max_exp_avg_sq" in message
    assert "state 'step' of weight 2 must be a whole number >= 0, got 1.5" in message
    assert "state for weight 7, which no parameter group lists" in message


def test_loading_something_that_is_not_an_optimizer_state_dict() -> None:
    optimizer = optim.SGD(weights())
    with pytest.raises(TypeError, match=r"expected a dict"):
        optimizer.load_state_dict([1, 2])  # type: ignore[arg-type]
    model_state = nn.Linear(2, 2).state_dict()
    with pytest.raises(
        StateDictError,
        match=r"lacks 'state' and 'param_groups'.*model\.load_state_dict",
    ):
        optimizer.load_state_dict(model_state)


@pytest.mark.parametrize("lr", ["0.1", True])
def test_an_option_given_as_a_string_or_a_flag_is_refused(lr) -> None:
    w = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"lr must be a number, got"):
        optim.Adam([w], lr=lr)
