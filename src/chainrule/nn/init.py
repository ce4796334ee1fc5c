"""Weight initialisation: fill a tensor in place with well-scaled random values.

Why the scale matters: a layer ``y = W x`` with n = fan_in inputs and weights
drawn with mean 0 and variance σ² gives outputs of variance
``n · σ² · E[x²]``. Drawn too large, values grow by that factor at every
layer; too small, they shrink, and so do the gradients flowing back. Good
initialisation keeps the values reaching the next layer around magnitude 1,
layer after layer:

- **Xavier (Glorot)** takes σ² = 2 / (fan_in + fan_out): a compromise that
  keeps the variance of the activations (forward, which wants 1/fan_in) and
  of the gradients (backward, which wants 1/fan_out) roughly constant from
  layer to layer. It assumes an activation that is close to the identity
  near 0: linear, tanh.
- **Kaiming (He)** takes σ² = 2 / fan_in: ReLU zeroes half of its inputs and
  so halves their mean square, and the factor 2 gives it back. It keeps the
  activations' magnitude constant through ReLU layers (``mode="fan_in"``), or
  the gradients' (``mode="fan_out"``).
- :func:`calculate_gain` is that correction factor for each nonlinearity, on
  the standard deviation (√2 for relu, 5/3 for tanh).

A uniform distribution on [-a, a] has variance a²/3, so the uniform variants
draw with bound a = √3 · std.

Every function writes into ``tensor.data`` in place (outside the graph, so
no gradient is recorded), and returns the tensor. Random ones draw from
``generator`` (a ``numpy.random.Generator``), by default
``cr.default_generator()``, which ``cr.manual_seed`` reseeds. A tensor with no
elements is returned unchanged.

>>> import numpy as np
>>> from chainrule import nn
>>> layer = nn.Linear(256, 128)
>>> w = nn.init.kaiming_normal_(layer.weight, generator=np.random.default_rng(0))
>>> w is layer.weight, round(float(w.data.std() * np.sqrt(256 / 2)), 1)
(True, 1.0)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.autograd.inplace import note_write
from chainrule.creation import default_generator
from chainrule.errors import DTypeError
from chainrule.tensor import Tensor

_LINEAR = (
    "linear",
    "identity",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
_NONLINEARITIES = (*_LINEAR, "tanh", "relu", "leaky_relu", "selu", "gelu", "elu")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor on a weight's standard deviation that suits ``nonlinearity``.

    A nonlinearity shrinks the values passing through it; the gain makes up
    for it so that the next layer again sees values of magnitude about 1.

    ============================  ===============================
    nonlinearity                  gain
    ============================  ===============================
    linear, identity, conv*,      1
    sigmoid
    tanh                          5/3
    relu                          √2
    leaky_relu                    √(2 / (1 + negative_slope²))
    selu                          3/4
    gelu                          1 / √(1/3 + 1/(2π√3)) ≈ 1.5335
    elu                           1 / √E[elu(z)²] ≈ 1.2452 (alpha 1)
    ============================  ===============================

    PyTorch's table stops at selu. The gains of gelu and elu follow
    Kaiming's criterion, which also gives relu's √2 and leaky_relu's value:
    gain = 1 / √E[f(z)²] for z ~ N(0, 1), so that weights of variance
    gain² / fan_in keep the next layer's pre-activations at variance 1.

    Parameters
    ----------
    nonlinearity
        The name, as in the table (the function names of ``chainrule.nn``
        in lower case).
    param
        For ``leaky_relu``: its negative slope (default 0.01); for ``elu``:
        its alpha (default 1.0).

    Examples
    --------
    >>> from chainrule import nn
    >>> round(nn.init.calculate_gain("relu") ** 2, 12)
    2.0
    >>> nn.init.calculate_gain("leaky_relu", 1.0)
    1.0
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = _gain_param(param, 0.01, "the negative slope of leaky_relu")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        # NOTE: 3/4, as PyTorch chose it, which makes SELU networks train
        # more stably than the self-normalizing value 1 (with kaiming_normal_
        # and mode="fan_in", gain 1 gives LeCun's initialisation).
        return 3.0 / 4
    if nonlinearity == "gelu":
        # NOTE: E[gelu(z)²] = E[z² Φ(z)²] = 1/3 + 1/(2π√3) for the exact
        # GELU; its tanh approximation's gain differs in the fifth digit.
        return 1.0 / math.sqrt(1.0 / 3 + 1.0 / (2 * math.pi * math.sqrt(3.0)))
    if nonlinearity == "elu":
        alpha = _gain_param(param, 1.0, "the alpha of elu")
        # NOTE: E[e^(tz); z < 0] = e^(t²/2) P(z < -t) gives, over z < 0,
        # E[alpha² (e^z - 1)²] = alpha² (e² P(z < -2) - 2 √e P(z < -1) + 1/2);
        # z > 0 adds 1/2.
        negative = (
            math.e**2 * _normal_below(-2.0)
            - 2 * math.sqrt(math.e) * _normal_below(-1.0)
            + 0.5
        )
        return 1.0 / math.sqrt(0.5 + alpha**2 * negative)
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
        + ", ".join(map(repr, _NONLINEARITIES))
    )


def _normal_below(x: float) -> float:
    """P(z < x) for z ~ N(0, 1)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _gain_param(param: Any, default: float, meaning: str) -> float:
    value = default if param is None else param
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"calculate_gain: param is {meaning} and must be a number, got {param!r}"
        )
    return float(value)


def calculate_fan_in_and_fan_out(tensor: Any) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight: how many inputs feed each output, and
    how many outputs each input feeds.

    For a Linear weight of shape ``(out_features, in_features)`` they are
    ``in_features`` and ``out_features``. A convolution weight
    ``(out_channels, in_channels, *kernel)`` multiplies both by the kernel's
    size.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.init.calculate_fan_in_and_fan_out(cr.zeros(20, 10))
    (10, 20)
    >>> nn.init.calculate_fan_in_and_fan_out(cr.zeros(8, 3, 5, 5))
    (75, 200)
    """
    shape = np.shape(tensor.data if isinstance(tensor, Tensor) else tensor)
    if len(shape) < 2:
        raise ValueError(
            f"calculate_fan_in_and_fan_out: a tensor of shape {shape} has no "
            "fan-in and fan-out; they need at least 2 axes, (out_features, "
            "in_features, ...). Initialise a bias with uniform_, normal_ or "
            "zeros_ instead"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def uniform_(
    tensor: Any,
    a: float = 0.0,
    b: float = 1.0,
    *,
    generator: np.random.Generator | None = None,
) -> Any:
    """Fill ``tensor`` with draws from the uniform distribution U(a, b).

    Its standard deviation is (b - a)/√12: choose the bounds to suit the
    layer (:func:`xavier_uniform_` and :func:`kaiming_uniform_` do).

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> rng = np.random.default_rng(0)
    >>> w = nn.init.uniform_(cr.zeros(1000), -2.0, 2.0, generator=rng)
    >>> bool(w.data.min() >= -2.0 and w.data.max() < 2.0)
    True
    """
    array = _random_target("uniform_", tensor)
    if array.size:
        array[...] = _rng(generator).uniform(a, b, array.shape)
    return tensor


def normal_(
    tensor: Any,
    mean: float = 0.0,
    std: float = 1.0,
    *,
    generator: np.random.Generator | None = None,
) -> Any:
    """Fill ``tensor`` with draws from the normal distribution N(mean, std²).

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> rng = np.random.default_rng(0)
    >>> w = nn.init.normal_(cr.zeros(10000), std=0.1, generator=rng)
    >>> round(float(w.data.std()), 2)
    0.1
    """
    array = _random_target("normal_", tensor)
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    if array.size:
        array[...] = _rng(generator).normal(mean, std, array.shape)
    return tensor


def constant_(tensor: Any, val: float) -> Any:
    """Fill ``tensor`` with ``val``.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.init.constant_(cr.zeros(3), 0.5)
    tensor([0.5, 0.5, 0.5])
    """
    _target("constant_", tensor)[...] = val
    return tensor


def zeros_(tensor: Any) -> Any:
    """Fill ``tensor`` with 0 (the usual start of a bias)."""
    return constant_(tensor, 0)


def ones_(tensor: Any) -> Any:
    """Fill ``tensor`` with 1 (the usual start of a normalization's scale)."""
    return constant_(tensor, 1)


def xavier_uniform_(
    tensor: Any, gain: float = 1.0, *, generator: np.random.Generator | None = None
) -> Any:
    """Xavier (Glorot) uniform: U(-a, a) with a = gain·√(6 / (fan_in + fan_out)).

    The variance 2/(fan_in + fan_out) (times gain²) keeps both the forward
    activations and the backward gradients near magnitude 1 through layers
    whose activation is about linear near 0: use it with linear and tanh
    layers (gain ``calculate_gain("tanh")`` for tanh).

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> rng = np.random.default_rng(0)
    >>> w = nn.init.xavier_uniform_(cr.zeros(30, 70), generator=rng)
    >>> bool(np.abs(w.data).max() <= np.sqrt(6 / 100))
    True
    """
    array = _random_target("xavier_uniform_", tensor)
    if array.size:
        bound = math.sqrt(3.0) * _xavier_std(array, gain)
        array[...] = _rng(generator).uniform(-bound, bound, array.shape)
    return tensor


def xavier_normal_(
    tensor: Any, gain: float = 1.0, *, generator: np.random.Generator | None = None
) -> Any:
    """Xavier (Glorot) normal: N(0, std²) with std = gain·√(2 / (fan_in + fan_out)).

    Keeps forward activations and backward gradients near magnitude 1
    through linear and tanh layers; see :func:`xavier_uniform_`.
    """
    array = _random_target("xavier_normal_", tensor)
    if array.size:
        array[...] = _rng(generator).normal(0.0, _xavier_std(array, gain), array.shape)
    return tensor


def kaiming_uniform_(
    tensor: Any,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    generator: np.random.Generator | None = None,
) -> Any:
    """Kaiming (He) uniform: U(-b, b) with b = gain·√(3 / fan).

    With the default gain √2 (``leaky_relu`` of slope ``a = 0``, i.e. relu)
    the weights have variance 2/fan: ReLU halves the mean square of what
    passes through it, and the 2 restores it, so activations
    (``mode="fan_in"``) or gradients (``mode="fan_out"``) keep magnitude
    about 1 however many ReLU layers are stacked.

    Parameters
    ----------
    tensor
        A weight with at least 2 axes.
    a
        The negative slope of the leaky_relu that follows (0 for relu).
    mode
        ``"fan_in"`` (default) keeps the forward activations' magnitude,
        ``"fan_out"`` the backward gradients'.
    nonlinearity
        The activation after the layer, any name :func:`calculate_gain`
        knows: ``"relu"`` or ``"leaky_relu"`` (default) usually.
    generator
        Where to draw from; default ``cr.default_generator()``.
    """
    array = _random_target("kaiming_uniform_", tensor)
    if array.size:
        bound = math.sqrt(3.0) * _kaiming_std(
            "kaiming_uniform_", array, a, mode, nonlinearity
        )
        array[...] = _rng(generator).uniform(-bound, bound, array.shape)
    return tensor


def kaiming_normal_(
    tensor: Any,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    generator: np.random.Generator | None = None,
) -> Any:
    """Kaiming (He) normal: N(0, std²) with std = gain / √fan.

    Variance 2/fan with the default gain (relu): keeps activations
    (``mode="fan_in"``) or gradients (``mode="fan_out"``) near magnitude 1
    through ReLU layers; see :func:`kaiming_uniform_` for the parameters.
    """
    array = _random_target("kaiming_normal_", tensor)
    if array.size:
        std = _kaiming_std("kaiming_normal_", array, a, mode, nonlinearity)
        array[...] = _rng(generator).normal(0.0, std, array.shape)
    return tensor


# --- helpers -----------------------------------------------------------------------


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return generator if generator is not None else default_generator()


def _target(op: str, tensor: Any) -> np.ndarray:
    """The array to fill in place: a Tensor's data, or an ndarray itself."""
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"nn.init.{op}: expected a Tensor (e.g. layer.weight) or an ndarray "
            f"to fill in place, got {type(tensor).__name__}"
        )
    if not array.flags.writeable:
        raise ValueError(
            f"nn.init.{op}: the array of shape {array.shape} is read-only (a "
            "broadcast view?); initialise a tensor that owns its data"
        )
    note_write(array)  # about to be: a graph that saved it must not use it
    return array


def _random_target(op: str, tensor: Any) -> np.ndarray:
    array = _target(op, tensor)
    if array.dtype.kind != "f":
        raise DTypeError(
            f"nn.init.{op}: random values need a float tensor, got dtype "
            f"{array.dtype}; weights are float (np.float32 or np.float64)"
        )
    return array


def _xavier_std(array: np.ndarray, gain: float) -> float:
    fan_in, fan_out = calculate_fan_in_and_fan_out(array)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def _kaiming_std(
    op: str, array: np.ndarray, a: float, mode: str, nonlinearity: str
) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(
            f"nn.init.{op}: mode must be 'fan_in' (keep the activations' "
            f"magnitude) or 'fan_out' (keep the gradients'), got {mode!r}"
        )
    fan_in, fan_out = calculate_fan_in_and_fan_out(array)
    fan = fan_in if mode == "fan_in" else fan_out
    # NOTE: ``a`` is leaky_relu's slope only, as documented; passed on to
    # every nonlinearity (as PyTorch does, where the others ignore it) its
    # default 0 would be elu's alpha.
    param = a if nonlinearity == "leaky_relu" else None
    return calculate_gain(nonlinearity, param) / math.sqrt(fan)
