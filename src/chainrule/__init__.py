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
from chainrule.ops.activation import tanh
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
from chainrule.ops.indexing import (
    getitem,
    scatter_add,
)
from chainrule.ops.reduction import mean, sum
from chainrule.ops.shape import (
    broadcast_to,
    cat,
    concatenate,
    expand,
    expand_dims,
    flatten,
    moveaxis,
    pad,
    permute,
    ravel,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
    unsqueeze,
)
from chainrule.tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "Function",
    "Tensor",
    "abs",
    "add",
    "arange",
    "astype",
    "autograd",
    "broadcast_to",
    "cat",
    "clip",
    "concatenate",
    "cos",
    "default_generator",
    "divide",
    "enable_grad",
    "exp",
    "expand",
    "expand_dims",
    "eye",
    "flatten",
    "from_numpy",
    "full",
    "get_default_dtype",
    "getitem",
    "is_grad_enabled",
    "log",
    "manual_seed",
    "matmul",
    "maximum",
    "mean",
    "minimum",
    "moveaxis",
    "multiply",
    "negative",
    "no_grad",
    "ones",
    "ones_like",
    "pad",
    "permute",
    "power",
    "rand",
    "randn",
    "ravel",
    "reshape",
    "scatter_add",
    "set_default_dtype",
    "sin",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "subtract",
    "sum",
    "swapaxes",
    "tanh",
    "tensor",
    "transpose",
    "unsqueeze",
    "where",
    "zeros",
    "zeros_like",
]
