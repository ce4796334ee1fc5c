"""Containers: ``Sequential`` applies its modules one after another;
``ModuleList``, ``ModuleDict`` and ``ParameterList`` hold modules or
parameters, registered, for a ``forward`` that uses them as it likes.

A plain Python list of layers registers nothing, so an optimizer would never
see their weights; assigning one to a module attribute is refused, naming
these containers (see ``Module.__setattr__``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, NoReturn, TypeVar, overload

from chainrule.nn.module import Module, indented
from chainrule.nn.parameter import Parameter


class Sequential(Module):
    """Applies its modules in order, each to the output of the one before.

    The modules are named ``"0"``, ``"1"``, ... (so their weights are
    ``"0.weight"``, ...), unless given as one mapping of names to modules.

    Parameters
    ----------
    *modules
        The modules, in order; or a single dict of name -> module.

    Shape
    -----
    - Input: what the first module takes. Output: what the last returns.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> rng = np.random.default_rng(0)
    >>> model = nn.Sequential(
    ...     nn.Linear(4, 8, generator=rng), nn.ReLU(), nn.Linear(8, 1, generator=rng)
    ... )
    >>> model
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=1, bias=True)
    )
    >>> model(cr.zeros(10, 4)).shape
    (10, 1)
    >>> len(model), type(model[-1]).__name__, len(model[:2])
    (3, 'Linear', 2)
    """

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, named in modules[0].items():
                self.add_module(name, named)
            return
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {index} is a {type(module).__name__}, "
                    "not a Module; wrap functions in a Module subclass"
                )
            self.add_module(str(index), module)

    def forward(self, x: Any) -> Any:
        for module in self:
            x = module(x)
        return x

    @overload
    def __getitem__(self, index: int) -> Module: ...

    @overload
    def __getitem__(self, index: slice) -> Sequential: ...

    def __getitem__(self, index: int | slice) -> Module | Sequential:
        items = [(name, m) for name, m in self._modules.items() if m is not None]
        if isinstance(index, slice):
            return Sequential(dict(items[index]))
        return items[_position("Sequential", index, len(items), "modules")][1]

    def __len__(self) -> int:
        return sum(module is not None for module in self._modules.values())

    def __iter__(self) -> Iterator[Module]:
        for module in self._modules.values():
            if module is not None:
                yield module

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named by its position); returns self."""
        if not isinstance(module, Module):
            raise TypeError(
                f"Sequential.append: expected a Module, got {type(module).__name__}"
            )
        self.add_module(str(len(self)), module)
        return self


T = TypeVar("T", Module, Parameter)
L = TypeVar("L", bound="_RegisteredList[Any]")


class _RegisteredList(Module, Generic[T]):
    """A list kept in one of the module's registries under the names "0", "1", ...

    What ModuleList (in ``_modules``) and ParameterList (in ``_parameters``)
    share: list operations that renumber the names after an insertion or a
    deletion, so that the names are always the positions, as in PyTorch.
    """

    _element: type[T]
    _what: str  # "modules" or "parameters", for messages
    _example: str  # how a forward uses the contents

    def __init__(self, values: Iterable[T] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def _registry(self) -> dict[str, T | None]:
        raise NotImplementedError  # each list says which registry it lives in

    def forward(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError(
            f"{type(self).__name__} holds its contents for another module's "
            f"forward and is not called itself; use them in your forward "
            f"({self._example}), or chain layers with nn.Sequential"
        )

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self: L, index: slice) -> L: ...

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self)
        if isinstance(index, slice):
            return type(self)(items[index])
        return items[self._position(index, len(items))]

    def __setitem__(self, index: int, value: T) -> None:
        position = self._position(index, len(self))
        self._registry()[str(position)] = self._checked(type(self).__name__, value)

    def __delitem__(self, index: int | slice) -> None:
        items = list(self)
        if not isinstance(index, slice):
            index = self._position(index, len(items))
        del items[index]
        self._renumber(items)

    def __len__(self) -> int:
        return len(self._registry())

    def __iter__(self) -> Iterator[T]:
        return iter([value for value in self._registry().values() if value is not None])

    def __iadd__(self: L, values: Iterable[T]) -> L:
        return self.extend(values)

    def __add__(self: L, other: Iterable[T]) -> L:
        return type(self)(list(self) + list(other))

    def append(self: L, value: T) -> L:
        """Add ``value`` at the end; returns self."""
        where = f"{type(self).__name__}.append"
        self._registry()[str(len(self))] = self._checked(where, value)
        return self

    def extend(self: L, values: Iterable[T]) -> L:
        """Add each of ``values`` at the end, in order; returns self."""
        kind = type(self).__name__
        # NOTE: a Parameter and a Sequential are iterable too; a Parameter
        # (or a layer that is not a container) is a forgotten append.
        if isinstance(values, Parameter) or (
            isinstance(values, Module) and not hasattr(values, "__iter__")
        ):
            raise TypeError(
                f"{kind}.extend: expected an iterable of {self._what}, got one "
                f"{type(values).__name__}; use append for a single one"
            )
        # NOTE: every item is checked before any is added, so a refused
        # extend leaves the list as it was.
        items = [self._checked(f"{kind} item {k}", v) for k, v in enumerate(values)]
        for value in items:
            self.append(value)
        return self

    def insert(self, index: int, value: T) -> None:
        """Put ``value`` before position ``index``, as ``list.insert``."""
        items = list(self)
        items.insert(index, self._checked(f"{type(self).__name__}.insert", value))
        self._renumber(items)

    def pop(self, index: int = -1) -> T:
        """Remove the element at ``index`` (the last by default) and return it."""
        value = self[index]
        del self[index]
        return value

    def _renumber(self, values: list[T]) -> None:
        registry = self._registry()
        registry.clear()
        for position, value in enumerate(values):
            registry[str(position)] = value

    def _position(self, index: Any, length: int) -> int:
        return _position(type(self).__name__, index, length, self._what)

    def _checked(self, where: str, value: Any) -> T:
        if isinstance(value, self._element):
            return value
        if self._element is Parameter:
            raise TypeError(
                f"{where}: expected an nn.Parameter, got {type(value).__name__}; "
                "wrap it as nn.Parameter(value)"
            )
        raise _not_a_module(where, value)


class ModuleList(_RegisteredList[Module]):
    """A list of modules, registered: their weights are the container's.

    Holds layers for a ``forward`` that calls them as it likes (in a loop,
    some of them, with skips). The modules are named ``"0"``, ``"1"``, ...
    by position, so weights have names like ``"layers.0.weight"``, as in
    PyTorch; inserting or deleting renumbers the ones after it. It has no
    ``forward`` of its own (``Sequential`` chains its modules).

    Parameters
    ----------
    modules
        The modules, in order (any iterable); empty by default.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> class Tower(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
    ...     def forward(self, x):
    ...         for layer in self.layers:
    ...             x = x + cr.tanh(layer(x))
    ...         return x
    >>> model = Tower()
    >>> model.layers
    ModuleList(
      (0-2): 3 x Linear(in_features=4, out_features=4, bias=True)
    )
    >>> len(list(model.parameters())), list(model.state_dict())[:2]
    (6, ['layers.0.weight', 'layers.0.bias'])
    """

    _element = Module
    _what = "modules"
    _example = "for layer in self.layers: x = layer(x)"

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__(modules)

    def _registry(self) -> dict[str, Module | None]:
        return self._modules

    def _child_lines(self) -> list[str]:
        # NOTE: as PyTorch prints it, a run of modules that print the same
        # is one line, "(0-2): 3 x Linear(...)", so a deep stack of equal
        # blocks stays readable.
        lines: list[str] = []
        texts = [repr(module) for module in self]
        start = 0
        while start < len(texts):
            stop = start
            while stop + 1 < len(texts) and texts[stop + 1] == texts[start]:
                stop += 1
            body = indented(texts[start])
            if stop == start:
                lines.append(f"({start}): {body}")
            else:
                lines.append(f"({start}-{stop}): {stop - start + 1} x {body}")
            start = stop + 1
        return lines


class ModuleDict(Module):
    """A dict of modules, registered under their keys, in insertion order.

    ``model.heads["digit"]`` finds a module by name; its weights are named
    ``"heads.digit.weight"``. Keys must be strings without ``.`` that are not
    already attributes (``"keys"``, ``"training"``), as in PyTorch. It has no
    ``forward`` of its own.

    Parameters
    ----------
    modules
        A mapping of name -> module, or an iterable of (name, module) pairs.

    Examples
    --------
    >>> from chainrule import nn
    >>> heads = nn.ModuleDict({"digit": nn.Linear(8, 10), "parity": nn.Linear(8, 2)})
    >>> heads
    ModuleDict(
      (digit): Linear(in_features=8, out_features=10, bias=True)
      (parity): Linear(in_features=8, out_features=2, bias=True)
    )
    >>> list(heads), "digit" in heads, heads["parity"].out_features
    (['digit', 'parity'], True, 2)
    """

    def __init__(
        self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
    ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def forward(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError(
            "ModuleDict holds its contents for another module's forward and is "
            'not called itself; use them in your forward (self.heads["name"](x))'
        )

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise self._missing(key)
        return self._modules[key]  # type: ignore[return-value]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, _checked_module("ModuleDict", module))

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise self._missing(key)
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> list[str]:
        """The names, in insertion order."""
        return list(self._modules)

    def values(self) -> list[Module]:
        """The modules, in insertion order."""
        return list(self._modules.values())  # type: ignore[arg-type]

    def items(self) -> list[tuple[str, Module]]:
        """(name, module) pairs, in insertion order."""
        return list(self._modules.items())  # type: ignore[arg-type]

    def update(
        self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]
    ) -> None:
        """Add or replace the modules of a mapping or of (name, module) pairs."""
        if isinstance(modules, Module):
            raise TypeError(
                f"ModuleDict.update: expected a mapping of name -> module, got "
                f"one {type(modules).__name__}; use d[name] = module"
            )
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for pair in pairs:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise TypeError(
                    "ModuleDict.update: expected a mapping or (name, module) "
                    f"pairs, got an item {pair!r}"
                )
            self[pair[0]] = pair[1]

    def pop(self, key: str) -> Module:
        """Remove the module under ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def _missing(self, key: Any) -> KeyError:
        return KeyError(
            f"ModuleDict has no module {key!r}; its keys are {list(self._modules)}"
        )


class ParameterList(_RegisteredList[Parameter]):
    """A list of Parameters, registered as ``"0"``, ``"1"``, ... like PyTorch's.

    For a variable number of weights that are not layers of their own (a
    scale per stage, say). Each element must be an ``nn.Parameter``: wrap a
    tensor with ``nn.Parameter(t)``, which copies it.

    Parameters
    ----------
    values
        The Parameters, in order; empty by default.

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule import nn
    >>> scales = nn.ParameterList([nn.Parameter(np.ones(3)) for _ in range(2)])
    >>> scales
    ParameterList(
      (0): Parameter containing: [float64 of shape (3,)]
      (1): Parameter containing: [float64 of shape (3,)]
    )
    >>> [name for name, _ in scales.named_parameters()]
    ['0', '1']
    """

    _element = Parameter
    _what = "parameters"
    _example = "for w in self.weights: x = x * w"

    def _registry(self) -> dict[str, Parameter | None]:
        return self._parameters

    def _child_lines(self) -> list[str]:
        return [
            f"({name}): Parameter containing: [{param.dtype} of shape {param.shape}]"
            for name, param in self._parameters.items()
            if param is not None
        ]


def _position(kind: str, index: Any, length: int, what: str) -> int:
    """``index`` (negative counts from the end) as a position in ``range(length)``."""
    if isinstance(index, bool) or not hasattr(index, "__index__"):
        raise TypeError(
            f"{kind} indices must be integers or slices, got {type(index).__name__}"
        )
    position = index.__index__()
    if not -length <= position < length:
        raise IndexError(f"{kind} index {position} is out of range for {length} {what}")
    return position % length


def _checked_module(where: str, module: Any) -> Module:
    if not isinstance(module, Module):
        raise _not_a_module(where, module)
    return module


def _not_a_module(where: str, value: Any) -> TypeError:
    return TypeError(
        f"{where}: expected a Module, got {type(value).__name__}; wrap "
        "functions in a Module subclass"
    )
