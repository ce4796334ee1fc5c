"""Making tensors: from data, filled with a constant, ranges and random numbers.

Float results take the default dtype (float64; see ``set_default_dtype``)
unless ``dtype`` is given. Random constructors draw from a
``numpy.random.Generator``: pass ``generator=`` for reproducible streams, or
seed the module's own with :func:`manual_seed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule.dtypes import get_default_dtype
from chainrule.errors import ArgumentError, ShapeError
from chainrule.ops._common import whole_numbers
from chainrule.tensor import Tensor, as_array

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator that random constructors use by default."""
    global _generator

    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator random constructors use when none is passed."""
    return _generator


def tensor(
    data: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None
) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Arrays keep their dtype, float lists and scalars take the default dtype,
    ints become int64. The copy means later changes to the tensor (an
    optimizer step, say) never write into the caller's array; use
    :func:`from_numpy` to share memory instead.

    Examples
    --------
    >>> import chainrule as cr
    >>> cr.tensor([[1.0, 2.0], [3.0, 4.0]]).shape
    (2, 2)
    >>> cr.tensor([1, 2]).dtype
    dtype('int64')
    """
    array = np.array(as_array(data, dtype), copy=True)
    return Tensor(array, requires_grad=requires_grad, name=name)


def from_numpy(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A tensor sharing memory with ``array`` (no copy): writes show in both."""
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}; "
            "use cr.tensor() for lists and scalars"
        )
    return Tensor(array, requires_grad=requires_grad)


def _shape(args: tuple[Any, ...], where: str) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` as a shape, or a ShapeError naming ``f``."""
    sizes = args[0] if len(args) == 1 and isinstance(args[0], Sequence) else args
    return check_shape(sizes, where)


def check_shape(sizes: Any, where: str) -> tuple[int, ...]:
    """A tuple of non-negative ints, or a ShapeError that says what is wrong."""
    shape = whole_numbers(sizes)
    if shape is None:
        raise ShapeError(
            f"{where}: the shape must be whole numbers, e.g. {where}(2, 3) or "
            f"{where}((2, 3)); got {sizes!r}"
        )
    if any(n < 0 for n in shape):
        raise ShapeError(f"{where}: a shape has no negative sizes; got {shape}")
    return shape


def _float(dtype: Any) -> np.dtype[Any]:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return Tensor(np.zeros(_shape(shape, "zeros"), _float(dtype)), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return Tensor(np.ones(_shape(shape, "ones"), _float(dtype)), requires_grad)


def full(
    shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``.

    The dtype follows the value (float value: default dtype; int: int64)
    unless ``dtype`` is given.
    """
    shape = check_shape(shape, "full")
    if getattr(fill_value, "_requires_grad", False):
        raise TypeError(
            "full: fill_value is a Tensor that requires grad, and the new "
            "tensor would not be connected to it; use "
            "cr.ones(shape) * fill_value to keep the gradient"
        )
    value = as_array(fill_value)
    return Tensor(np.full(shape, value, dtype=dtype or value.dtype), requires_grad)


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of the shape (and dtype, unless given) of ``x``."""
    data = as_array(x)
    return Tensor(np.zeros(data.shape, dtype or data.dtype), requires_grad)


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of the shape (and dtype, unless given) of ``x``."""
    data = as_array(x)
    return Tensor(np.ones(data.shape, dtype or data.dtype), requires_grad)


def arange(
    start: float,
    stop: float | None = None,
    step: float = 1,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Evenly spaced values in ``[start, stop)``, as ``np.arange``.

    All-integer arguments give int64; any float argument gives the default
    float dtype.
    """
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ArgumentError("arange: step is 0, so the range would never end")
    values = np.arange(start, stop, step)
    if dtype is not None:
        values = values.astype(dtype)
    elif values.dtype.kind == "f":
        values = values.astype(get_default_dtype())
    return Tensor(values, requires_grad)


def eye(
    n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """An ``n`` x ``m`` identity matrix (square when ``m`` is None)."""
    n, m = check_shape((n, n if m is None else m), "eye")
    return Tensor(np.eye(n, m, dtype=_float(dtype)), requires_grad)


def randn(
    *shape: Any,
    generator: np.random.Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of the standard normal distribution.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> a = cr.randn(2, 3, generator=np.random.default_rng(0))
    >>> b = cr.randn(2, 3, generator=np.random.default_rng(0))
    >>> bool((a == b).all())
    True
    """
    rng = _rng(generator, "randn")
    dtype = _float(dtype)
    values = rng.standard_normal(_shape(shape, "randn"))
    return Tensor(values.astype(dtype), requires_grad)


def rand(
    *shape: Any,
    generator: np.random.Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of the uniform distribution on ``[0, 1)``."""
    rng = _rng(generator, "rand")
    dtype = _float(dtype)
    return Tensor(rng.random(_shape(shape, "rand")).astype(dtype), requires_grad)


def _rng(generator: Any, where: str) -> np.random.Generator:
    if generator is None:
        return _generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"{where}: generator must be a numpy.random.Generator, got "
            f"{type(generator).__name__}; use np.random.default_rng({generator!r})"
            if isinstance(generator, int)
            else f"{where}: generator must be a numpy.random.Generator, got "
            f"{type(generator).__name__}"
        )
    return generator
