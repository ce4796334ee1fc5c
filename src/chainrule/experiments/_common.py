"""What the experiments share: the digits data, tables, JSON-safe numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule.data import Standardize, load_dataset
from chainrule.errors import ArgumentError


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The digits dataset (1797 x 64 pixels, 10 classes), standardised.

    NOTE: standardised over all samples: the experiments measure gradients
    and timings, never generalisation, so there is no test split to keep
    apart.
    """
    dataset = load_dataset("digits")
    return Standardize().fit_transform(dataset.x), dataset.y


def check_data(where: str, data: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` as float features (samples x features) and integer labels."""
    if data is None:
        return digits()
    try:
        x, y = data
    except (TypeError, ValueError):
        raise ArgumentError(
            f"{where}: data must be a pair (x, y) of arrays, got "
            f"{type(data).__name__}; or leave it out to use the digits dataset"
        ) from None
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    if x.ndim != 2 or y.shape != (len(x),) or y.dtype.kind not in "iu":
        raise ArgumentError(
            f"{where}: data must be x of shape (samples, features) and integer "
            f"labels y of shape (samples,); got x {x.shape}, y {y.shape} of "
            f"dtype {y.dtype}"
        )
    return x, y


def check_positive(where: str, name: str, value: Any, finite: bool = True) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ArgumentError(f"{where}: {name} must be a positive number, got {value!r}")
    if finite and not math.isfinite(value):
        raise ArgumentError(f"{where}: {name} must be finite, got {value!r}")


def check_count(where: str, name: str, value: Any, least: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ArgumentError(
            f"{where}: {name} must be an integer of at least {least}, got {value!r}"
        )


def check_choices(
    where: str, name: str, values: Sequence[str], allowed: Sequence[str]
) -> None:
    if not values:
        raise ArgumentError(
            f"{where}: {name} is empty; choose from {', '.join(allowed)}"
        )
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ArgumentError(
            f"{where}: unknown {name} {', '.join(map(repr, unknown))}; choose "
            f"from {', '.join(allowed)}"
        )


def number(value: float | None, digits: int = 2) -> str:
    """A table cell: scientific notation, ``-`` for a missing value."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.{digits}e}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Rows as a Markdown table with aligned columns: text left, numbers right.

    >>> print(markdown_table(["a", "b"], [["x", "1.0"], ["yy", "20.0"]]))
    | a  |    b |
    | -- | ---: |
    | x  |  1.0 |
    | yy | 20.0 |
    """
    widths = [
        max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)
    ]
    numeric = [all(_numeric(row[k]) for row in rows) for k in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(w) if right else cell.ljust(w)
            for cell, w, right in zip(cells, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [
        "-" * (w - 1) + ":" if right else "-" * w
        for w, right in zip(widths, numeric, strict=True)
    ]
    return "\n".join([line(header), line(rule), *(line(row) for row in rows)])


def _numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return cell in ("-", "nan", "inf", "-inf")
    return True


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float as None (JSON has no nan or inf)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
