"""The real command: ``python -m chainrule`` and the installed ``chainrule`` script.

The other CLI tests call ``main()`` in-process; these run what a user runs,
in a child process, so an exception escaping ``main`` (or argparse's own
exit) shows as it would on a terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
