"""JSON for everything that is not an array: metadata, options, schedules.

JSON can hold only plain data, so reading it can never run code. What it
cannot hold is refused when saving, with the place it was found, rather
than converted into something that would load back differently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from chainrule.errors import CheckpointError
from chainrule.tensor import Tensor


def dumps(value: Any, where: str) -> str:
    """``value`` as compact JSON text; ``where`` names it in error messages.

    NOTE: non-finite floats are written as ``NaN``/``Infinity``, as Python's
    json module does, so a checkpoint of a diverged run can still be saved;
    strict JSON readers other than Python's refuse those two words.
    """
    return json.dumps(plain(value, where), separators=(",", ":"), ensure_ascii=False)


def plain(value: Any, where: str) -> Any:
    """``value`` as dicts with str keys, lists, str, int, float, bool and None.

    Tuples become lists, and NumPy scalars the Python numbers they hold.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} has the key {key!r} ({type(key).__name__}), but "
                    f"JSON keys are strings; use {str(key)!r}"
                )
            result[key] = plain(item, f"{where}[{key!r}]")
        return result
    if isinstance(value, list | tuple):
        return [plain(item, f"{where}[{i}]") for i, item in enumerate(value)]

    hint = ""
    if isinstance(value, np.ndarray | Tensor):
        hint = (
            "; convert a small array with .tolist(), or keep large ones in a "
            "module buffer (register_buffer), which is saved as an array"
        )
    raise TypeError(
        f"{where} is a {type(value).__name__}, which JSON cannot hold; use "
        f"numbers, strings, True/False/None, lists and dicts with str keys{hint}"
    )


def loads(text: str, path: str, entry: str) -> Any:
    """Parse the JSON of header entry ``entry`` of the file ``path``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CheckpointError(
            f"{path}: the header entry {entry!r} is not valid JSON (line "
            f"{error.lineno}, column {error.colno}: {error.msg}); the file is "
            "damaged, load an earlier copy"
        ) from None
