"""chainrule: reverse-mode automatic differentiation on NumPy.

>>> import numpy as np
>>> import chainrule as cr
>>> w = cr.tensor([[0.5, -1.0]], requires_grad=True)
>>> x = cr.tensor([[2.0], [1.0]])
>>> loss = cr.tanh(w @ x).sum()
>>> loss.backward()
>>> w.grad.shape
(1, 2)
"""

from chainrule import autograd
from chainrule.autograd import Function, enable_grad, is_grad_enabled, no_grad
from chainrule.creation import (
    arange,
    default_generator,
    eye,
    from_numpy,
    full,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from chainrule.dtypes import get_default_dtype, set_default_dtype
from chainrule.ops.activation import (
    elu,
    erf,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from chainrule.ops.arithmetic import (
    add,
    divide,
    matmul,
    multiply,
    negative,
    power,
    subtract,
)
from chainrule.ops.elementwise import (
    abs,
    astype,
    clip,
    cos,
    exp,
    log,
    maximum,
    minimum,
    sin,
    sqrt,
    where,
)
from chainrule.ops.indexing import getitem
from chainrule.ops.reduction import (
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    std,
    sum,
    var,
)
from chainrule.ops.shape import (
    broadcast_to,
    permute,
    reshape,
    swapaxes,
    transpose,
)
from chainrule.tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "Function",
    "Tensor",
    "abs",
    "add",
    "arange",
    "argmax",
    "argmin",
    "astype",
    "autograd",
    "broadcast_to",
    "clip",
    "cos",
    "default_generator",
    "divide",
    "elu",
    "enable_grad",
    "erf",
    "exp",
    "eye",
    "from_numpy",
    "full",
    "gelu",
    "get_default_dtype",
    "getitem",
    "is_grad_enabled",
    "leaky_relu",
    "log",
    "log_softmax",
    "logsumexp",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "multiply",
    "negative",
    "no_grad",
    "ones",
    "ones_like",
    "permute",
    "power",
    "rand",
    "randn",
    "relu",
    "reshape",
    "set_default_dtype",
    "sigmoid",
    "sin",
    "softmax",
    "softplus",
    "sqrt",
    "std",
    "subtract",
    "sum",
    "swapaxes",
    "tanh",
    "tensor",
    "transpose",
    "var",
    "where",
    "zeros",
    "zeros_like",
]
