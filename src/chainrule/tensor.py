"""The Tensor: a NumPy array that remembers how it was made.

A Tensor holds its value in ``.data`` (a ``numpy.ndarray``). When it
``requires_grad``, every operation on it records a node in the computational
graph, and ``backward()`` fills ``.grad`` of the leaves: the weight gradients
and data gradients of the source text.

Tensors quack like arrays: the operators, the array methods that backward rules
use (``sum``, ``reshape``, ``transpose``, ...) and NumPy's own functions
(``np.exp(t)``, ``np.sum(t, axis=0)``) all return Tensors and keep gradients
flowing. See ``chainrule.numpy_api`` for what NumPy functions dispatch to.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from chainrule.autograd import function as _function
from chainrule.autograd.api import seed_gradient
from chainrule.autograd.engine import run_backward
from chainrule.dtypes import get_default_dtype, is_differentiable_dtype
from chainrule.errors import BackwardError, DTypeError, ShapeError

Axis = int | tuple[int, ...] | None


class Tensor:
    """An n-dimensional array with automatic differentiation.

    Parameters
    ----------
    data
        An array, a nested list or a scalar. Arrays keep their dtype; lists
        and scalars of floats take the default dtype (float64). The data is
        used as given, not copied (use :func:`chainrule.tensor` for a copy).
    requires_grad
        Record operations on this tensor so ``backward()`` can compute its
        gradient. Only floating-point tensors can require grad.
    name
        An optional label shown in ``repr`` and in drawings of the graph.

    Examples
    --------
    >>> import chainrule as cr
    >>> w = cr.Tensor([1.0, 2.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> w.grad
    tensor([2., 4.])
    """

    __slots__ = (
        "__weakref__",
        "_index",
        "_node",
        "_retains_grad",
        "data",
        "grad",
        "name",
        "requires_grad",
    )

    data: np.ndarray
    grad: Tensor | None
    requires_grad: bool
    name: str | None
    _node: Any
    _index: int
    _retains_grad: bool

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        *,
        name: str | None = None,
    ) -> None:
        self.data = as_array(data)
        self.grad = None
        self._node = None
        self._index = 0
        self._retains_grad = False
        self.name = name
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # --- what it is ----------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by a recorded op."""
        return self._node is None

    @property
    def grad_fn(self) -> Any:
        """The node (a ``Function``) that made this tensor, or None for a leaf."""
        return self._node

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.data.dtype != get_default_dtype() and self.data.dtype.kind == "f":
            extras.append(f"dtype={self.data.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn={self._node!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        tail = "".join(", " + e for e in extras)
        return f"tensor({body}{tail})"

    # --- conversion ------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied); gradients stop here."""
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(
                f"item(): tensor of shape {self.data.shape} has {self.data.size} "
                "elements; only a one-element tensor converts to a Python "
                "number (reduce it first, e.g. .sum())"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.data.shape} is "
                "ambiguous; use .any() or .all()"
            )
        return bool(self.data)

    __hash__ = object.__hash__

    # --- the graph -------------------------------------------------------------

    def detach(self) -> Tensor:
        """A new tensor sharing this data, cut from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only) and return self."""
        if requires_grad and not is_differentiable_dtype(self.data.dtype):
            raise DTypeError(
                f"only floating-point tensors can require grad, but this one "
                f"has dtype {self.data.dtype}; convert it first, e.g. "
                "cr.tensor(data, dtype=np.float64, requires_grad=True)"
            )
        if not requires_grad and self._node is not None:
            raise BackwardError(
                "requires_grad_(False) on a tensor made by a recorded op; use "
                ".detach() to get a tensor cut from the graph"
            )
        self.requires_grad = requires_grad
        return self

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool = False,
        create_graph: bool = False,
    ) -> None:
        """Compute the gradient of this tensor with respect to the graph's leaves.

        The gradients are added into ``.grad`` of every leaf that requires
        grad: call ``zero_grad()`` (or set ``.grad = None``) between steps.

        Parameters
        ----------
        gradient
            The gradient of some scalar with respect to this tensor. Needed
            unless this tensor has one element (then it is 1).
        retain_graph
            Keep the saved values so backward can run through this graph
            again. Implied by ``create_graph``.
        create_graph
            Record the backward pass itself, so the gradients can be
            differentiated again (higher-order derivatives).
        """
        seed = seed_gradient(self, gradient, create_graph, "backward()")
        run_backward([self], [seed], retain_graph or create_graph, create_graph)

    # --- arithmetic --------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return _arithmetic.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _arithmetic.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _arithmetic.subtract(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _arithmetic.subtract(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _arithmetic.multiply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _arithmetic.multiply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _arithmetic.divide(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _arithmetic.divide(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _arithmetic.power(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _arithmetic.power(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _arithmetic.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _arithmetic.matmul(other, self)

    def __neg__(self) -> Tensor:
        return _arithmetic.negative(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _elementwise.abs(self)

    # Comparisons give bool tensors; they have no gradient.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < _value(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= _value(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > _value(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= _value(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data == _value(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data != _value(other))

    # --- elementwise functions -----------------------------------------------------

    def exp(self) -> Tensor:
        return _elementwise.exp(self)

    def log(self) -> Tensor:
        return _elementwise.log(self)

    def sqrt(self) -> Tensor:
        return _elementwise.sqrt(self)

    def abs(self) -> Tensor:
        return _elementwise.abs(self)

    def sin(self) -> Tensor:
        return _elementwise.sin(self)

    def cos(self) -> Tensor:
        return _elementwise.cos(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        return _elementwise.clip(self, min, max)

    def astype(self, dtype: Any) -> Tensor:
        return _elementwise.astype(self, dtype)

    def sigmoid(self) -> Tensor:
        return _activation.sigmoid(self)

    def tanh(self) -> Tensor:
        return _activation.tanh(self)

    def relu(self) -> Tensor:
        return _activation.relu(self)

    def softmax(self, axis: int = -1) -> Tensor:
        return _activation.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return _activation.log_softmax(self, axis)

    # --- reductions -------------------------------------------------------------

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return _reduction.sum(self, axis, keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return _reduction.mean(self, axis, keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return _reduction.max(self, axis, keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return _reduction.min(self, axis, keepdims)

    def var(self, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        return _reduction.var(self, axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        return _reduction.std(self, axis, ddof=ddof, keepdims=keepdims)

    def logsumexp(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return _reduction.logsumexp(self, axis, keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return _reduction.argmax(self, axis, keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return _reduction.argmin(self, axis, keepdims)

    def any(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return Tensor(self.data.any(axis=axis, keepdims=keepdims))

    def all(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return Tensor(self.data.all(axis=axis, keepdims=keepdims))

    # --- shape -------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        return _shape.reshape(self, _shape_args(shape))

    def view(self, *shape: Any) -> Tensor:
        return _shape.reshape(self, _shape_args(shape))

    def transpose(self, *axes: Any) -> Tensor:
        return _shape.transpose(self, _shape_args(axes) if axes else None)

    def permute(self, *axes: Any) -> Tensor:
        return _shape.transpose(self, _shape_args(axes))

    @property
    def T(self) -> Tensor:
        """The axes reversed, as ``ndarray.T``."""
        return _shape.transpose(self, None)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return _shape.swapaxes(self, axis1, axis2)

    def squeeze(self, axis: Axis = None) -> Tensor:
        return _shape.squeeze(self, axis)

    def unsqueeze(self, axis: int) -> Tensor:
        return _shape.unsqueeze(self, axis)

    def expand(self, *shape: Any) -> Tensor:
        return _shape.expand(self, *shape)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return _shape.broadcast_to(self, tuple(shape))

    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        return _shape.flatten(self, start_axis, end_axis)

    def __getitem__(self, index: Any) -> Tensor:
        return _indexing.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            "tensors do not support item assignment: an in-place write would "
            "corrupt values saved for backward. Build the result with "
            "cr.where(mask, new, old) or cr.concatenate, or write to .data "
            "outside the graph (e.g. under no_grad when initialising weights)"
        )

    # --- NumPy's dispatch protocols ---------------------------------------------

    def __array_ufunc__(
        self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any
    ) -> Any:
        return _numpy_api.dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(
        self, func: Any, types: Any, args: Any, kwargs: dict[str, Any]
    ) -> Any:
        return _numpy_api.dispatch_function(func, args, kwargs)


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Turn user data into an array under the dtype rules (see ``dtypes``)."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        return data if dtype is None else data.astype(dtype, copy=False)
    array = np.asarray(data, dtype=dtype)
    if dtype is None and array.dtype == np.float64:
        # Python floats (and lists of them) take the default float dtype.
        default = get_default_dtype()
        if default != array.dtype and not isinstance(data, np.generic):
            array = array.astype(default)
    if array.dtype == object:
        raise DTypeError(
            f"cannot make a tensor from {type(data).__name__}: NumPy sees "
            "objects, not numbers (ragged nested lists, or Tensors inside a "
            "list: use cr.stack for those)"
        )
    return array


def _value(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _shape_args(args: tuple[Any, ...]) -> tuple[int, ...]:
    # Accept reshape(2, 3) and reshape((2, 3)), as NumPy and PyTorch both do.
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


# The engine and the op modules need Tensor, so they meet it after it is defined.
_function._Tensor = Tensor

from chainrule import numpy_api as _numpy_api  # noqa: E402
from chainrule.ops import activation as _activation  # noqa: E402
from chainrule.ops import arithmetic as _arithmetic  # noqa: E402
from chainrule.ops import elementwise as _elementwise  # noqa: E402
from chainrule.ops import indexing as _indexing  # noqa: E402
from chainrule.ops import reduction as _reduction  # noqa: E402
from chainrule.ops import shape as _shape  # noqa: E402
