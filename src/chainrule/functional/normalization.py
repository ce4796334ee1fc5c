"""Normalization: shift and scale activations to mean 0 and variance 1.

``batch_norm`` normalizes each channel over the batch (and length) axes,
``layer_norm`` each example over its last axes. Both are built on the op
:func:`chainrule.standardize`, ``(x - mean) / sqrt(var + eps)``, whose
gradient flows through the statistics too and differentiates again, then a
per-feature scale and shift. The variance used to normalize is the biased one
(divide by n), as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.errors import ShapeError
from chainrule.ops.normalization import standardize
from chainrule.ops.shape import reshape
from chainrule.tensor import Tensor


def batch_norm(
    input: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (axis 1) over the batch and any further axes.

    In training (``training=True``) each channel is normalized with the mean
    and biased variance of this batch, ``(x - mean) / sqrt(var + eps)``, and,
    when given, the running statistics are updated in place:
    ``running = (1 - momentum)·running + momentum·batch``, with the unbiased
    variance (divide by n - 1), as in PyTorch. In evaluation the running
    statistics normalize instead. Then ``y = weight·x̂ + bias`` per channel.

    Parameters
    ----------
    input
        ``(N, C)`` or ``(N, C, d1, ...)``.
    running_mean, running_var
        Arrays or Tensors of shape ``(C,)``, or None (then only training
        mode works). They are updated in place; they get no gradient.
    weight, bias
        Optional per-channel scale and shift, shape ``(C,)``.
    training
        Normalize with the batch's statistics (and update the running ones).
    momentum
        Weight of the new batch in the running statistics.
    eps
        Added to the variance, so a constant channel does not divide by 0.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import functional as F
    >>> x = cr.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> mean, var = np.zeros(2), np.ones(2)
    >>> F.batch_norm(x, mean, var, training=True, eps=0.0)
    tensor([[-1., -1.],
            [ 1.,  1.]])
    >>> mean, var
    (array([0.2, 2. ]), array([ 1.1, 20.9]))
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 2:
        raise ShapeError(
            f"batch_norm: got an input of shape {x.shape}, but it needs a "
            "batch axis and a channel axis: (N, C) or (N, C, L, ...)"
        )
    channels = x.shape[1]
    mean_array = _channel_array("running_mean", running_mean, channels, x)
    var_array = _channel_array("running_var", running_var, channels, x)
    _check_channel_tensor("weight", weight, channels, x)
    _check_channel_tensor("bias", bias, channels, x)
    axes = (0, *range(2, x.ndim))

    if training:
        count = x.size // channels if channels else 0
        # NOTE: one value per channel has variance 0, so every output would
        # be the bias and the unbiased running variance 0/0. PyTorch refuses
        # it too; it returns an empty output for an empty batch, which
        # chainrule refuses as well, since it estimates nothing either.
        if count <= 1:
            raise ShapeError(
                f"batch_norm: expected more than 1 value per channel when "
                f"training, got an input of shape {x.shape} ({count} per "
                "channel), too few to estimate a variance; use batches of 2 "
                "or more (DataLoader(..., drop_last=True) drops a short last "
                "batch), or evaluation mode (running statistics)"
            )
        if mean_array is not None:
            mean_array *= 1 - momentum
            mean_array += momentum * x.data.mean(axis=axes)
        if var_array is not None:
            # NOTE: the running variance estimates the population's, so it
            # takes the unbiased batch variance (divide by n - 1), while the
            # batch is normalized with the biased one; as PyTorch does.
            var_array *= 1 - momentum
            var_array += momentum * x.data.var(axis=axes, ddof=1)
        y = standardize(x, axes, eps)
    else:
        if mean_array is None or var_array is None:
            raise ValueError(
                "batch_norm: evaluation (training=False) normalizes with "
                "running_mean and running_var, but they were not given; pass "
                "them, or training=True to use the batch's statistics"
            )
        shape = (channels,) + (1,) * (x.ndim - 2)
        inverse_std = 1 / np.sqrt(var_array.reshape(shape) + eps)
        y = (x - mean_array.reshape(shape)) * inverse_std.astype(x.dtype, copy=False)

    if x.ndim > 2:
        per_channel = (channels,) + (1,) * (x.ndim - 2)
        weight = None if weight is None else reshape(weight, per_channel)
        bias = None if bias is None else reshape(bias, per_channel)
    return _affine(y, weight, bias)


def layer_norm(
    input: Any,
    normalized_shape: int | tuple[int, ...],
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each example over its last axes, those of ``normalized_shape``.

    ``y = (x - mean) / sqrt(var + eps) · weight + bias``, where mean and
    (biased) var are taken over the last ``len(normalized_shape)`` axes; the
    same in training and evaluation.

    Parameters
    ----------
    input
        ``(*, *normalized_shape)``.
    normalized_shape
        The trailing shape to normalize over (an int for the last axis).
    weight, bias
        Optional elementwise scale and shift of shape ``normalized_shape``.
    eps
        Added to the variance, so a constant example does not divide by 0.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import functional as F
    >>> F.layer_norm(cr.tensor([[1.0, 3.0], [0.0, -4.0]]), 2, eps=0.0)
    tensor([[-1.,  1.],
            [ 1., -1.]])
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    shape = as_normalized_shape(normalized_shape)
    count = len(shape)
    if x.shape[x.ndim - count :] != shape or x.ndim < count:
        raise ShapeError(
            f"layer_norm: normalized_shape={shape} must be the last axes of the "
            f"input, but the input has shape {x.shape}; reshape the input, or "
            "make the layer with the input's trailing shape"
        )
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and np.shape(value) != shape:
            raise ShapeError(
                f"layer_norm: {name} of shape {np.shape(value)} must have the "
                f"normalized shape {shape}"
            )
    axes = tuple(range(x.ndim - count, x.ndim))

    return _affine(standardize(x, axes, eps), weight, bias)


def _affine(y: Tensor, weight: Any, bias: Any) -> Tensor:
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def as_normalized_shape(value: Any) -> tuple[int, ...]:
    """An int or a sequence of ints as a shape tuple, checked."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    shape = tuple(value) if isinstance(value, (tuple, list)) else None
    if shape is None or any(
        isinstance(n, bool) or not isinstance(n, (int, np.integer)) for n in shape
    ):
        raise TypeError(
            f"layer_norm: normalized_shape must be an int or a tuple of ints, "
            f"got {value!r}"
        )
    return tuple(int(n) for n in shape)


def _channel_array(name: str, value: Any, channels: int, x: Tensor) -> Any:
    """The array behind a running statistic (updated in place), or None."""
    if value is None:
        return None
    array = value.data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray) or array.shape != (channels,):
        raise ShapeError(
            f"batch_norm: {name} must be an array of shape ({channels},), one "
            f"value per channel of the input of shape {x.shape}; got "
            f"{type(value).__name__} of shape {np.shape(value)}"
        )
    return array


def _check_channel_tensor(name: str, value: Any, channels: int, x: Tensor) -> None:
    if value is not None and np.shape(value) != (channels,):
        raise ShapeError(
            f"batch_norm: {name} of shape {np.shape(value)} must have shape "
            f"({channels},), one value per channel of the input of shape {x.shape}"
        )
