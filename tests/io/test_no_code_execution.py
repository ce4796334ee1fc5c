"""chainrule.io never unpickles: reading a file cannot run code.

Pickle (and ``np.load(allow_pickle=True)``) runs whatever code the file names
when it is read, so a downloaded checkpoint could take over the machine. The
io package reads safetensors and JSON only; these tests keep it that way.
"""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import chainrule as cr
from tests.io.files import trained

PACKAGE = Path(cr.io.__file__).parent
UNPICKLERS = {"pickle", "_pickle", "cPickle", "dill", "cloudpickle", "joblib"}
UNPICKLERS |= {"shelve", "marshal", "torch"}


def sources() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 5, files
    return files


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.name)
def test_no_module_that_unpickles_is_imported(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & UNPICKLERS


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.name)
def test_no_call_allows_pickle(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                allowed = keyword.arg == "allow_pickle" and not (
                    isinstance(keyword.value, ast.Constant)
                    and keyword.value.value is False
                )
                assert not allowed, f"{path.name}:{node.lineno} allows pickle"
            name = ast.unparse(node.func)
            assert name not in {"np.load", "numpy.load", "eval", "exec"}, (
                f"{path.name}:{node.lineno} calls {name}"
            )


def test_nothing_is_unpickled_while_saving_and_loading(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("something unpickled")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    path = tmp_path / "checkpoint.safetensors"

    cr.io.save_checkpoint(path, *trained(seed=0), metadata={"epoch": 2})
    assert cr.io.load_checkpoint(path, *trained(seed=1)) == {"epoch": 2}
    cr.save(trained(seed=0)[0], path)
    cr.load(path)


def test_importing_chainrule_does_not_import_safetensors() -> None:
    code = "import sys, chainrule; print('safetensors' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
