"""Which module made which node: recorded while a model's forward runs.

The graph itself does not know about modules: a node is an op and its
edges. So :func:`record_modules` puts a temporary forward hook on every
module of a model. When a module's forward finishes, its hook walks back
from the module's outputs to the nodes that made its inputs and *claims*
every node on the way that nobody claimed yet. Children finish before their
parents, so the innermost module claims first, and each node ends up with
the deepest module path that made it. The direct children of the model
(the layers of a ``Sequential``) also stamp each node with their call:
those are the boxes of the module-level drawing.

The claims live in a weak dictionary keyed by node, so they vanish with the
graph; outside ``record_modules`` nothing is hooked and nothing is paid.
"""

from __future__ import annotations

import itertools
import weakref
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from chainrule.autograd.function import Function
from chainrule.autograd.hooks import RemovableHandle
from chainrule.nn.module import Module
from chainrule.tensor import Tensor


@dataclass(frozen=True)
class Group:
    """One call of one of the model's direct children: a box when collapsed."""

    id: int
    path: str
    label: str


@dataclass(frozen=True)
class Claim:
    """The deepest module that made a node, and the box it belongs to."""

    path: str
    group: Group | None


_claims: weakref.WeakKeyDictionary[Function, Claim] = weakref.WeakKeyDictionary()
# The module path naming each node output a module returned (``"0"``).
_output_names: weakref.WeakKeyDictionary[Function, dict[int, str]] = (
    weakref.WeakKeyDictionary()
)
_group_ids = itertools.count()


def claim_of(node: Function) -> Claim | None:
    return _claims.get(node)


def output_name(node: Function, index: int) -> str | None:
    names = _output_names.get(node)
    return None if names is None else names.get(index)


class record_modules:
    """Record which module of ``model`` makes each op of the forward pass.

    Use it around the forward pass, then draw: ``graph(loss, model=model)``
    collapses each of the model's direct children to one box. The hooks it
    adds are removed on leaving; nothing stays attached to the model.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    >>> with cr.viz.record_modules(model):
    ...     y = model(cr.ones(2, 3))
    >>> [n.label for n in cr.viz.graph(y, model=model).nodes if n.kind == "module"]
    ['Linear 0', 'Tanh 1']
    """

    def __init__(self, model: Module) -> None:
        if not isinstance(model, Module):
            raise TypeError(
                f"record_modules: expected an nn.Module, got {type(model).__name__}"
            )
        self.model = model
        self._handles: list[RemovableHandle] = []
        self._calls: Counter[str] = Counter()

    def __enter__(self) -> record_modules:
        children = [path for path, _ in self.model.named_children()]
        # A model without children is itself the one box.
        boxes = set(children) if children else {""}
        for path, module in self.model.named_modules():
            hook = self._hook(path, path in boxes)
            self._handles.append(module.register_forward_hook(hook))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _hook(self, path: str, box: bool) -> Any:
        def after_forward(module: Module, inputs: Any, output: Any) -> None:
            group = None
            if box:
                self._calls[path] += 1
                group = new_group(path, self._label(path, module))
            claim(output, inputs, path, group)

        return after_forward

    def _label(self, path: str, module: Module) -> str:
        label = f"{type(module).__name__} {path}".strip()
        calls = self._calls[path]
        return label if calls == 1 else f"{label} (call {calls})"


def new_group(path: str, label: str) -> Group:
    """A new box (each call of a layer is one)."""
    return Group(next(_group_ids), path, label)


def claim(output: Any, inputs: Any, path: str, group: Group | None) -> None:
    """Claim the unclaimed nodes between ``output`` and the nodes of ``inputs``."""
    stops = {id(t._node) for t in _tensors(inputs) if t._node is not None}
    outputs = [t for t in _tensors(output) if t._node is not None]
    stack = [t._node for t in outputs if id(t._node) not in stops]
    seen = {id(node) for node in stack}
    # NOTE: the walk goes on through nodes an inner module claimed (the
    # parent's own ops may lie before them) but never past an input.
    while stack:
        node = stack.pop()
        known = _claims.get(node)
        if known is None:
            _claims[node] = Claim(path, group)
        elif known.group is None and group is not None:
            _claims[node] = Claim(known.path, group)
        for edge in node.edges:
            if edge is None or edge[1] < 0:
                continue
            target = edge[0]
            if id(target) not in stops and id(target) not in seen:
                seen.add(id(target))
                stack.append(target)

    if path:
        # Outer modules finish later and overwrite: the box's output keeps
        # the box's name ("2", not "2.fc").
        for tensor in outputs:
            _output_names.setdefault(tensor._node, {})[tensor._index] = path


def _tensors(value: Any) -> Iterator[Tensor]:
    """The tensors in a module's inputs or output (a tensor, tuple, list, dict)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            yield item
        elif isinstance(item, (tuple, list)):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
