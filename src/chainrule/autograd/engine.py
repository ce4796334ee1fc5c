"""The backward pass: walk the computational graph from the output to the leaves.

The engine knows no math. It asks each node for its input gradients, sums
gradients that arrive at one place by several paths, reduces broadcast
gradients to the shape of their input (here and nowhere else), and stores the
result in the ``.grad`` of the leaves.

The life of one ``loss.backward()`` call:

1. The root's gradient (ones, or ``gradient=``) is put in its node's buffer.
2. Each node must receive one gradient per edge leading into it before it
   can run. ``Function.apply`` counted those edges as it recorded them
   (``_uses``), so a plain backward starts without walking the graph. When a
   count is too high (an op used a node but this pass does not reach that
   op, such as a logged metric), the pass stalls with gradients waiting;
   it then counts what is left by walking it (``_count_dependencies``,
   iteratively, so depth is unlimited) and goes on. ``grad()`` and recorded
   passes (``create_graph=True``) count by walking from the start.
3. A node whose count reaches zero is ready: its buffered output gradients go
   to its ``backward``, whose results are checked, reduced to shape, and
   handed along its edges, into another node's buffer or, for a leaf, kept
   aside.
4. Each node's saved values are freed after it runs, unless
   ``retain_graph=True``.
5. When every node has run, each leaf's gradients are summed, passed through
   its hooks and added into its ``.grad``: a pass that stops with an error
   (a freed graph, a changed saved value, a failing backward) changes no
   ``.grad``.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from chainrule.autograd import anomaly, grad_mode
from chainrule.autograd import function as _function
from chainrule.autograd.function import Function, backward_state
from chainrule.autograd.hooks import run_hooks
from chainrule.autograd.inplace import check_saved, writes
from chainrule.errors import BackwardError, GradientError


def run_backward(
    roots: list[Any],
    root_grads: list[Any],
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: list[Any] | None = None,
) -> list[Any] | None:
    """Backpropagate ``root_grads`` from the tensors ``roots``.

    ``root_grads`` are arrays (or Tensors when ``create_graph``) already shaped
    like their roots. Without ``inputs`` the gradients are added into the
    ``.grad`` of the leaves; with ``inputs`` (tensors, leaves or not) nothing
    is stored and the gradient of each input is returned instead (None for an
    input the roots do not depend on).
    """
    sink = _Sink(inputs, create_graph)

    # NOTE: a node's incoming gradient waits in ``buffers``: the array itself
    # for a node of one output (nearly all), a list of one slot per output
    # otherwise. Skipping the one-slot list saves a list and two index
    # operations per node on the hottest loop.
    buffers: dict[Function, Any] = {}
    for root, grad in zip(roots, root_grads, strict=True):
        node = root._node
        if node is None:
            sink.leaf(root, grad, False)
            continue
        if node._n_outputs == 1:
            buffers[node] = _add(buffers.get(node), grad)
            continue
        slots = buffers.get(node)
        if slots is None:
            slots = buffers[node] = [None] * node._n_outputs
        slots[root._index] = _add(slots[root._index], grad)

    # How many gradients each node still waits for (step 2 above). grad()
    # prunes the graph and a recorded pass adds uses as it goes: both walk
    # first. A plain backward starts from the uses counted in forward.
    # NOTE: measured on the chain benchmark, skipping the walk takes 0.28 us
    # off each op's backward; counting in forward costs about 0.04 us.
    ends: list[Function] = []
    counted_in_forward = False
    if inputs is not None:
        dependencies, ends = _count_toward_inputs(list(buffers), inputs)
        ready = [node for node in buffers if node not in dependencies]
    elif create_graph:
        dependencies = _count_dependencies(list(buffers), refuse_released=True)
        ready = [node for node in buffers if node not in dependencies]
    else:
        counted_in_forward = True
        dependencies = {}
        ready = [node for node in buffers if node._uses == 0]

    previous_mode = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    backward_state.differentiable = create_graph
    ndarray = np.ndarray
    check = anomaly.state.backward
    watches_nodes = sink.watches_nodes
    # NOTE: in anomaly mode NumPy's own warnings would only repeat, less
    # precisely, what the check reports: silence them there.
    errors = np.errstate(all="ignore") if check else contextlib.nullcontext()
    node = None
    in_backward = False  # is a node's own backward running? (for the note)
    try:
        errors.__enter__()
        while True:
            if not ready:
                if not (counted_in_forward and buffers):
                    break
                # Stalled: some node was used by an op this pass does not
                # reach. Count exactly what is left, as the other modes do.
                counted_in_forward = False
                dependencies = _count_dependencies(list(buffers), True)
                ready = [node for node in buffers if node not in dependencies]
                continue

            node = ready.pop()
            # NOTE: refused before its backward runs; leaves are only given
            # their gradients at the end, so a refusal changes no .grad.
            if node._released:
                raise _released_error(node)
            if node._write_mark != writes.count and node._saved is not None:
                check_saved(node)
            slots = buffers.pop(node, None)
            edges = node.edges
            if slots is not None:
                single = node._n_outputs == 1
                if node._hooks is not None or watches_nodes:
                    slots = _observe(node, [slots] if single else slots, sink)
                    if single:
                        slots = slots[0]
                # NOTE: the common case (one output, a tuple of one gradient
                # per input returned) costs no call besides backward itself.
                in_backward = True
                if single:
                    grads_in = node.backward(slots)
                else:
                    grads_in = _call_backward(node, slots, create_graph)
                in_backward = False
                if type(grads_in) is not tuple:
                    if len(edges) == 1 and type(grads_in) is not list:
                        grads_in = (grads_in,)
                    else:
                        grads_in = _check_returned(node, grads_in)
                elif len(grads_in) != len(edges):
                    grads_in = _check_returned(node, grads_in)
                if check:
                    anomaly.check_gradients(
                        node, [slots] if single else slots, grads_in
                    )
            else:
                grads_in = (None,) * len(edges)

            k = -1
            for edge in edges:
                k += 1
                if edge is None:
                    continue
                target, index, shape, dtype = edge
                grad = grads_in[k]
                # NOTE: `is` first: NumPy's built-in dtypes are singletons,
                # and the identity test is several times cheaper than ==.
                if grad is not None and not (
                    type(grad) is ndarray
                    and grad.shape == shape
                    and (grad.dtype is dtype or grad.dtype == dtype)
                ):
                    grad = _conform(grad, edge, node, k, create_graph)

                if index < 0:
                    if grad is not None:
                        sink.leaf(target, grad, _is_saved(grad, node._saved))
                    continue
                if grad is not None:
                    # NOTE: never added in place: a gradient may be shared.
                    if target._n_outputs == 1:
                        previous = buffers.get(target)
                        buffers[target] = grad if previous is None else previous + grad
                    else:
                        slots = buffers.get(target)
                        if slots is None:
                            slots = buffers[target] = [None] * target._n_outputs
                        previous = slots[index]
                        slots[index] = grad if previous is None else previous + grad
                remaining = dependencies.get(target, target._uses) - 1
                if remaining:
                    dependencies[target] = remaining
                else:
                    ready.append(target)

            if not retain_graph and node._saved is not None:
                node._saved = None
                node._released = True

        for node in ends:
            slots = buffers.get(node)
            if slots is not None:
                _observe(node, [slots] if node._n_outputs == 1 else slots, sink)
        sink.deliver()
    except Exception as error:
        if in_backward and node is not None:
            _note_failure(error, node)
        raise
    finally:
        errors.__exit__(None, None, None)
        grad_mode.state.enabled = previous_mode
        backward_state.differentiable = False
    return sink.captured


def _count_dependencies(
    starts: list[Function], refuse_released: bool = False
) -> dict[Function, int]:
    """For every node reachable from ``starts``: how many edges lead into it.

    With ``refuse_released``, a node whose saved values a backward freed, or
    changed in place since it saved them (``autograd.inplace``), raises
    ``BackwardError``.
    """
    dependencies: dict[Function, int] = {}
    stack = list(starts)
    while stack:
        node = stack.pop()
        if refuse_released:
            # NOTE: refused here, before any gradient moves: a backward that
            # stopped halfway would have added to some leaves' .grad already.
            if node._released:
                raise _released_error(node)
            if node._write_mark != writes.count and node._saved is not None:
                check_saved(node)
        for edge in node.edges:
            if edge is None or edge[1] < 0:
                continue
            target = edge[0]
            count = dependencies.get(target)
            if count is None:
                # First edge into this node: walk on from it, once.
                dependencies[target] = 1
                stack.append(target)
            else:
                dependencies[target] = count + 1
    return dependencies


def _released_error(node: Function) -> Exception:
    return BackwardError(
        f"{type(node).__name__}: its saved values were freed by an earlier "
        "backward(), so this graph cannot be walked again; pass "
        "retain_graph=True to the first backward() to run backward through "
        "it again (no gradient was changed)"
    )


def reaches_other_leaves(roots: list[Any], leaves: list[Any]) -> bool:
    """Does the graph behind ``roots`` reach a leaf that is not in ``leaves``?

    The functional transforms (``chainrule.func``) ask it to know whether
    they are nested: whether their result depends on something outside their
    own fresh inputs, and so must be differentiable itself.
    """
    own = {id(t) for t in leaves}
    stack = []
    for root in roots:
        if root._node is not None:
            stack.append(root._node)
        elif root._requires_grad and id(root) not in own:
            return True
    seen = set(stack)
    while stack:
        node = stack.pop()
        for edge in node.edges:
            if edge is None:
                continue
            target = edge[0]
            if edge[1] < 0:
                if id(target) not in own:
                    return True
            elif target not in seen:
                seen.add(target)
                stack.append(target)
    return False


# A count no backward pass brings to zero: grad() gives it to the nodes that
# lead to none of its inputs, so they never run (nor free what they saved).
_NEVER = 1 << 62


def _count_toward_inputs(
    starts: list[Function], inputs: list[Any]
) -> tuple[dict[Any, int], list[Function]]:
    """``_count_dependencies`` for ``grad()``: only the nodes with a path to
    one of ``inputs`` run; every other node reachable from ``starts`` counts
    ``_NEVER``. Also returns the inputs' own nodes that lead to no further
    input: they do not run either, and their gradients are read at the end.

    PyTorch prunes the same way. Without it, the gradient with respect to an
    intermediate tensor would run (and free) the graph behind it, and fire
    the hooks of leaves that were not asked for.
    """
    leaves = {id(t) for t in inputs if t._node is None}
    nodes = {id(t._node) for t in inputs if t._node is not None}

    # Depth first, each node decided after everything it points to. In a
    # graph without cycles a node is never met again while it is open.
    runs: dict[Any, bool] = {}
    stack = [(node, False) for node in starts]
    while stack:
        node, closing = stack.pop()
        if closing:
            runs[node] = any(
                edge is not None
                and (
                    id(edge[0]) in leaves
                    if edge[1] < 0
                    else runs[edge[0]] or id(edge[0]) in nodes
                )
                for edge in node.edges
            )
            continue
        if node in runs:
            continue
        runs[node] = False
        stack.append((node, True))
        for edge in node.edges:
            if edge is not None and edge[1] >= 0 and edge[0] not in runs:
                stack.append((edge[0], False))

    dependencies: dict[Any, int] = {}
    for node, running in runs.items():
        if not running:
            dependencies[node] = _NEVER
            continue
        if node._released:
            raise _released_error(node)  # before any gradient moves
        if node._write_mark != writes.count and node._saved is not None:
            check_saved(node)
        for edge in node.edges:
            if edge is not None and edge[1] >= 0 and runs[edge[0]]:
                dependencies[edge[0]] = dependencies.get(edge[0], 0) + 1
    ends = [node for node, running in runs.items() if id(node) in nodes and not running]
    return dependencies, ends


class _Sink:
    """Where gradients end up: leaves' ``.grad``, or the caller (``grad()``)."""

    def __init__(self, inputs: list[Any] | None, create_graph: bool) -> None:
        self.create_graph = create_graph
        self.delivered: set[int] = set()
        self.arrivals: list[tuple[Any, Any, bool]] = []
        self.captured: list[Any] | None = None
        self.watches_nodes = False
        # NOTE: keyed by identity (Tensor's == is elementwise); one tensor
        # may be asked for at several positions.
        self.positions: dict[Any, list[int]] = {}
        if inputs is None:
            return
        self.captured = [None] * len(inputs)
        for position, tensor in enumerate(inputs):
            if tensor._node is None:
                key: Any = id(tensor)
            else:
                key = (id(tensor._node), tensor._index)
                self.watches_nodes = True
            self.positions.setdefault(key, []).append(position)

    def leaf(self, leaf: Any, grad: Any, saved: bool) -> None:
        """A gradient arrives at a leaf; ``saved``: is it an array a node saved?"""
        if self.captured is None:
            # Held until the pass has finished (deliver), so that a pass
            # that stops with an error leaves every .grad as it was.
            self.arrivals.append((leaf, grad, saved))
            return
        # grad(): a leaf that was not asked for is passed by, hooks and all.
        positions = self.positions.get(id(leaf))
        if positions is None:
            return
        hooks = getattr(leaf, "_hooks", None)
        if hooks:
            grad = _through_hooks(hooks, grad, self.create_graph)
        for position in positions:
            self.captured[position] = _add(self.captured[position], grad)

    def deliver(self) -> None:
        """Sum each leaf's gradients, run its hooks once, add into ``.grad``.

        As PyTorch's AccumulateGrad: a hook sees the whole gradient of the
        pass, not one part per path that reached the leaf.
        """
        totals: dict[int, list[Any]] = {}
        for leaf, grad, saved in self.arrivals:
            total = totals.get(id(leaf))
            if total is None:
                totals[id(leaf)] = [leaf, grad, saved]
            else:
                total[1] = total[1] + grad  # a new array, owned by nobody else
                total[2] = False
        self.arrivals.clear()
        for leaf, grad, saved in totals.values():
            hooks = getattr(leaf, "_hooks", None)
            if hooks:
                grad = _through_hooks(hooks, grad, self.create_graph)
            _accumulate_leaf(leaf, grad, self.delivered, self.create_graph, saved)

    def node_output(self, node: Function, slots: list[Any]) -> None:
        assert self.captured is not None
        for j, grad in enumerate(slots):
            for position in self.positions.get((id(node), j), ()):
                self.captured[position] = grad


def _node_hooks(node: Function, slots: list[Any]) -> list[Any]:
    """Run the hooks on a node's outputs (retain_grad is one of them)."""
    create_graph = backward_state.differentiable
    slots = list(slots)
    for index, hooks in (node._hooks or {}).items():
        if hooks and slots[index] is not None:
            slots[index] = _through_hooks(hooks, slots[index], create_graph)
    return slots


def _through_hooks(hooks: Any, grad: Any, create_graph: bool) -> Any:
    """Hooks see a Tensor (as in PyTorch); the engine keeps working on arrays."""
    Tensor = _function._Tensor
    wrapped = grad if isinstance(grad, Tensor) else Tensor(grad)
    result = run_hooks(hooks, wrapped)
    if result is wrapped:
        return grad
    if not isinstance(result, Tensor):
        result = Tensor(np.asarray(result))
    if result.shape != wrapped.shape:
        raise GradientError(
            f"a gradient hook returned shape {result.shape} for a gradient of "
            f"shape {wrapped.shape}; a hook must keep the shape (or return None)"
        )
    return result if create_graph else result._data


def _observe(node: Function, slots: list[Any], sink: _Sink) -> list[Any]:
    """Run a node's output hooks and let the sink see its output gradients."""
    if node._hooks is not None:
        slots = _node_hooks(node, slots)
    if sink.watches_nodes:
        sink.node_output(node, slots)
    return slots


def _call_backward(node: Function, slots: list[Any], create_graph: bool) -> Any:
    """Run the backward of a node with several outputs (zeros for unused ones)."""
    grads_out = [
        g if g is not None else _zeros_like_output(node, j, create_graph)
        for j, g in enumerate(slots)
    ]
    return node.backward(*grads_out)


def _note_failure(error: Exception, node: Function) -> None:
    """Say which node's backward raised, and how a common mistake is fixed."""
    note = f"(raised in {type(node).__name__}.backward during the backward pass)"
    if isinstance(error, ValueError) and "read-only" in str(error):
        note += (
            "; the incoming gradient may be read-only or shared: compute "
            "a new array instead of writing into it"
        )
    error.add_note(note)


def _check_returned(node: Function, grads_in: Any) -> tuple[Any, ...]:
    """One gradient per input, as a tuple, or an error saying what is wrong."""
    n_inputs = len(node.edges)
    if isinstance(grads_in, (tuple, list)):
        if len(grads_in) == n_inputs:
            return tuple(grads_in)
        raise GradientError(
            f"{type(node).__name__}.backward returned {len(grads_in)} gradients "
            f"but forward took {n_inputs} inputs; return one gradient per "
            "input, in order, None where an input needs none"
        )
    if n_inputs == 1:
        return (grads_in,)
    raise GradientError(
        f"{type(node).__name__}.backward returned one value but forward took "
        f"{n_inputs} inputs; return a tuple of {n_inputs} gradients (None where "
        "an input needs none)"
    )


def _zeros_like_output(node: Function, j: int, create_graph: bool) -> Any:
    # An output nobody used still gets a gradient: zeros of its shape.
    shape, dtype = node._output_meta[j]
    zeros = np.zeros(shape, dtype)
    return _function._Tensor(zeros) if create_graph else zeros


def _conform(grad: Any, edge: Any, node: Function, k: int, create_graph: bool) -> Any:
    """Check one returned gradient and bring it to its input's shape and dtype."""
    shape, dtype = edge[2], edge[3]
    if type(grad) is not np.ndarray:
        if isinstance(grad, _function._Tensor):
            if not create_graph:
                grad = grad.data
        elif isinstance(grad, (np.ndarray, np.floating, float)):
            # NOTE: NumPy turns 0-d results into scalars; take them back.
            grad = np.asarray(grad)
        else:
            raise GradientError(
                f"{type(node).__name__}.backward returned {_a(type(grad).__name__)} "
                f"as the gradient of input {k}; return a NumPy array of shape "
                f"{shape} (or None)"
            )

    if grad.shape != shape:
        grad = _unbroadcast(grad, shape, node, k)
    if grad.dtype != dtype:
        if grad.dtype.kind != "f":
            raise GradientError(
                f"{type(node).__name__}.backward returned a gradient of dtype "
                f"{grad.dtype} for input {k} of dtype {dtype}; gradients must "
                "be floating point"
            )
        grad = grad.astype(dtype)
    return grad


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _unbroadcast(grad: Any, shape: tuple[int, ...], node: Function, k: int) -> Any:
    """Sum a gradient of a broadcast result down to the input's ``shape``.

    The one place where broadcasting is undone: every op may return the
    gradient in the broadcast shape of its output.
    """
    grad_shape = grad.shape
    lead = len(grad_shape) - len(shape)
    compatible = lead >= 0 and all(
        n == 1 or n == m for n, m in zip(shape, grad_shape[lead:], strict=True)
    )
    if not compatible:
        hint = ""
        if len(shape) >= 2 and grad_shape == shape[:-2] + shape[-1:-3:-1]:
            hint = (
                "; it is the input's shape with the last two axes swapped: "
                "is it transposed (x.T @ grad where grad.T @ x was meant, "
                "or the other way round)?"
            )
        raise GradientError(
            f"{type(node).__name__}.backward returned a gradient of shape "
            f"{grad_shape} for input {k} of shape {shape}; the gradient must "
            "have the input's shape (or a shape the input broadcasts to)" + hint
        )

    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad_shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes)
    return grad.reshape(shape)


def _add(total: Any, grad: Any) -> Any:
    # NOTE: never in place: a gradient array may be shared with another path.
    return grad if total is None else total + grad


def _is_saved(grad: Any, saved: tuple[Any, ...] | None) -> bool:
    # A loop, not any(...): this runs for every gradient a leaf receives.
    if saved is not None:
        for value in saved:
            if grad is value:
                return True
    return False


def _accumulate_leaf(
    leaf: Any, grad: Any, delivered: set[int], create_graph: bool, saved: bool
) -> None:
    """Add ``grad`` into ``leaf.grad``, which the leaf then owns alone."""
    Tensor = _function._Tensor
    if create_graph:
        if not isinstance(grad, Tensor):
            grad = Tensor(grad)
        leaf._grad = grad if leaf._grad is None else leaf._grad + grad
        return

    # NOTE: backward rules may return the same array to several inputs (add),
    # a view of their incoming gradient (reshape), or a user's rule may return
    # one of its saved arrays. A leaf's .grad must be its own, since
    # optimizers and clipping update it in place: copy an array that is a
    # view, read-only, already held by another leaf, or saved by the node.
    if isinstance(grad, Tensor):
        grad = grad._data
    current = leaf._grad
    if current is None:
        if (
            grad.base is not None
            or id(grad) in delivered
            or not grad.flags.writeable
            or saved
        ):
            grad = grad.copy()
        delivered.add(id(grad))
        # (_wrap: a float array needs none of the constructor's checks, which
        # cost 0.7 us per leaf per step.)
        leaf._grad = _function._wrap(grad, None, 0)
    elif not current._requires_grad and current._data.shape == grad.shape:
        current._data += grad
    else:
        leaf._grad = _function._wrap(current._data + grad, None, 0)
