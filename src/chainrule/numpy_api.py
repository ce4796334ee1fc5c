"""NumPy's own functions applied to Tensors.

Tensor implements NumPy's dispatch protocols (``__array_ufunc__`` for ufuncs
such as ``np.exp``, ``__array_function__`` for functions such as ``np.sum``).
A NumPy function with a chainrule op behind it runs that op and returns a
Tensor with gradients flowing: ``np.exp(t)``, ``np.add(a, t)``,
``np.sum(t, axis=0)``. One without raises :class:`NotDifferentiableError`
naming what to use instead; chainrule never silently drops a gradient.

Functions whose result carries no gradient (comparisons, ``np.isfinite``,
``np.sign``, ``np.shape``) are answered on the data.

This same mechanism lets backward rules be written in NumPy and still be
differentiated (Note [backward is written in NumPy, and differentiates itself]).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.autograd import function as _function
from chainrule.autograd import grad_mode
from chainrule.errors import NotDifferentiableError
from chainrule.ops import activation, arithmetic, elementwise, reduction, shape

# ufuncs with a differentiable chainrule op: NumPy ufunc -> chainrule function.
UFUNCS: dict[Any, Callable[..., Any]] = {
    np.add: arithmetic.add,
    np.subtract: arithmetic.subtract,
    np.multiply: arithmetic.multiply,
    np.true_divide: arithmetic.divide,
    np.negative: arithmetic.negative,
    np.power: arithmetic.power,
    np.matmul: arithmetic.matmul,
    np.exp: elementwise.exp,
    np.log: elementwise.log,
    np.sqrt: elementwise.sqrt,
    np.absolute: elementwise.abs,
    np.sin: elementwise.sin,
    np.cos: elementwise.cos,
    np.maximum: elementwise.maximum,
    np.minimum: elementwise.minimum,
    np.tanh: activation.tanh,
    np.square: lambda x: arithmetic.power(x, 2),
    np.reciprocal: lambda x: arithmetic.divide(1, x),
}

# ufunc.reduce with a chainrule reduction behind it (np.add.reduce is sum),
# so backward rules may use the ufunc's reduce, faster on arrays.
REDUCTIONS: dict[Any, Callable[..., Any]] = {
    np.add: reduction.sum,
    np.maximum: reduction.max,
    np.minimum: reduction.min,
}

# ufuncs whose results have no gradient (booleans, or piecewise constant):
# computed on the data, returned as tensors that do not require grad.
CONSTANT_UFUNCS = {
    np.greater,
    np.greater_equal,
    np.less,
    np.less_equal,
    np.equal,
    np.not_equal,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    np.isfinite,
    np.isinf,
    np.isnan,
    np.sign,
    np.signbit,
}

# Other NumPy functions with a chainrule op behind them.
FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: reduction.sum,
    np.mean: reduction.mean,
    np.amax: reduction.max,
    np.amin: reduction.min,
    np.argmax: reduction.argmax,
    np.argmin: reduction.argmin,
    np.max: reduction.max,
    np.min: reduction.min,
    np.std: reduction.std,
    np.var: reduction.var,
    np.reshape: shape.reshape,
    np.transpose: shape.transpose,
    np.swapaxes: shape.swapaxes,
    np.broadcast_to: shape.broadcast_to,
    np.concatenate: shape.concatenate,
    np.expand_dims: shape.expand_dims,
    np.moveaxis: shape.moveaxis,
    np.pad: shape.pad,
    np.ravel: shape.ravel,
    np.split: shape.split,
    np.squeeze: shape.squeeze,
    np.stack: shape.stack,
    np.where: elementwise.where,
    np.clip: lambda a, a_min=None, a_max=None, *, min=None, max=None: elementwise.clip(
        a, a_min if min is None else min, a_max if max is None else max
    ),
    np.matmul: arithmetic.matmul,
    np.dot: lambda a, b: _dot(a, b),
    np.copy: lambda a: _as_tensor(a).clone(),
}

# What to use instead, for NumPy functions with no op of their own; the
# error message names it. (Functions missing here get the general advice.)
ALTERNATIVES: dict[Any, str] = {
    np.tensordot: "reshape and use @, or (x * y).sum(axis=...) on a broadcast",
    np.einsum: "compose it from *, @ and .sum(axis=...)",
    np.outer: "x.ravel()[:, None] * y.ravel()[None, :]",
    np.inner: "(x * y).sum(axis=-1)",
    np.vdot: "(x * y).sum()",
    np.vstack: "cr.concatenate (of 2-D tensors) or cr.stack",
    np.hstack: "cr.concatenate(..., axis=-1)",
    np.column_stack: "cr.stack(..., axis=1)",
    np.flip: "indexing with a negative step, t[::-1]",
    np.take: "indexing, t[index] (repeated indices accumulate their gradients)",
    np.repeat: "indexing with an integer array, t[np.repeat(np.arange(n), k)]",
    np.tile: "cr.broadcast_to and reshape, or indexing with an integer array",
    np.cumsum: "a matrix product with a triangular matrix of ones, or a Function",
    np.prod: "cr.exp(cr.log(t).sum()) for positive values, or a Function",
    np.average: "(w * t).sum() / w.sum(), or cr.mean",
    np.nansum: "cr.where(cr.isnan(t), 0, t) first, then .sum()",
    np.nanmean: "cr.where to mask the nans first, then a sum and a count",
    np.nanmax: "cr.where to mask the nans first, then cr.max",
    np.nanmin: "cr.where to mask the nans first, then cr.min",
    np.logaddexp: "cr.logsumexp(cr.stack([a, b]), axis=0)",
    np.log1p: "cr.log(1 + t)",
    np.expm1: "cr.exp(t) - 1",
    np.tan: "cr.sin(t) / cr.cos(t)",
    np.linalg.norm: "cr.sqrt((t * t).sum()) (the L2 norm)",
}

# Functions that only read shapes or make constants: answered on the data.
CONSTANT_FUNCTIONS = {
    np.shape,
    np.ndim,
    np.size,
    np.result_type,
    np.zeros_like,
    np.ones_like,
    np.empty_like,
    np.full_like,
    np.array_equal,
    np.allclose,
    np.isclose,
    np.count_nonzero,
    np.argsort,
    np.nonzero,
}


def dispatch_ufunc(
    ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Answer ``ufunc(*inputs)`` where some input is a Tensor."""
    name = f"np.{ufunc.__name__}"
    out = kwargs.get("out")
    op = UFUNCS.get(ufunc)
    if op is not None and method == "__call__" and not kwargs:
        return op(*inputs)
    constant = ufunc in CONSTANT_UFUNCS and method == "__call__" and out is None
    if constant or not _gradient_at_stake(inputs, out):
        # No gradient to carry (a bool or piecewise-constant result), or
        # nothing requires grad: answer like NumPy.
        result = getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _constant(result)

    reduction = REDUCTIONS.get(ufunc)
    if method == "reduce" and reduction is not None and len(inputs) == 1:
        options = _without_defaults(kwargs)
        if set(options) <= {"axis", "keepdims"}:
            # ufunc.reduce's axis defaults to 0, not None as np.sum's does.
            return reduction(
                inputs[0],
                axis=options.get("axis", 0),
                keepdims=options.get("keepdims", False),
            )
    if method != "__call__":
        raise NotDifferentiableError(
            f"{name}.{method} on a Tensor that requires grad is not supported; "
            "write it with chainrule's reductions and broadcasting: cr.sum for "
            "np.add.reduce, cr.max for np.maximum.reduce, x[:, None] * y[None, :] "
            "for np.multiply.outer"
        )
    if out is not None:
        raise NotDifferentiableError(
            f"{name}(..., out=...) on a Tensor that requires grad: writing into "
            "an output array cannot be differentiated; drop out= and use the "
            "returned tensor. (To update weights in place, write to the data "
            "under no_grad: `with cr.no_grad(): w -= lr * w.grad`)"
        )
    if op is not None:
        raise NotDifferentiableError(
            f"{name} on a Tensor that requires grad: options {sorted(kwargs)} "
            "are not supported; cast with .astype() and mask with cr.where"
        )
    raise NotDifferentiableError(_no_op_message(name, ALTERNATIVES.get(ufunc)))


def dispatch_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Answer ``func(*args, **kwargs)`` where some argument is a Tensor."""
    # NOTE: shape queries first and without ceremony: ops ask them of their
    # arguments on every call (np.shape(t) costs 10 us through the general
    # path below, 0.3 us here).
    if func is np.shape and len(args) == 1 and not kwargs:
        return _data(args[0]).shape
    if func is np.ndim and len(args) == 1 and not kwargs:
        return _data(args[0]).ndim
    op = FUNCTIONS.get(func)
    if op is not None:
        kwargs = _without_defaults(kwargs)
    if op is not None and _accepts(op, args, kwargs):
        return op(*args, **kwargs)
    if func in CONSTANT_FUNCTIONS or not _gradient_at_stake(args, kwargs):
        # Nothing requires grad, so nothing can be lost: answer like NumPy.
        return _constant(func(*_unwrap(args), **_unwrap(kwargs)))
    name = _name(func)
    if op is not None:
        unknown = sorted(set(kwargs) - _parameters(op))
        detail = (
            f"takes no argument {', '.join(map(repr, unknown))}; drop it (cast "
            "with .astype() if it was a dtype)"
            if unknown
            else "cannot take these arguments"
        )
        raise NotDifferentiableError(
            f"{name} on a Tensor that requires grad: chainrule.{op.__name__} {detail}"
        )
    raise NotDifferentiableError(_no_op_message(name, ALTERNATIVES.get(func)))


def _without_defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Drop NumPy's defaults said out loud (np.mean(t, dtype=None)): no change."""
    return {
        k: v for k, v in kwargs.items() if not (v is None and k in ("dtype", "out"))
    }


def _no_op_message(name: str, alternative: str | None = None) -> str:
    instead = (
        f"Use {alternative} instead. Or compose it" if alternative else ("Compose it")
    )
    return (
        f"{name} has no differentiable chainrule op, so it cannot be applied "
        "to a Tensor that requires grad without losing the gradient. "
        f"{instead} from chainrule ops, define it with chainrule.Function "
        f"(forward and backward), or call {name} on t.detach() or t.numpy() to "
        "compute it on purpose without gradients"
    )


def _dot(a: Any, b: Any) -> Any:
    """np.dot: a product for 0-d operands, else matmul, which agrees up to 2-D."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return arithmetic.multiply(a, b)
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        raise NotDifferentiableError(
            "np.dot of operands with more than 2 dimensions on a Tensor that "
            "requires grad: np.dot then sums over other axes than matmul does; "
            "use @ (cr.matmul, which batches over the leading axes) or "
            "reshape to 2-D first"
        )
    return arithmetic.matmul(a, b)


def _as_tensor(value: Any) -> Any:
    Tensor = _function._Tensor

    return value if isinstance(value, Tensor) else Tensor(np.array(value))


def _name(func: Any) -> str:
    module = getattr(func, "__module__", None) or "numpy"
    return f"{module.replace('numpy', 'np', 1)}.{func.__name__}"


def _gradient_at_stake(*groups: Any) -> bool:
    """Would computing on the data drop a gradient the graph should carry?"""
    if not grad_mode.state.enabled:
        return False
    stack = list(groups)
    while stack:
        value = stack.pop()
        if isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif getattr(value, "_requires_grad", False):
            return True
    return False


def _accepts(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> bool:
    signature = _bound_signatures.get(fn)
    if signature is None:
        signature = _bound_signatures[fn] = inspect.signature(fn)
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        return False
    return True


_bound_signatures: dict[Any, inspect.Signature] = {}
_signatures: dict[Any, set[str]] = {}


def _parameters(fn: Callable[..., Any]) -> set[str]:
    names = _signatures.get(fn)
    if names is None:
        names = _signatures[fn] = set(inspect.signature(fn).parameters)
    return names


def _data(x: Any) -> Any:
    Tensor = _function._Tensor

    return x._data if isinstance(x, Tensor) else x


def _unwrap(value: Any) -> Any:
    """Replace Tensors by their arrays, inside lists, tuples and dicts too."""
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return _data(value)


def _constant(result: Any) -> Any:
    Tensor = _function._Tensor

    if isinstance(result, (np.ndarray, np.generic)):
        return Tensor(np.asarray(result))
    if isinstance(result, tuple) and all(isinstance(r, np.ndarray) for r in result):
        return tuple(Tensor(r) for r in result)
    return result
