"""``Sequential``: modules applied one after another."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, overload

from chainrule.nn.module import Module


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
        if not -len(items) <= index < len(items):
            raise IndexError(
                f"Sequential index {index} is out of range for {len(items)} modules"
            )
        return items[index][1]

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
