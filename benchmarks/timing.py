"""Interleaved timing: every case measured once per round, in turn, in one process.

Running the cases A B C A B C ... rather than A A A B B B C C C spreads slow
drifts of the machine (frequency scaling, another process waking up) over all
cases alike. A ratio taken within one round compares cases that ran seconds
apart, and the median of those per-round ratios shrugs off the rounds that a
disturbance hit.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Case:
    """One thing to time: ``fn()`` is called ``number`` times per sample."""

    name: str
    fn: Callable[[], object]
    number: int = 0
    seconds: list[float] = field(default_factory=list)

    def median(self) -> float:
        """Median seconds per call over the rounds."""
        return statistics.median(self.seconds)

    def spread(self) -> float:
        """Interquartile range over median: how much the rounds disagree."""
        if len(self.seconds) < 2:
            return 0.0
        low, _, high = statistics.quantiles(self.seconds, n=4)
        return (high - low) / self.median()


def calibrate(case: Case, sample_time: float) -> None:
    """Choose ``case.number`` so that one sample takes about ``sample_time``."""
    case.fn()
    start = time.perf_counter()
    calls = 0
    while True:
        case.fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= sample_time / 10 or calls >= 1000:
            break
    per_call = elapsed / calls
    case.number = max(1, math.ceil(sample_time / per_call))


def run_rounds(cases: Sequence[Case], rounds: int, sample_time: float) -> None:
    """Time every case once per round, interleaved, ``rounds`` times."""
    for case in cases:
        calibrate(case, sample_time)

    # NOTE: the collector is off while a sample runs, as in timeit, so that a
    # collection triggered by one case is not billed to whichever runs next;
    # it runs between samples instead.
    enabled = gc.isenabled()
    try:
        for _ in range(rounds):
            for case in cases:
                gc.collect()
                gc.disable()
                fn, number = case.fn, case.number
                start = time.perf_counter()
                for _ in range(number):
                    fn()
                elapsed = time.perf_counter() - start
                gc.enable()
                case.seconds.append(elapsed / number)
    finally:
        if enabled:
            gc.enable()
        else:
            gc.disable()


def median_ratio(numerator: Case, denominator: Case) -> float:
    """Median over rounds of ``numerator``'s time over ``denominator``'s."""
    return statistics.median(
        a / b for a, b in zip(numerator.seconds, denominator.seconds, strict=True)
    )


def noise_note(cases: Sequence[Case]) -> str:
    """One line that says whether the machine was quiet enough to trust."""
    worst = max(cases, key=Case.spread)
    verdict = "quiet" if worst.spread() < 0.1 else "busy: rerun on a quiet machine"
    return (
        f"Largest spread (interquartile range / median) {worst.spread():.0%}, "
        f"{worst.name}; {verdict}."
    )


def samples(cases: Sequence[Case]) -> dict[str, dict[str, object]]:
    """Every case's raw samples, for the JSON file."""
    return {
        case.name: {"seconds_per_call": case.seconds, "calls_per_sample": case.number}
        for case in cases
    }
