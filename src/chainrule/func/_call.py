"""One call of a transformed function: fresh inputs, checked outputs, nesting.

Every transform in ``chainrule.func`` starts the same way: it replaces the
arguments it differentiates with fresh tensors that require grad (its
*stand-ins*), runs the user's function on them with grad mode on, checks what
came back, and decides whether it is *nested*. Then it runs one or more
backward passes with ``autograd.grad``, asking only for the stand-ins.

Note [nested transforms]
    A transform's result must itself be differentiable when it depends on
    anything outside its own stand-ins that requires grad: an argument that
    already required grad (a user's tensor, or an outer transform's
    stand-in), or a tensor the function closes over (a parameter, an outer
    transform's variable). Then the transform is nested: its backward passes
    run with ``create_graph=True``, and what it returns carries the graph.
    Otherwise they run as an ordinary backward, at first-order cost, and the
    results are plain tensors. An argument that requires grad is not cut off
    but replaced by an ``_Alias`` of it (the identity, as a node), so that
    gradients with respect to the stand-in are the transform's own while the
    outer graph stays connected. Under ``no_grad`` nothing is nested.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from chainrule.autograd import grad_mode
from chainrule.autograd.api import grad as autograd_grad
from chainrule.autograd.engine import reaches_other_leaves
from chainrule.autograd.function import Function
from chainrule.errors import (
    ArgnumsError,
    DTypeError,
    NonScalarOutputError,
    TransformOutputError,
)
from chainrule.ops._common import caller_stacklevel
from chainrule.tensor import Tensor

Argnums = int | tuple[int, ...]


class UnusedInputWarning(UserWarning):
    """A transform's function does not depend on an argument it differentiates."""


class _Alias(Function):
    """The identity, as a node: a stand-in whose gradient flows on to ``x``."""

    def forward(self, x: Any) -> Any:
        # NOTE: a view, not x itself: a backward matches saved arrays to
        # inputs by identity, and x and its stand-in may meet in one op.
        return x.view()

    def backward(self, grad: Any) -> Any:
        return grad


def check_argnums(where: str, argnums: Any) -> None:
    """Refuse argnums that are not an int or a non-empty tuple of distinct ints."""
    items = argnums if isinstance(argnums, tuple) else (argnums,)
    if not items or not all(
        isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in items
    ):
        raise ArgnumsError(
            f"{where}: argnums must be an int or a non-empty tuple of ints "
            f"(positions of the arguments to differentiate), got {argnums!r}"
        )
    if len(set(items)) != len(items):
        raise ArgnumsError(
            f"{where}: argnums={argnums} names an argument twice; name each once"
        )


def positions(where: str, argnums: Argnums, count: int) -> tuple[int, ...]:
    """The argnums as positions in ``range(count)`` (negative ones count back)."""
    items = argnums if isinstance(argnums, tuple) else (argnums,)
    for k in items:
        if not -count <= k < count:
            raise ArgnumsError(
                f"{where}: argnums={argnums} but the function was called with "
                f"{count} positional argument{'s' * (count != 1)}; argnums "
                f"must lie in range({-count}, {count})"
            )
    resolved = tuple(int(k) % count for k in items)
    if len(set(resolved)) != len(resolved):
        raise ArgnumsError(
            f"{where}: argnums={argnums} names one of the {count} arguments "
            "twice (a negative and a positive position); name each once"
        )
    return resolved


def stand_in(where: str, k: int, value: Any, outer: bool) -> tuple[Tensor, bool]:
    """A fresh tensor that requires grad for argument ``k``; True if an alias."""
    if isinstance(value, Tensor):
        _check_float(where, k, value.dtype, "Tensor")
        if outer and value.requires_grad:
            return _Alias.apply(value), True
        return Tensor(value.data.view(), requires_grad=True), False
    tensor = Tensor(value.view() if isinstance(value, np.ndarray) else value)
    _check_float(where, k, tensor.dtype, type(value).__name__)
    tensor.requires_grad_(True)
    return tensor, False


def _check_float(where: str, k: int, dtype: np.dtype[Any], what: str) -> None:
    if dtype.kind != "f":
        raise DTypeError(
            f"{where}: argument {k} ({what} of dtype {dtype}) is not floating "
            "point, and only floats can be differentiated; pass floats (2.0, "
            "not 2), convert with .astype(np.float64), or leave it out of "
            "argnums"
        )


class Call:
    """The function evaluated at the stand-ins, and what the transform needs.

    ``output`` is what the function returned (its first element with
    ``has_aux``), ``outputs`` the same as a list of Tensors, ``single``
    whether it was one Tensor, ``inputs`` the stand-ins in argnums order.
    """

    def __init__(
        self,
        where: str,
        f: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        argnums: Argnums,
        has_aux: bool = False,
        scalar: bool = False,
    ) -> None:
        self.where = where
        outer = grad_mode.is_grad_enabled()
        self.positions = positions(where, argnums, len(args))

        called = list(args)
        aliased = False
        for k in self.positions:
            called[k], alias = stand_in(where, k, args[k], outer)
            aliased = aliased or alias
        self.inputs: list[Tensor] = [called[k] for k in self.positions]
        with grad_mode.enable_grad():
            result = f(*called, **kwargs)

        self.aux: Any = None
        if has_aux:
            result, self.aux = _split_aux(where, result)
        self.output = result
        self.outputs, self.single = _output_tensors(where, result, scalar)
        # See Note [nested transforms].
        self.nested = outer and (
            aliased or reaches_other_leaves(self.outputs, self.inputs)
        )

    def gradients(
        self, roots: list[Tensor], seeds: list[Any], retain: bool, create: bool
    ) -> tuple[list[Tensor], set[int]]:
        """d(sum_k <seeds[k], roots[k]>)/d(inputs), and which inputs the roots
        do not depend on (their gradients are zeros)."""
        pairs = [(r, s) for r, s in zip(roots, seeds, strict=True) if r.requires_grad]
        found: tuple[Any, ...] = (None,) * len(self.inputs)
        if pairs:
            found = autograd_grad(
                [r for r, _ in pairs],
                self.inputs,
                [s for _, s in pairs],
                retain_graph=retain,
                create_graph=create,
                allow_unused=True,
            )
        results, unused = [], set()
        for index, (g, x) in enumerate(zip(found, self.inputs, strict=True)):
            if g is None:
                unused.add(index)
                g = Tensor(np.zeros(x.shape, x.dtype))
            results.append(g)
        return results, unused

    def warn_unused(self, unused: set[int]) -> None:
        """Warn that the function does not depend on these inputs at all."""
        for index in sorted(unused):
            warnings.warn(
                f"{self.where}: the function's output does not depend on "
                f"argument {self.positions[index]} (shape "
                f"{self.inputs[index].shape}), so its derivative is zeros; "
                "check argnums, or silence this warning with "
                "warnings.simplefilter('ignore', cr.func.UnusedInputWarning)",
                UnusedInputWarning,
                stacklevel=caller_stacklevel("chainrule.func"),
            )

    def returned(self, value: Any) -> Any:
        """``value`` (an output, aux) as the transform hands it back."""
        return value if self.nested else detach(value)

    def structured(self, per_output: list[Any]) -> Any:
        """One result per output, shaped like what the function returned."""
        return per_output[0] if self.single else tuple(per_output)


def detach(value: Any) -> Any:
    """Tensors cut from the graph, in tuples, lists and dicts as given."""
    if isinstance(value, Tensor):
        return value.detach() if value.requires_grad else value
    if isinstance(value, (tuple, list)):
        return type(value)(detach(v) for v in value)
    if isinstance(value, dict):
        return {key: detach(v) for key, v in value.items()}
    return value


def _split_aux(where: str, result: Any) -> tuple[Any, Any]:
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return result[0], result[1]
    got = (
        f"a {type(result).__name__} of {len(result)}"
        if isinstance(result, (tuple, list))
        else f"a {type(result).__name__}"
    )
    raise TransformOutputError(
        f"{where}: has_aux=True, so the function must return a pair "
        f"(output, aux), but it returned {got}; return (output, aux), or "
        "drop has_aux"
    )


def _output_tensors(where: str, result: Any, scalar: bool) -> tuple[list[Tensor], bool]:
    single = not isinstance(result, (tuple, list))
    if scalar and not single:
        raise TransformOutputError(
            f"{where}: the function returned a {type(result).__name__} of "
            f"{len(result)}; {where} needs one scalar Tensor. To return extra "
            "values as well, pass has_aux=True and return (output, aux)"
        )
    outputs = [result] if single else list(result)
    if not outputs:
        raise TransformOutputError(
            f"{where}: the function returned an empty {type(result).__name__}; "
            "return a Tensor or a tuple of Tensors"
        )
    for j, out in enumerate(outputs):
        which = "the function returned" if single else f"output {j} of the function is"
        if not isinstance(out, Tensor):
            raise TransformOutputError(
                f"{where}: {which} a {type(out).__name__}, not a Tensor; "
                "compute it from the arguments with chainrule ops (float(), "
                ".item(), .data and np.asarray cut the graph)"
            )
        if out.dtype.kind != "f":
            raise TransformOutputError(
                f"{where}: {which} a tensor of dtype {out.dtype}, which has "
                "no derivative (argmax, a comparison, an integer result); "
                "return a floating-point Tensor"
            )
    if scalar and outputs[0].ndim != 0:
        raise NonScalarOutputError(
            f"{where}: the function returned a tensor of shape "
            f"{outputs[0].shape}, but {where} needs a scalar (0-d) output. "
            "Reduce it, e.g. return f(x).sum() or .mean(), or use "
            "cr.func.jacobian for the derivative of every element"
        )
    return outputs, single
