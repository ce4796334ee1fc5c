"""Dropout: during training, zero each element with probability p."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.creation import default_generator
from chainrule.tensor import Tensor


def dropout(
    input: Any,
    p: float = 0.5,
    training: bool = True,
    *,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Zero each element with probability ``p``; scale the rest by ``1/(1 - p)``.

    This is *inverted* dropout, as in PyTorch: the kept elements are scaled
    up during training, so each element's expected value is unchanged and
    evaluation needs no rescaling. With ``training=False`` (or ``p = 0``)
    the input is returned as it is. With ``p = 1`` everything is zeroed (by
    multiplying by 0, so a nan input stays nan, as in PyTorch). The gradient
    is the same mask times the same scale.

    Parameters
    ----------
    input
        A tensor of any shape.
    p
        Probability of zeroing an element, in [0, 1].
    training
        Apply dropout (True) or return ``input`` unchanged (False).
    generator
        The ``numpy.random.Generator`` the mask is drawn from; default:
        ``cr.default_generator()`` (seeded by ``cr.manual_seed``).

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import functional as F
    >>> F.dropout(cr.ones(6), 0.5, generator=np.random.default_rng(0))
    tensor([2., 0., 0., 0., 2., 2.])
    """
    p = check_probability("dropout", p)
    x = input if isinstance(input, Tensor) else Tensor(input)
    if not training or p == 0:
        return x

    rng = generator if generator is not None else default_generator()
    # NOTE: P(u >= p) = 1 - p for u uniform on [0, 1); with p = 1 nothing is
    # kept, and the scale 1/(1 - p) is never computed. The mask is made in
    # x's dtype so a float32 input stays float32.
    kept = rng.random(x.shape) >= p
    scale = np.where(kept, 1 / (1 - p) if p < 1 else 0.0, 0.0).astype(x.dtype)
    return x * scale


def check_probability(op: str, p: Any) -> float:
    """``p`` as a float in [0, 1], or a ValueError that names ``op``."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)):
        raise TypeError(f"{op}: p must be a number in [0, 1], got {p!r}")
    if not 0 <= p <= 1:
        raise ValueError(
            f"{op}: p is the probability of zeroing an element and must be "
            f"between 0 and 1, got {p}"
        )
    return float(p)
