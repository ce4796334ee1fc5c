"""``Dropout``: zero random elements in training, nothing in evaluation."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.functional.dropout import check_probability, dropout
from chainrule.nn.module import Module


class Dropout(Module):
    """During training, zero each element with probability ``p`` and scale the
    rest by ``1/(1 - p)``; in evaluation mode, return the input unchanged.

    Dropout keeps a network from relying on any single unit. The scaling
    (*inverted* dropout, as in PyTorch) keeps each element's expected value
    unchanged, so ``model.eval()`` is all evaluation needs. See
    :func:`chainrule.functional.dropout`.

    Parameters
    ----------
    p
        Probability of zeroing an element (default 0.5), in [0, 1]. ``p = 0``
        changes nothing; ``p = 1`` zeroes everything.
    generator
        The ``numpy.random.Generator`` masks are drawn from; default:
        ``cr.default_generator()`` at each call (seeded by ``cr.manual_seed``).

    Shape
    -----
    - Input: any shape. Output: the same.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> layer = nn.Dropout(0.25, generator=np.random.default_rng(0))
    >>> layer
    Dropout(p=0.25)
    >>> layer(cr.ones(2, 4))
    tensor([[1.33333333, 1.33333333, 0.        , 0.        ],
            [1.33333333, 1.33333333, 1.33333333, 1.33333333]])
    >>> x = cr.ones(3)
    >>> layer.eval()(x) is x
    True
    """

    def __init__(
        self, p: float = 0.5, generator: np.random.Generator | None = None
    ) -> None:
        super().__init__()
        self.p = check_probability("Dropout", p)
        self.generator = generator

    def forward(self, x: Any) -> Any:
        return dropout(x, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"
