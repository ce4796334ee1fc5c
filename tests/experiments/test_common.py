"""The helpers the experiments share: tables, JSON, checks, the data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule.errors import ArgumentError
from chainrule.experiments._common import (
    check_data,
    digits,
    json_safe,
    markdown_table,
    number,
)


def test_json_safe_turns_non_finite_numbers_into_none() -> None:
    value = {"a": [1.0, math.nan, np.float64(math.inf)], 2: np.array([1, 2])}
    assert json_safe(value) == {"a": [1.0, None, None], "2": [1, 2]}


def test_number_cells() -> None:
    assert number(None) == "-"
    assert number(math.inf) == "inf"
    assert number(12345.0) == "1.23e+04"


def test_markdown_table_aligns_numbers_right_and_text_left() -> None:
    table = markdown_table(["name", "x"], [["a", "-"], ["bb", "nan"]])
    assert table.splitlines()[1] == "| ---- | --: |"
    with pytest.raises(ValueError):
        markdown_table(["one"], [["a", "b"]])


def test_digits_are_standardised() -> None:
    x, y = digits()
    assert x.shape == (1797, 64) and y.shape == (1797,)
    spread = x.std(axis=0)
    # Constant pixels keep scale 1 (and so stay 0); the rest have std 1.
    np.testing.assert_allclose(spread[spread > 0], 1.0)
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-12)


def test_check_data_casts_features_to_float64() -> None:
    x, y = check_data("here", ([[1, 2], [3, 4]], np.array([0, 1])))
    assert x.dtype == np.float64 and y.tolist() == [0, 1]
    with pytest.raises(ArgumentError, match="here: data must be x of shape"):
        check_data("here", (np.zeros((2, 2)), np.zeros(3, dtype=int)))
