"""Hooks: user functions called with a gradient during backward.

``tensor.register_hook(fn)`` calls ``fn(grad)`` when the gradient with respect
to that tensor is complete (for a leaf, before it is added into ``.grad``);
a hook may return a new gradient to use instead. ``tensor.retain_grad()``
keeps a non-leaf tensor's gradient in its ``.grad``, taken after the tensor's
other hooks have run (as in PyTorch, whatever the order they were registered
in), so ``.grad`` is the gradient that flows on. Both are how
diagnostics (``chainrule.monitor``) read data gradients: the gradients of
the loss with respect to the values flowing between layers.

A non-leaf tensor is not referenced by the graph, so its hooks live on the
node that made it, keyed by output index; the engine runs them when that
node's output gradients are all in. A leaf keeps its own.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

_ids = itertools.count()


class HookDict(dict[int, Any]):
    """The hooks of one tensor, node output or module, by handle id.

    A dict subclass because a handle keeps only a weak reference to it
    (plain dicts cannot be weakly referenced): a handle must not keep a
    dead graph's hooks alive. ``retain`` is a tensor's ``retain_grad``
    hook, kept apart because it runs last; the dict is true while it holds
    any hook to run.
    """

    __slots__ = ("__weakref__", "retain")

    def __init__(self) -> None:
        super().__init__()
        self.retain: Callable[[Any], None] | None = None

    def __bool__(self) -> bool:
        return len(self) > 0 or self.retain is not None


class RemovableHandle:
    """Returned by every ``register_*hook``; ``handle.remove()`` unregisters."""

    def __init__(self, registry: HookDict) -> None:
        self.id = next(_ids)
        self._registry = weakref.ref(registry)

    def remove(self) -> None:
        registry = self._registry()
        if registry is not None:
            registry.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def run_hooks(hooks: HookDict, grad: Any) -> Any:
    """Call each hook in order; a hook's non-None result replaces the gradient.

    The ``retain_grad`` hook comes last and sees the final gradient.
    """
    for hook in list(hooks.values()):
        result = hook(grad)
        if result is not None:
            grad = result
    if hooks.retain is not None:
        hooks.retain(grad)
    return grad
