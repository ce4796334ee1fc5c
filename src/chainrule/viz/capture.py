"""The gradient each backward edge carries: measured, or recorded from yours.

For ``graph(..., grad_norms=True)`` there are two sources:

- **recorded**: :func:`watch` (``cr.viz.watch(loss)``), called between the
  forward pass and your own ``backward()``, puts a spy on every node behind
  the output; your backward then notes what each node received and sent.
  Nothing else changes, and the graph may be freed by that backward.
- **measured**: otherwise, for a graph that still holds its saved values,
  one extra backward pass, ``cr.autograd.grad`` with ``retain_graph=True``
  over the graph's leaves, with the same spies for its duration; no
  ``.grad`` changes and the graph can still be used afterwards.

A spy shadows the node's ``backward`` on the instance: it notes what came
in (the gradient of each of the node's outputs) and what went out (the
gradient of each input, brought to the input's shape by the engine's own
helper), and calls the real ``backward``.

NOTE: the engine's hooks would show only the first half (a node's output
gradients); what an op sends into each input is what tells the paths of a
diamond apart, and only its backward's return value has it.

NOTE: the measuring pass sets aside the hooks registered on the graph's
tensors (``register_hook``, ``retain_grad``), so they neither run twice nor
store anything; a hook that changes gradients is therefore not reflected in
measured norms. A recorded backward is yours: its hooks ran, and the norms
are of the gradients that flowed. Module backward hooks are ops of the
graph and run in both.
"""

from __future__ import annotations

import weakref
from typing import Any, Literal

import numpy as np

from chainrule.autograd import engine
from chainrule.autograd.api import grad
from chainrule.autograd.function import Function
from chainrule.errors import GraphDrawingError
from chainrule.tensor import Tensor

Source = Literal["measured", "recorded"]

_UNSET = object()
# What a watched node's spy noted in the backward that ran it: (gradients
# of its outputs, gradients it sent into its inputs). Weak: gone with the graph.
_recorded: weakref.WeakKeyDictionary[
    Function, tuple[tuple[Any, ...], tuple[Any, ...]]
] = weakref.WeakKeyDictionary()


class Gradients:
    """What one backward pass gave each node: per output and per input."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.outputs: dict[int, tuple[Any, ...]] = {}
        self.inputs: dict[int, tuple[Any, ...]] = {}

    def has(self, node: Function) -> bool:
        """Whether the pass ran ``node`` (and so its edges have a gradient)."""
        return id(node) in self.outputs

    def of_output(self, node: Function, index: int) -> Any:
        grads = self.outputs.get(id(node))
        return None if grads is None else grads[index]

    def into_input(self, node: Function, k: int) -> Any:
        grads = self.inputs.get(id(node))
        return None if grads is None else grads[k]

    def note(self, node: Function, grad_outputs: Any, grads_in: Any) -> None:
        self.outputs[id(node)] = tuple(grad_outputs)
        self.inputs[id(node)] = tuple(grads_in)


def watch(nodes: list[Function]) -> None:
    """Spy on each of ``nodes`` during the next backward that runs it."""
    for node in nodes:
        if node._released:
            raise GraphDrawingError(
                f"watch: this graph was already used by a backward() (first at a "
                f"{type(node).__name__} node); call cr.viz.watch(output) after "
                "the forward pass and before backward()"
            )
    for node in nodes:
        if "backward" not in node.__dict__:
            node.__dict__["backward"] = _recording_spy(weakref.ref(node))


def recorded(nodes: list[Function]) -> Gradients | None:
    """The gradients a watched backward recorded for ``nodes``, or None if none."""
    found = Gradients("recorded")
    for node in nodes:
        entry = _recorded.get(node)
        if entry is not None:
            found.note(node, *entry)
    return found if found.outputs else None


def capture(output: Tensor, nodes: list[Function], leaves: list[Tensor]) -> Gradients:
    """Run one backward from ``output`` (seeded with ones) and record it."""
    for node in nodes:
        if node._released:
            raise GraphDrawingError(
                f"grad_norms=True: this graph's saved values were freed by a "
                f"backward() (first at a {type(node).__name__} node); call "
                "cr.viz.watch(output) before that backward() to record the "
                "norms of its gradients, draw before calling backward(), or "
                "call backward(retain_graph=True)"
            )
    seen = Gradients("measured")
    shadowed: dict[Function, Any] = {}
    hidden_nodes: dict[Function, Any] = {}
    hidden_leaves: list[tuple[Tensor, Any]] = []
    try:
        for node in nodes:
            # NOTE: a watched node's spy waits for your backward: it is put
            # back afterwards and does not see this pass.
            shadowed[node] = node.__dict__.get("backward", _UNSET)
            node.__dict__["backward"] = _spy(node, seen)
            if node._hooks is not None:
                hidden_nodes[node] = node._hooks
                node._hooks = None
        for leaf in leaves:
            hooks = getattr(leaf, "_hooks", _UNSET)
            if hooks is not _UNSET:
                hidden_leaves.append((leaf, hooks))
                del leaf._hooks
        seed = np.ones_like(output.data)
        grad(output, leaves, grad_outputs=seed, retain_graph=True, allow_unused=True)
    finally:
        for node, previous in shadowed.items():
            if previous is _UNSET:
                node.__dict__.pop("backward", None)
            else:
                node.__dict__["backward"] = previous
        for node, node_hooks in hidden_nodes.items():
            node._hooks = node_hooks
        for leaf, hooks in hidden_leaves:
            leaf._hooks = hooks
    return seen


def _spy(node: Function, seen: Gradients) -> Any:
    backward = type(node).backward

    def spy(*grad_outputs: Any) -> Any:
        result = backward(node, *grad_outputs)
        seen.note(node, grad_outputs, _sent(node, result))
        return result

    return spy


def _recording_spy(ref: weakref.ref[Function]) -> Any:
    # NOTE: the spy holds its node weakly: a strong reference from the
    # node's own __dict__ would make a cycle that keeps the graph alive
    # until the cyclic garbage collector runs.
    def spy(*grad_outputs: Any) -> Any:
        node = ref()
        assert node is not None  # the engine is calling it
        result = type(node).backward(node, *grad_outputs)
        # Copies: optimizers and clipping change a leaf's .grad in place,
        # and the engine may keep the array it was given as that .grad.
        _recorded[node] = (
            tuple(_copy(g) for g in grad_outputs),
            tuple(_copy(g) for g in _sent(node, result)),
        )
        # Once is enough: the record is of the next backward only.
        node.__dict__.pop("backward", None)
        return result

    return spy


def _sent(node: Function, result: Any) -> tuple[Any, ...]:
    """What ``backward`` returned for each input, shaped like that input."""
    values = result if isinstance(result, (tuple, list)) else (result,)
    return tuple(
        _conformed(value, edge, node, k)
        for k, (value, edge) in enumerate(zip(values, node.edges, strict=False))
    )


def _conformed(value: Any, edge: Any, node: Function, k: int) -> Any:
    if value is None or edge is None:
        return None
    # The engine's own reduction of broadcast gradients, the only one.
    return engine._conform(value, edge, node, k, False)


def _copy(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Tensor):
        value = value.data
    return np.array(value, copy=True)


def norm(value: Any) -> float:
    """The L2 norm, computed in float64."""
    return float(np.linalg.norm(np.asarray(value, dtype=np.float64).ravel()))
