"""Judging one recorded step: vanishing and exploding gradients, stuck units.

The source text: in a deep network with Sigmoid or Tanh, each layer
multiplies the data gradient by a derivative below 1 on its way back, so the
first layers get gradients far smaller than the last (vanishing); with large
weights the data gradient grows layer by layer until it overflows
(exploding). So the checks compare data-gradient norms across depth, watch
the total gradient norm across steps, and catch non-finite values. A layer
most of whose units are saturated (Sigmoid/Tanh) or dead (ReLU) passes
almost no gradient through those units even where the norms look fine, so
that is checked too. The thresholds are in :mod:`chainrule.monitor.measures`.
"""

from __future__ import annotations

import math

from chainrule.monitor._format import layer_label, names, number, percent
from chainrule.monitor.records import Finding, LayerRecord, StepRecord


class GradientHealthWarning(UserWarning):
    """Base class of the monitor's warnings."""


class VanishingGradientWarning(GradientHealthWarning):
    """The first layers' gradients are orders of magnitude below the last's."""


class ExplodingGradientWarning(GradientHealthWarning):
    """Gradients grow across layers or steps beyond the threshold, or overflow."""


class SaturationWarning(GradientHealthWarning):
    """More than half of a Sigmoid/Tanh layer's outputs are saturated, or of a
    ReLU layer's units dead: most of the layer passes no gradient back."""


WARNINGS: dict[str, type[GradientHealthWarning]] = {
    "vanishing": VanishingGradientWarning,
    "exploding": ExplodingGradientWarning,
    "saturation": SaturationWarning,
}

_VANISHING_ADVICE = (
    "Use ReLU activations with kaiming initialisation, or an initialisation "
    "that keeps values near magnitude 1 (chainrule.monitor.audit_init "
    "suggests one per layer), or fewer layers"
)
_SATURATED_ADVICE = (
    "Initialise so that values stay near magnitude 1 (xavier_uniform_ with "
    "the activation's gain; chainrule.monitor.audit_init suggests one per "
    "layer), standardise the inputs, or lower the learning rate"
)
_DEAD_ADVICE = (
    "Use kaiming initialisation with zero biases (chainrule.monitor."
    "audit_init checks it), a lower learning rate, or LeakyReLU, whose "
    "units cannot die"
)
_EXPLODING_ADVICE = (
    "Initialise smaller weights (chainrule.monitor.audit_init), lower the "
    "learning rate, or clip the gradient norm "
    "(monitor.step(optimizer, max_norm=...))"
)


def non_finite(record: StepRecord) -> Finding | None:
    """A nan or infinite weight- or data-gradient norm in any layer."""
    bad = [
        row
        for row in record.layers
        if _nonfinite(row.weight_grad_norm) or _nonfinite(row.data_grad_norm)
    ]
    if not bad:
        return None
    details = [
        layer_label(r.layer, r.kind)
        + " "
        + " and ".join(
            f"{name} gradient {number(value)}"
            for name, value in (
                ("weight", r.weight_grad_norm),
                ("data", r.data_grad_norm),
            )
            if _nonfinite(value)
        )
        for r in bad
    ]
    message = (
        f"exploding gradients at step {record.step}: non-finite gradient "
        f"norms in {names(details)}. {_EXPLODING_ADVICE}"
    )
    return Finding("exploding", "non-finite", record.step, _paths(bad), message=message)


def depth(record: StepRecord, vanishing: float, exploding: float) -> Finding | None:
    """The first layer's data-gradient norm against the last layer's.

    Layers whose data gradient is exactly 0 are left out: see the note.
    """
    # NOTE: an exact 0 is not a gradient that shrank layer by layer but no
    # gradient at all: a layer after it has weights that are all 0 (a
    # zero-initialised last layer, whose first update lets the gradient
    # through) or units that are all dead (the stuck-units check flags
    # those). A gradient that vanishes until it underflows reaches 0 only
    # after layers where it is tiny but not 0, and those are compared.
    rows = [
        (r, r.data_grad_norm)
        for r in record.layers
        if r.data_grad_norm is not None
        and math.isfinite(r.data_grad_norm)
        and r.data_grad_norm > 0
    ]
    if len(rows) < 2:
        return None
    (_, first_norm), (last, last_norm) = rows[0], rows[-1]
    ratio = first_norm / last_norm
    reference = (
        f"the last layer's, {layer_label(last.layer, last.kind)} {number(last_norm)}"
    )

    if ratio < vanishing:
        flagged = [r for r, norm in rows[:-1] if norm < vanishing * last_norm]
        message = (
            f"vanishing gradients at step {record.step}: the data-gradient "
            f"norms of the first layers are below {vanishing:g} times "
            f"{reference}: {_listing(flagged)}. {_VANISHING_ADVICE}"
        )
        return Finding("vanishing", "depth", record.step, _paths(flagged), message)
    if ratio > exploding:
        flagged = [r for r, norm in rows[:-1] if norm > exploding * last_norm]
        message = (
            f"exploding gradients at step {record.step}: the data-gradient "
            f"norms of the first layers are above {exploding:g} times "
            f"{reference}: {_listing(flagged)}. {_EXPLODING_ADVICE}"
        )
        return Finding("exploding", "depth", record.step, _paths(flagged), message)
    return None


def stuck(
    record: StepRecord, share: float, saturation: float, dead_batch: int
) -> list[Finding]:
    """Layers with more than ``share`` of their units saturated or dead.

    Dead units are judged only from batches of at least ``dead_batch``
    samples (``record.batch_size``): in fewer, many units of a healthy
    ReLU layer are 0 by chance.
    """
    found = []
    saturated = [
        r for r in record.layers if r.saturated is not None and r.saturated > share
    ]
    if saturated:
        message = (
            f"saturated units at step {record.step}: more than "
            f"{_share(share)} of the outputs are in the flat part of the curve "
            f"(|tanh| > {saturation:g}, sigmoid beyond [{1 - saturation:.2g}, "
            f"{saturation:g}]) in {_stuck(saturated, 'saturated')}, where "
            f"the derivative passes almost no data gradient back. "
            f"{_SATURATED_ADVICE}"
        )
        found.append(
            Finding("saturation", "saturated", record.step, _paths(saturated), message)
        )
    large_enough = record.batch_size is None or record.batch_size >= dead_batch
    dead = [r for r in record.layers if r.dead is not None and r.dead > share]
    if dead and large_enough:
        message = (
            f"dead units at step {record.step}: more than {_share(share)} of "
            f"the units are 0 for every sample of the batch in "
            f"{_stuck(dead, 'dead')}, so no gradient reaches the weights "
            f"feeding them. {_DEAD_ADVICE}"
        )
        found.append(Finding("saturation", "dead", record.step, _paths(dead), message))
    return found


def describe(finding: Finding) -> str:
    """A finding's kind and cause in a few words: 'vanishing gradients (depth)'."""
    if finding.kind == "saturation":
        return f"{finding.cause} units"
    return f"{finding.kind} gradients ({finding.cause})"


def growth(
    record: StepRecord,
    first: StepRecord,
    exploding: float,
) -> Finding | None:
    """The total gradient norm against its value at the first recorded step."""
    total, start = record.total_grad_norm, first.total_grad_norm
    if not (math.isfinite(total) and math.isfinite(start)) or start <= 0:
        return None
    if total <= exploding * start:
        return None

    before = {r.layer: r.weight_grad_norm for r in first.layers}
    rates = []
    for row in record.layers:
        old = before.get(row.layer)
        if row.weight_grad_norm is not None and old:
            rates.append((row.weight_grad_norm / old, row))
    rates.sort(key=lambda pair: -pair[0])
    flagged = [row for rate, row in rates if rate > exploding] or [
        row for _, row in rates[:3]
    ]
    message = (
        f"exploding gradients at step {record.step}: the total gradient norm "
        f"grew from {number(start)} at step {first.step} to {number(total)}, "
        f"more than {exploding:g} times; fastest growing: "
        + names(
            [
                f"{layer_label(r.layer, r.kind)} x{rate:.3g}"
                for rate, r in rates
                if r in flagged
            ]
        )
        + f". {_EXPLODING_ADVICE}"
    )
    return Finding("exploding", "steps", record.step, _paths(flagged), message)


def _nonfinite(value: float | None) -> bool:
    return value is not None and not math.isfinite(value)


def _paths(rows: list[LayerRecord]) -> tuple[str, ...]:
    return tuple(r.layer for r in rows)


def _share(share: float) -> str:
    return "half" if share == 0.5 else f"{100 * share:g}%"


def _stuck(rows: list[LayerRecord], field: str) -> str:
    return names(
        [f"{layer_label(r.layer, r.kind)} {percent(getattr(r, field))}" for r in rows]
    )


def _listing(rows: list[LayerRecord]) -> str:
    return names(
        [f"{layer_label(r.layer, r.kind)} {number(r.data_grad_norm)}" for r in rows]
    )
