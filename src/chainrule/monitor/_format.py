"""Text tables and JSON-safe numbers, shared by the monitor's reports."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> str:
    """Columns padded to their widest cell; ``align`` has one 'l' or 'r' each."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(width) if side == "l" else cell.rjust(width)
            for cell, width, side in zip(cells, widths, align, strict=True)
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def number(value: float | None, digits: int = 3) -> str:
    """``1.23e-05`` style, or '-' for a missing value."""
    if value is None:
        return "-"
    if not math.isfinite(value) or value == 0:
        return str(value)
    return f"{value:.{digits - 1}e}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def layer_label(path: str, kind: str) -> str:
    """How reports name a layer: its module path and class."""
    return f"{path!r} ({kind})" if path else f"the model itself ({kind})"


def names(labels: Sequence[str], limit: int = 6) -> str:
    """A list of layer labels, cut after ``limit`` with a count of the rest."""
    shown = ", ".join(labels[:limit])
    if len(labels) > limit:
        shown += f" and {len(labels) - limit} more"
    return shown


def json_number(value: float | None) -> Any:
    # NOTE: JSON has no nan or infinity; they are written as the strings
    # "nan", "inf" and "-inf" (Python's float() reads them back), so an
    # exploding run still gives a file every JSON reader accepts.
    if value is None or math.isfinite(value):
        return value
    return str(value)
