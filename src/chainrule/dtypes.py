"""The dtype rules, in one place.

- A NumPy array keeps its dtype: ``tensor(np.ones(3, np.float32))`` is float32.
- Python lists and scalars of floats take the default float dtype, float64
  unless changed with :func:`set_default_dtype`. Integers become int64, bools
  bool, as in NumPy.
- Operations promote as NumPy 2 does (NEP 50): a Python scalar never upcasts a
  tensor (``float32_tensor * 2.0`` stays float32), while a NumPy array or a
  NumPy scalar of a wider type does (``float32_tensor * np.float64(2)`` is
  float64).
- Only floating-point tensors can require gradients. A gradient always has the
  dtype of the tensor it belongs to, even when the op computed in a wider type.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.errors import DTypeError

_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))

_default_float = np.dtype(np.float64)


def get_default_dtype() -> np.dtype[Any]:
    """Return the dtype given to float lists and scalars (float64 by default)."""
    return _default_float


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype given to float lists, scalars and the constructors.

    Parameters
    ----------
    dtype
        ``np.float16``, ``np.float32`` or ``np.float64`` (or their names).

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> cr.set_default_dtype(np.float32)
    >>> cr.tensor([1.0, 2.0]).dtype
    dtype('float32')
    >>> cr.set_default_dtype(np.float64)
    """
    global _default_float

    resolved = np.dtype(dtype)
    if resolved not in _FLOAT_DTYPES:
        raise DTypeError(
            f"set_default_dtype: got {resolved}; the default dtype must be one "
            "of np.float16, np.float32 or np.float64"
        )
    _default_float = resolved


def is_differentiable_dtype(dtype: np.dtype[Any]) -> bool:
    """True for the dtypes that can carry gradients (floating point)."""
    return dtype.kind == "f"
