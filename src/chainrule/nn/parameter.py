"""``Parameter``: a tensor that is a weight of a module.

A Parameter is an ordinary leaf Tensor with one difference: assigning it as an
attribute of a :class:`~chainrule.nn.Module` registers it, so it shows up in
``parameters()`` (what an optimizer updates) and in ``state_dict()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.errors import DTypeError
from chainrule.tensor import Tensor, as_array


class Parameter(Tensor):
    """A weight: a leaf tensor that modules register when it is assigned.

    Parameters
    ----------
    data
        An array, a nested list, a scalar or a Tensor. It is copied, as
        :func:`chainrule.tensor` does, so updating the weight never writes
        into the caller's array. Arrays keep their float dtype; lists and
        scalars of floats take the default dtype (float64).
    requires_grad
        Whether ``backward()`` computes this weight's gradient (default True).
        ``False`` freezes it.

    Operations on a Parameter return plain Tensors: only the weight itself is
    a Parameter, never a value computed from it.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> w = nn.Parameter([1.0, -2.0])
    >>> w
    Parameter containing:
    tensor([ 1., -2.], requires_grad=True)
    >>> type(w * 2).__name__
    'Tensor'
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        array = np.array(as_array(data), copy=True)
        # NOTE: a weight is floating point even when frozen: integer state
        # (a step counter, class indices) belongs in a buffer.
        if array.dtype.kind != "f":
            raise DTypeError(
                f"nn.Parameter: got data of dtype {array.dtype}, but parameters "
                "must be floating point; pass floats (e.g. [1.0, 2.0]) or "
                "convert with np.asarray(data, dtype=np.float64). For integer "
                "state use Module.register_buffer"
            )
        super().__init__(array, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
