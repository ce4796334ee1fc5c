"""Gradient checking that says where and why a backward is wrong.

The source text's advice for a hand-written layer: verify its backward
against central differences, (f(x + eps) - f(x - eps)) / (2 eps) per
component. :func:`gradcheck` does that for every output and every input (and
every parameter of a Module), then reports the worst entries and recognises
the usual mistakes: a sign, a missing factor, a transpose, an unreduced
broadcast, a disconnected input, and kinks where the check itself is unsound.
"""

from chainrule.gradcheck.check import GradcheckWarning, gradcheck, gradgradcheck
from chainrule.gradcheck.diagnosis import Diagnosis
from chainrule.gradcheck.layer import LayerCheckError, LayerCheckResult, check_layer
from chainrule.gradcheck.report import Block, Entry, GradcheckError, GradcheckResult

__all__ = [
    "Block",
    "Diagnosis",
    "Entry",
    "GradcheckError",
    "GradcheckResult",
    "GradcheckWarning",
    "LayerCheckError",
    "LayerCheckResult",
    "check_layer",
    "gradcheck",
    "gradgradcheck",
]
