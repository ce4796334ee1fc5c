"""The numbers the monitor takes from one layer's output and gradients.

Thresholds (each can be changed per monitor):

- ``SATURATION = 0.97``: a tanh unit is saturated where |tanh(x)| > 0.97
  (there tanh' = 1 - tanh² < 0.06, under 6% of its peak 1); a sigmoid unit
  where its output is above 0.97 or below 0.03 (there sigmoid' = y(1 - y) <
  0.03, under 12% of its peak 1/4). Saturated units pass almost no data
  gradient back: the source text's reason why deep Sigmoid/Tanh networks
  suffer vanishing gradients.
- A ReLU unit is dead in a batch where its output is 0 for every sample:
  relu'(x) = 0 there, so no gradient reaches the weights feeding it.
- ``STUCK = 0.5``: a layer is flagged when more than half of its units are
  saturated (Sigmoid/Tanh) or dead (ReLU): most of the layer then passes
  almost no gradient back, whatever the data-gradient norms say. The
  initialisation audit uses the same cut-off. Dead units are judged only
  from batches of at least ``DEAD_BATCH = 4`` samples: in one sample about
  half of a healthy ReLU layer's units are 0 by chance.
- ``VANISHING = 1e-3``: gradients vanish when the first layer's data-gradient
  norm is below 1e-3 of the last layer's (three orders of magnitude).
- ``EXPLODING = 1e3``: gradients explode when the first layer's data-gradient
  norm is above 1e3 times the last layer's, or when the total weight-gradient
  norm grows above 1e3 times its value at the first recorded step; and
  whenever a gradient norm is nan or infinite.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.optim.clip import _total_norm

SATURATION = 0.97
STUCK = 0.5
DEAD_BATCH = 4
VANISHING = 1e-3
EXPLODING = 1e3


def l2_norm(arrays: list[Any]) -> float:
    """The L2 norm of all entries together, in float64, without overflow."""
    return _total_norm([np.asarray(a) for a in arrays], 2.0)


def saturated(kind: str, y: np.ndarray, threshold: float) -> tuple[int, int]:
    """(saturated entries, entries) of a tanh or sigmoid output ``y``."""
    if kind == "tanh":
        count = np.count_nonzero(np.abs(y) > threshold)
    else:
        count = np.count_nonzero((y > threshold) | (y < 1 - threshold))
    return int(count), int(y.size)


def dead(y: np.ndarray) -> tuple[int, int]:
    """(dead units, units) of a ReLU output ``y`` whose first axis is the batch.

    A unit is one position of a sample (a feature, or a feature at a
    position); it is dead when it is 0 in every sample of the batch. An
    output with fewer than two axes is one sample.
    """
    if y.ndim < 2:
        y = y.reshape(1, -1)
    if y.shape[0] == 0:  # an empty batch says nothing about its units
        return 0, 0
    units = y.reshape(y.shape[0], -1)
    alive = np.count_nonzero(np.any(units != 0, axis=0))
    return int(units.shape[1] - alive), int(units.shape[1])
