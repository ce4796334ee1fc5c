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

import builtins
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from chainrule.autograd import function as _function
from chainrule.autograd import grad_mode as _grad_mode
from chainrule.autograd.api import seed_gradient
from chainrule.autograd.engine import run_backward
from chainrule.autograd.hooks import HookDict, RemovableHandle
from chainrule.autograd.inplace import note_write
from chainrule.dtypes import get_default_dtype, is_differentiable_dtype, to_dtype
from chainrule.errors import (
    BackwardError,
    DTypeError,
    NotDifferentiableError,
    ShapeError,
)

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
        "_data",
        "_grad",
        "_hooks",
        "_index",
        "_node",
        "_requires_grad",
        "_retains_grad",
        "name",
    )

    # NOTE: data, grad and requires_grad are properties that check what is
    # assigned (a Tensor stored as .data, an integer tensor that requires
    # grad, a .grad of the wrong shape all used to fail much later). The
    # engine's hot paths read the underlying slots directly.
    _data: np.ndarray
    _grad: Tensor | None
    _requires_grad: bool
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
        self._data = as_array(data)
        self._grad = None
        self._node = None
        self._index = 0
        self._retains_grad = False
        self.name = name
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @property
    def data(self) -> np.ndarray:
        """The values (a ``numpy.ndarray``); assigning bypasses the graph."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        array = value._data if isinstance(value, Tensor) else as_array(value)
        if self._requires_grad and not is_differentiable_dtype(array.dtype):
            raise DTypeError(
                f"cannot assign data of dtype {array.dtype} to a tensor that "
                "requires grad; only floating-point data can carry gradients "
                f"(convert with .astype(np.{self._data.dtype}))"
            )
        self._data = array

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward, a Tensor (None until one arrives)."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"a tensor's .grad must be a Tensor or None, got "
                    f"{type(value).__name__}; wrap arrays: cr.tensor(array)"
                )
            if value._data.shape != self._data.shape:
                raise ShapeError(
                    f"cannot assign a gradient of shape {value._data.shape} to "
                    f"a tensor of shape {self._data.shape}; they must match"
                )
            if not is_differentiable_dtype(value._data.dtype):
                raise DTypeError(
                    f"a gradient must be floating point, got {value._data.dtype}"
                )
            if value._data.dtype != self._data.dtype:
                raise DTypeError(
                    f"cannot assign a gradient of dtype {value._data.dtype} to a "
                    f"tensor of dtype {self._data.dtype}; a gradient has its "
                    f"tensor's dtype (convert with .astype(np.{self._data.dtype}))"
                )
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

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
        """The number of elements, NumPy's ``size`` (PyTorch's ``numel()``).

        NOTE: an attribute, as on an ndarray, so backward rules written in
        NumPy read it on Tensors too; PyTorch's ``t.size()`` is ``t.shape``.
        """
        return self.data.size

    def dim(self) -> int:
        """The number of axes, ``ndim`` (PyTorch's name)."""
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements, ``size`` (PyTorch's name)."""
        return self._data.size

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
        if self.data.size == 0 and self.data.ndim > 1:
            extras.append(f"shape={self.data.shape}")  # "[]" alone hides it
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
        # NOTE: NumPy calls this to turn a Tensor into an array: np.asarray(t),
        # np.array([t, t]), ndarray.dot(t), b[:] = t. The result has no graph,
        # so for a tensor that requires grad (while grad mode is on) it would
        # drop the gradient without a word; PyTorch refuses this too. .numpy()
        # and .detach() take the values on purpose.
        if self._requires_grad and _grad_mode.state.enabled:
            if _function.backward_state.differentiable:
                raise NotDifferentiableError(
                    "np.asarray/np.array on a Tensor inside a recorded backward "
                    "(create_graph=True) would drop its gradient, and the second "
                    "derivative would be wrong; apply NumPy functions and "
                    "operators to the Tensor itself"
                )
            raise NotDifferentiableError(
                f"converting a Tensor that requires grad (shape {self.shape}) "
                "to a NumPy array (np.asarray, np.array, an ndarray method such "
                "as .dot, or assigning it into an array) would drop its "
                "gradient; use chainrule ops (@ for dot, cr.stack for "
                "np.array([...])), or take the values on purpose with "
                "t.detach() or t.numpy()"
            )
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def to(
        self,
        *args: Any,
        dtype: Any = None,
        device: Any = None,
        copy: bool = False,
        non_blocking: bool = False,
    ) -> Tensor:
        """This tensor in another dtype, with PyTorch's forms of ``to``.

        ``t.to(np.float32)``, ``t.to("cpu")``, ``t.to("cpu", np.float32)``,
        ``t.to(other)`` (other's dtype), or the keywords. The cast is an op:
        gradients flow back between float dtypes. Without a change of dtype
        the result is this tensor itself, unless ``copy=True``.

        The only device is the CPU: chainrule runs on NumPy, so another
        device (``"cuda"``, ``"mps"``) raises NotImplementedError.
        ``non_blocking`` is accepted and means nothing here.

        Examples
        --------
        >>> import numpy as np
        >>> import chainrule as cr
        >>> t = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> t.to(np.float32)
        tensor([1., 2.], dtype=float32, grad_fn=<AsTypeBackward>)
        >>> t.to("cpu") is t
        True
        """
        target = to_dtype("Tensor.to", args, dtype, device)
        if target is None or target == self._data.dtype:
            return self.clone() if copy else self
        return _elementwise.astype(self, target)

    def float(self) -> Tensor:
        """This tensor in float32, ``to(np.float32)`` (gradients flow back)."""
        return self.to(np.float32)

    def double(self) -> Tensor:
        """This tensor in float64, ``to(np.float64)`` (gradients flow back)."""
        return self.to(np.float64)

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

    def __format__(self, spec: str) -> str:
        if self._data.size == 1 and spec:
            return format(self._data.item(), spec)
        return format(repr(self), spec)

    def __round__(self, ndigits: int | None = None) -> Any:
        return round(self.item(), ndigits)

    def __float__(self) -> builtins.float:
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
        return Tensor(self._data)

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (gradients flow back)."""
        return _elementwise.astype(self, self._data.dtype)

    def copy(self) -> Tensor:
        """The same as :meth:`clone` (NumPy's name), so backward rules may use it."""
        return self.clone()

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        if self._node is not None:
            raise BackwardError(
                "deepcopy of a tensor made by a recorded op would copy its whole "
                "graph; copy a leaf, or t.detach() (values only) first"
            )
        copied = type(self).__new__(type(self))
        memo[id(self)] = copied
        copied.__setstate__(self.__getstate__(memo))
        return copied

    def __getstate__(self, memo: dict[int, Any] | None = None) -> dict[str, Any]:
        if self._node is not None:
            raise BackwardError(
                "pickling a tensor made by a recorded op would pickle its whole "
                "graph; pickle t.detach() (values only) instead"
            )
        grad = self._grad
        return {
            "data": self._data.copy(),
            "requires_grad": self._requires_grad,
            "grad": None if grad is None else grad._data.copy(),
            "name": self.name,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._data = state["data"]
        self._grad = None if state["grad"] is None else Tensor(state["grad"])
        self._requires_grad = state["requires_grad"]
        self._node = None
        self._index = 0
        self._retains_grad = False
        self.name = state["name"]

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only) and return self."""
        if requires_grad and not is_differentiable_dtype(self._data.dtype):
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
        self._requires_grad = bool(requires_grad)
        return self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` whenever the gradient with respect to this tensor
        has been computed; a returned tensor replaces the gradient.

        For a leaf, the hook sees each backward's gradient before it is added
        into ``.grad``. Returns a handle whose ``remove()`` unregisters it.

        Examples
        --------
        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> h = x * 3
        >>> seen = []
        >>> handle = h.register_hook(lambda g: seen.append(g.data.copy()))
        >>> (h * h).sum().backward()
        >>> seen[0]
        array([ 6., 12.])
        """
        if not self._requires_grad:
            raise BackwardError(
                "register_hook on a tensor that does not require grad: no "
                "gradient will ever reach it"
            )
        hooks = self._hook_dict()
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def _hook_dict(self) -> HookDict:
        """This tensor's hooks: its own for a leaf, else on the node that made it."""
        if self._node is None:
            hooks = getattr(self, "_hooks", None)
            if hooks is None:
                hooks = self._hooks = HookDict()
            return hooks
        node = self._node
        if node._hooks is None:
            node._hooks = {}
        if self._index not in node._hooks:
            node._hooks[self._index] = HookDict()
        return node._hooks[self._index]

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward.

        Leaves keep theirs anyway. Use it to read a data gradient, the
        gradient of the loss with respect to an intermediate value. As in
        PyTorch, the gradient is kept after the tensor's hooks have run
        (also those registered later): a hook that returns a new gradient
        changes ``.grad`` too.

        Examples
        --------
        >>> import chainrule as cr
        >>> x = cr.ones(2, requires_grad=True)
        >>> y = x * 2
        >>> y.retain_grad()
        >>> handle = y.register_hook(lambda g: g * 10)
        >>> (y * 3).sum().backward()
        >>> y.grad, x.grad
        (tensor([30., 30.]), tensor([60., 60.]))
        """
        if not self._requires_grad:
            raise BackwardError(
                "retain_grad on a tensor that does not require grad: no "
                "gradient will ever reach it"
            )
        if self._node is None or self._retains_grad:
            return
        ref = weakref.ref(self)

        def keep(grad: Tensor) -> None:
            tensor = ref()
            if tensor is not None:
                value = grad if grad._requires_grad else Tensor(grad._data.copy())
                tensor._grad = value if tensor._grad is None else tensor._grad + value

        self._hook_dict().retain = keep
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """True after ``retain_grad()`` on a non-leaf tensor."""
        return self._retains_grad

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool = False,
        create_graph: bool = False,
    ) -> None:
        """Compute the gradient of this tensor with respect to the graph's leaves.

        The gradients are added into ``.grad`` of every leaf that requires
        grad: call ``model.zero_grad()`` (or set ``.grad = None``) between
        steps.

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

    # NOTE: operators apply their op directly rather than through cr.add and
    # friends (which only call .apply): one Python call fewer on the per-op
    # path, about 50 ns of the 1.5 us an op costs.
    def __add__(self, other: Any) -> Tensor:
        return _arithmetic.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _arithmetic.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _arithmetic.Subtract.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _arithmetic.Subtract.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _arithmetic.Multiply.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _arithmetic.Multiply.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _arithmetic.Divide.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _arithmetic.Divide.apply(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _arithmetic.Power.apply(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _arithmetic.Power.apply(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _arithmetic.MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _arithmetic.MatMul.apply(other, self)

    def __neg__(self) -> Tensor:
        return _arithmetic.Negative.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _elementwise.abs(self)

    # --- in-place updates ----------------------------------------------------

    def __iadd__(self, other: Any) -> Tensor:
        return self._update(np.add, _arithmetic.add, other, "+=")

    def __isub__(self, other: Any) -> Tensor:
        return self._update(np.subtract, _arithmetic.subtract, other, "-=")

    def __imul__(self, other: Any) -> Tensor:
        return self._update(np.multiply, _arithmetic.multiply, other, "*=")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._update(np.true_divide, _arithmetic.divide, other, "/=")

    def _update(self, ufunc: Any, op: Any, other: Any, symbol: str) -> Tensor:
        """``self <symbol> other``: in place, unless that would corrupt the graph.

        As in PyTorch: a weight update ``w -= lr * w.grad`` under ``no_grad``
        writes into ``w``. While the graph is recorded, a leaf that requires
        grad may not be updated in place, and a recorded result is replaced
        by a new tensor (same value, correct graph).
        """
        involved = self._requires_grad or (
            isinstance(other, Tensor) and other._requires_grad
        )
        if involved and _grad_mode.state.enabled:
            if self._node is None and self._requires_grad:
                raise BackwardError(
                    f"'{symbol}' on a leaf tensor that requires grad would be "
                    "recorded as part of the graph; update weights outside it: "
                    f"`with cr.no_grad(): w {symbol} ...`"
                )
            return op(self, other)
        try:
            ufunc(self._data, _value(other), out=self._data, casting="same_kind")
        except TypeError as error:
            raise DTypeError(
                f"'{symbol}' cannot write the result into this tensor of dtype "
                f"{self._data.dtype}: {error}"
            ) from None
        except ValueError as error:
            raise ShapeError(
                f"'{symbol}' on a tensor of shape {self._data.shape}: {error} "
                "(an in-place result must keep the tensor's shape)"
            ) from None
        note_write(self._data)
        return self

    # --- comparisons and logic: bool results, no gradient -------------------------

    def __lt__(self, other: Any) -> Tensor:
        return _constant(np.less, "<", self, other)

    def __le__(self, other: Any) -> Tensor:
        return _constant(np.less_equal, "<=", self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _constant(np.greater, ">", self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _constant(np.greater_equal, ">=", self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _constant(np.equal, "==", self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _constant(np.not_equal, "!=", self, other)

    def __and__(self, other: Any) -> Tensor:
        return _constant(np.bitwise_and, "&", self, other)

    def __rand__(self, other: Any) -> Tensor:
        return _constant(np.bitwise_and, "&", other, self)

    def __or__(self, other: Any) -> Tensor:
        return _constant(np.bitwise_or, "|", self, other)

    def __ror__(self, other: Any) -> Tensor:
        return _constant(np.bitwise_or, "|", other, self)

    def __xor__(self, other: Any) -> Tensor:
        return _constant(np.bitwise_xor, "^", self, other)

    def __rxor__(self, other: Any) -> Tensor:
        return _constant(np.bitwise_xor, "^", other, self)

    def __invert__(self) -> Tensor:
        return _constant(np.invert, "~", self)

    def __floordiv__(self, other: Any) -> Tensor:
        return _constant(np.floor_divide, "//", self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _constant(np.floor_divide, "//", other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _constant(np.remainder, "%", self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _constant(np.remainder, "%", other, self)

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

    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        return _activation.softmax(self, axis, dim=dim)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        return _activation.log_softmax(self, axis, dim=dim)

    # --- reductions: NumPy's axis/keepdims, or PyTorch's dim/keepdim -------------

    def sum(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        return _reduction.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        return _reduction.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """The largest values over ``axis``; ``dim=`` raises (see ``cr.max``)."""
        return _reduction.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """The smallest values over ``axis``; ``dim=`` raises (see ``cr.max``)."""
        return _reduction.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(
        self,
        axis: Axis = None,
        ddof: int = 0,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        correction: int | None = None,
    ) -> Tensor:
        return _reduction.var(
            self, axis, ddof, keepdims, dim=dim, keepdim=keepdim, correction=correction
        )

    def std(
        self,
        axis: Axis = None,
        ddof: int = 0,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        correction: int | None = None,
    ) -> Tensor:
        return _reduction.std(
            self, axis, ddof, keepdims, dim=dim, keepdim=keepdim, correction=correction
        )

    def logsumexp(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        return _reduction.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmax(
        self,
        axis: int | None = None,
        keepdims: bool = False,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        return _reduction.argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmin(
        self,
        axis: int | None = None,
        keepdims: bool = False,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        return _reduction.argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)

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

    def squeeze(self, axis: Axis = None, *, dim: Axis = None) -> Tensor:
        return _shape.squeeze(self, axis, dim=dim)

    def unsqueeze(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        return _shape.unsqueeze(self, axis, dim=dim)

    def expand(self, *shape: Any) -> Tensor:
        return _shape.expand(self, *shape)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return _shape.broadcast_to(self, tuple(shape))

    def flatten(
        self,
        start_axis: int = 0,
        end_axis: int = -1,
        *,
        start_dim: int | None = None,
        end_dim: int | None = None,
    ) -> Tensor:
        return _shape.flatten(
            self, start_axis, end_axis, start_dim=start_dim, end_dim=end_dim
        )

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
        data = data._data
    if isinstance(data, np.ndarray):
        array = data if dtype is None else data.astype(dtype, copy=False)
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise _not_numbers(array.dtype)
        return array
    if isinstance(data, (list, tuple)) and any(
        isinstance(item, Tensor) and item._requires_grad for item in data
    ):
        raise TypeError(
            "cannot make a tensor from a list holding tensors that require "
            "grad: the new tensor would not be connected to them. Use "
            "cr.stack(list) (or cr.concatenate) to keep the gradients"
        )
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError) as error:
        raise DTypeError(
            f"cannot make a tensor from this {type(data).__name__}: {error} "
            "(nested lists must be rectangular and hold numbers)"
        ) from None
    if dtype is None and array.dtype == np.float64:
        # Python floats (and lists of them) take the default float dtype.
        default = get_default_dtype()
        if default != array.dtype and not isinstance(data, np.generic):
            array = array.astype(default)
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise _not_numbers(array.dtype, type(data).__name__)
    return array


# What a tensor may hold: bool, ints, floats, complex, and strings (class
# names carried through a dataset; no op computes with them). Not objects: an
# object array may hide tensors whose gradients would be lost.
_NUMERIC_KINDS = frozenset("biufcUS")


def _not_numbers(dtype: np.dtype[Any], what: str = "an array") -> DTypeError:
    seen = {"O": "Python objects", "M": "dates", "m": "time spans"}.get(
        dtype.kind, f"values of dtype {dtype}"
    )
    return DTypeError(
        f"cannot make a tensor from {what} of dtype {dtype}: NumPy sees {seen}, "
        "not numbers; convert to numbers first (e.g. .astype(np.float64))"
    )


def _value(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _constant(ufunc: Any, symbol: str, *operands: Any) -> Tensor:
    """An operator whose result has no gradient: comparisons, logic, // and %."""
    if ufunc in (np.floor_divide, np.remainder) and any(
        isinstance(x, Tensor) and x._requires_grad for x in operands
    ):
        raise NotDifferentiableError(
            f"'{symbol}' is not differentiable in chainrule; compute it on the "
            "data (t.detach()) if no gradient is needed, or write it from "
            "differentiable ops"
        )
    values = [_value(x) for x in operands]
    try:
        return Tensor(ufunc(*values))
    except ValueError:
        shapes = " and ".join(str(np.shape(v)) for v in values)
        raise ShapeError(
            f"'{symbol}': shapes {shapes} cannot be broadcast together"
        ) from None
    except TypeError as error:
        kinds = " and ".join(
            str(v.dtype) if isinstance(v, np.ndarray) else type(v).__name__
            for v in values
        )
        raise DTypeError(f"'{symbol}' is not defined for {kinds}: {error}") from None


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
