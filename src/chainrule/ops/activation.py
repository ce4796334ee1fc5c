"""Activation functions, with the derivatives the source text lists.

sigmoid'(x) = s(1 - s), largest (1/4) at 0; tanh'(x) = 1 - tanh²(x);
relu'(x) = 1 for x > 0 and 0 otherwise, including at the kink x = 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd.function import Function


class Tanh(Function):
    """tanh(x).  d/dx = 1 - tanh²(x)."""

    def forward(self, x: Any) -> Any:
        y = np.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad: Any) -> Any:
        (y,) = self.saved
        return grad * (1 - y * y)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent, elementwise."""
    return Tanh.apply(x)
