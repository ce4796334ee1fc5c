"""Recognising *why* an analytical gradient disagrees with the numerical one.

Each check looks at one Jacobian block (one output, one input) as a whole:
the analytical matrix A, the central differences N, and the one-sided
differences F and B. A pattern that holds over the whole block points at a
specific mistake in a backward rule; a kink points at the input instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np


@dataclass(frozen=True)
class Diagnosis:
    """A recognised pattern: a short code for programs, a sentence for people."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


# Differences (central, forward, backward) of the block at half the step, in
# some input components (columns): for telling kinks from curvature.
HalfStep = Callable[[list[int]], tuple[np.ndarray, np.ndarray, np.ndarray]]


def diagnose(
    analytical: np.ndarray,
    numerical: np.ndarray,
    forward: np.ndarray,
    backward: np.ndarray,
    mismatched: np.ndarray,
    input_shape: tuple[int, ...],
    output_size: int,
    atol: float,
    rtol: float,
    half_step: HalfStep | None = None,
    low_precision: bool = False,
) -> list[Diagnosis]:
    """The patterns that explain the mismatched entries of one block.

    ``half_step`` lets kinks be confirmed at half the step (see ``_kink``);
    with ``low_precision`` no kink is diagnosed, since rounding error makes
    the one-sided differences disagree everywhere.
    """
    found: list[Diagnosis] = []

    kink = None
    if not low_precision:
        kink = _kink(
            analytical, numerical, forward, backward, mismatched, atol, rtol, half_step
        )
    if kink is not None:
        found.append(kink)
        if kink.code == "kink":
            return found

    def close(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.allclose(a, b, rtol=rtol, atol=atol))

    if not np.any(analytical) and np.any(numerical):
        found.append(
            Diagnosis(
                "disconnected",
                "the analytical gradient is zero everywhere while the numerical "
                "one is not: backward does not reach this input (it returns None "
                "or zeros for it, or the forward uses the input through .data, "
                ".numpy() or detach())",
            )
        )
        return found

    if close(analytical, -numerical):
        found.append(
            Diagnosis(
                "sign",
                "the analytical gradient is the numerical one with the opposite "
                "sign everywhere: a sign error in backward (e.g. x - y's "
                "gradient for y must be -grad)",
            )
        )
        return found

    # In float32 the numerical gradient alone is off by a percent or so.
    noise = 0.1 if low_precision else max(10 * rtol, 1e-3)
    factor = _constant_ratio(analytical, numerical, close, noise)
    if factor is not None:
        found.append(_factor_diagnosis(factor, input_shape, output_size))
        return found

    transposed = _transposed(analytical, input_shape)
    if transposed is not None and close(transposed, numerical):
        found.append(
            Diagnosis(
                "transpose",
                "the analytical gradient is the numerical one with the last two "
                f"axes of the input (shape {input_shape}) swapped: backward "
                "returns the transpose (e.g. x.T @ grad where grad.T @ x, or "
                "the other way round, was meant)",
            )
        )
        return found

    missing = mismatched & (analytical == 0) & (numerical != 0)
    if np.any(missing) and np.array_equal(missing, mismatched):
        kept = 1 - int(missing.sum()) / max(int((numerical != 0).sum()), 1)
        copies = output_size / max(int(np.prod(input_shape)), 1)
        if copies > 1:
            message = (
                "the analytical gradient is right where it is non-zero but "
                f"zero for {int(missing.sum())} entries where the numerical one "
                f"is not (it keeps {kept:.0%} of the contributions): the input "
                "is broadcast across the output, and backward seems to take the "
                "gradient of only some copies (e.g. grad[0]) instead of summing "
                "over the broadcast axes"
            )
            found.append(Diagnosis("unreduced_broadcast", message))
        else:
            message = (
                "the analytical gradient is right where it is non-zero but zero "
                f"for {int(missing.sum())} entries where the numerical one is "
                "not: backward drops part of the gradient (a mask or an index "
                "that is too narrow?)"
            )
            found.append(Diagnosis("missing_contributions", message))
    return found


def _kink(
    analytical: np.ndarray,
    numerical: np.ndarray,
    forward: np.ndarray,
    backward: np.ndarray,
    mismatched: np.ndarray,
    atol: float,
    rtol: float,
    half_step: HalfStep | None = None,
) -> Diagnosis | None:
    """Mismatches where the stencil x ± eps straddles a non-differentiable point.

    There the one-sided differences disagree: the derivative jumps inside the
    stencil, and the central difference averages the two sides.
    """
    tolerance = atol + rtol * np.abs(numerical)
    jump = forward - backward
    at_kink = mismatched & (np.abs(jump) > tolerance)
    if not np.any(at_kink):
        return None

    # NOTE: strong curvature also makes the one-sided differences disagree
    # (by eps·f''), and must not excuse a wrong backward. A smooth function
    # is recognised at half the step: its central difference stays put and
    # its jump halves. At a kink at distance d inside the stencil the
    # central difference moves by about slope_jump·d/(2 eps), and where d
    # is 0 the jump keeps its size: never both, so a kink survives the test.
    if half_step is not None:
        columns = sorted(set(np.nonzero(at_kink)[1].tolist()))
        central_half, forward_half, backward_half = half_step(columns)
        smooth = (
            np.abs(numerical[:, columns] - central_half) <= tolerance[:, columns]
        ) & (
            np.abs(jump[:, columns] - 2 * (forward_half - backward_half))
            <= tolerance[:, columns]
        )
        at_kink[:, columns] &= ~smooth
        if not np.any(at_kink):
            return None

    low = np.minimum(forward, backward) - atol
    high = np.maximum(forward, backward) + atol
    one_sided = (analytical >= low) & (analytical <= high)
    columns = sorted(set(np.nonzero(at_kink)[1].tolist()))
    where = ", ".join(str(c) for c in columns[:5]) + (
        " ..." if len(columns) > 5 else ""
    )
    if np.array_equal(at_kink, mismatched) and np.all(one_sided[at_kink]):
        return Diagnosis(
            "kink",
            "every mismatch sits at a non-differentiable point: within eps of "
            f"input element(s) [flat {where}] the derivative jumps (the "
            "forward and backward differences disagree, also at half the "
            "step), and the analytical value lies between the one-sided "
            "derivatives there. This is not a bug in backward; check at a "
            "point at least eps away from the kink (e.g. relu at x != 0)",
        )
    return Diagnosis(
        "kink_nearby",
        f"some mismatches (input element(s) [flat {where}]) sit within eps of a "
        "non-differentiable point, where central differences are unreliable; "
        "the mismatches elsewhere are real",
    )


def _constant_ratio(
    analytical: np.ndarray,
    numerical: np.ndarray,
    close: Callable[[np.ndarray, np.ndarray], bool],
    noise: float,
) -> float | None:
    scale = float(np.vdot(numerical, numerical))
    if scale == 0:
        return None
    factor = float(np.vdot(analytical, numerical)) / scale
    # A ratio within ``noise`` of 1 is rounding, not a missing factor: those
    # are 2, 1/2, 1/n.
    if (
        factor == 0
        or abs(factor - 1) <= noise
        or not close(analytical, factor * numerical)
    ):
        return None
    return factor


def _factor_diagnosis(
    factor: float, input_shape: tuple[int, ...], output_size: int
) -> Diagnosis:
    fraction = Fraction(factor).limit_denominator(64)
    nice = abs(float(fraction) - factor) <= 1e-3 * abs(factor)
    shown = str(fraction) if nice else f"{factor:.6g}"
    copies = output_size / max(int(np.prod(input_shape)), 1)
    if copies > 1 and np.isclose(factor * copies, 1.0, rtol=1e-3):
        return Diagnosis(
            "unreduced_broadcast",
            f"the analytical gradient is {shown} of the numerical one: the input "
            f"is broadcast {copies:g} times across the output, and backward "
            "averages the broadcast copies' gradients instead of summing them",
        )
    return Diagnosis(
        "factor",
        f"the analytical gradient is {shown} times the numerical one everywhere: "
        "a constant factor is missing or extra in backward (e.g. the 2 of "
        "d/dx x² = 2x, or a 1/n of a mean)",
    )


def _transposed(
    analytical: np.ndarray, input_shape: tuple[int, ...]
) -> np.ndarray | None:
    """A with the input's last two axes swapped, when that keeps its shape."""
    if (
        len(input_shape) < 2
        or input_shape[-1] != input_shape[-2]
        or input_shape[-1] < 2
    ):
        return None
    rows = analytical.shape[0]
    return analytical.reshape(rows, *input_shape).swapaxes(-1, -2).reshape(rows, -1)
