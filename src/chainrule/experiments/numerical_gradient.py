"""Numerical against analytical gradients: same numbers, very different cost.

The source text (1.6.3) recommends numerical gradients -- central
differences, (L(w + eps) - L(w - eps)) / (2 eps) for one weight at a time --
to check a hand-written backward, and warns never to train with them: they
cost two evaluations of the loss *per weight*, while backward gives every
weight's gradient for about the cost of one more forward pass.

:func:`gradient_timing` measures both on MLPs of growing width (64 inputs ->
width -> 10 classes, Tanh, so no kink can spoil the differences), with the
numerical gradient from the same machinery as :func:`chainrule.gradcheck`.
It also reports the largest difference between the two gradients, which
is what makes the numerical one a good reference.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from chainrule import nn
from chainrule.autograd.grad_mode import no_grad
from chainrule.errors import ArgumentError
from chainrule.experiments._common import (
    check_count,
    check_data,
    check_positive,
    json_safe,
    markdown_table,
    number,
)
from chainrule.functional import cross_entropy
from chainrule.gradcheck.jacobian import numerical_jacobian
from chainrule.tensor import Tensor


@dataclass
class TimingRow:
    """One network size. ``numerical_seconds`` is None when the budget ran out.

    ``evaluations`` is the number of loss evaluations the numerical gradient
    makes: two per weight, plus one unperturbed per parameter tensor.
    """

    width: int
    weights: int
    forward_seconds: float
    analytical_seconds: float
    evaluations: int
    numerical_seconds: float | None = None
    max_abs_difference: float | None = None
    skipped: str = ""

    @property
    def slowdown(self) -> float | None:
        """How many analytical gradients the numerical one costs."""
        if self.numerical_seconds is None:
            return None
        return self.numerical_seconds / self.analytical_seconds


@dataclass
class GradientTimingResult:
    """The rows of :func:`gradient_timing`, smallest network first."""

    settings: dict[str, Any]
    rows: list[TimingRow]

    def slopes(self) -> dict[str, float | None]:
        """Fitted exponent p of time ~ weights^p, numerical and analytical.

        From the rows whose numerical gradient was measured; None with fewer
        than two. p = 1 is linear growth, p = 0 a constant.
        """
        measured = [r for r in self.rows if r.numerical_seconds is not None]
        if len(measured) < 2:
            return {"numerical": None, "analytical": None}
        n = np.log([r.weights for r in measured])
        return {
            "numerical": _slope(n, [r.numerical_seconds for r in measured]),
            "analytical": _slope(n, [r.analytical_seconds for r in measured]),
        }

    def table(self) -> str:
        header = [
            "width",
            "weights",
            "evaluations",
            "numerical s",
            "analytical s",
            "numerical / analytical",
            "max abs difference",
        ]
        rows = [
            [
                str(r.width),
                str(r.weights),
                str(r.evaluations),
                number(r.numerical_seconds),
                number(r.analytical_seconds),
                "-" if r.slowdown is None else f"{r.slowdown:.0f}",
                number(r.max_abs_difference),
            ]
            for r in self.rows
        ]
        return markdown_table(header, rows)

    def to_json(self) -> dict[str, Any]:
        return json_safe(
            {
                "experiment": "numerical-gradient",
                "settings": self.settings,
                "slopes": self.slopes(),
                "rows": [asdict(r) | {"slowdown": r.slowdown} for r in self.rows],
            }
        )


def gradient_timing(
    widths: Sequence[int] = (1, 2, 4, 8, 16, 32, 64, 128),
    batch_size: int = 64,
    eps: float = 1e-6,
    max_seconds: float = 60.0,
    repeats: int = 5,
    seed: int = 0,
    data: tuple[np.ndarray, np.ndarray] | None = None,
) -> GradientTimingResult:
    """Time numerical and analytical gradients of an MLP's loss, by width.

    For each width, the analytical gradient (one forward and one backward)
    and one forward pass are timed ``repeats`` times (the fastest is kept:
    slower repeats measure other processes); the numerical gradient (central
    differences with step ``eps`` in every weight) once, and its largest
    difference from the analytical one is recorded. Before each numerical
    gradient its time is estimated from the forward time; a size whose
    estimate would take the total numerical time past ``max_seconds`` is
    skipped, and so are all larger ones.

    Everything is timed with NumPy's BLAS on one thread, when threadpoolctl
    is installed (it comes with scikit-learn); ``settings["blas_threads"]``
    says whether it was.

    Parameters
    ----------
    widths
        Hidden widths, increasing; the MLP is features -> width -> classes.
    batch_size
        Samples in the one batch the loss is computed on.
    eps
        Step of the central differences.
    max_seconds
        Budget for all numerical gradients together.
    repeats
        Timings per analytical measurement.
    seed
        Seeds the weights and the batch.
    data
        ``(x, y)``: features and integer labels; default: the digits dataset,
        standardised (needs scikit-learn).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> data = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
    >>> result = gradient_timing([1, 2], batch_size=16, repeats=1, data=data)
    >>> [(r.weights, r.evaluations) for r in result.rows]
    [(11, 26), (19, 42)]
    >>> all(r.max_abs_difference < 1e-7 for r in result.rows)
    True
    """
    where = "gradient_timing"
    if len(widths) == 0:
        raise ArgumentError(
            f"{where}: widths is empty; give at least one hidden width, e.g. [1, 10]"
        )
    for width in widths:
        check_count(where, "every width", width)
    if any(a >= b for a, b in itertools.pairwise(widths)):
        raise ArgumentError(
            f"{where}: widths must increase (larger sizes are skipped once the "
            f"budget runs out), got {list(widths)}; sort them"
        )
    check_count(where, "batch_size", batch_size)
    check_count(where, "repeats", repeats)
    check_positive(where, "eps", eps)
    check_positive(where, "max_seconds", max_seconds, finite=False)
    x, y = check_data(where, data)

    rng = np.random.default_rng(seed)
    batch = rng.permutation(len(x))[:batch_size]
    inputs, labels = Tensor(x[batch]), Tensor(y[batch])
    classes = int(y.max()) + 1

    rows: list[TimingRow] = []
    spent = 0.0
    with _one_blas_thread() as blas_threads:
        for width in widths:
            model = nn.Sequential(
                nn.Linear(x.shape[1], width, generator=rng),
                nn.Tanh(),
                nn.Linear(width, classes, generator=rng),
            )
            budget = max_seconds - spent
            if rows and rows[-1].skipped:
                budget = 0.0
            row = _measure(model, inputs, labels, eps, repeats, budget)
            row.width = width
            rows.append(row)
            spent += row.numerical_seconds or 0.0

    settings = {
        "widths": list(widths),
        "batch_size": batch_size,
        "samples": len(batch),
        "eps": eps,
        "max_seconds": max_seconds,
        "repeats": repeats,
        "seed": seed,
        "features": x.shape[1],
        "classes": classes,
        "blas_threads": blas_threads,
    }
    return GradientTimingResult(settings, rows)


@contextmanager
def _one_blas_thread() -> Iterator[str]:
    """Limit NumPy's BLAS to one thread, if threadpoolctl is there.

    NOTE: on a busy machine a multi-threaded BLAS can turn a 0.1 ms matrix
    product into one of 20 ms or more once the matrices pass the size where
    it starts its threads: the timings would then measure the scheduler, not
    the number of operations. One thread keeps them comparable across sizes.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield "not limited (threadpoolctl is not installed)"
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield "1"


def _measure(
    model: nn.Module,
    inputs: Tensor,
    labels: Tensor,
    eps: float,
    repeats: int,
    budget: float,
) -> TimingRow:
    params = list(model.parameters())

    def loss() -> Tensor:
        return cross_entropy(model(inputs), labels)

    def forward() -> None:
        with no_grad():
            loss()

    def analytical() -> None:
        model.zero_grad()
        loss().backward()

    weights = sum(p.size for p in params)
    row = TimingRow(
        width=0,
        weights=weights,
        forward_seconds=_best_time(forward, repeats),
        analytical_seconds=_best_time(analytical, repeats),
        evaluations=2 * weights + len(params),
    )
    estimate = row.evaluations * row.forward_seconds
    if estimate > budget:
        row.skipped = (
            f"estimated {estimate:.1f} s, {max(budget, 0.0):.1f} s of the budget left"
        )
        return row

    analytical()
    exact = [np.asarray(p.grad.data).ravel() for p in params if p.grad is not None]
    started = time.perf_counter()
    numerical = [
        numerical_jacobian(lambda record: [loss()], p, eps).central[0].ravel()
        for p in params
    ]
    row.numerical_seconds = time.perf_counter() - started
    row.max_abs_difference = float(
        np.max(np.abs(np.concatenate(numerical) - np.concatenate(exact)))
    )
    return row


def _best_time(work: Callable[[], None], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _slope(log_n: np.ndarray, seconds: list[Any]) -> float:
    p = float(np.polyfit(log_n, np.log(seconds), 1)[0])
    return p if math.isfinite(p) else math.nan
