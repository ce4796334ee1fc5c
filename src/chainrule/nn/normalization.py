"""Normalization layers: ``BatchNorm1d`` and ``LayerNorm``.

Both shift and scale activations to mean 0 and variance 1, then apply a
learned per-feature scale (``weight``, starting at 1) and shift (``bias``,
starting at 0). The math is :func:`chainrule.functional.batch_norm` and
:func:`chainrule.functional.layer_norm`; these layers hold the weights and,
for batch norm, the running statistics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.dtypes import get_default_dtype
from chainrule.errors import DTypeError, ShapeError
from chainrule.functional.normalization import (
    as_normalized_shape,
    batch_norm,
    layer_norm,
)
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor


class BatchNorm1d(Module):
    """Batch normalization of each channel over the batch (and length) axes.

    In training mode each channel ``c`` is normalized with the mean and the
    biased variance of the current batch, ``x̂ = (x - mean) / sqrt(var + eps)``,
    then ``y = weight[c]·x̂ + bias[c]``. The running statistics follow each
    batch, ``running = (1 - momentum)·running + momentum·batch`` (with the
    unbiased variance), and in evaluation mode normalize instead of the
    batch's. As in PyTorch.

    Parameters
    ----------
    num_features
        The number of channels C.
    eps
        Added to the variance (default 1e-5).
    momentum
        Weight of each new batch in the running statistics (default 0.1);
        None keeps a plain average of all batches seen.
    affine
        Learn ``weight`` and ``bias`` (default True).
    track_running_stats
        Keep running statistics (default True). Without them, the batch's
        statistics normalize in evaluation mode too.
    dtype
        Float dtype of the weights and statistics; default: the default dtype.

    Attributes
    ----------
    weight, bias
        Parameters of shape ``(C,)``, initialised to 1 and 0 (or None).
    running_mean, running_var
        Buffers of shape ``(C,)``, initialised to 0 and 1 (or None).
    num_batches_tracked
        Buffer: an int64 count of the training batches seen (or None).

    Shape
    -----
    - Input: ``(N, C)`` or ``(N, C, L)``.
    - Output: the same.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> layer = nn.BatchNorm1d(2)
    >>> layer
    BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    >>> x = cr.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> np.round(layer(x).data, 4)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> layer.running_mean
    tensor([0.2, 2. ])
    >>> layer.eval()(x).shape
    (2, 2)
    """

    weight: Parameter | None
    bias: Parameter | None
    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(
            num_features, (int, np.integer)
        ):
            raise TypeError(
                f"BatchNorm1d: num_features must be an int, got {num_features!r}"
            )
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = _float_dtype("BatchNorm1d", dtype)

        channels = self.num_features
        if affine:
            self.weight = Parameter(np.ones(channels, dtype))
            self.bias = Parameter(np.zeros(channels, dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(channels, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(channels, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Forget the batches seen: running mean 0, variance 1, count 0."""
        if self.running_mean is not None and self.running_var is not None:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
        if self.num_batches_tracked is not None:
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        """Running statistics reset, weight back to 1 and bias to 0."""
        self.reset_running_stats()
        if self.weight is not None and self.bias is not None:
            self.weight.data[...] = 1
            self.bias.data[...] = 0

    def forward(self, x: Any) -> Any:
        shape = np.shape(x)
        if len(shape) not in (2, 3):
            raise ShapeError(
                f"BatchNorm1d: expected a 2-D input (N, C) or a 3-D input "
                f"(N, C, L), got shape {shape}"
            )
        if shape[1] != self.num_features:
            raise ShapeError(
                f"{self!r} got an input of shape {shape}, whose axis 1 should "
                f"have num_features={self.num_features} channels"
            )

        counter = self.num_batches_tracked if self.training else None
        momentum = 0.0
        if counter is not None:
            seen = int(counter.data) + 1
            # NOTE: momentum=None averages every batch equally: the k-th
            # batch gets weight 1/k, as in PyTorch.
            momentum = 1 / seen if self.momentum is None else self.momentum
        uses_running = not self.training or self.track_running_stats
        y = batch_norm(
            x,
            self.running_mean if uses_running else None,
            self.running_var if uses_running else None,
            self.weight,
            self.bias,
            training=self.training or self.running_mean is None,
            momentum=momentum,
            eps=self.eps,
        )
        if counter is not None:
            counter.data += 1
        return y

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class LayerNorm(Module):
    """Layer normalization: each example normalized over its last axes.

    ``y = (x - mean) / sqrt(var + eps) · weight + bias``, with the mean and
    biased variance over the last ``len(normalized_shape)`` axes of each
    example. It needs no batch statistics, so training and evaluation agree.

    Parameters
    ----------
    normalized_shape
        The trailing shape normalized over (an int for the last axis alone).
    eps
        Added to the variance (default 1e-5).
    elementwise_affine
        Learn ``weight`` and ``bias`` of shape ``normalized_shape``
        (default True).
    bias
        With ``elementwise_affine``, learn the bias too (default True).
    dtype
        Float dtype of the weights; default: the default dtype.

    Shape
    -----
    - Input: ``(*, *normalized_shape)``.
    - Output: the same.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> layer = nn.LayerNorm(3)
    >>> layer
    LayerNorm((3,), eps=1e-05, elementwise_affine=True)
    >>> y = layer(cr.tensor([[1.0, 2.0, 3.0], [5.0, 5.0, 8.0]]))
    >>> np.round(y.data.mean(axis=-1), 12), np.round(y.data.std(axis=-1), 4)
    (array([0., 0.]), array([1., 1.]))
    """

    weight: Parameter | None
    bias: Parameter | None

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.normalized_shape = as_normalized_shape(normalized_shape)
        self.eps = float(eps)
        self.elementwise_affine = elementwise_affine
        dtype = _float_dtype("LayerNorm", dtype)

        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Weight back to 1 and bias to 0."""
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def forward(self, x: Any) -> Any:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}"
        )


def _float_dtype(layer: str, dtype: Any) -> np.dtype[Any]:
    resolved = get_default_dtype() if dtype is None else np.dtype(dtype)
    if resolved.kind != "f":
        raise DTypeError(
            f"{layer}: dtype must be a float dtype, got {resolved}; use "
            "np.float32 or np.float64"
        )
    return resolved
