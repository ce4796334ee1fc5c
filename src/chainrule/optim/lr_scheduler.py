"""Learning-rate schedules: ``StepLR`` and ``CosineAnnealingLR``.

A scheduler writes ``group["lr"]`` of its optimizer's parameter groups. Call
``scheduler.step()`` once per epoch, after that epoch's ``optimizer.step()``
calls::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)
        scheduler.step()

Each group's schedule starts from its learning rate when the scheduler is
made (saved in the group as ``"initial_lr"``, as PyTorch does) and is
computed in closed form from it and the epoch count. NOTE: PyTorch updates
the current lr recursively instead, which gives the same values (to
rounding) but lets several schedulers act on one optimizer together; here
the last scheduler to step sets the lr, and an lr changed by hand is
overwritten at the next step.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from chainrule.errors import StateDictError
from chainrule.optim.optimizer import Optimizer, check_number


class LRScheduler:
    """Base class: sets each group's lr to ``_lr_at(base_lr, epoch)`` per step.

    Parameters
    ----------
    optimizer
        The optimizer whose learning rates are scheduled.
    last_epoch
        The epoch count to resume from; -1 (default) starts a new schedule,
        at epoch 0 with each group's current lr.

    Attributes
    ----------
    base_lrs
        Each group's learning rate at epoch 0.
    last_epoch
        The number of ``step()`` calls made (the current epoch).
    """

    optimizer: Optimizer
    base_lrs: list[float]
    last_epoch: int
    _last_lr: list[float]

    # The subclass's own settings, saved by state_dict().
    _settings: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        owner = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{owner}: expected an optimizer (e.g. optim.SGD(...)), got "
                f"{type(optimizer).__name__}"
            )
        if not _is_int(last_epoch):
            raise TypeError(f"{owner}: last_epoch must be an int, got {last_epoch!r}")
        if last_epoch < -1:
            raise ValueError(
                f"{owner}: last_epoch must be >= -1 (-1 starts a new schedule), "
                f"got {last_epoch}"
            )
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        for i, group in enumerate(optimizer.param_groups):
            if "initial_lr" not in group:
                raise ValueError(
                    f"{owner}: last_epoch={last_epoch} resumes a schedule, but "
                    f"parameter group {i} has no 'initial_lr'; load the "
                    "optimizer's state dict first, or start with last_epoch=-1"
                )
        self.optimizer = optimizer
        self.base_lrs = [float(group["initial_lr"]) for group in optimizer.param_groups]

        if last_epoch == -1:
            # NOTE: as in PyTorch, epoch 0 keeps the current learning rates:
            # making a scheduler changes nothing until its first step.
            self.last_epoch = 0
            self._last_lr = [float(group["lr"]) for group in optimizer.param_groups]
        else:
            self.last_epoch = int(last_epoch)
            self.step()

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        """The learning rate of a group starting at ``base_lr``, at ``epoch``."""
        raise NotImplementedError(
            f"{type(self).__name__} defines no _lr_at(base_lr, epoch)"
        )

    def step(self) -> None:
        """Advance one epoch and set every group's learning rate for it."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"{type(self).__name__}.step: the optimizer has {len(groups)} "
                f"parameter groups, but the scheduler was made for "
                f"{len(self.base_lrs)}; make the scheduler after the last "
                "add_param_group"
            )
        self.last_epoch += 1
        self._last_lr = [self._lr_at(lr, self.last_epoch) for lr in self.base_lrs]
        for group, lr in zip(groups, self._last_lr, strict=True):
            group["lr"] = lr

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group, as set by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The schedule's position and settings: plain numbers and lists.

        The optimizer is not included; save its own state dict alongside.
        """
        state = {
            "base_lrs": list(self.base_lrs),
            "last_epoch": self.last_epoch,
            "_last_lr": list(self._last_lr),
        }
        for name in self._settings:
            state[name] = getattr(self, name)
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Resume the schedule saved by :meth:`state_dict`; checks first.

        Also sets each group's lr to the saved current rate.
        """
        owner = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{owner}.load_state_dict: expected a dict (as made by "
                f"state_dict()), got {type(state_dict).__name__}"
            )
        expected = ["base_lrs", "last_epoch", "_last_lr", *self._settings]
        missing = [key for key in expected if key not in state_dict]
        unexpected = [key for key in state_dict if key not in expected]
        if missing or unexpected:
            raise StateDictError(
                f"{owner}.load_state_dict: missing keys {missing}, unexpected "
                f"keys {unexpected}: was the state dict saved from another "
                "scheduler type?"
            )
        groups = len(self.optimizer.param_groups)
        lengths = {len(state_dict["base_lrs"]), len(state_dict["_last_lr"])}
        if lengths != {groups}:
            raise StateDictError(
                f"{owner}.load_state_dict: the state dict schedules "
                f"{len(state_dict['base_lrs'])} parameter group(s), the "
                f"optimizer has {groups}; make the scheduler for an optimizer "
                "with the same groups"
            )
        settings = self._check_settings(
            **{name: state_dict[name] for name in self._settings}
        )

        for name, value in settings.items():
            setattr(self, name, value)
        self.base_lrs = [float(lr) for lr in state_dict["base_lrs"]]
        self.last_epoch = int(state_dict["last_epoch"])
        self._last_lr = [float(lr) for lr in state_dict["_last_lr"]]
        # The optimizer trains on with the resumed rates even if its own
        # state dict is not loaded, or is loaded before this one.
        for group, lr in zip(self.optimizer.param_groups, self._last_lr, strict=True):
            group["lr"] = lr

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        """The settings, normalised; raises if one is out of range."""
        return settings


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    At epoch e the lr is ``base_lr · gamma ** (e // step_size)``.

    Parameters
    ----------
    optimizer
        The optimizer whose learning rates are scheduled.
    step_size
        Epochs between decays, a positive int.
    gamma
        Factor of each decay, >= 0 (default 0.1).
    last_epoch
        The epoch count to resume from (default -1: a new schedule).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import optim
    >>> w = cr.zeros(2, requires_grad=True)
    >>> optimizer = optim.SGD([w], lr=1.0)
    >>> scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(scheduler.get_last_lr()[0])
    ...     scheduler.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    _settings = ("step_size", "gamma")

    def __init__(
        self,
        optimizer: Optimizer,
        step_size: int,
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        settings = self._check_settings(step_size=step_size, gamma=gamma)
        self.step_size: int = settings["step_size"]
        self.gamma: float = settings["gamma"]
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        step_size, gamma = settings["step_size"], settings["gamma"]
        if not _is_int(step_size):
            raise TypeError(f"StepLR: step_size must be an int, got {step_size!r}")
        if step_size < 1:
            raise ValueError(
                f"StepLR: step_size must be >= 1 (epochs between decays), "
                f"got {step_size}"
            )
        gamma = check_number("StepLR", "gamma", gamma)
        return {"step_size": int(step_size), "gamma": gamma}

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Lower the learning rate along a half cosine, from base_lr to eta_min.

    At epoch e the lr is ``eta_min + (base_lr - eta_min)·(1 + cos(π·e/T_max))/2``:
    base_lr at epoch 0, eta_min at epoch T_max. Stepping on past T_max
    follows the cosine back up (as in PyTorch); restart with a new
    scheduler instead if that is not wanted.

    Parameters
    ----------
    optimizer
        The optimizer whose learning rates are scheduled.
    T_max
        Epochs from base_lr down to eta_min, a positive int.
    eta_min
        The lowest learning rate, >= 0 (default 0).
    last_epoch
        The epoch count to resume from (default -1: a new schedule).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import optim
    >>> optimizer = optim.SGD([cr.zeros(2, requires_grad=True)], lr=1.0)
    >>> scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 4))
    ...     scheduler.step()
    >>> lrs
    [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    _settings = ("T_max", "eta_min")

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        settings = self._check_settings(T_max=T_max, eta_min=eta_min)
        self.T_max: int = settings["T_max"]
        self.eta_min: float = settings["eta_min"]
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        T_max, eta_min = settings["T_max"], settings["eta_min"]
        if not _is_int(T_max):
            raise TypeError(f"CosineAnnealingLR: T_max must be an int, got {T_max!r}")
        if T_max < 1:
            raise ValueError(
                f"CosineAnnealingLR: T_max must be >= 1 (epochs from base_lr "
                f"down to eta_min), got {T_max}"
            )
        eta_min = check_number("CosineAnnealingLR", "eta_min", eta_min)
        return {"T_max": int(T_max), "eta_min": eta_min}

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


def _is_int(value: Any) -> bool:
    """An integer (also a NumPy one, as read back from an array file), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
