"""What every workload shares: the run's context, targets, and markdown helpers.

Standard library only, so that the memory workload's child processes can
import this file without loading NumPy (see ``w6_memory.py``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Context:
    """Settings of this run and the optional frameworks that are importable.

    ``torch`` and ``autograd`` are the modules, or None when they are missing
    or left out; ``notes`` says why, for the report.
    """

    rounds: int
    sample_time: float
    quick: bool = False
    torch: Any = None
    autograd: Any = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Target:
    """One of issue 7's targets and the value this run measured for it.

    ``value`` is None when it could not be measured (PyTorch missing, say);
    the target is then neither met nor missed.
    """

    workload: str
    measure: str
    limit: float
    value: float | None
    unit: str = "×"

    @property
    def met(self) -> bool | None:
        if self.value is None or math.isnan(self.value):
            return None
        return self.value <= self.limit

    def mark(self) -> str:
        return {True: "✓", False: "✗", None: "–"}[self.met]

    def shown_value(self) -> str:
        return "not measured" if self.value is None else fmt(self.value, self.unit)

    def shown_limit(self) -> str:
        return f"≤ {fmt(self.limit, self.unit)}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        return cls(
            data["workload"],
            data["measure"],
            data["limit"],
            data["value"],
            data["unit"],
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "measure": self.measure,
            "value": self.value,
            "limit": self.limit,
            "unit": self.unit,
            "met": self.met,
        }


def fmt(value: float, unit: str) -> str:
    """``0.83×``, ``12.3 MB``, ``4.1 µs``: a number with its unit."""
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "MB":
        return f"{value:.1f} MB"
    return f"{value:.3g} {unit}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table: numbers right-aligned, text and marks left or centred."""
    special = {"target": "---", "met": ":---:"}
    align = ["---"] + [special.get(title, "---:") for title in header[1:]]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def targets_table(targets: Sequence[Target]) -> str:
    """The targets a workload checks, with ✓ (met), ✗ (missed) or – (not measured)."""
    return markdown_table(
        ("target", "measured", "limit", "met"),
        [
            (f"{t.workload} {t.measure}", t.shown_value(), t.shown_limit(), t.mark())
            for t in targets
        ],
    )


def ratio_cell(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def target_cells(target: Target | None) -> tuple[str, str]:
    """The "target" and "met" cells of a workload table's row ("", "" if none)."""
    if target is None:
        return "", ""
    return f"{target.measure} {target.shown_limit()}", target.mark()


def child_environment() -> dict[str, str]:
    """The environment for child processes: this checkout's chainrule first.

    The one-thread settings are already in ``os.environ`` (run.py sets them
    before NumPy loads), so children inherit them.
    """
    src = str(Path(__file__).resolve().parent.parent / "src")
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": src if not path else f"{src}{os.pathsep}{path}"}
