"""Loading a user's code from ``FILE.py:NAME``, with errors that say what is wrong."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from chainrule.cli.errors import UsageError


def load_object(reference: str) -> Any:
    """The object called NAME in the Python file FILE, from ``FILE.py:NAME``."""
    path_text, sep, name = reference.rpartition(":")
    if not sep or not path_text or not name:
        raise UsageError(
            f"expected FILE.py:NAME (e.g. my_layer.py:Swish), got {reference!r}"
        )
    module = load_file(Path(path_text))
    if not hasattr(module, name):
        found = sorted(n for n in vars(module) if not n.startswith("_"))
        raise UsageError(
            f"{path_text} defines no name {name!r}; it defines: "
            + (", ".join(found) if found else "nothing public")
        )
    return getattr(module, name)


def load_file(path: Path) -> ModuleType:
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    if path.suffix != ".py":
        raise UsageError(f"{path} is not a Python file (.py)")
    spec = importlib.util.spec_from_file_location(f"_chainrule_user_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except SystemExit as error:
        sys.modules.pop(spec.name, None)
        raise UsageError(
            f"importing {path} called sys.exit({error.code!r}); keep the code "
            "that runs on import to definitions (or guard it with "
            "if __name__ == '__main__':)"
        ) from None
    except Exception as error:
        sys.modules.pop(spec.name, None)
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        raise UsageError(f"importing {path} failed: {detail}") from None
    return module
