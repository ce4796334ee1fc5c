"""The real command: ``python -m chainrule`` and the installed ``chainrule`` script.

The other CLI tests call ``main()`` in-process; these run what a user runs,
in a child process, so an exception escaping ``main`` (or argparse's own
exit) shows as it would on a terminal.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import chainrule as cr
from chainrule.cli import version

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "chainrule"
COMMANDS = [
    pytest.param([sys.executable, "-m", "chainrule"], id="python -m chainrule"),
    pytest.param(
        [str(SCRIPT)],
        id="chainrule script",
        marks=pytest.mark.skipif(
            not SCRIPT.exists(), reason="no chainrule script beside the interpreter"
        ),
    ),
]


def environment() -> dict[str, str]:
    """This tree's chainrule first on the path, whichever one is installed."""
    paths = [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def chainrule(command: list[str], *argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*command, *argv],
        cwd=cwd,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_child_runs_this_trees_chainrule(tmp_path) -> None:
    done = chainrule(
        [sys.executable, "-c", "import chainrule; print(chainrule.__file__)"],
        cwd=tmp_path,
    )
    assert Path(done.stdout.strip()).is_relative_to(ROOT / "src"), done.stdout


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--lr", "abc"], "argument --lr: invalid float value: 'abc'"),
        (
            ["train", "--data", "absent.csv", "--target", "y"],
            "no such file: absent.csv",
        ),
        (["evaluate", "no_such_run"], "no such folder: no_such_run"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_usage_exits_2_with_a_message_and_no_traceback(
    command, argv, message, tmp_path
) -> None:
    done = chainrule(command, *argv, cwd=tmp_path)
    assert done.returncode == 2, (
        f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}"
    )
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == [], "a refused command left files behind"


@pytest.mark.parametrize("command", COMMANDS)
def test_version_prints_the_version_and_exits_0(command, tmp_path) -> None:
    done = chainrule(command, "--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"chainrule {version()}"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", version())


def test_version_comes_from_the_installed_distribution(monkeypatch) -> None:
    monkeypatch.setattr(metadata, "version", lambda name: "9.8.7")
    assert version() == "9.8.7"


def test_version_without_an_installed_distribution_is_the_packages(
    monkeypatch,
) -> None:
    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert version() == cr.__version__
