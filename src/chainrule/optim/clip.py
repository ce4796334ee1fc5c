"""Gradient clipping: bound the gradients before a step.

When weights are large, data gradients grow layer by layer on their way back
through a deep network until they overflow: gradient explosion. Besides a
careful initialisation, the source text's remedy is gradient clipping: scale
the gradients down so that their L2 norm stays below a bound.
:func:`clip_grad_norm_` does that, over all the weight gradients together;
:func:`clip_grad_value_` clamps each entry instead. Both change ``.grad`` in
place, between ``backward()`` and ``optimizer.step()``. They are also
:mod:`chainrule.nn.utils`, where PyTorch keeps them.

``clip_grad_norm_(..., return_report=True)`` returns a :class:`ClipReport`
instead of the bare norm: the norm before clipping, whether clipping acted,
and on request each parameter's own norm, so a training log can say how
often clipping acts (``chainrule.monitor`` counts it over a run).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np

from chainrule.dtypes import get_default_dtype
from chainrule.errors import NonFiniteError
from chainrule.optim.optimizer import check_number
from chainrule.tensor import Tensor


@dataclass(frozen=True)
class ClipReport:
    """What one call of ``clip_grad_norm_(..., return_report=True)`` did.

    Attributes
    ----------
    total_norm
        The total norm of all the gradients before clipping (the value
        ``clip_grad_norm_`` returns otherwise), as a float.
    max_norm, norm_type
        The bound and the order of the norm that were asked for.
    clipped
        Whether the gradients were scaled: the total norm exceeded
        ``max_norm`` (by more than the 1e-6 PyTorch adds), or was not finite.
    scale
        The factor the gradients were multiplied by; 1.0 when not clipped.
    parameter_norms
        With ``per_parameter=True``: each given parameter's own gradient norm
        before clipping, in the order given (None for a parameter without a
        gradient); zip it with ``model.named_parameters()`` for names.
        Otherwise None.
    """

    total_norm: float
    max_norm: float
    norm_type: float
    clipped: bool
    scale: float
    parameter_norms: tuple[float | None, ...] | None = None

    def __str__(self) -> str:
        action = (
            f"clipped: scaled by {self.scale:.3g}" if self.clipped else "not clipped"
        )
        text = (
            f"gradient norm {self.total_norm:.4g} (order {self.norm_type:g}), "
            f"max_norm {self.max_norm:g}: {action}"
        )
        for k, norm in enumerate(self.parameter_norms or ()):
            shown = "no gradient" if norm is None else f"{norm:.4g}"
            text += f"\n  parameters[{k}]: {shown}"
        return text


@overload
def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = ...,
    error_if_nonfinite: bool = ...,
    *,
    return_report: Literal[False] = ...,
    per_parameter: bool = ...,
) -> Tensor: ...


@overload
def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = ...,
    error_if_nonfinite: bool = ...,
    *,
    return_report: Literal[True],
    per_parameter: bool = ...,
) -> ClipReport: ...


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    *,
    return_report: bool = False,
    per_parameter: bool = False,
) -> Tensor | ClipReport:
    """Scale all gradients together so that their total norm is at most ``max_norm``.

    The total norm is the norm of all gradient entries of all parameters,
    as if concatenated into one vector (so the direction of the whole
    update is kept). When it exceeds ``max_norm``, every gradient is
    multiplied by ``max_norm / (total_norm + 1e-6)``, as in PyTorch.
    Parameters whose ``.grad`` is None are ignored.

    Parameters
    ----------
    parameters
        A tensor or an iterable of tensors (``model.parameters()``).
    max_norm
        The largest total norm allowed, >= 0.
    norm_type
        The p of the p-norm, > 0 (default 2, the L2 norm), or ``math.inf``
        for the largest absolute entry.
    error_if_nonfinite
        Raise when the total norm is nan or inf, instead of warning.
    return_report
        Return a :class:`ClipReport` (the norm before clipping, whether
        clipping acted, the scale) instead of the norm alone.
    per_parameter
        With ``return_report=True``: also compute each parameter's own
        gradient norm, before clipping (one more pass over the gradients).

    Returns
    -------
    Tensor or ClipReport
        The total norm before clipping, a 0-d tensor in the gradients' dtype
        (as PyTorch; ``float(norm)`` or ``norm.item()`` for a number). 0
        when no parameter has a gradient. With ``return_report=True``, the
        report.

    Raises
    ------
    NonFiniteError
        With ``error_if_nonfinite=True``, when the total norm is nan or inf,
        naming the parameters whose gradients are not finite.

    Warns
    -----
    UserWarning
        When the total norm is nan or inf. The gradients are then scaled
        anyway, as PyTorch does: by 0 for an infinite norm (finite entries
        become 0, infinite ones nan), by nan for a nan norm.

    Notes
    -----
    The norm is computed in float64 and scaled by the largest entry, so it
    does not overflow where the gradients themselves are finite (a float32
    gradient with entries of 1e20 has a finite norm); PyTorch computes it
    in the gradients' dtype.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> w = cr.tensor([3.0, 4.0], requires_grad=True)
    >>> w.grad = cr.tensor([3.0, 4.0])
    >>> nn.utils.clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> w.grad.data.round(6)
    array([0.6, 0.8])
    >>> w.grad = cr.tensor([3.0, 4.0])
    >>> report = nn.utils.clip_grad_norm_([w], 10.0, return_report=True)
    >>> report.total_norm, report.clipped
    (5.0, False)
    """
    items = _as_list(parameters, "clip_grad_norm_")
    params = [(i, param) for i, param in enumerate(items) if param.grad is not None]
    max_norm = check_number("clip_grad_norm_", "max_norm", max_norm)
    p = _norm_order(norm_type)
    grads = [param.grad.data for _, param in params]  # type: ignore[union-attr]
    norms = None
    if return_report and per_parameter:
        by_position = {
            i: _total_norm([g], p) for (i, _), g in zip(params, grads, strict=True)
        }
        norms = tuple(by_position.get(i) for i in range(len(items)))
    if not params:
        if return_report:
            return ClipReport(0.0, max_norm, p, False, 1.0, norms)
        return Tensor(np.zeros((), get_default_dtype()))

    total = _total_norm(grads, p)
    if not math.isfinite(total):
        culprits = _nonfinite_parameters(params)
        message = (
            f"clip_grad_norm_: the total norm of order {p} of the gradients is "
            f"{total}, not finite. Non-finite gradients: {culprits}."
        )
        if error_if_nonfinite:
            raise NonFiniteError(
                message + " Find where they overflow (a lower learning rate, "
                "a smaller initialisation, or a stable formulation of the "
                "loss), or pass error_if_nonfinite=False to scale anyway"
            )
        warnings.warn(
            message + " The gradients were scaled by max_norm / "
            f"{total} anyway, as PyTorch does; pass error_if_nonfinite=True "
            "to raise instead",
            stacklevel=2,
        )

    coefficient = max_norm / (total + 1e-6)
    # NOTE: `not >= 1` rather than `< 1`: a nan coefficient scales too, as
    # in PyTorch.
    clipped = not coefficient >= 1
    if clipped:
        with np.errstate(invalid="ignore"):
            for _, param in params:
                _scale_grad(param, coefficient)
    if return_report:
        scale = coefficient if clipped else 1.0
        return ClipReport(total, max_norm, p, clipped, scale, norms)
    return Tensor(np.asarray(total, dtype=np.result_type(*grads)))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``, in place.

    Unlike :func:`clip_grad_norm_` this changes the direction of the update.
    nan entries stay nan. Parameters whose ``.grad`` is None are ignored.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> w = cr.tensor([0.0, 0.0, 0.0], requires_grad=True)
    >>> w.grad = cr.tensor([-5.0, 0.5, 5.0])
    >>> nn.utils.clip_grad_value_([w], 1.0)
    >>> w.grad
    tensor([-1. ,  0.5,  1. ])
    """
    params = _with_grads(parameters, "clip_grad_value_")
    bound = check_number("clip_grad_value_", "clip_value", clip_value)

    for _, param in params:
        grad = param.grad
        assert grad is not None
        if grad.grad_fn is None and grad.data.flags.writeable:
            np.clip(grad.data, -bound, bound, out=grad.data)
        else:
            param.grad = Tensor(np.clip(grad.data, -bound, bound))


def _with_grads(parameters: Any, caller: str) -> list[tuple[int, Tensor]]:
    """(position, tensor) of each given tensor that has a gradient."""
    items = _as_list(parameters, caller)
    return [(i, param) for i, param in enumerate(items) if param.grad is not None]


def _as_list(parameters: Any, caller: str) -> list[Tensor]:
    """The given tensors as a list, checked."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    try:
        items = list(parameters)
    except TypeError:
        raise TypeError(
            f"{caller}: parameters must be a Tensor or an iterable of Tensors "
            f"(model.parameters()), got {type(parameters).__name__}"
        ) from None
    for position, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(
                f"{caller}: parameters[{position}] is a {type(item).__name__}, "
                "not a Tensor; pass model.parameters()"
            )
    return items


def _norm_order(norm_type: Any) -> float:
    p = check_number("clip_grad_norm_", "norm_type", norm_type)
    if p == 0:
        raise ValueError(
            "clip_grad_norm_: norm_type must be > 0 (2 for the L2 norm, "
            "math.inf for the largest entry), got 0"
        )
    return p


def _total_norm(grads: list[np.ndarray], p: float) -> float:
    """The p-norm of all entries of ``grads`` together, without overflow.

    Also how ``chainrule.monitor`` measures gradient norms, so that its
    numbers and clipping's agree.
    """
    largest = max((float(np.max(np.abs(g))) for g in grads if g.size), default=0.0)
    if p == math.inf or largest == 0 or not math.isfinite(largest):
        return largest
    # NOTE: dividing by the largest entry first keeps every term <= 1, so
    # the sum of powers cannot overflow (the way hypot avoids it).
    total = 0.0
    for g in grads:
        total += float(np.sum((np.abs(g, dtype=np.float64) / largest) ** p))
    return largest * total ** (1 / p)


def _nonfinite_parameters(params: list[tuple[int, Tensor]]) -> str:
    names = []
    for position, param in params:
        grad = param.grad.data  # type: ignore[union-attr]
        bad = int(np.count_nonzero(~np.isfinite(grad)))
        if bad:
            label = f"parameters[{position}]"
            if param.name:
                label += f" ({param.name!r})"
            names.append(f"{label} of shape {param.shape} ({bad} of {grad.size})")
    return ", ".join(names)


def _scale_grad(param: Tensor, factor: float) -> None:
    grad = param.grad
    assert grad is not None
    # NOTE: the engine gives every leaf its own .grad array, so scaling in
    # place touches no other tensor. A gradient recorded with
    # create_graph=True belongs to a graph: it is replaced instead.
    if grad.grad_fn is None and grad.data.flags.writeable:
        grad.data *= factor
    else:
        param.grad = Tensor(grad.data * factor)
