"""Functions on tensors that compose ops: losses, normalization, dropout.

Everything here is built from chainrule's differentiable ops, with no backward
written by hand: gradients (and gradients of gradients) come from the ops.
The names and arguments follow PyTorch's ``torch.nn.functional``; the layers
of :mod:`chainrule.nn` (``nn.CrossEntropyLoss``, ``nn.BatchNorm1d``, ...) call
these. The activation functions are re-exported, so ``F.relu`` works too.

>>> import chainrule as cr
>>> from chainrule import functional as F
>>> logits = cr.tensor([[0.0, 0.0]], requires_grad=True)
>>> loss = F.cross_entropy(logits, [1])
>>> loss.backward()
>>> logits.grad
tensor([[ 0.5, -0.5]])
"""

from chainrule.functional.dropout import dropout
from chainrule.functional.loss import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from chainrule.functional.normalization import batch_norm, layer_norm
from chainrule.ops.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from chainrule.ops.arithmetic import linear

__all__ = [
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "elu",
    "gelu",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
]
