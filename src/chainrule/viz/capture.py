"""The gradient each backward edge carries, measured by one extra backward pass.

For ``graph(..., grad_norms=True)``. The pass is ``cr.autograd.grad`` with
``retain_graph=True`` over the graph's leaves, so no ``.grad`` changes and
the graph can still be used afterwards. While it runs, every node's
``backward`` is shadowed by a spy on the instance that notes what came in
(the gradient of each of the node's outputs) and what went out (the
gradient of each input, brought to the input's shape by the engine's own
helper), and is removed afterwards.

NOTE: the engine's hooks would show only the first half (a node's output
gradients); what an op sends into each input is what tells the paths of a
diamond apart, and only its backward's return value has it.

NOTE: hooks registered on the graph's tensors (``register_hook``,
``retain_grad``) are set aside during the pass, so they neither run twice
nor store anything; a hook that changes gradients is therefore not
reflected in the norms. Module backward hooks are ops of the graph and run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd import engine
from chainrule.autograd.api import grad
from chainrule.autograd.function import Function
from chainrule.errors import GraphDrawingError
from chainrule.tensor import Tensor

_UNSET = object()


class Gradients:
    """What one capture pass saw: per node output and per node input."""

    def __init__(self) -> None:
        self.outputs: dict[int, tuple[Any, ...]] = {}
        self.inputs: dict[int, tuple[Any, ...]] = {}

    def of_output(self, node: Function, index: int) -> Any:
        grads = self.outputs.get(id(node))
        return None if grads is None else grads[index]

    def into_input(self, node: Function, k: int) -> Any:
        grads = self.inputs.get(id(node))
        return None if grads is None else grads[k]


def capture(output: Tensor, nodes: list[Function], leaves: list[Tensor]) -> Gradients:
    """Run one backward from ``output`` (seeded with ones) and record it."""
    for node in nodes:
        if node._released:
            raise GraphDrawingError(
                f"grad_norms=True: this graph's saved values were freed by a "
                f"backward() (first at a {type(node).__name__} node); draw it "
                "before calling backward(), or call backward(retain_graph=True)"
            )
    seen = Gradients()
    hidden_nodes: dict[Function, Any] = {}
    hidden_leaves: list[tuple[Tensor, Any]] = []
    try:
        for node in nodes:
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
        for node in nodes:
            node.__dict__.pop("backward", None)
        for node, node_hooks in hidden_nodes.items():
            node._hooks = node_hooks
        for leaf, hooks in hidden_leaves:
            leaf._hooks = hooks
    return seen


def _spy(node: Function, seen: Gradients) -> Any:
    backward = type(node).backward

    def spy(*grad_outputs: Any) -> Any:
        seen.outputs[id(node)] = grad_outputs
        result = backward(node, *grad_outputs)
        values = result if isinstance(result, (tuple, list)) else (result,)
        seen.inputs[id(node)] = tuple(
            _conformed(value, edge, node, k)
            for k, (value, edge) in enumerate(zip(values, node.edges, strict=False))
        )
        return result

    return spy


def _conformed(value: Any, edge: Any, node: Function, k: int) -> Any:
    if value is None or edge is None:
        return None
    # The engine's own reduction of broadcast gradients, the only one.
    return engine._conform(value, edge, node, k, False)


def norm(value: Any) -> float:
    """The L2 norm, computed in float64."""
    return float(np.linalg.norm(np.asarray(value, dtype=np.float64).ravel()))
