"""What gradcheck found, for people (``str(result)``) and programs (fields)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np

from chainrule.errors import ChainruleError
from chainrule.gradcheck.diagnosis import Diagnosis


@dataclass(frozen=True)
class Entry:
    """One Jacobian entry: d output[output_index] / d input[input_index]."""

    output_index: tuple[int, ...]
    input_index: tuple[int, ...]
    analytical: float
    numerical: float

    @property
    def abs_error(self) -> float:
        return abs(self.analytical - self.numerical)

    @property
    def rel_error(self) -> float:
        scale = abs(self.numerical)
        return (
            self.abs_error / scale if scale else float("inf") if self.abs_error else 0.0
        )


@dataclass
class Block:
    """The comparison of one output's Jacobian in one input (or parameter)."""

    output: str
    input: str
    output_shape: tuple[int, ...]
    input_shape: tuple[int, ...]
    analytical: np.ndarray
    numerical: np.ndarray
    mismatched: np.ndarray
    worst: list[Entry] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        # (One entry, as in fast mode: read it, without ndarray.any's 2 us.)
        mismatched = self.mismatched
        if mismatched.size == 1:
            return not mismatched.item()
        return not bool(mismatched.any())

    @property
    def mismatch_count(self) -> int:
        return int(self.mismatched.sum())

    @property
    def total(self) -> int:
        return int(self.mismatched.size)

    @property
    def only_kinks(self) -> bool:
        return not self.ok and any(d.code == "kink" for d in self.diagnoses)

    @property
    def title(self) -> str:
        return f"d({self.output})/d({self.input})"


@dataclass
class GradcheckResult:
    """The outcome of a gradient check.

    ``status`` is ``"passed"``, ``"failed"`` (a gradient is wrong) or
    ``"kink"`` (every mismatch sits at a non-differentiable point, so the
    check could not decide). ``blocks`` holds every output/input comparison
    with its numbers; ``failures`` only the ones that disagree. ``check``
    names the check for the report: ``"gradcheck"`` or ``"gradgradcheck"``.
    """

    blocks: list[Block]
    eps: float
    atol: float
    rtol: float
    mode: str = "full"
    notes: list[str] = field(default_factory=list)
    check: str = "gradcheck"

    @property
    def failures(self) -> list[Block]:
        return [b for b in self.blocks if not b.ok]

    @property
    def status(self) -> str:
        failures = self.failures
        if not failures:
            return "passed"
        if all(b.only_kinks for b in failures):
            return "kink"
        return "failed"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return format_result(self)


class GradcheckError(ChainruleError, RuntimeError):
    """An analytical gradient disagrees with central differences.

    ``error.result`` is the full :class:`GradcheckResult`.
    """

    def __init__(self, result: GradcheckResult) -> None:
        super().__init__(str(result))
        self.result = result


def format_result(result: GradcheckResult) -> str:
    """A report that reads well in a terminal."""
    settings = f"eps={result.eps:g}, atol={result.atol:g}, rtol={result.rtol:g}"
    failures = result.failures
    if result.status == "passed":
        head = (
            f"{result.check} passed: {len(result.blocks)} Jacobian block(s) agree "
            f"with central differences ({settings}, {result.mode} mode)"
        )
    elif result.status == "kink":
        head = (
            f"{result.check} inconclusive: every mismatch sits at a non-differentiable "
            f"point ({settings})"
        )
    else:
        head = (
            f"{result.check} failed: {len(failures)} of {len(result.blocks)} Jacobian "
            f"block(s) disagree with central differences ({settings})"
        )
    lines = [
        textwrap.fill(head, width=88, subsequent_indent="  "),
        *(textwrap.fill(f"note: {n}", width=88) for n in result.notes),
    ]

    for block in result.blocks:
        if block.ok:
            lines.append(f"  ok    {block.title}")
            continue
        label = "KINK" if block.only_kinks else "FAIL"
        lines.append("")
        lines.append(
            textwrap.fill(
                f"{label}  {block.title}: {block.mismatch_count} of {block.total} "
                f"entries differ (output shape {block.output_shape}, input shape "
                f"{block.input_shape})",
                width=88,
                initial_indent="  ",
                subsequent_indent=" " * 8,
            )
        )
        messages = [d.message for d in block.diagnoses] or [
            "no known pattern; see the worst entries"
        ]
        for message in messages:
            lines.append(_wrap(f"diagnosis: {message}"))
        lines.extend(_entry_table(block.worst))
    return "\n".join(lines)


def _wrap(text: str) -> str:
    return textwrap.fill(
        text, width=88, initial_indent=" " * 8, subsequent_indent=" " * 19
    )


def _entry_table(entries: list[Entry]) -> list[str]:
    header = (
        "output index",
        "input index",
        "analytical",
        "numerical",
        "abs error",
        "rel error",
    )
    rows = [
        (
            str(e.output_index),
            str(e.input_index),
            f"{e.analytical + 0.0:.6g}",
            f"{e.numerical + 0.0:.6g}",
            f"{e.abs_error:.2e}",
            f"{e.rel_error:.2e}",
        )
        for e in entries
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    fmt = "        " + "  ".join(f"{{:>{w}}}" for w in widths)
    return [fmt.format(*header), *(fmt.format(*r) for r in rows)]
