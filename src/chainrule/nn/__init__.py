"""Neural-network building blocks: ``Module``, ``Parameter`` and layers.

Written on top of the differentiable ops, the way a user would write their
own layers: a module's ``forward`` composes chainrule ops, and ``backward()``
on its output fills ``.grad`` of every parameter (weight gradients) and of
every input that requires grad (data gradients).

>>> import numpy as np
>>> import chainrule as cr
>>> from chainrule import nn
>>> rng = np.random.default_rng(0)
>>> model = nn.Sequential(nn.Linear(2, 4, generator=rng), nn.Tanh(), nn.Linear(4, 1))
>>> loss = model(cr.randn(8, 2, generator=rng)).sum()
>>> loss.backward()
>>> [p.grad.shape for p in model.parameters()]
[(4, 2), (4,), (1, 4), (1,)]
"""

from chainrule.nn import init, utils
from chainrule.nn.activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from chainrule.nn.container import ModuleDict, ModuleList, ParameterList, Sequential
from chainrule.nn.dropout import Dropout
from chainrule.nn.flatten import Flatten
from chainrule.nn.linear import Identity, Linear
from chainrule.nn.loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from chainrule.nn.module import IncompatibleKeys, Module
from chainrule.nn.normalization import BatchNorm1d, LayerNorm
from chainrule.nn.parameter import Parameter

__all__ = [
    "ELU",
    "GELU",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Identity",
    "IncompatibleKeys",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ParameterList",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "init",
    "utils",
]
