"""Optimizers, learning-rate schedules and gradient clipping.

An optimizer updates the weights from their gradients, in place; a training
step is ``zero_grad()``, forward, ``backward()``, ``step()``:

>>> import numpy as np
>>> import chainrule as cr
>>> from chainrule import nn, optim
>>> rng = np.random.default_rng(0)
>>> model = nn.Linear(3, 1, generator=rng)
>>> x, y = cr.randn(16, 3, generator=rng), cr.randn(16, 1, generator=rng)
>>> optimizer = optim.Adam(model.parameters(), lr=0.1)
>>> losses = []
>>> for _ in range(20):
...     optimizer.zero_grad()
...     loss = ((model(x) - y) ** 2).mean()
...     loss.backward()
...     optimizer.step()
...     losses.append(loss.item())
>>> losses[-1] < losses[0]
True

The update rules follow PyTorch's formulas and options; see each class.
"""

from chainrule.optim import lr_scheduler
from chainrule.optim.adam import Adam, AdamW
from chainrule.optim.clip import ClipReport, clip_grad_norm_, clip_grad_value_
from chainrule.optim.optimizer import Optimizer
from chainrule.optim.rmsprop import RMSprop
from chainrule.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "ClipReport",
    "Optimizer",
    "RMSprop",
    "clip_grad_norm_",
    "clip_grad_value_",
    "lr_scheduler",
]
