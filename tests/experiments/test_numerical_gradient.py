"""gradient_timing: same gradient both ways, counted evaluations, the budget."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.errors import ArgumentError
from chainrule.experiments import GradientTimingResult, TimingRow, gradient_timing


def synthetic(n: int = 24, features: int = 5, classes: int = 3):
    rng = np.random.default_rng(2)
    return rng.standard_normal((n, features)), rng.integers(0, classes, n)


def test_weights_evaluations_and_agreement() -> None:
    result = gradient_timing([1, 3, 8], batch_size=16, repeats=2, data=synthetic())
    for row, width in zip(result.rows, [1, 3, 8], strict=True):
        assert row.width == width
        # 5 -> width -> 3, with biases.
        assert row.weights == (5 + 1) * width + (width + 1) * 3
        # Two per weight, plus one unperturbed per parameter tensor (4).
        assert row.evaluations == 2 * row.weights + 4
        assert row.max_abs_difference is not None
        assert row.max_abs_difference < 1e-8
        assert not row.skipped
    assert result.settings["samples"] == 16
    assert result.settings["classes"] == 3


def test_numerical_costs_far_more_than_analytical() -> None:
    # 610 weights: 1224 forward passes against one forward and one backward.
    (row,) = gradient_timing([8], batch_size=32, repeats=3).rows
    assert row.slowdown is not None and row.slowdown > 20


def test_budget_skips_a_size_and_every_larger_one() -> None:
    result = gradient_timing(
        [1, 2, 4], batch_size=8, repeats=1, max_seconds=1e-9, data=synthetic()
    )
    assert all(r.numerical_seconds is None for r in result.rows)
    assert "estimated" in result.rows[0].skipped
    assert all(r.skipped for r in result.rows)
    assert result.slopes() == {"numerical": None, "analytical": None}
    assert "| -" in result.table() or " - |" in result.table()


def row(weights: int, numerical: float, analytical: float) -> TimingRow:
    return TimingRow(
        width=weights,
        weights=weights,
        forward_seconds=analytical / 3,
        analytical_seconds=analytical,
        evaluations=2 * weights,
        numerical_seconds=numerical,
    )


def test_slopes_fit_the_exponent() -> None:
    rows = [row(n, numerical=1e-4 * n, analytical=2e-3) for n in (10, 100, 1000)]
    slopes = GradientTimingResult({}, rows).slopes()
    assert slopes["numerical"] == pytest.approx(1.0)
    assert slopes["analytical"] == pytest.approx(0.0, abs=1e-12)
    assert rows[1].slowdown == pytest.approx(5.0)


def test_blas_is_limited_to_one_thread_and_json_is_valid() -> None:
    pytest.importorskip("threadpoolctl")
    result = gradient_timing([1, 2], batch_size=8, repeats=1, data=synthetic())
    assert result.settings["blas_threads"] == "1"
    record = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert record["experiment"] == "numerical-gradient"
    assert [r["weights"] for r in record["rows"]] == [r.weights for r in result.rows]
    assert record["slopes"]["numerical"] is not None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"widths": []}, "widths is empty"),
        ({"widths": [0, 2]}, "every width must be an integer of at least 1"),
        ({"widths": [4, 2]}, "widths must increase"),
        ({"widths": [2, 2]}, "widths must increase"),
        ({"eps": 0.0}, "eps must be a positive number"),
        ({"max_seconds": -1}, "max_seconds must be a positive number"),
        ({"repeats": 0}, "repeats must be an integer of at least 1"),
        ({"batch_size": True}, "batch_size must be an integer"),
    ],
)
def test_bad_arguments_raise_a_clear_error(options, message) -> None:
    with pytest.raises(ArgumentError, match=message):
        gradient_timing(**{"data": synthetic(), **options})
