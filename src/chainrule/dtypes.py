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


# PyTorch's device types, so that ``t.to("cuda")`` is read as a device (and
# refused by name) rather than as a dtype NumPy does not understand.
_DEVICE_TYPES = frozenset({"cpu", "cuda", "mps", "xpu", "xla", "meta", "hip"})


def to_dtype(where: str, args: tuple[Any, ...], dtype: Any, device: Any) -> Any:
    """The dtype asked for by PyTorch's ``.to(...)`` arguments, or None for none.

    Takes ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
    ``to(other)`` (an array or tensor, for its dtype) and the keywords. The
    only device is the CPU: any other raises NotImplementedError.

    Examples
    --------
    >>> import numpy as np
    >>> to_dtype("Tensor.to", ("cpu", np.float32), None, None)
    dtype('float32')
    >>> to_dtype("Tensor.to", ("cpu",), None, None) is None
    True
    """
    if len(args) > 2:
        raise TypeError(
            f"{where}: takes at most a device and a dtype, got {len(args)} arguments"
        )
    dtypes = [] if dtype is None else [np.dtype(dtype)]
    devices = [] if device is None else [device]
    for arg in args:
        if isinstance(arg, (str, int)) and _is_device(arg):
            devices.append(arg)
        elif isinstance(getattr(arg, "dtype", None), np.dtype):
            dtypes.append(arg.dtype)  # an array or a tensor: its dtype
        else:
            try:
                dtypes.append(np.dtype(arg))
            except TypeError:
                raise TypeError(
                    f"{where}: cannot read {arg!r} as a dtype or a device; pass "
                    "a NumPy dtype (np.float32, np.float64) or 'cpu'"
                ) from None
    if len(dtypes) > 1 or len(devices) > 1:
        raise TypeError(f"{where}: got more than one dtype or device: {args!r}")
    for name in devices:
        _check_cpu(where, name)
    return dtypes[0] if dtypes else None


def _is_device(arg: str | int) -> bool:
    if isinstance(arg, bool):
        return False
    return isinstance(arg, int) or arg.split(":")[0] in _DEVICE_TYPES


def _check_cpu(where: str, device: Any) -> None:
    if isinstance(device, str) and device.split(":")[0] == "cpu":
        return
    if not isinstance(device, (str, int)) or isinstance(device, bool):
        raise TypeError(
            f"{where}: device must be a string such as 'cpu', got {device!r}"
        )
    raise NotImplementedError(
        f"{where}: device {device!r} is not available: chainrule runs on NumPy "
        "on the CPU, with no GPU or other devices; drop the device argument "
        "(or pass 'cpu')"
    )
