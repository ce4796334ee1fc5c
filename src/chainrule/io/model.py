"""Saving and loading weights: ``save_model``, ``load_model``, ``save``, ``load``.

A model is saved as its state dict (weights and persistent buffers by dotted
name) in one safetensors file. Loading writes into an existing model of the
same architecture; the file does not describe the architecture, so it holds
no code to run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from chainrule.errors import CheckpointError
from chainrule.io import _format
from chainrule.io._format import PathLike, SavedFile
from chainrule.io._json import dumps
from chainrule.nn.module import Module


def save_model(
    model: Module, path: PathLike, metadata: Mapping[str, Any] | None = None
) -> None:
    """Save the weights and persistent buffers of ``model`` to ``path``.

    The file is a safetensors file (conventionally named ``*.safetensors``)
    holding ``model.state_dict()`` with each array's dtype kept, and
    ``metadata`` as JSON. It is written to a temporary file first and then
    renamed, so a crash never leaves a half-written file at ``path``, and an
    earlier file there survives a failed save.

    Parameters
    ----------
    model
        The model to save.
    path
        The file to write; its directory must exist. An existing file is
        replaced.
    metadata
        Optional dict of JSON values (numbers, strings, bools, None, lists,
        dicts with str keys) to keep with the weights, such as the epoch or
        the settings the model was built with. Tuples load back as lists.

    Examples
    --------
    >>> import os, tempfile
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    >>> clone = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.safetensors")
    ...     cr.io.save_model(model, path, metadata={"epochs": 10})
    ...     cr.io.load_model(clone, path)
    {'epochs': 10}
    >>> bool((clone[0].weight.data == model[0].weight.data).all())
    True
    """
    check_module(model, path, "save_model")
    _save_state(model.state_dict(), path, metadata, "save_model")


def load_model(model: Module, path: PathLike, strict: bool = True) -> dict[str, Any]:
    """Load weights saved by :func:`save_model` (or a checkpoint's) into ``model``.

    ``model`` must have the architecture of the saved one: the same names,
    shapes and dtypes. Everything is checked before anything is written, so
    on any error the model is unchanged.

    Parameters
    ----------
    model
        The model to load into, built as the saved one was.
    path
        A file written by :func:`save_model`, :func:`save` or
        :func:`save_checkpoint` (whose model weights are loaded).
    strict
        Require the names to match exactly (default). With ``strict=False``
        names found in only one of the model and the file are skipped
        (shapes and dtypes of the others must still match).

    Returns
    -------
    dict
        The metadata saved with the weights.

    Raises
    ------
    CheckpointError
        The file is damaged, is not chainrule's, has a newer format, or does
        not fit the model (listing every missing and unexpected name and
        every shape and dtype mismatch).
    """
    check_module(model, path, "load_model")
    saved = _format.read(path, "load_model")
    state = model_state(saved)
    check_fit(model, state, saved.path, "load_model", strict=strict)

    model.load_state_dict(state, strict=strict)
    return saved.metadata


def save(
    state: Module | Mapping[str, Any],
    path: PathLike,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Save a state dict (name -> array), or a model's, to a safetensors file.

    The counterpart of :func:`load`, for the PyTorch habit
    ``cr.save(model.state_dict(), path)`` /
    ``model.load_state_dict(cr.load(path))``. Same file and guarantees as
    :func:`save_model`; values may be arrays or Tensors.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import chainrule as cr
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "arrays.safetensors")
    ...     cr.save({"w": np.ones((2, 3), dtype=np.float32)}, path)
    ...     loaded = cr.load(path)
    >>> loaded["w"].dtype, loaded["w"].shape
    (dtype('float32'), (2, 3))
    """
    if isinstance(state, Module):
        state = state.state_dict()
    if not isinstance(state, Mapping):
        raise TypeError(
            f"cr.save: expected a state dict (name -> array) or a Module, got "
            f"{type(state).__name__}; to save an optimizer too, use "
            "cr.io.save_checkpoint(path, model, optimizer)"
        )
    for name in state:
        if not isinstance(name, str):
            raise TypeError(
                f"cr.save: the state dict's names must be strings, got {name!r}"
            )
    _save_state(dict(state), path, metadata, "cr.save")


def load(path: PathLike) -> dict[str, np.ndarray]:
    """The state dict saved by :func:`save` or :func:`save_model`: name -> array.

    For a checkpoint, the model's state dict. The arrays are new, writable
    and keep their saved dtypes; ``model.load_state_dict(cr.load(path))``
    then loads them (casting to the model's dtypes, where
    :func:`load_model` would refuse a different dtype).
    """
    return model_state(_format.read(path, "cr.load"))


# --- shared with checkpoints -------------------------------------------------------


def model_state(saved: SavedFile) -> dict[str, np.ndarray]:
    """The model's arrays: all of a state dict's, a checkpoint's ``model.*``."""
    if saved.kind == _format.STATE_DICT:
        return saved.arrays
    prefix = "model."
    return {
        name[len(prefix) :]: array
        for name, array in saved.arrays.items()
        if name.startswith(prefix)
    }


def check_fit(
    model: Module,
    state: Mapping[str, np.ndarray],
    path: str,
    who: str,
    strict: bool = True,
    offer_strict: bool = True,
) -> None:
    """Raise CheckpointError listing everything in ``state`` that does not fit.

    ``offer_strict``: suggest ``strict=False`` for names in only one of them.
    """
    # NOTE: the same checks as Module.load_state_dict, done here without
    # writing so that a checkpoint's optimizer can be checked before the
    # model is changed, and with the dtype kept exactly: load_state_dict
    # would quietly round float64 weights into a float32 model.
    targets = {key: tensor.data for key, tensor in model._state_entries("")}
    missing = [key for key in targets if key not in state]
    # NOTE: sorted, as a file does not keep the order of the model's names.
    unexpected = sorted(key for key in state if key not in targets)

    problems = []
    if strict and missing:
        problems.append("missing keys: " + ", ".join(map(repr, missing)))
    if strict and unexpected:
        problems.append("unexpected keys: " + ", ".join(map(repr, unexpected)))
    shapes = dtypes = False
    for key, target in targets.items():
        array = state.get(key)
        if array is None:
            continue
        if array.shape != target.shape:
            shapes = True
            problems.append(
                f"shape mismatch for {key!r}: the model has shape "
                f"{target.shape}, the file {array.shape}"
            )
        elif array.dtype != target.dtype:
            dtypes = True
            problems.append(
                f"dtype mismatch for {key!r}: the model has {target.dtype}, "
                f"the file {array.dtype}"
            )
    if not problems:
        return

    names = strict and bool(missing or unexpected)
    advice = []
    if names or shapes:
        advice.append(
            "Was it saved from another architecture? Compare the names and "
            "shapes with model.state_dict()"
        )
    if dtypes:
        advice.append(
            "Build the model in the saved dtype (e.g. nn.Linear(..., "
            "dtype=np.float32), or cr.set_default_dtype before building it)"
        )
    if names and offer_strict:
        advice.append("strict=False loads the names present in both")
    raise CheckpointError(
        f"{who}: {path} does not fit this {type(model).__name__}; nothing was "
        "loaded.\n  " + "\n  ".join(problems) + "\n" + "; ".join(advice)
    )


def check_module(model: Any, path: Any, who: str) -> None:
    """Raise TypeError unless ``model`` is a Module."""
    if isinstance(model, Module):
        return
    if isinstance(path, Module):
        raise TypeError(f"{who}: the model comes first: {who}(model, path)")
    raise TypeError(
        f"{who}: expected a Module (e.g. nn.Sequential(...)), got "
        f"{type(model).__name__}; for a dict of arrays use cr.save and cr.load"
    )


def _save_state(
    state: dict[str, Any],
    path: PathLike,
    metadata: Mapping[str, Any] | None,
    who: str,
) -> None:
    entries = {_format.KEY_METADATA: metadata_json(metadata, who)}
    _format.write(path, _format.STATE_DICT, state, entries, who)


def metadata_json(metadata: Mapping[str, Any] | None, who: str) -> str:
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(
            f"{who}: metadata must be a dict, got {type(metadata).__name__}"
        )
    return dumps(metadata or {}, f"{who}: metadata")
