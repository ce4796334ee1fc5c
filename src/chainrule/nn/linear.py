"""Affine layers: ``Linear``, and ``Identity``, which does nothing."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.creation import default_generator
from chainrule.dtypes import get_default_dtype
from chainrule.errors import DTypeError, ShapeError
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.ops._common import shape_of
from chainrule.ops.arithmetic import Linear as LinearOp
from chainrule.tensor import Tensor


class Linear(Module):
    """An affine map of the last axis: ``y = x @ weight.T + bias``.

    Parameters
    ----------
    in_features
        Length of the last axis of the input.
    out_features
        Length of the last axis of the output.
    bias
        Whether to add a learned bias (default True). Without one, ``bias``
        is registered as None.
    dtype
        Float dtype of the weights; default: the default dtype (float64).
    generator
        The ``numpy.random.Generator`` the initial weights are drawn from;
        default: ``cr.default_generator()`` (seeded by ``cr.manual_seed``).

    Attributes
    ----------
    weight
        Parameter of shape ``(out_features, in_features)``, as in PyTorch,
        initialised from U(-k, k) with k = 1/sqrt(in_features).
    bias
        Parameter of shape ``(out_features,)`` from the same U(-k, k), or None.

    Shape
    -----
    - Input: ``(*, in_features)``, any number of leading axes (or none).
    - Output: ``(*, out_features)``.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> layer = nn.Linear(3, 2, generator=np.random.default_rng(0))
    >>> layer
    Linear(in_features=3, out_features=2, bias=True)
    >>> x = cr.randn(5, 3, generator=np.random.default_rng(1), requires_grad=True)
    >>> y = layer(x)
    >>> y.shape
    (5, 2)
    >>> y.sum().backward()
    >>> layer.weight.grad.shape, layer.bias.grad.shape, x.grad.shape
    ((2, 3), (2,), (5, 3))
    """

    in_features: int
    out_features: int
    weight: Parameter
    bias: Parameter | None

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.in_features = _size("in_features", in_features)
        self.out_features = _size("out_features", out_features)
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        if dtype.kind != "f":
            raise DTypeError(
                f"Linear: dtype must be a float dtype, got {dtype}; use "
                "np.float32 or np.float64"
            )

        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """Draw new weights (in place) with PyTorch's default initialisation.

        ``weight`` and ``bias`` come from U(-k, k), k = 1/sqrt(in_features),
        drawn from ``generator`` (default: ``cr.default_generator()``).
        """
        rng = generator if generator is not None else default_generator()
        # NOTE: PyTorch initialises the weight with kaiming_uniform_(a=√5):
        # bound = gain·√(3/fan_in) with gain = √(2/(1 + a²)) = √(1/3), which
        # is exactly 1/√fan_in; the bias uses the same bound. Written out
        # here so the distribution is visible. With in_features = 0 the
        # weight is empty and the bias is 0, as in PyTorch.
        bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        self.weight.data[...] = rng.uniform(-bound, bound, self.weight.shape)
        if self.bias is not None:
            self.bias.data[...] = rng.uniform(-bound, bound, self.bias.shape)

    def forward(self, x: Any) -> Any:
        # NOTE: the weights read from the registry and the op applied
        # directly, skipping what cr.linear checks again: this layer made its
        # weights and checks the input itself. Saves about 4 us a call, a
        # fifth of a layer's cost in the deep-MLP benchmark (W4).
        weights = self._parameters
        shape = shape_of(x)
        if not shape or shape[-1] != self.in_features:
            found = "a 0-d input" if not shape else f"an input of shape {shape}"
            raise ShapeError(
                f"{self!r} got {found}, whose last axis should have "
                f"in_features={self.in_features} values; reshape the input "
                "(e.g. x.reshape(len(x), -1)) or make the layer with "
                "in_features equal to the input's last axis"
            )
        if not isinstance(x, (Tensor, np.ndarray)):
            x = np.asarray(x)
        bias = weights["bias"]
        if bias is None:
            return LinearOp.apply(x, weights["weight"])
        return LinearOp.apply(x, weights["weight"], bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    """Returns its input unchanged: a placeholder where a layer is optional.

    Like PyTorch's, it accepts and ignores any constructor arguments, so it
    can stand in for the layer it replaces.

    Shape
    -----
    - Input: any shape. Output: the same.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> x = cr.tensor([1.0, 2.0])
    >>> nn.Identity(54, unused="yes")(x) is x
    True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


def _size(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Linear: {name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"Linear: {name} must be >= 0, got {value}")
    return int(value)
