"""The source text's claims about gradients, reproduced as experiments.

Each function runs one experiment and returns its numbers, with a Markdown
``table()`` and a JSON-ready ``to_json()``; it prints and draws nothing.
``chainrule experiment NAME`` runs them from the command line, prints the
tables and writes a plot and a JSON file for each (docs/experiments.md).

- :func:`gradient_flow` (``vanishing``): per-layer weight and data gradients
  of deep MLPs with Sigmoid, Tanh and ReLU and four initialisations:
  vanishing, exploding, healthy, and what clipping does to the update.
- :func:`activation_derivatives` (``activations``): the activations and
  their derivatives by autograd; sigmoid'(0) = 1/4, relu's jump at 0.
- :func:`gradient_timing` (``numerical-gradient``): numerical against
  analytical gradients, in time and in value, as the weights grow.
"""

from chainrule.experiments.activations import (
    ActivationCurves,
    activation_derivatives,
    derivative,
)
from chainrule.experiments.numerical_gradient import (
    GradientTimingResult,
    TimingRow,
    gradient_timing,
)
from chainrule.experiments.vanishing import (
    FlowRun,
    GradientFlowResult,
    gradient_flow,
)

__all__ = [
    "ActivationCurves",
    "FlowRun",
    "GradientFlowResult",
    "GradientTimingResult",
    "TimingRow",
    "activation_derivatives",
    "derivative",
    "gradient_flow",
    "gradient_timing",
]
