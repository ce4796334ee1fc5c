"""The file format: one safetensors file, JSON in its header.

A safetensors file is an 8-byte little-endian header length, a JSON header
naming each array's dtype, shape and byte range, and the raw array bytes.
The header may carry a ``__metadata__`` map of strings to strings; chainrule
writes these entries there:

====================== ==================================================
``chainrule.format``    ``"state_dict"`` (save_model, cr.save) or
                        ``"checkpoint"`` (save_checkpoint)
``chainrule.format_version``  ``"1"``; a reader refuses a newer version
``chainrule.version``   the chainrule version that wrote the file
``chainrule.metadata``  the user's metadata, as JSON
``chainrule.optimizer`` (checkpoints) the optimizer's type, options and
                        scalar state, as JSON
``chainrule.scheduler`` (checkpoints) the scheduler's type and state, as JSON
``chainrule.sha256``    a checksum of every array and every other entry
====================== ==================================================

Neither format can run code when read: arrays are raw bytes of a fixed set
of numeric dtypes, everything else is JSON. docs/saving.md describes the
array names.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from chainrule.errors import (
    ArgumentError,
    CheckpointError,
    DTypeError,
    MissingDependencyError,
)
from chainrule.io._atomic import write_atomically
from chainrule.io._json import loads
from chainrule.tensor import Tensor

PathLike = str | os.PathLike[str]

FORMAT_VERSION = 1
STATE_DICT = "state_dict"
CHECKPOINT = "checkpoint"

KEY_FORMAT = "chainrule.format"
KEY_FORMAT_VERSION = "chainrule.format_version"
KEY_VERSION = "chainrule.version"
KEY_METADATA = "chainrule.metadata"
KEY_OPTIMIZER = "chainrule.optimizer"
KEY_SCHEDULER = "chainrule.scheduler"
KEY_DIGEST = "chainrule.sha256"
_JSON = (KEY_METADATA, KEY_OPTIMIZER, KEY_SCHEDULER)

# The dtypes both safetensors and its NumPy reader know.
STORABLE = frozenset(
    {
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "complex64",
    }
)


@dataclass
class SavedFile:
    """A file that was read and verified: its kind, arrays and JSON entries."""

    path: str
    kind: str
    arrays: dict[str, np.ndarray]
    metadata: dict[str, Any]
    optimizer: Any = None
    scheduler: Any = None


def safetensors_numpy() -> ModuleType:
    """The ``safetensors.numpy`` module, imported when first needed."""
    try:
        import safetensors.numpy
    except ImportError as error:
        raise MissingDependencyError(
            "saving and loading need the safetensors package, which is not "
            'installed: pip install "chainrule[io]" (or pip install safetensors)'
        ) from error
    return safetensors.numpy


def write(
    path: PathLike,
    kind: str,
    arrays: dict[str, Any],
    entries: dict[str, str],
    who: str,
) -> None:
    """Write ``arrays`` and header ``entries`` to ``path``, atomically."""
    import chainrule

    st = safetensors_numpy()
    path = os.fspath(path)
    if "__metadata__" in arrays:
        raise ArgumentError(
            f"{who}: an array cannot be named '__metadata__', which safetensors "
            "reserves for its header; rename it"
        )
    storable = {name: _storable(name, value, who) for name, value in arrays.items()}
    header = {
        KEY_FORMAT: kind,
        KEY_FORMAT_VERSION: str(FORMAT_VERSION),
        KEY_VERSION: chainrule.__version__,
        **entries,
    }
    header[KEY_DIGEST] = digest(storable, header)

    def write_to(temp: str) -> None:
        st.save_file(storable, temp, metadata=header)

    write_atomically(path, write_to, who)


def read(path: PathLike, who: str, checkpoint_only: bool = False) -> SavedFile:
    """Read and verify a file saved by chainrule.

    Raises CheckpointError if it is damaged, not chainrule's, of a newer
    format, or (with ``checkpoint_only``) a state dict.
    """
    st = safetensors_numpy()
    from safetensors import SafetensorError

    path = os.fspath(path)
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"{who}: there is no file {path!r}") from None
    except IsADirectoryError:
        raise IsADirectoryError(
            f"{who}: {path!r} is a directory; give the path of a file saved "
            "by chainrule (e.g. model.safetensors)"
        ) from None

    entries = _header_entries(data, path)
    kind = _check_kind(entries, path)
    if checkpoint_only and kind != CHECKPOINT:
        raise CheckpointError(
            f"{who}: {path} holds a state dict (saved by save_model or "
            "cr.save), not a training checkpoint; load it with "
            "cr.io.load_model(model, path)"
        )
    parsed = {key: loads(entries[key], path, key) for key in _JSON if key in entries}
    try:
        arrays = st.load(data)
    # NOTE: safetensors checks the byte ranges (SafetensorError); its NumPy
    # reader then fails on a dtype it does not know (KeyError) or a shape
    # that does not fit the bytes (ValueError).
    except (SafetensorError, KeyError, ValueError) as error:
        raise damaged(path, f"safetensors cannot read it ({error})") from None
    if entries.get(KEY_DIGEST) != digest(arrays, entries):
        raise damaged(
            path,
            "its contents do not match the checksum saved with them, so some "
            "bytes changed after it was written (a disk or copy error, or an "
            "edit)",
        )

    metadata = parsed.get(KEY_METADATA, {})
    if not isinstance(metadata, dict):
        raise damaged(path, f"its {KEY_METADATA!r} entry is not a dict")
    return SavedFile(
        path,
        kind,
        arrays,
        metadata,
        parsed.get(KEY_OPTIMIZER),
        parsed.get(KEY_SCHEDULER),
    )


# --- writing ---------------------------------------------------------------------


def _storable(name: str, value: Any, who: str) -> np.ndarray:
    """``value`` as a C-ordered little-endian array of a storable dtype."""
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.name not in STORABLE:
        raise DTypeError(
            f"{who}: {name!r} has dtype {array.dtype}, which cannot be saved; "
            f"the storable dtypes are {', '.join(sorted(STORABLE))}"
        )
    # NOTE: astype, not np.ascontiguousarray, which turns a 0-d array into
    # shape (1,). Safetensors files are little-endian.
    return array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)


def digest(arrays: dict[str, np.ndarray], entries: dict[str, str]) -> str:
    """SHA-256 of every array (name, dtype, shape, bytes) and header entry.

    It does not depend on the order safetensors lays the arrays out in.
    """
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = arrays[name]
        label = [name, array.dtype.name, list(array.shape), array.nbytes]
        digest.update(json.dumps(label).encode() + b"\n")
        digest.update(np.ascontiguousarray(array).data)
    for key in sorted(entries):
        if key != KEY_DIGEST:
            digest.update(json.dumps([key, entries[key]]).encode() + b"\n")
    return digest.hexdigest()


# --- reading ---------------------------------------------------------------------


def _header_entries(data: bytes, path: str) -> dict[str, str]:
    """The ``__metadata__`` map of the safetensors header at the start of ``data``."""
    if len(data) < 8:
        raise damaged(
            path,
            f"it is {len(data)} bytes long, too short for a safetensors file "
            "(it is empty or was cut off)",
        )
    size = int.from_bytes(data[:8], "little")
    if 8 + size > len(data):
        raise CheckpointError(
            f"{path}: not a safetensors file, or cut off: its first 8 bytes "
            f"announce a header of {size} bytes, but the file has "
            f"{len(data)} bytes. chainrule saves and loads safetensors files "
            "only (never pickle or .npz)"
        )
    try:
        header = json.loads(data[8 : 8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        position = ""
        if isinstance(error, json.JSONDecodeError):
            position = f" (line {error.lineno}, column {error.colno}: {error.msg})"
        reason = f"its safetensors header is not valid JSON{position}"
        raise damaged(path, reason) from None
    if not isinstance(header, dict):
        raise damaged(path, "its safetensors header is not a JSON object")
    entries = header.get("__metadata__")
    if entries is None:
        _check_no_stray_entry(header, path)
        return {}
    if not isinstance(entries, dict) or not all(
        isinstance(value, str) for value in entries.values()
    ):
        raise damaged(path, "its header's __metadata__ is not a map of strings")
    return entries


def _check_no_stray_entry(header: dict[str, Any], path: str) -> None:
    """A header without ``__metadata__`` must describe arrays only.

    NOTE: what can honestly be told apart. Every other entry of a
    safetensors header describes an array, so an entry that does not is
    damage (safetensors itself would refuse the file), whoever wrote it;
    and one that holds chainrule's entries is our metadata under a damaged
    name, a flipped bit in "__metadata__".
    """
    for key, value in header.items():
        if isinstance(value, dict) and {"dtype", "shape", "data_offsets"} <= set(value):
            continue
        if isinstance(value, dict) and any(
            name.startswith("chainrule.") for name in value
        ):
            raise damaged(
                path,
                f"its header has no '__metadata__' entry but an entry {key!r} "
                "holding chainrule's metadata: the entry's name was changed",
            )
        raise damaged(
            path,
            f"its header's entry {key!r} is neither an array nor '__metadata__'",
        )


def _check_kind(entries: dict[str, str], path: str) -> str:
    """The file's kind, once its marker and format version are known good."""
    kind = entries.get(KEY_FORMAT)
    ours = sorted(key for key in entries if key.startswith("chainrule."))
    if kind is None and ours:
        raise damaged(
            path,
            f"its header holds chainrule's entries ({', '.join(ours[:3])}"
            f"{', ...' if len(ours) > 3 else ''}) but no {KEY_FORMAT!r}: "
            "the name of one was changed",
        )
    if kind is None:
        raise CheckpointError(
            f"{path}: not a file saved by chainrule: its safetensors header has "
            f"no {KEY_FORMAT!r} entry. To read the arrays of a safetensors "
            "file from elsewhere, use safetensors.numpy.load_file(path) and "
            "model.load_state_dict(...)"
        )
    version = entries.get(KEY_FORMAT_VERSION, "")
    if not version.isdigit() or int(version) < 1:
        raise damaged(path, f"its format version {version!r} is not a number >= 1")
    if int(version) > FORMAT_VERSION:
        writer = entries.get(KEY_VERSION, "unknown")
        raise CheckpointError(
            f"{path} has format version {version}, written by chainrule "
            f"{writer}; this chainrule reads format version {FORMAT_VERSION} "
            "and older. Upgrade chainrule to load it (pip install -U chainrule)"
        )
    if kind not in (STATE_DICT, CHECKPOINT):
        raise damaged(path, f"it is of an unknown kind {kind!r}")
    return kind


def damaged(path: str, reason: str) -> CheckpointError:
    return CheckpointError(
        f"{path}: the file is damaged: {reason}. Nothing was loaded; load an "
        "earlier copy"
    )
