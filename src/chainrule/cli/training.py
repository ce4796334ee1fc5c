"""Training and evaluating a classifier: the loop behind ``chainrule train``.

Everything here uses the library's public API (nn, optim, functional, data),
as a user's own script would.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule import functional as F
from chainrule import nn, optim
from chainrule.autograd.grad_mode import no_grad
from chainrule.cli.errors import JobFailed, UsageError
from chainrule.data import DataLoader, TensorDataset
from chainrule.errors import NonFiniteError
from chainrule.monitor import GradientMonitor
from chainrule.tensor import Tensor

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
# The optimizers that take a momentum, with the command line's default for it
# (0.9 for SGD, which is slow without; RMSprop's is PyTorch's 0).
MOMENTUM = {"sgd": 0.9, "rmsprop": 0.0}


@dataclass
class Settings:
    """The training options, as given on the command line."""

    optimizer: str = "adam"
    lr: float = 2e-3
    epochs: int = 30
    batch_size: int = 64
    weight_decay: float = 0.0
    momentum: float | None = None
    clip_norm: float | None = None
    seed: int = 0


@dataclass
class History:
    """Per-epoch numbers, written to metrics.json and drawn as curves."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    clipped_steps: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[Any]]:
        """The numbers as strict JSON values: a non-finite one becomes None."""
        return {
            k: [x if not isinstance(x, float) or math.isfinite(x) else None for x in v]
            for k, v in vars(self).items()
        }


def make_optimizer(model: nn.Module, settings: Settings) -> optim.Optimizer:
    params = list(model.parameters())
    name = settings.optimizer
    if name == "sgd":
        return optim.SGD(
            params,
            lr=settings.lr,
            momentum=settings.momentum or 0.0,
            weight_decay=settings.weight_decay,
        )
    if name == "adam":
        return optim.Adam(params, lr=settings.lr, weight_decay=settings.weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
    if name == "rmsprop":
        return optim.RMSprop(
            params,
            lr=settings.lr,
            momentum=settings.momentum or 0.0,
            weight_decay=settings.weight_decay,
        )
    raise UsageError(
        f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}"
    )


def total_norm(model: nn.Module) -> float:
    """The L2 norm of all weight gradients together, as clipping measures it."""
    squares = sum(
        float(np.vdot(p.grad.data, p.grad.data))
        for p in model.parameters()
        if p.grad is not None
    )
    return math.sqrt(squares)


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``(x, y)``."""
    model.eval()
    with no_grad():
        logits = model(Tensor(x))
        loss = F.cross_entropy(logits, Tensor(y)).item()
        accuracy = float((logits.data.argmax(axis=1) == y).mean())
    return loss, accuracy


def predict_proba(model: nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    with no_grad():
        return F.softmax(model(Tensor(x)), axis=1).data


def fit(
    model: nn.Module,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    settings: Settings,
    progress: Callable[[int, str], Any] | None = None,
    monitor: GradientMonitor | None = None,
) -> History:
    """Train with mini-batches; evaluate on the test split after every epoch.

    ``progress(total, description)`` makes a progress bar for one epoch: an
    object with ``update(n)``, ``set_postfix(**values)`` and ``close()``
    (a ``tqdm`` bar has them). A ``monitor`` (made for ``model``) is
    attached for the run and takes each optimizer step, clipping included,
    so it records every step's gradient health.

    Raises TrainingDiverged as soon as the training loss (or, after an
    epoch, the test loss) is not finite.
    """
    # NOTE: NumPy's overflow and invalid-value warnings are silenced: when a
    # run diverges they come first, by the dozen, and say nothing a user can
    # act on. The loss is checked instead, and TrainingDiverged says what to
    # change.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if monitor is None:
            return _fit(model, train, test, settings, progress, None)
        with monitor:
            return _fit(model, train, test, settings, progress, monitor)


def _fit(
    model: nn.Module,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    settings: Settings,
    progress: Callable[[int, str], Any] | None,
    monitor: GradientMonitor | None,
) -> History:
    optimizer = make_optimizer(model, settings)
    loader = DataLoader(
        TensorDataset(*train),
        batch_size=settings.batch_size,
        shuffle=True,
        seed=settings.seed,
    )
    history = History()
    for epoch in range(1, settings.epochs + 1):
        bar = None
        if progress is not None:
            bar = progress(len(loader), f"epoch {epoch}/{settings.epochs}")
        try:
            _train_epoch(
                model, optimizer, loader, settings, monitor, epoch, bar, history
            )
            test_loss, test_accuracy = evaluate(model, *test)
            # NOTE: checked here too: the epoch's last step may have broken
            # the weights, with no training loss after it to show it.
            if not math.isfinite(test_loss):
                raise diverged(
                    f"the test loss is {test_loss} after epoch {epoch}", settings
                )
            history.test_loss.append(test_loss)
            history.test_accuracy.append(test_accuracy)
            if bar is not None:
                bar.set_postfix(
                    loss=f"{history.train_loss[-1]:.4f}",
                    acc=f"{history.train_accuracy[-1]:.3f}",
                    test_acc=f"{test_accuracy:.3f}",
                )
        finally:
            if bar is not None:
                bar.close()
    return history


def _train_epoch(
    model: nn.Module,
    optimizer: optim.Optimizer,
    loader: DataLoader,
    settings: Settings,
    monitor: GradientMonitor | None,
    epoch: int,
    bar: Any,
    history: History,
) -> None:
    """One pass over the training batches; appends the epoch's training numbers."""
    model.train()
    total_loss = 0.0
    total_correct = seen = clipped = 0
    norms = []
    for step, (x, y) in enumerate(loader, start=1):
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        value = loss.item()
        if not math.isfinite(value):
            if monitor is not None:
                # NOTE: the step is recorded (neither clipped nor taken), so
                # that the monitor's verdict names where the non-finite
                # gradients start.
                loss.backward()
                monitor.step()
            raise diverged(
                f"the training loss is {value} at epoch {epoch}, step {step}", settings
            )
        loss.backward()
        if monitor is not None:
            record = monitor.step(optimizer, max_norm=settings.clip_norm)
            norm = record.total_grad_norm
            if record.clip is not None:
                clipped += record.clip.clipped
        else:
            if settings.clip_norm is not None:
                try:
                    norm = float(
                        nn.utils.clip_grad_norm_(
                            model.parameters(),
                            settings.clip_norm,
                            error_if_nonfinite=True,
                        )
                    )
                except NonFiniteError:
                    raise diverged(
                        f"the gradient norm is not finite at epoch {epoch}, "
                        f"step {step}",
                        settings,
                    ) from None
                clipped += norm > settings.clip_norm
            else:
                norm = total_norm(model)
            optimizer.step()
        norms.append(norm)

        n = len(y)
        total_loss += value * n
        total_correct += int((logits.data.argmax(axis=1) == y.data).sum())
        seen += n
        if bar is not None:
            bar.update(1)
            bar.set_postfix(
                loss=f"{total_loss / seen:.4f}",
                acc=f"{total_correct / seen:.3f}",
                refresh=False,
            )

    history.train_loss.append(total_loss / max(seen, 1))
    history.train_accuracy.append(total_correct / max(seen, 1))
    history.grad_norm.append(float(np.median(norms)) if norms else float("nan"))
    history.clipped_steps.append(int(clipped))


class TrainingDiverged(JobFailed):
    """The loss stopped being finite: no result to save."""


def diverged(what: str, settings: Settings) -> TrainingDiverged:
    clip = (
        f"a smaller --clip-norm (this run: {settings.clip_norm:g})"
        if settings.clip_norm is not None
        else "--clip-norm 1.0"
    )
    return TrainingDiverged(
        f"training diverged: {what}; no model was saved. Try a smaller --lr "
        f"(this run: {settings.lr:g}), or {clip}"
    )
