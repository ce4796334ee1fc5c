"""Activation layers: the functions of ``chainrule.ops.activation`` as modules.

Each holds its settings and calls the function; the gradient conventions at
kinks (relu'(0) = 0, ...) are those of the functions (docs/conventions.md).
"""

from __future__ import annotations

from typing import Any

from chainrule.nn.module import Module
from chainrule.ops import activation as F
from chainrule.ops._common import torch_alias


class ReLU(Module):
    """relu(x) = max(x, 0), elementwise (gradient 0 at x = 0).

    Shape
    -----
    - Input: any shape. Output: the same.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.ReLU()(cr.tensor([-1.0, 0.0, 2.0]))
    tensor([0., 0., 2.])
    """

    def forward(self, x: Any) -> Any:
        return F.relu(x)


class Sigmoid(Module):
    """sigmoid(x) = 1 / (1 + exp(-x)), elementwise.

    Shape
    -----
    - Input: any shape. Output: the same.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.Sigmoid()(cr.tensor([0.0]))
    tensor([0.5])
    """

    def forward(self, x: Any) -> Any:
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x), elementwise.

    Shape
    -----
    - Input: any shape. Output: the same.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.Tanh()(cr.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, x: Any) -> Any:
        return F.tanh(x)


class LeakyReLU(Module):
    """leaky_relu(x) = x for x > 0, else negative_slope·x, elementwise.

    Parameters
    ----------
    negative_slope
        The slope for x <= 0 (default 0.01); also the gradient at 0.

    Shape
    -----
    - Input: any shape. Output: the same.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.LeakyReLU(0.1)(cr.tensor([-2.0, 3.0]))
    tensor([-0.2,  3. ])
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Any:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """elu(x) = x for x > 0, else alpha·(exp(x) - 1), elementwise.

    Parameters
    ----------
    alpha
        The value approached as x -> -inf is -alpha (default 1.0).

    Shape
    -----
    - Input: any shape. Output: the same.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.ELU()(cr.tensor([0.0, 1.0]))
    tensor([0., 1.])
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x: Any) -> Any:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """gelu(x) = x·Φ(x), Φ the standard normal CDF, elementwise.

    Parameters
    ----------
    approximate
        ``'none'`` (exact, default) or ``'tanh'`` (the tanh approximation
        of Φ), as in PyTorch.

    Shape
    -----
    - Input: any shape. Output: the same.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.GELU()(cr.tensor([0.0]))
    tensor([0.])
    >>> nn.GELU(approximate="tanh")
    GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(
                f"GELU: approximate must be 'none' (exact, with erf) or 'tanh' "
                f"(the tanh approximation), got {approximate!r}"
            )
        self.approximate = approximate

    def forward(self, x: Any) -> Any:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """softplus(x) = log(1 + exp(beta·x)) / beta, or x where beta·x > threshold.

    Parameters
    ----------
    beta
        Sharpness (default 1.0); larger values approach relu. Must not be 0.
    threshold
        Above ``beta·x > threshold`` the result is x itself (default 20.0).

    Shape
    -----
    - Input: any shape. Output: the same.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.Softplus()(cr.tensor([0.0, 30.0]))
    tensor([ 0.69314718, 30.        ])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        if float(beta) == 0:
            raise ValueError(
                "Softplus: beta = 0 divides by zero; use a nonzero beta (1 is "
                "the usual softplus, larger values approach relu)"
            )
        self.beta = float(beta)
        self.threshold = float(threshold)

    def forward(self, x: Any) -> Any:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """softmax(x) = exp(x) / sum(exp(x)) along ``axis``.

    Parameters
    ----------
    axis
        The axis that sums to 1 (default -1, the last; PyTorch calls it
        ``dim`` and has no default).
    dim
        PyTorch's name for ``axis``; give one of them.

    Shape
    -----
    - Input: any shape with at least one axis. Output: the same.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.Softmax(axis=1)(cr.zeros(2, 4))
    tensor([[0.25, 0.25, 0.25, 0.25],
            [0.25, 0.25, 0.25, 0.25]])
    """

    def __init__(self, axis: int = -1, *, dim: int | None = None) -> None:
        super().__init__()
        self.axis = torch_alias("Softmax", "axis", axis, "dim", dim, -1)

    def forward(self, x: Any) -> Any:
        return F.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """log_softmax(x) = x - log(sum(exp(x))) along ``axis``, without forming softmax.

    Parameters
    ----------
    axis
        The axis normalized over (default -1, the last).
    dim
        PyTorch's name for ``axis``; give one of them.

    Shape
    -----
    - Input: any shape with at least one axis. Output: the same.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> y = nn.LogSoftmax()(cr.tensor([[1.0, 2.0, 3.0]]))
    >>> np.exp(y.data).sum(axis=-1)
    array([1.])
    """

    def __init__(self, axis: int = -1, *, dim: int | None = None) -> None:
        super().__init__()
        self.axis = torch_alias("LogSoftmax", "axis", axis, "dim", dim, -1)

    def forward(self, x: Any) -> Any:
        return F.log_softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
