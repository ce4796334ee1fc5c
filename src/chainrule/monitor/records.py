"""What the gradient monitor records: one row per layer and step, tidy.

A :class:`LayerRecord` is one layer at one step; a :class:`StepRecord`
groups a step's rows with the numbers that belong to the whole step (the
total gradient norm, what clipping did). A :class:`Finding` is a problem the
monitor flagged: vanishing or exploding gradients, where and since when.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from chainrule.monitor._format import json_number
from chainrule.optim.clip import ClipReport

FIELDS = (
    "weight_grad_norm",
    "data_grad_norm",
    "update_ratio",
    "saturated",
    "dead",
)


@dataclass(frozen=True)
class LayerRecord:
    """One layer at one step.

    Attributes
    ----------
    step
        The step's index, from 0.
    depth
        The layer's place in the order the layers first ran forward, from 0.
    layer
        The module path (``"0"``, ``"encoder.fc1"``; ``""`` for the model
        itself).
    kind
        The module's class name.
    weight_grad_norm
        L2 norm of the gradients of the layer's own parameters, together
        (weight and bias), before clipping; None without parameters.
    data_grad_norm
        L2 norm of the gradient of the loss with respect to the layer's
        output (the data gradient), over the whole batch; None if no
        gradient reached it.
    update_ratio
        ``‖W_after - W_before‖ / ‖W_before‖`` over the layer's parameters,
        for the optimizer step taken through ``monitor.step(optimizer)``;
        None without one.
    saturated
        Sigmoid and Tanh layers: the fraction of output entries that are
        saturated (see ``chainrule.monitor.measures``); else None.
    dead
        ReLU layers: the fraction of units that are 0 for the whole batch;
        else None.
    """

    step: int
    depth: int
    layer: str
    kind: str
    weight_grad_norm: float | None = None
    data_grad_norm: float | None = None
    update_ratio: float | None = None
    saturated: float | None = None
    dead: float | None = None

    def to_dict(self) -> dict[str, Any]:
        row = asdict(self)
        for name in FIELDS:
            row[name] = json_number(row[name])
        return row


@dataclass(frozen=True)
class StepRecord:
    """One step: its layers' rows, the total gradient norm, and clipping.

    ``total_grad_norm`` is the L2 norm of all the model's gradients before
    clipping (what ``clip_grad_norm_`` measures); ``clip`` is the report of
    the clipping done by ``monitor.step(..., max_norm=...)``, or None.
    ``batch_size`` is the smallest batch (first axis) of the outputs
    measured in the step, or None when no forward pass was measured.
    """

    step: int
    layers: tuple[LayerRecord, ...]
    total_grad_norm: float
    clip: ClipReport | None = None
    batch_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        clip = None
        if self.clip is not None:
            clip = {
                "total_norm": json_number(self.clip.total_norm),
                "max_norm": self.clip.max_norm,
                "clipped": self.clip.clipped,
                "scale": json_number(self.clip.scale),
            }
        return {
            "step": self.step,
            "total_grad_norm": json_number(self.total_grad_norm),
            "clip": clip,
            "batch_size": self.batch_size,
        }


@dataclass
class Finding:
    """A problem the monitor flagged, first seen at ``step``.

    ``kind`` is ``"vanishing"`` or ``"exploding"``, with ``cause``
    ``"depth"`` (first layers' data gradients far below or above the last
    layer's), ``"steps"`` (the gradient norm grew across steps) or
    ``"non-finite"`` (a nan or infinite gradient); or ``"saturation"``, with
    ``cause`` ``"saturated"`` (more than half of a Sigmoid/Tanh layer's
    outputs saturated) or ``"dead"`` (more than half of a ReLU layer's units
    dead). ``layers`` are the paths
    of the layers concerned at that step; ``count`` how many steps showed
    it, up to ``last_step``.
    """

    kind: str
    cause: str
    step: int
    layers: tuple[str, ...]
    message: str
    count: int = 1
    last_step: int = -1

    def __post_init__(self) -> None:
        if self.last_step < 0:
            self.last_step = self.step

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "layers": list(self.layers)}
