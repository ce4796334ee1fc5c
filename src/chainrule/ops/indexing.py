"""Indexing: ``x[index]`` with slices, ints, None, masks and integer arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd.function import Function


class GetItem(Function):
    """x[index].  The gradient is scattered back, summing repeated indices."""

    def forward(self, x: Any, index: Any) -> Any:
        self.shape = np.shape(x)
        self.index = index
        return x[index]

    def backward(self, grad: Any) -> Any:
        full = np.zeros(self.shape, dtype=grad.dtype)
        np.add.at(full, self.index, grad)
        return full, None


def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` as a differentiable op."""
    return GetItem.apply(x, index)
