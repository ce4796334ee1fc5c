"""``Function``: a differentiable operation, and the node it leaves in the graph.

Every operation in chainrule, built in or written by a user, is a subclass of
:class:`Function` with two methods side by side::

    class Square(Function):
        def forward(self, x):                 # NumPy arrays in, arrays out
            self.save_for_backward(x)
            return x * x

        def backward(self, grad_output):      # one gradient per input
            (x,) = self.saved
            return 2 * x * grad_output

    y = Square.apply(t)

``apply`` unwraps the tensors, runs ``forward`` on their arrays and, when grad
mode is on and some input requires grad, keeps the instance as the node that
made the outputs. The node remembers where each input came from (an *edge*)
and the values it saved; the engine (``autograd.engine``) later calls its
``backward``.

Note [backward is written in NumPy, and differentiates itself]
    ``backward`` receives NumPy arrays in an ordinary backward pass and
    Tensors when the pass itself is recorded (``create_graph=True``). A rule
    written with operators, array methods and NumPy functions (``np.exp``,
    ``np.where``, ``x.sum(axis=...)``) runs on both, because Tensor implements
    NumPy's dispatch protocols. So first-order gradients cost plain NumPy
    calls, and higher-order gradients come from the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.autograd import grad_mode, inplace
from chainrule.errors import BackwardError, ChainruleError, DTypeError

# An edge is where the gradient of one input goes:
#   (node, output_index, shape, dtype)  for an input made by another op,
#   (leaf_tensor, -1, shape, dtype)     for a leaf that requires grad,
#   None                                for an input that needs no gradient.


class _BackwardState:
    # True while the engine runs a backward pass with create_graph=True; it
    # decides whether ``saved`` hands out arrays or graph-connected Tensors.
    differentiable = False


backward_state = _BackwardState()


class Function:
    """A differentiable operation: ``forward`` on arrays, ``backward`` on gradients.

    Subclass it and define:

    ``forward(self, *inputs, **options)``
        Receives the NumPy arrays of the tensor arguments and every other
        argument unchanged. Returns an array, or a tuple of arrays for several
        outputs. Keep what backward needs with :meth:`save_for_backward`;
        plain Python settings (an axis, a shape) may be stored as attributes.

    ``backward(self, *grad_outputs)``
        Receives one gradient per output, shaped like it, and returns one
        gradient per positional input of ``forward`` (a single value when
        there is one input), ``None`` for inputs that need none. A gradient
        may keep the broadcast shape of the output; the engine sums it down
        to the input's shape. :attr:`needs_input_grad` says which to compute.

    ``untracked_forward`` (optional, a staticmethod)
        Forward's result computed without saving anything, for calls under
        ``no_grad`` (inference, and gradcheck's thousands of evaluations),
        which then skip creating a node. It must return what ``forward``
        returns and raise what it raises. It is used only while the class's
        ``forward`` is the one defined beside it: a subclass, a mixin or an
        assignment that changes ``forward`` turns it off.

    Call it with ``MyFunction.apply(*inputs, **options)``.
    """

    # NOTE: the number of outputs is found when forward returns; backward
    # always gets one gradient per output (zeros for an unused output).
    edges: list[Any]
    # The identities of the inputs' arrays, then of the outputs', kept when
    # forward saved something.
    _saved_ids: tuple[int, ...]
    # Hooks on this node's outputs, by output index (see autograd.hooks);
    # class-level None so that nodes without hooks pay one lookup.
    _hooks: dict[int, Any] | None = None
    _output_meta: tuple[tuple[tuple[int, ...], np.dtype[Any]], ...]
    # Class-level defaults: a node sets these only when they differ.
    _saved: tuple[Any, ...] | None = None
    _released: bool = False
    # The count of in-place writes when the node saved its values (see
    # autograd.inplace): a later write to one of them makes backward refuse.
    _write_mark: int = 0
    _n_outputs: int = 1
    # How many edges of later nodes lead into this one, counted as they are
    # recorded: the number of gradients a backward pass usually waits for
    # before running this node (see autograd.engine).
    _uses: int = 0
    # NOTE: an op whose forward is one NumPy call (and its checks) can say so
    # here, and be run under no_grad without a node, its forward and its
    # save_for_backward: 0.2-0.5 us of an op's 2 us on a 20x20 array, and
    # a tenth of each gradcheck evaluation of sum(tanh(X @ W)) (W5).
    untracked_forward: Callable[..., Any] | None = None
    # The forward that untracked_forward stands for: apply uses the shortcut
    # only while the class's forward is still that one, so a subclass, a
    # mixin or a later assignment that changes forward is never skipped.
    _untracked_for: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "untracked_forward" in cls.__dict__:
            cls._untracked_for = cls.forward

    def forward(self, *inputs: Any, **options: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} defines no forward(); a Function subclass "
            "needs forward(self, *inputs) returning an array"
        )

    def backward(self, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} defines no backward(); it cannot be "
            "differentiated. Define backward(self, grad_output) returning one "
            "gradient per input"
        )

    # --- saved values -------------------------------------------------------

    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays for backward; they are freed once backward has run.

        Save inputs and outputs themselves (not copies) where you can: in a
        recorded backward pass they come back as Tensors connected to the
        graph, which is what makes higher-order gradients correct.
        """
        self._saved = values

    @property
    def saved(self) -> tuple[Any, ...]:
        """The values given to :meth:`save_for_backward`, in order."""
        saved = self._saved
        if saved is None:
            if self._released:
                raise BackwardError(
                    f"{type(self).__name__}: its saved values were freed by an "
                    "earlier backward(); pass retain_graph=True to the first "
                    "backward() to run backward through this graph again"
                )
            return ()
        if backward_state.differentiable:
            return self._saved_as_tensors(saved)
        return saved

    def _saved_as_tensors(self, saved: tuple[Any, ...]) -> tuple[Any, ...]:
        # NOTE: a saved array is matched to the input or output it was by
        # identity. Comparing ids is sound: both objects were alive together
        # during forward, and the saved one has been alive ever since.
        ids, n_inputs = self._saved_ids, len(self.edges)
        tensors = []
        for value in saved:
            key = id(value)
            if key not in ids:
                # A constant (a mask, a Python number): its derivative is 0,
                # and arrays mix with Tensors as they are.
                tensors.append(value)
                continue
            position = ids.index(key)  # an input first, if it is both
            if position < n_inputs:
                tensors.append(_tensor_from_edge(self.edges[position], value))
            else:
                tensors.append(_wrap(value, self, position - n_inputs))
        return tuple(tensors)

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """One flag per positional input: does it need a gradient?"""
        edges = self.edges
        # NOTE: spelled out for one and two inputs (nearly every op): a
        # comprehension costs a function call, as much again as the test.
        if len(edges) == 1:
            return (edges[0] is not None,)
        if len(edges) == 2:
            return (edges[0] is not None, edges[1] is not None)
        return tuple([edge is not None for edge in edges])

    @property
    def next_functions(self) -> tuple[Any, ...]:
        """The nodes (or leaf tensors) the gradient of each input flows to."""
        return tuple(None if e is None else e[0] for e in self.edges)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"

    # --- applying -----------------------------------------------------------

    @classmethod
    def apply(cls, *args: Any, **options: Any) -> Any:
        """Run the operation on tensors and record it in the graph."""
        # NOTE: the hottest path of the library: it runs once per op, so it
        # makes one pass over the arguments, builds the edges in that pass,
        # and inlines the wrapping of a single output. Measured on the chain
        # workload (benchmarks/), this is about a third of chainrule's
        # per-op time; every attribute set and call here shows up.
        try:
            if options:
                _check_options(cls, options)
            elif not _grad_state.enabled:
                # Under no_grad nothing is recorded: forward, wrapped, no more.
                # (Inference and gradcheck's thousands of evaluations run here.)
                # NOTE: the arguments unpacked by count, not by a loop or a list
                # comprehension (a frame of its own): the comprehension was 6% of
                # the instructions of gradcheck on sum(tanh(X @ W)) (W5).
                compute = cls.untracked_forward
                if compute is None or cls.forward is not cls._untracked_for:
                    compute = cls.__new__(cls).forward
                n = len(args)
                if n == 1:
                    x = args[0]
                    outputs = compute(x._data if isinstance(x, _Tensor) else x)
                elif n == 2:
                    x, y = args
                    outputs = compute(
                        x._data if isinstance(x, _Tensor) else x,
                        y._data if isinstance(y, _Tensor) else y,
                    )
                elif n == 3:  # a reduction: the tensor, axis and keepdims
                    x, y, z = args
                    outputs = compute(
                        x._data if isinstance(x, _Tensor) else x,
                        y._data if isinstance(y, _Tensor) else y,
                        z._data if isinstance(z, _Tensor) else z,
                    )
                else:
                    outputs = compute(
                        *[a._data if isinstance(a, _Tensor) else a for a in args]
                    )
                if type(outputs) is tuple:
                    return tuple([_wrap(out, None, 0) for out in outputs])
                return _wrap(outputs, None, 0)

            arrays: list[Any] = []
            edges: list[Any] = []
            record = False
            if not _grad_state.enabled:
                # Nothing is recorded under no_grad (an op given options).
                for arg in args:
                    arrays.append(arg._data if isinstance(arg, _Tensor) else arg)
            else:
                for arg in args:
                    if isinstance(arg, _Tensor):
                        data = arg._data
                        arrays.append(data)
                        if arg._requires_grad:
                            record = True
                            node = arg._node
                            if node is None:
                                edges.append((arg, -1, data.shape, data.dtype))
                            else:
                                node._uses += 1
                                edges.append((node, arg._index, data.shape, data.dtype))
                            continue
                    else:
                        arrays.append(arg)
                    edges.append(None)

            fn = cls.__new__(cls)
            # NOTE: up to three inputs called by position, not with *arrays: a
            # starred call is never specialised by the interpreter and costs
            # about 25 ns more, on every op.
            n = len(arrays)
            if options:
                outputs = fn.forward(*arrays, **options)
            elif n == 1:
                outputs = fn.forward(arrays[0])
            elif n == 2:
                outputs = fn.forward(arrays[0], arrays[1])
            elif n == 3:  # a reduction: the tensor, axis and keepdims
                outputs = fn.forward(arrays[0], arrays[1], arrays[2])
            else:
                outputs = fn.forward(*arrays)

            if not record:
                if type(outputs) is tuple:
                    return tuple(_wrap(out, None, 0) for out in outputs)
                return _wrap(outputs, None, 0)

            fn.edges = edges
            if type(outputs) is tuple:
                fn._n_outputs = len(outputs)
                results = tuple(_wrap(out, fn, i) for i, out in enumerate(outputs))
                fn._output_meta = tuple((r._data.shape, r._data.dtype) for r in results)
                if fn._saved is not None:
                    fn._saved_ids = (*map(id, arrays), *map(id, outputs))
                    fn._write_mark = _writes.count
                return results
            if fn._saved is not None:
                # Identities only, so that a recorded backward can tell which
                # saved arrays were inputs or outputs (see _saved_as_tensors).
                fn._saved_ids = (
                    (id(arrays[0]), id(outputs))
                    if n == 1
                    else (id(arrays[0]), id(arrays[1]), id(outputs))
                    if n == 2
                    else (*map(id, arrays), id(outputs))
                )
                fn._write_mark = _writes.count

            # _wrap(outputs, fn, 0), inlined.
            data = outputs if type(outputs) is np.ndarray else np.asarray(outputs)
            if data.dtype.kind != "f":
                return _wrap(outputs, fn, 0)
            out = _new_object(_Tensor)
            out._data = data
            out._grad = None
            out._node = fn
            out._index = 0
            out._requires_grad = True
            out.name = None
            out._retains_grad = False
            return out

        except TypeError as error:
            # NumPy's message names its ufunc, not the op, for inputs that
            # hold no numbers (a tensor of strings): say which op and input.
            # (An op's own error already says; it is kept.)
            explained = None
            if not isinstance(error, ChainruleError):
                explained = _not_numbers_error(cls, args)
            if explained is None:
                raise
            raise explained from error


_Tensor: Any = None  # chainrule.tensor.Tensor, set by that module (import cycle)
# NOTE: object.__new__ called directly, not looked up on Tensor each time:
# about 8 ns of each op's 1.5 us (Tensor defines no __new__ of its own).
_new_object = object.__new__
_writes = inplace.writes
_grad_state = grad_mode.state


def _not_numbers_error(cls: type, args: tuple[Any, ...]) -> DTypeError | None:
    """The error for an op given an input that holds strings, if it was."""
    for position, arg in enumerate(args):
        data = arg._data if isinstance(arg, _Tensor) else arg
        if isinstance(data, np.ndarray) and data.dtype.kind not in "biufc":
            hint = (
                "strings such as class names need a mapping to integers"
                if data.dtype.kind in "US"
                else "e.g. .astype(np.float64)"
            )
            return DTypeError(
                f"{cls.__name__}: input {position} holds values of dtype "
                f"{data.dtype}, not numbers; convert it to numbers first ({hint})"
            )
    return None


def _check_options(cls: type, options: dict[str, Any]) -> None:
    for name, value in options.items():
        if isinstance(value, _Tensor):
            raise TypeError(
                f"{cls.__name__}.apply: the tensor passed as {name}= would not be "
                "tracked; pass tensors positionally (keyword arguments are for "
                "settings such as an axis)"
            )


def _wrap(value: Any, node: Function | None, index: int) -> Any:
    out = _new_object(_Tensor)
    # NOTE: NumPy returns scalars, not 0-d arrays, from ops on 0-d arrays.
    data = value if type(value) is np.ndarray else np.asarray(value)
    out._data = data
    out._grad = None
    if node is not None and data.dtype.kind == "f":
        out._node = node
        out._index = index
        out._requires_grad = True
    else:
        if data.dtype.kind == "O":
            owner = f"{type(node).__name__}." if node is not None else ""
            raise TypeError(
                f"{owner}forward returned {value!r:.40}, not an array of "
                "numbers; a Function's forward must return a NumPy array (or a "
                "tuple of them)"
            )
        if node is not None and data.dtype.kind == "c":
            raise DTypeError(
                f"{type(node).__name__}: the result is complex ({data.dtype}), "
                "and chainrule differentiates real floating-point values only; "
                "split real and imaginary parts into float tensors"
            )
        out._node = None
        out._index = 0
        out._requires_grad = False
    out.name = None
    out._retains_grad = False
    return out


def _tensor_from_edge(edge: Any, value: Any) -> Any:
    """A Tensor holding ``value`` whose gradient flows along ``edge``."""
    if edge is None:
        return value
    target, index = edge[0], edge[1]
    if index < 0:
        return target
    return _wrap(value, target, index)
