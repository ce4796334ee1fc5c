"""The engine: the op base class, the graph walk and the grad-mode switches.

This package knows no math. ``Function`` is the base of every differentiable
operation (built in or user-written), ``engine`` walks the computational graph
backwards, ``grad_mode`` turns recording on and off, ``hooks`` lets user
functions see gradients, and ``anomaly`` finds where a NaN or Inf came from.
"""

from chainrule.autograd.anomaly import AnomalyError, detect_anomaly
from chainrule.autograd.api import backward, grad
from chainrule.autograd.function import Function
from chainrule.autograd.grad_mode import (
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "AnomalyError",
    "Function",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
