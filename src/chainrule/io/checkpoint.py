"""Training checkpoints: ``save_checkpoint`` and ``load_checkpoint``.

A checkpoint holds what training needs to resume exactly where it stopped:
the model's weights and buffers, the optimizer's options and state (momentum
buffers, Adam's moments, step counts), the learning-rate scheduler's position,
and the user's metadata (epoch, best loss, ...). It is one safetensors file:
arrays named ``model.<name>`` and ``optimizer.<weight index>.<state name>``,
everything else as JSON in its header (see ``chainrule/io/_format.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from chainrule.errors import CheckpointError, StateDictError
from chainrule.io import _format
from chainrule.io._format import PathLike, SavedFile, damaged
from chainrule.io._json import dumps
from chainrule.io.model import check_fit, check_module, metadata_json
from chainrule.nn.module import Module
from chainrule.optim.lr_scheduler import LRScheduler
from chainrule.optim.optimizer import Optimizer


def save_checkpoint(
    path: PathLike,
    model: Module,
    optimizer: Optimizer | None = None,
    scheduler: LRScheduler | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Save everything needed to resume training to one file at ``path``.

    The file is written to a temporary file first and then renamed, so a
    crash never leaves a half-written checkpoint at ``path``, and the
    previous checkpoint there survives a failed save.

    Parameters
    ----------
    path
        The file to write (conventionally ``*.safetensors``); its directory
        must exist. An existing file is replaced.
    model
        The model whose weights and persistent buffers are saved.
    optimizer
        Optional: its options per parameter group and its per-weight state.
    scheduler
        Optional: a learning-rate scheduler's position and settings.
    metadata
        Optional dict of JSON values (numbers, strings, bools, None, lists,
        dicts with str keys): the epoch, the best loss, the settings of the
        run. Tuples load back as lists.

    Examples
    --------
    >>> import os, tempfile
    >>> import chainrule as cr
    >>> from chainrule import nn, optim
    >>> model = nn.Linear(3, 1)
    >>> optimizer = optim.Adam(model.parameters(), lr=0.01)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "checkpoint.safetensors")
    ...     cr.io.save_checkpoint(path, model, optimizer, metadata={"epoch": 3})
    ...     model = nn.Linear(3, 1)  # a new run: build, then load
    ...     optimizer = optim.Adam(model.parameters())
    ...     cr.io.load_checkpoint(path, model, optimizer)
    {'epoch': 3}
    >>> optimizer.param_groups[0]["lr"]
    0.01
    """
    who = "save_checkpoint"
    _check_types(path, model, optimizer, scheduler, who)
    arrays = {f"model.{name}": array for name, array in model.state_dict().items()}
    entries = {_format.KEY_METADATA: metadata_json(metadata, who)}

    if optimizer is not None:
        saved = optimizer.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for index, entry in saved["state"].items():
            for name, value in entry.items():
                if isinstance(value, np.ndarray):
                    arrays[f"optimizer.{index}.{name}"] = value
                else:
                    scalars.setdefault(str(index), {})[name] = value
        document = {
            "type": type(optimizer).__name__,
            "param_groups": saved["param_groups"],
            "state": scalars,
        }
        entries[_format.KEY_OPTIMIZER] = dumps(
            document, f"{who}: the optimizer's state_dict()"
        )
    if scheduler is not None:
        document = {"type": type(scheduler).__name__, "state": scheduler.state_dict()}
        entries[_format.KEY_SCHEDULER] = dumps(
            document, f"{who}: the scheduler's state_dict()"
        )

    _format.write(path, _format.CHECKPOINT, arrays, entries, who)


def load_checkpoint(
    path: PathLike,
    model: Module,
    optimizer: Optimizer | None = None,
    scheduler: LRScheduler | None = None,
) -> dict[str, Any]:
    """Restore a checkpoint saved by :func:`save_checkpoint`; returns its metadata.

    Build the model, optimizer and scheduler as the saved run did, then load:
    training continues exactly as if it had not stopped. The file is read
    and everything in it is checked against the model, optimizer and
    scheduler before anything is written, so on any error all three are
    unchanged. A checkpoint's optimizer or scheduler state may be left
    unloaded (pass None), but one that was not saved cannot be loaded.

    Returns
    -------
    dict
        The metadata saved with the checkpoint.

    Raises
    ------
    CheckpointError
        The file is damaged, is not a chainrule checkpoint, has a newer
        format, lacks the optimizer or scheduler state asked for, or does
        not fit (every missing and unexpected name, shape and dtype mismatch
        is listed).
    """
    who = "load_checkpoint"
    _check_types(path, model, optimizer, scheduler, who)
    saved = _format.read(path, who, checkpoint_only=True)
    model_state, optimizer_arrays = _split_arrays(saved)
    check_fit(model, model_state, saved.path, who, offer_strict=False)
    loads: list[tuple[Optimizer | LRScheduler, dict[str, Any]]] = []
    if optimizer is not None:
        state = _optimizer_state(saved, optimizer, optimizer_arrays)
        _try_loading(saved.path, "optimizer", _trial_optimizer(optimizer), state)
        loads.append((optimizer, state))
    if scheduler is not None:
        state = _scheduler_state(saved, scheduler)
        trial = copy.copy(scheduler)
        trial.optimizer = _trial_optimizer(scheduler.optimizer)
        _try_loading(saved.path, "scheduler", trial, state)
        loads.append((scheduler, state))

    model.load_state_dict(model_state)
    for target, state in loads:
        target.load_state_dict(state)
    return saved.metadata


def _check_types(
    path: Any, model: Any, optimizer: Any, scheduler: Any, who: str
) -> None:
    if isinstance(path, Module):
        raise TypeError(
            f"{who}: the path comes first: {who}(path, model, optimizer, scheduler)"
        )
    check_module(model, path, who)
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{who}: optimizer must be an optimizer (e.g. optim.Adam(...)) or "
            f"None, got {type(optimizer).__name__}"
        )
    if scheduler is not None and not isinstance(scheduler, LRScheduler):
        raise TypeError(
            f"{who}: scheduler must be a learning-rate scheduler (e.g. "
            f"optim.lr_scheduler.StepLR(...)) or None, got "
            f"{type(scheduler).__name__}"
        )


def _split_arrays(
    saved: SavedFile,
) -> tuple[dict[str, np.ndarray], dict[tuple[int, str], np.ndarray]]:
    """The model's arrays by name, the optimizer's by (weight index, state name)."""
    model_state = {}
    optimizer_arrays = {}
    for name, array in saved.arrays.items():
        head, _, rest = name.partition(".")
        index, _, state_name = rest.partition(".")
        if head == "model" and rest:
            model_state[rest] = array
        elif head == "optimizer" and index.isdigit() and state_name:
            optimizer_arrays[int(index), state_name] = array
        else:
            raise damaged(
                saved.path,
                f"it holds an array named {name!r}, where a checkpoint has "
                "model.<name> and optimizer.<index>.<name> only",
            )
    return model_state, optimizer_arrays


def _optimizer_state(
    saved: SavedFile,
    optimizer: Optimizer,
    arrays: dict[tuple[int, str], np.ndarray],
) -> dict[str, Any]:
    """The optimizer's state dict, rebuilt from the JSON and the arrays."""
    document = saved.optimizer
    if document is None:
        raise CheckpointError(
            f"load_checkpoint: {saved.path} holds no optimizer state (it was "
            "saved without optimizer=); pass optimizer=None to load the rest"
        )
    if not (
        isinstance(document, dict)
        and isinstance(document.get("type"), str)
        and isinstance(document.get("param_groups"), list)
        and isinstance(document.get("state"), dict)
    ):
        raise damaged(
            saved.path, "its optimizer entry lacks type, param_groups or state"
        )
    name = type(optimizer).__name__
    if document["type"] != name:
        raise CheckpointError(
            f"load_checkpoint: {saved.path} was saved with optimizer type "
            f"{document['type']}, but optimizer= is of type {name}; build the "
            f"optimizer as the saved run did (optim.{document['type']}; its "
            "options are restored from the file)"
        )

    state: dict[int, dict[str, Any]] = {}
    for key, entry in document["state"].items():
        if not key.isdigit() or not isinstance(entry, dict):
            raise damaged(saved.path, f"its optimizer state {key!r} is not valid")
        state[int(key)] = dict(entry)
    weights = [param for group in optimizer.param_groups for param in group["params"]]
    problems = []
    for (index, state_name), array in sorted(arrays.items()):
        state.setdefault(index, {})[state_name] = array
        if index < len(weights) and array.dtype != weights[index].dtype:
            problems.append(
                f"dtype mismatch for state {state_name!r} of weight {index}: "
                f"the weight has {weights[index].dtype}, the file {array.dtype}"
            )
    if problems:
        raise CheckpointError(
            f"load_checkpoint: the optimizer state in {saved.path} does not fit "
            "this optimizer's weights; nothing was loaded.\n  " + "\n  ".join(problems)
        )
    return {"state": state, "param_groups": document["param_groups"]}


def _scheduler_state(saved: SavedFile, scheduler: LRScheduler) -> dict[str, Any]:
    document = saved.scheduler
    if document is None:
        raise CheckpointError(
            f"load_checkpoint: {saved.path} holds no scheduler state (it was "
            "saved without scheduler=); pass scheduler=None to load the rest"
        )
    if not (
        isinstance(document, dict)
        and isinstance(document.get("type"), str)
        and isinstance(document.get("state"), dict)
    ):
        raise damaged(saved.path, "its scheduler entry lacks type or state")
    name = type(scheduler).__name__
    if document["type"] != name:
        raise CheckpointError(
            f"load_checkpoint: {saved.path} was saved with scheduler type "
            f"{document['type']}, but scheduler= is of type {name}; build the "
            f"scheduler as the saved run did ({document['type']})"
        )
    state: dict[str, Any] = document["state"]
    return state


def _trial_optimizer(optimizer: Optimizer) -> Optimizer:
    """A copy to load into first: its own group dicts, the same weights."""
    # NOTE: load_state_dict checks everything before it writes, but only its
    # own object. Loading into copies first means that an optimizer state
    # that fits but a scheduler state that does not leaves the optimizer
    # (and the model) unchanged too. The load replaces group entries and
    # the state dict; it never writes into the weights, so sharing is safe.
    trial = copy.copy(optimizer)
    trial.param_groups = [dict(group) for group in optimizer.param_groups]
    return trial


def _try_loading(
    path: str, part: str, trial: Optimizer | LRScheduler, state: Any
) -> None:
    try:
        trial.load_state_dict(state)
    except (StateDictError, TypeError, ValueError) as error:
        raise CheckpointError(
            f"load_checkpoint: the {part} state in {path} does not fit the "
            f"given {part}; the model, optimizer and scheduler are "
            f"unchanged.\n{error}"
        ) from error
