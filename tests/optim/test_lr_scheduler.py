"""optim.lr_scheduler: learning-rate sequences against PyTorch's, state dicts."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim
from chainrule.errors import StateDictError
from chainrule.optim.lr_scheduler import CosineAnnealingLR, StepLR

SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("StepLR", {"step_size": 1}),
    ("CosineAnnealingLR", {"T_max": 5}),
    ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01}),
]
IDS = [f"{name}{options}" for name, options in SCHEDULES]


def two_groups(library: Any, make: Any) -> Any:
    return library.SGD([{"params": [make()]}, {"params": [make()], "lr": 0.3}], lr=0.1)


def ours() -> optim.Optimizer:
    return two_groups(optim, lambda: cr.zeros(2, requires_grad=True))


@pytest.mark.parametrize(("name", "options"), SCHEDULES, ids=IDS)
def test_learning_rates_match_torch_for_many_epochs(
    name: str, options: dict[str, Any]
) -> None:
    optimizer = ours()
    twin = two_groups(torch.optim, lambda: torch.zeros(2, requires_grad=True))
    scheduler = getattr(optim.lr_scheduler, name)(optimizer, **options)
    twin_scheduler = getattr(torch.optim.lr_scheduler, name)(twin, **options)

    for epoch in range(15):  # past T_max: the cosine comes back up
        expected = twin_scheduler.get_last_lr()
        np.testing.assert_allclose(
            scheduler.get_last_lr(), expected, rtol=1e-12, atol=1e-15
        )
        lrs = [group["lr"] for group in optimizer.param_groups]
        assert lrs == scheduler.get_last_lr(), epoch
        twin.step()
        optimizer.step()
        twin_scheduler.step()
        scheduler.step()


def test_the_schedule_starts_from_the_lr_when_made_and_records_it() -> None:
    optimizer = ours()
    scheduler = StepLR(optimizer, step_size=2)
    assert scheduler.base_lrs == [0.1, 0.3]
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.3]
    assert scheduler.last_epoch == 0


def test_an_lr_set_by_hand_lasts_until_the_next_step_as_readme_says() -> None:
    # README, "Differences from PyTorch": the closed form overwrites the edit;
    # base_lrs moves the schedule; a new scheduler starts from initial_lr.
    optimizer = optim.SGD([cr.zeros(2, requires_grad=True)], lr=1.0)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    scheduler.step()
    optimizer.param_groups[0]["lr"] = 0.01
    scheduler.step()  # epoch 2: 1.0 * 0.5, not 0.01 * 0.5 as in PyTorch
    assert optimizer.param_groups[0]["lr"] == 0.5

    twin = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=1.0)
    twin_scheduler = torch.optim.lr_scheduler.StepLR(twin, step_size=2, gamma=0.5)
    twin.step()
    twin_scheduler.step()
    twin.param_groups[0]["lr"] = 0.01
    twin.step()
    twin_scheduler.step()
    assert twin.param_groups[0]["lr"] == 0.005  # the difference README names

    scheduler.base_lrs[0] = 0.1
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 0.1 * 0.5
    optimizer.param_groups[0]["lr"] = 0.01
    assert StepLR(optimizer, step_size=2).base_lrs == [1.0]  # initial_lr


@pytest.mark.parametrize(("name", "options"), SCHEDULES, ids=IDS)
def test_a_loaded_schedule_resumes_like_an_uninterrupted_one(
    name: str, options: dict[str, Any]
) -> None:
    optimizer = ours()
    scheduler = getattr(optim.lr_scheduler, name)(optimizer, **options)
    straight = []
    for _ in range(9):
        scheduler.step()
        straight.append(scheduler.get_last_lr())

    optimizer = ours()
    scheduler = getattr(optim.lr_scheduler, name)(optimizer, **options)
    for _ in range(4):
        scheduler.step()
    saved = json.loads(json.dumps(scheduler.state_dict()))
    fresh = ours()
    resumed = getattr(optim.lr_scheduler, name)(fresh, **options)
    resumed.load_state_dict(saved)
    assert resumed.get_last_lr() == straight[3]
    assert [g["lr"] for g in fresh.param_groups] == straight[3]
    for expected in straight[4:]:
        resumed.step()
        assert resumed.get_last_lr() == expected
        assert [g["lr"] for g in fresh.param_groups] == expected


def test_making_a_scheduler_keeps_the_current_learning_rate_as_torch() -> None:
    optimizer = ours()
    StepLR(optimizer, step_size=1, gamma=0.5).step()
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    twin = two_groups(torch.optim, lambda: torch.zeros(2, requires_grad=True))
    first = torch.optim.lr_scheduler.StepLR(twin, step_size=1, gamma=0.5)
    twin.step()
    first.step()
    twin_scheduler = torch.optim.lr_scheduler.StepLR(twin, step_size=1, gamma=0.5)
    assert scheduler.get_last_lr() == twin_scheduler.get_last_lr() == [0.05, 0.15]
    assert scheduler.base_lrs == twin_scheduler.base_lrs == [0.1, 0.3]


def test_resuming_with_last_epoch() -> None:
    optimizer = ours()
    scheduler = CosineAnnealingLR(optimizer, T_max=6)
    for _ in range(3):
        scheduler.step()
    resumed = CosineAnnealingLR(optimizer, T_max=6, last_epoch=2)
    assert resumed.get_last_lr() == scheduler.get_last_lr()
    with pytest.raises(ValueError, match=r"group 0 has no 'initial_lr'"):
        StepLR(ours(), step_size=2, last_epoch=4)


def test_loading_another_schedulers_state_is_refused() -> None:
    saved = StepLR(ours(), step_size=2).state_dict()
    with pytest.raises(StateDictError, match=r"missing keys \['T_max', 'eta_min'\]"):
        CosineAnnealingLR(ours(), T_max=3).load_state_dict(saved)
    saved["step_size"] = 0
    with pytest.raises(ValueError, match=r"step_size must be >= 1"):
        StepLR(ours(), step_size=2).load_state_dict(saved)


def test_a_group_added_after_the_scheduler_is_an_error_at_step() -> None:
    optimizer = ours()
    scheduler = StepLR(optimizer, step_size=2)
    optimizer.add_param_group({"params": [cr.zeros(1, requires_grad=True)]})
    with pytest.raises(ValueError, match=r"has 3 parameter groups.*made for 2"):
        scheduler.step()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda o: StepLR(o, step_size=0), ValueError, r"step_size must be >= 1"),
        (lambda o: StepLR(o, step_size=1.5), TypeError, r"step_size must be an int"),
        (lambda o: StepLR(o, 2, gamma=-0.1), ValueError, r"gamma must be >= 0"),
        (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, r"T_max must be >= 1"),
        (
            lambda o: CosineAnnealingLR(o, 3, eta_min=-1.0),
            ValueError,
            r"eta_min must be >= 0",
        ),
        (lambda o: StepLR(o, 2, last_epoch=-3), ValueError, r"last_epoch must be"),
        (lambda o: StepLR([o], 2), TypeError, r"expected an optimizer"),
    ],
)
def test_invalid_settings_are_refused(make: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make(ours())
