"""``Module``: the base class of layers and models.

A module holds weights (:class:`~chainrule.nn.Parameter`), other modules and
non-trainable state (buffers), and computes something in ``forward``. As in
PyTorch, assigning an attribute registers it::

    class TwoLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 8)     # a submodule, named "fc1"
            self.scale = nn.Parameter(1.0)  # a weight, named "scale"

        def forward(self, x):
            return self.scale * cr.tanh(self.fc1(x))

Registered things live in three ordered dicts (``_parameters``, ``_buffers``,
``_modules``) rather than in the instance ``__dict__``; ``__getattr__`` finds
them there. Keeping one home per name is what lets assignment, deletion and
overwriting keep the registries right, and ``parameters()``, ``state_dict()``
and ``repr`` list everything in the order it was assigned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar

import numpy as np

from chainrule.autograd.api import clear_grad
from chainrule.autograd.hooks import HookDict, RemovableHandle
from chainrule.autograd.inplace import note_write
from chainrule.dtypes import to_dtype
from chainrule.errors import DTypeError, StateDictError
from chainrule.nn import hooks
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor

M = TypeVar("M", bound="Module")


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and model.

    Subclass it, call ``super().__init__()`` first in ``__init__``, assign
    Parameters and submodules as attributes, and define ``forward``. Call the
    module (``model(x)``), not ``forward``, to run it.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> class Affine(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = nn.Parameter([2.0, 3.0])
    ...         self.b = nn.Parameter(0.5)
    ...     def forward(self, x):
    ...         return x * self.w + self.b
    >>> model = Affine()
    >>> [name for name, _ in model.named_parameters()]
    ['w', 'b']
    >>> model(cr.tensor([1.0, 1.0])).sum().backward()
    >>> model.w.grad, model.b.grad
    (tensor([1., 1.]), tensor(2.))
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent: set[str]
    _modules: dict[str, Module | None]

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these to exist.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_pre_hooks", HookDict())
        object.__setattr__(self, "_forward_hooks", HookDict())
        object.__setattr__(self, "_backward_hooks", HookDict())

    # --- running -------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it. Call the module to run it."""
        raise NotImplementedError(
            f"{type(self).__name__} defines no forward(); a Module subclass "
            "needs forward(self, x) returning its output (check the spelling "
            "of 'forward')"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks):
            return self.forward(*args, **kwargs)

        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        call = None
        if self._backward_hooks:
            call, args = hooks.wrap_inputs(self, args)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        if call is not None:
            output = hooks.wrap_outputs(call, output)
        return output

    # --- hooks ------------------------------------------------------------------

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, inputs)`` before each forward; may return new inputs."""
        return _register(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, inputs, output)`` after each forward; may return a new output.

        Call ``output.register_hook`` inside it to see the data gradient
        arriving at the module's output.
        """
        return _register(self._forward_hooks, hook)

    def register_full_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` once per call, during backward.

        ``grad_output`` holds the gradients with respect to the module's
        outputs, ``grad_input`` those with respect to its tensor inputs
        (None where an input needs none); a returned tuple replaces
        ``grad_input``. See ``chainrule.nn.hooks`` for how it works.
        """
        return _register(self._backward_hooks, hook)

    # --- registering -----------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        # NOTE: as in PyTorch, a registered name keeps its kind: only a
        # Parameter (or None) replaces a Parameter, a Module a Module, a
        # Tensor a buffer. Replacing a weight with a plain tensor would
        # otherwise drop it from parameters() without a word.
        ready = "_parameters" in self.__dict__
        if isinstance(value, Parameter):
            self._require_init("assign the parameter", name)
            self._forget(name, keep=self._parameters)
            self._parameters[name] = value
        elif ready and name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to "
                    f"{type(self).__name__}.{name}, which is a Parameter: it "
                    "would silently stop being trained. Wrap a tensor, "
                    f"self.{name} = nn.Parameter(value), or `del self.{name}` "
                    "first to store something else under that name"
                )
            self._parameters[name] = None
        elif isinstance(value, Module):
            self._require_init("assign the submodule", name)
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif ready and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to "
                    f"{type(self).__name__}.{name}, which is a submodule; "
                    f"assign a Module or None, or `del self.{name}` first"
                )
            self._modules[name] = None
        elif ready and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to "
                    f"{type(self).__name__}.{name}, which is a buffer; assign "
                    "a Tensor (e.g. cr.tensor(array)) or None"
                )
            self._buffers[name] = value
        else:
            if isinstance(value, (list, tuple, dict, set)):
                _refuse_unregistered(self, name, value)
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Reached only when ordinary lookup fails: registered things are
        # kept in the registries, not in __dict__.
        attributes = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in attributes and name in attributes[registry]:
                return attributes[registry][name]
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{name}'"
        )

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        names.update(self._parameters, self._buffers, self._modules)
        return sorted(names)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a placeholder) under ``name``.

        Same as ``self.name = param`` for a Parameter, but refuses a name that
        already holds something else, and accepts None to declare an optional
        weight (``Linear(bias=False)`` registers its bias as None).
        """
        self._require_init("register the parameter", name)
        self._check_new_name("parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter({name!r}, ...): expected an nn.Parameter "
                f"or None, got {type(param).__name__}; wrap a tensor as "
                "nn.Parameter(tensor)"
            )
        self._parameters[name] = param

    def register_buffer(
        self, name: str, tensor: Tensor | None, persistent: bool = True
    ) -> None:
        """Register non-trainable state, such as a running mean.

        A buffer is not in ``parameters()`` (no optimizer updates it) but is
        saved by ``state_dict()`` unless ``persistent=False``. Assigning a
        Tensor to ``self.name`` afterwards replaces it.
        """
        self._require_init("register the buffer", name)
        self._check_new_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"register_buffer({name!r}, ...): expected a Tensor or None, "
                f"got {type(tensor).__name__}; wrap it as cr.tensor(value)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` under ``name``: ``self.name = module`` for any name."""
        self._require_init("add the submodule", name)
        self._check_new_name("submodule", name, self._modules)
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"add_module({name!r}, ...): expected a Module or None, got "
                f"{type(module).__name__}"
            )
        self._modules[name] = module

    register_module = add_module

    def _require_init(self, action: str, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot {action} {name!r} before Module.__init__() ran: call "
                f"super().__init__() first in {type(self).__name__}.__init__"
            )

    def _check_new_name(self, kind: str, name: str, registry: dict[str, Any]) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name must be a str, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(
                f"{kind} name {name!r} must be non-empty and contain no '.' "
                "('.' separates the levels of names like 'encoder.fc1.weight')"
            )
        if name not in registry and hasattr(self, name):
            raise KeyError(
                f"{type(self).__name__} already has an attribute {name!r}; "
                f"choose another {kind} name or delete it first"
            )

    def _forget(self, name: str, keep: dict[str, Any]) -> None:
        # One home per name: a value assigned under a name leaves the other
        # registries and the plain attributes. Its own registry keeps the
        # name, so reassigning a weight keeps its place in the order.
        if hasattr(type(self), name):
            raise KeyError(
                f"cannot register {name!r} on {type(self).__name__}: the class "
                f"has an attribute {name!r} (a method, property or class "
                "variable), which would hide it; choose another name"
            )
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent.discard(name)

    # --- walking the tree ------------------------------------------------------

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every module inside it, each once, with its dotted path.

        This module itself comes first, named ``prefix`` ('' by default).
        """
        return _walk(self, prefix, set())

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules with their names, each once."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct submodules, each once."""
        for _, module in self.named_children():
            yield module

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted path (``'encoder.fc1.weight'``).

        A parameter shared by several modules is listed once, under the first
        name it is found by, so an optimizer never updates it twice.
        """
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        seen: set[int] = set()
        for path, module in modules:
            for name, param in module._parameters.items():
                if param is not None and id(param) not in seen:
                    seen.add(id(param))
                    yield _join(path, name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, each once: what an optimizer updates."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Every buffer with its dotted path, each once."""
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        seen: set[int] = set()
        for path, module in modules:
            for name, buffer in module._buffers.items():
                if buffer is not None and id(buffer) not in seen:
                    seen.add(id(buffer))
                    yield _join(path, name), buffer

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer, each once."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self: M, fn: Callable[[Module], Any]) -> M:
        """Call ``fn`` on every submodule (children first), then on this one.

        Examples
        --------
        >>> from chainrule import nn
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> names = []
        >>> _ = model.apply(lambda m: names.append(type(m).__name__))
        >>> names
        ['Linear', 'ReLU', 'Sequential']
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # --- modes and gradients -----------------------------------------------------

    def train(self: M, mode: bool = True) -> M:
        """Set training mode (``mode=True``) or evaluation mode, recursively.

        Layers that act differently in training (dropout, batch norm) read
        ``self.training``. Returns the module, so ``model = Net().train()``.
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): mode must be True or False, got {mode!r}")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self: M) -> M:
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self: M, requires_grad: bool = True) -> M:
        """Freeze (``False``) or unfreeze every parameter; returns the module."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter before the next backward.

        ``backward()`` adds into ``.grad``, so without this, gradients of
        successive steps accumulate. By default ``.grad`` becomes None (as in
        PyTorch); ``set_to_none=False`` fills it with zeros instead.
        """
        for param in self.parameters():
            clear_grad(param, set_to_none)

    # --- dtype ------------------------------------------------------------------

    def to(
        self: M,
        *args: Any,
        dtype: Any = None,
        device: Any = None,
        non_blocking: bool = False,
    ) -> M:
        """Cast every floating-point parameter and buffer to ``dtype``; returns self.

        Takes PyTorch's forms, ``model.to(np.float32)``, ``model.to("cpu")``,
        ``model.to("cpu", np.float32)``, ``model.to(tensor)`` (its dtype). The
        cast is in place: the Parameter objects stay the same (their arrays
        and gradients are replaced by cast ones), so an optimizer made before
        keeps training them. Integer buffers (a batch count) are left as they
        are. The only device is the CPU: another raises NotImplementedError.

        Examples
        --------
        >>> import numpy as np
        >>> from chainrule import nn
        >>> layer = nn.Linear(3, 2)
        >>> weight = layer.weight
        >>> layer.to(np.float32).weight.dtype, layer.weight is weight
        (dtype('float32'), True)
        """
        target = to_dtype(f"{type(self).__name__}.to", args, dtype, device)
        if target is None:
            return self
        if target.kind != "f":
            raise DTypeError(
                f"{type(self).__name__}.to({target}): a module's weights must "
                "stay floating point; pass np.float32 or np.float64 (cast "
                "integer data yourself, outside the module)"
            )

        for tensor in [*self.parameters(), *self.buffers()]:
            if tensor.dtype.kind == "f" and tensor.dtype != target:
                tensor.data = tensor.data.astype(target)
                if tensor.grad is not None:
                    tensor.grad = Tensor(tensor.grad.data.astype(target))
        return self

    def float(self: M) -> M:
        """Cast the floating-point parameters and buffers to float32, in place."""
        return self.to(np.float32)

    def double(self: M) -> M:
        """Cast the floating-point parameters and buffers to float64, in place."""
        return self.to(np.float64)

    # --- saving and loading -----------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and persistent buffer, by dotted name.

        Unlike PyTorch, which returns tensors sharing memory with the model,
        the values are NumPy arrays copied at the time of the call: a state
        dict is a snapshot that later training steps do not change, and it
        can be saved as it is with ``np.savez(path, **state)``. A parameter
        shared under several names appears under each of them, as in PyTorch.

        Examples
        --------
        >>> import numpy as np
        >>> from chainrule import nn
        >>> model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
        >>> {key: value.shape for key, value in model.state_dict().items()}
        {'0.weight': (2, 3), '0.bias': (2,), '2.weight': (1, 2), '2.bias': (1,)}
        """
        return {key: tensor.data.copy() for key, tensor in self._state_entries("")}

    def load_state_dict(
        self, state: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy the values of ``state`` into the parameters and buffers.

        Values (arrays or Tensors) are written into the existing arrays, cast
        to each parameter's dtype, so the Parameter objects (and an optimizer
        holding them) stay the same. Everything is checked before anything is
        written: on any error nothing is loaded.

        Parameters
        ----------
        state
            Name -> array, as made by :meth:`state_dict` (or ``np.load`` of a
            file saved with ``np.savez``).
        strict
            Require the keys to match exactly (default). With ``strict=False``
            missing and unexpected keys are skipped and returned; shapes must
            still match.

        Returns
        -------
        IncompatibleKeys
            ``(missing_keys, unexpected_keys)``.

        Raises
        ------
        StateDictError
            Naming every missing key, unexpected key, and shape or dtype
            mismatch (the key, the model's shape and the state's shape).
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of name -> array (as made "
                f"by state_dict()), got {type(state).__name__}"
            )
        targets = dict(self._state_entries(""))
        missing = [key for key in targets if key not in state]
        unexpected = [key for key in state if key not in targets]

        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(map(repr, missing)))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(map(repr, unexpected)))
        values = {}
        for key, target in targets.items():
            if key in state:
                value, problem = _checked_value(key, state[key], target.data)
                if problem:
                    problems.append(problem)
                else:
                    values[key] = value
        if problems:
            raise StateDictError(
                f"load_state_dict: the state dict does not fit this "
                f"{type(self).__name__}; nothing was loaded.\n  "
                + "\n  ".join(problems)
                + "\nCompare the keys and shapes with model.state_dict(); "
                "strict=False loads the keys present in both"
            )

        for key, value in values.items():
            np.copyto(targets[key].data, value, casting="same_kind")
            note_write(targets[key].data)
        return IncompatibleKeys(missing, unexpected)

    def _state_entries(self, prefix: str) -> Iterator[tuple[str, Tensor]]:
        # NOTE: no deduplication, as in PyTorch: a shared parameter or
        # module is saved under every name, so the state dict's keys do not
        # depend on which path was seen first.
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent:
                yield prefix + name, buffer
        for name, module in self._modules.items():
            if module is not None:
                yield from module._state_entries(prefix + name + ".")

    # --- printing ---------------------------------------------------------------

    def extra_repr(self) -> str:
        """The settings shown inside this module's repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = self._child_lines()
        head = type(self).__name__
        if not children and len(lines) <= 1:
            return f"{head}({extra})"
        body = "".join(f"  {line}\n" for line in lines + children)
        return head + "(\n" + body + ")"

    def _child_lines(self) -> list[str]:
        """The repr's ``(name): child`` lines; containers override it."""
        return [
            f"({name}): {indented(repr(module))}"
            for name, module in self._modules.items()
        ]


def indented(text: str) -> str:
    """``text`` with its lines after the first indented, to nest inside a repr."""
    return text.replace("\n", "\n  ")


def _refuse_unregistered(module: Module, name: str, value: Any) -> None:
    """Raise if the container ``value`` holds Modules or Parameters.

    NOTE: PyTorch stores such a container as a plain attribute and never
    sees what is inside: the weights are left out of parameters(), so an
    optimizer does not train them, and out of state_dict(), without a word.
    chainrule refuses instead and names the registering container to use.
    """
    held = _registrable_kinds(value)
    if not held:
        return
    kind = type(value).__name__
    if "Module" in held:
        what = "Modules"
        remedy = "nn.ModuleDict({...})" if kind == "dict" else "nn.ModuleList([...])"
    else:
        what = "Parameters"
        remedy = (
            "nn.ParameterList(...) of the values, or one attribute per Parameter"
            if kind == "dict"
            else "nn.ParameterList([...])"
        )
    raise TypeError(
        f"cannot assign a {kind} holding {what} to {type(module).__name__}.{name}: "
        f"the {what} inside a plain {kind} are not registered, so parameters() "
        "(what an optimizer trains), state_dict(), train()/eval() and to() "
        f"would not see them. Use self.{name} = {remedy}. (To keep a reference "
        f"without registering it, on purpose: object.__setattr__(self, "
        f"{name!r}, value).)"
    )


def _registrable_kinds(value: Any) -> set[str]:
    """Which of "Module" and "Parameter" occur in nested lists, tuples, dicts, sets."""
    found: set[str] = set()
    seen: set[int] = set()  # a list may hold itself
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Module):
            found.add("Module")
        elif isinstance(item, Parameter):
            found.add("Parameter")
        elif isinstance(item, (list, tuple, dict, set)) and id(item) not in seen:
            seen.add(id(item))
            stack.extend(item.values() if isinstance(item, dict) else item)
    return found


def _walk(module: Module, prefix: str, seen: set[int]) -> Iterator[tuple[str, Module]]:
    if id(module) in seen:
        return
    seen.add(id(module))
    yield prefix, module
    for name, child in module._modules.items():
        if child is not None:
            yield from _walk(child, _join(prefix, name), seen)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _checked_value(
    key: str, value: Any, target: np.ndarray
) -> tuple[np.ndarray, str | None]:
    """``value`` as an array that can be copied into ``target``, or the problem."""
    try:
        array = value.data if isinstance(value, Tensor) else np.asarray(value)
    except (TypeError, ValueError) as error:
        return target, f"{key!r} is not an array ({error})"
    if array.shape != target.shape:
        return array, (
            f"shape mismatch for {key!r}: the model has shape {target.shape}, "
            f"the state dict {array.shape}"
        )
    if not np.can_cast(array.dtype, target.dtype, "same_kind"):
        return array, (
            f"dtype mismatch for {key!r}: a {array.dtype} value cannot be "
            f"stored in the model's {target.dtype} array"
        )
    if not target.flags.writeable:
        return array, f"the model's array for {key!r} is read-only"
    return array, None


def _register(registry: HookDict, hook: Callable[..., Any]) -> RemovableHandle:
    handle = RemovableHandle(registry)
    registry[handle.id] = hook
    return handle
