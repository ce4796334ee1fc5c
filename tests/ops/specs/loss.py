"""Specs of the fused loss: cross-entropy of logits (N, C) and integer labels.

``functional.cross_entropy`` takes this op for its most common case; the
composed path for its other options is tested in ``tests/functional``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from chainrule import functional
from tests.ops.harness import Case, OpSpec, array


def labelled_logits(draw) -> Case:
    rows, classes = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    x = array(draw, CROSS_ENTROPY, 0, (rows, classes))
    labels = np.array(
        draw(st.lists(st.integers(0, classes - 1), min_size=rows, max_size=rows)),
        dtype=np.int64,
    )
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    return Case([x, labels], [True, False], {"reduction": reduction})


CROSS_ENTROPY = OpSpec(
    "cross_entropy_labels",
    functional.cross_entropy,
    lambda x, labels, reduction: F.cross_entropy(
        x, torch.as_tensor(labels), reduction=reduction
    ),
    domain=(-5.0, 5.0),
    inputs=labelled_logits,
)

SPECS = [CROSS_ENTROPY]
