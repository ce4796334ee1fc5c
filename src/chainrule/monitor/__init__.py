"""Gradient health: watch the weight and data gradients of a model as it trains.

The source text warns that in deep networks gradients can vanish (Sigmoid
and Tanh layers shrink the data gradient at every layer on its way back) or
explode (large weights grow it), and names the remedies: an initialisation
that keeps values near magnitude 1, and gradient clipping by L2 norm. This
package measures all of it on a live model:

- :class:`GradientMonitor` records, per layer and per step, the
  weight-gradient norm, the data-gradient norm, the update-to-weight ratio,
  saturated Sigmoid/Tanh units and dead ReLU units; it warns when gradients
  vanish or explode, or when most of a layer's units are saturated or dead,
  prints a report and draws plots.
- :func:`audit_init` pushes one batch through a fresh model and says which
  layers are initialised far from magnitude 1, and what to use instead.
- :class:`~chainrule.optim.ClipReport`, from
  ``clip_grad_norm_(..., return_report=True)``, says what clipping did.
- :func:`saved_memory` lists what the graph keeps for backward.

See docs/gradient_health.md.
"""

from chainrule.monitor.gradient_monitor import GradientMonitor
from chainrule.monitor.health import (
    ExplodingGradientWarning,
    GradientHealthWarning,
    SaturationWarning,
    VanishingGradientWarning,
)
from chainrule.monitor.init_audit import InitAudit, LayerAudit, audit_init
from chainrule.monitor.measures import EXPLODING, SATURATION, VANISHING
from chainrule.monitor.memory import MemoryReport, NodeMemory, SavedArray, saved_memory
from chainrule.monitor.records import Finding, LayerRecord, StepRecord
from chainrule.optim.clip import ClipReport

__all__ = [
    "EXPLODING",
    "SATURATION",
    "VANISHING",
    "ClipReport",
    "ExplodingGradientWarning",
    "Finding",
    "GradientHealthWarning",
    "GradientMonitor",
    "InitAudit",
    "LayerAudit",
    "LayerRecord",
    "MemoryReport",
    "NodeMemory",
    "SaturationWarning",
    "SavedArray",
    "StepRecord",
    "VanishingGradientWarning",
    "audit_init",
    "saved_memory",
]
