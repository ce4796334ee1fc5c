"""The default ``chainrule train`` run, end to end.

``python -m chainrule train --output <temporary folder>`` in a child process
(the only option given: the output folder, so that ``runs/`` is left
alone), a few times; reported are the median wall time of the whole command
(interpreter start, imports, data, 30 epochs, saving, the plot), the
median training time the command itself records in ``metrics.json``, and
the test accuracy, which must be the same in every run (same seed). No
target: issue 7 asks for the number, not a ratio.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import Context, child_environment, markdown_table

NAME = "train"
HERE = Path(__file__).resolve().parent
RUNS = 3
QUICK_OPTIONS = ["--epochs", "2"]


def command(output: Path, quick: bool) -> list[str]:
    return [
        sys.executable,
        "-m",
        "chainrule",
        "train",
        "--output",
        str(output),
        *(QUICK_OPTIONS if quick else []),
    ]


def train_once(quick: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="chainrule-bench-") as folder:
        output = Path(folder) / "run"
        start = time.perf_counter()
        done = subprocess.run(
            command(output, quick),
            capture_output=True,
            text=True,
            env=child_environment(),
            check=False,
        )
        wall = time.perf_counter() - start
        assert done.returncode == 0, (
            f"chainrule train exited with {done.returncode}:\n{done.stderr}"
        )
        metrics = json.loads((output / "metrics.json").read_text())
    return {
        "wall_seconds": wall,
        "train_seconds": metrics["seconds"],
        "test_accuracy": metrics["test_accuracy"],
    }


def run(ctx: Context) -> dict[str, Any]:
    runs = [train_once(ctx.quick) for _ in range(1 if ctx.quick else RUNS)]
    accuracies = {r["test_accuracy"] for r in runs}
    assert len(accuracies) == 1, f"chainrule train is not reproducible: {accuracies}"
    shown = ["chainrule", "train", "--output", "<tmp>"]
    return {
        "description": "`"
        + " ".join(shown + (QUICK_OPTIONS if ctx.quick else []))
        + "`",
        "runs": runs,
        "wall_seconds": statistics.median(r["wall_seconds"] for r in runs),
        "train_seconds": statistics.median(r["train_seconds"] for r in runs),
        "test_accuracy": runs[0]["test_accuracy"],
        "targets": [],
    }


def table(result: dict[str, Any]) -> str:
    runs = len(result["runs"])
    return "\n".join(
        [
            f"### {NAME}: {result['description']}, end to end",
            "",
            markdown_table(
                ("runs", "wall s (median)", "training s (median)", "test accuracy"),
                [
                    (
                        str(runs),
                        f"{result['wall_seconds']:.2f}",
                        f"{result['train_seconds']:.2f}",
                        f"{result['test_accuracy']:.4f}",
                    )
                ],
            ),
            "",
            "Wall: the whole command, interpreter start to exit. Training: the "
            "time the command records in metrics.json (data to final accuracy, "
            "without startup, saving and the plot).",
        ]
    )


def profile_command(output: Path, quick: bool) -> list[str]:
    """The command to profile for ``--profile train`` (no progress bars)."""
    return [*command(output, quick), "--no-progress"]
