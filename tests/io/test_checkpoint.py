"""io.save_checkpoint / io.load_checkpoint: resuming training exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.errors import CheckpointError
from chainrule.optim.lr_scheduler import CosineAnnealingLR, StepLR
from tests.io.files import assert_same, mlp, snapshot, split_file, trained

EPOCHS = 6
STOP = 3


def build(
    name: str, options: dict[str, Any], seed: int, dtype: Any = np.float64
) -> tuple[nn.Module, optim.Optimizer, Any]:
    """A model, its optimizer with two parameter groups, and a scheduler."""
    model = mlp(seed, dtype)
    weights, biases = [], []
    for key, param in model.named_parameters():
        (biases if key.endswith("bias") else weights).append(param)
    optimizer = getattr(optim, name)(
        [{"params": weights}, {"params": biases, "lr": 0.01}], **options
    )
    scheduler: Any
    if name == "SGD":
        scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    else:
        scheduler = CosineAnnealingLR(optimizer, T_max=EPOCHS, eta_min=0.001)
    return model, optimizer, scheduler


def train(
    model: nn.Module, optimizer: optim.Optimizer, scheduler: Any, epoch: int
) -> None:
    """One epoch of two steps, on data that depends on the epoch only."""
    rng = np.random.default_rng(100 + epoch)
    dtype = model[0].weight.dtype
    for _ in range(2):
        x = cr.tensor(rng.standard_normal((16, 3)).astype(dtype))
        y = cr.tensor(rng.standard_normal((16, 2)).astype(dtype))
        optimizer.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        optimizer.step()
    scheduler.step()


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
        ("Adam", {"lr": 0.05}),
        ("Adam", {"lr": 0.05, "amsgrad": True, "betas": (0.8, 0.99)}),
        ("AdamW", {"lr": 0.05}),
        ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ],
    ids=str,
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_resumed_training_equals_uninterrupted_training(
    tmp_path: Path, name: str, options: dict[str, Any], dtype: Any
) -> None:
    path = tmp_path / "checkpoint.safetensors"
    straight = build(name, options, seed=1, dtype=dtype)
    for epoch in range(EPOCHS):
        train(*straight, epoch)

    first = build(name, options, seed=1, dtype=dtype)
    for epoch in range(STOP):
        train(*first, epoch)
    cr.io.save_checkpoint(path, *first, metadata={"epoch": STOP})
    # A new process: everything built afresh, with other initial weights.
    resumed = build(name, options, seed=3, dtype=dtype)
    metadata = cr.io.load_checkpoint(path, *resumed)
    for epoch in range(metadata["epoch"], EPOCHS):
        train(*resumed, epoch)

    for a, b in zip(snapshot(*straight), snapshot(*resumed), strict=True):
        assert_same(a, b)
    assert resumed[0][0].weight.dtype == dtype
    assert resumed[1].state_dict()["state"]  # there was state to restore


def test_checkpoint_layout(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.safetensors"
    model, optimizer, scheduler = trained()
    cr.io.save_checkpoint(path, model, optimizer, scheduler, {"epoch": 2})

    header, _ = split_file(path)
    entries = header.pop("__metadata__")
    assert sorted(header) == sorted(
        [f"model.{key}" for key in model.state_dict()]
        + [f"optimizer.{i}.{s}" for i in range(6) for s in ("exp_avg", "exp_avg_sq")]
    )
    assert entries["chainrule.format"] == "checkpoint"
    assert entries["chainrule.format_version"] == "1"
    assert entries["chainrule.version"] == cr.__version__
    assert entries["chainrule.metadata"] == '{"epoch":2}'
    assert entries["chainrule.scheduler"] == (
        '{"type":"StepLR","state":{"base_lrs":[0.05],"last_epoch":2,'
        '"_last_lr":[0.0125],"step_size":1,"gamma":0.5}}'
    )
    assert entries["chainrule.optimizer"].startswith(
        '{"type":"Adam","param_groups":[{"lr":0.0125,"betas":[0.9,0.999],'
    )
    assert '"state":{"0":{"step":2},' in entries["chainrule.optimizer"]


def test_parts_may_be_left_out(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.safetensors"
    model, optimizer, scheduler = trained(seed=0)
    cr.io.save_checkpoint(path, model, optimizer, scheduler)

    other, other_optimizer, other_scheduler = trained(seed=5)
    kept = snapshot(other_optimizer, other_scheduler)
    assert cr.io.load_checkpoint(path, other) == {}  # weights only: evaluation
    assert_same(other.state_dict(), model.state_dict())
    assert_same(snapshot(other_optimizer, other_scheduler), kept)

    cr.io.load_checkpoint(path, other, other_optimizer)  # without the scheduler
    assert_same(other_optimizer.state_dict(), optimizer.state_dict())
    assert_same(other_scheduler.state_dict(), kept[1])

    cr.io.save_checkpoint(path, model)  # a checkpoint of the model alone
    with pytest.raises(CheckpointError, match="holds no optimizer state"):
        cr.io.load_checkpoint(path, other, other_optimizer)
    with pytest.raises(CheckpointError, match="holds no scheduler state"):
        cr.io.load_checkpoint(path, other, None, other_scheduler)


def test_a_scheduler_alone_can_be_saved(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.safetensors"
    model, _, scheduler = trained(seed=0)
    cr.io.save_checkpoint(path, model, scheduler=scheduler)

    other, other_optimizer, other_scheduler = trained(seed=5)
    cr.io.load_checkpoint(path, other, scheduler=other_scheduler)

    assert other_scheduler.last_epoch == scheduler.last_epoch
    assert other_scheduler.get_last_lr() == scheduler.get_last_lr()
    assert other_optimizer.param_groups[0]["lr"] == scheduler.get_last_lr()[0]


def test_save_replaces_an_older_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.safetensors"
    model, optimizer, scheduler = trained(seed=0)
    cr.io.save_checkpoint(path, model, optimizer, scheduler, {"epoch": 1})
    train_more, *_ = trained(seed=1)
    cr.io.save_checkpoint(path, train_more, metadata={"epoch": 2})

    other = mlp(seed=9)
    assert cr.io.load_checkpoint(path, other) == {"epoch": 2}
    assert_same(other.state_dict(), train_more.state_dict())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.safetensors"]


def test_wrong_arguments_say_what_to_pass(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.safetensors"
    model, optimizer, scheduler = trained()
    with pytest.raises(TypeError, match="the path comes first"):
        cr.io.save_checkpoint(model, path)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"optimizer must be an optimizer.*got StepLR"):
        cr.io.save_checkpoint(path, model, scheduler)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="scheduler must be a learning-rate"):
        cr.io.save_checkpoint(path, model, optimizer, optimizer)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"metadata\['best'\] is a Tensor"):
        cr.io.save_checkpoint(path, model, metadata={"best": cr.tensor(1.0)})
    assert not path.exists()
