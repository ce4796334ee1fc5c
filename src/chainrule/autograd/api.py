"""The user-facing entry points of the engine: ``backward`` and ``grad``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule.autograd import function as _function
from chainrule.autograd.engine import run_backward
from chainrule.errors import BackwardError, DTypeError, ShapeError


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Add the gradients of ``tensors`` into the ``.grad`` of the graph's leaves.

    ``tensors.backward(gradient)`` for one tensor; this form takes several
    outputs at once (their gradients are summed), each with its gradient.
    """
    roots = _as_list(tensors, "backward", "tensors")
    seeds = _seeds(roots, grad_tensors, create_graph, "backward")
    keep = create_graph if retain_graph is None else retain_graph
    run_backward(roots, seeds, keep, create_graph)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned, not stored.

    No ``.grad`` is touched. With ``create_graph=True`` the returned gradients
    are themselves differentiable, which gives higher-order derivatives.

    Parameters
    ----------
    outputs
        A tensor or a sequence of tensors to differentiate.
    inputs
        A tensor or a sequence of tensors (leaves or not) that require grad.
    grad_outputs
        The gradient of each output; may be omitted for one-element outputs.
    retain_graph
        Keep the graph's saved values for another backward; defaults to
        ``create_graph``.
    create_graph
        Record the backward pass so its results can be differentiated.
    allow_unused
        Return None for an input the outputs do not depend on, instead of
        raising.

    Examples
    --------
    >>> import chainrule as cr
    >>> x = cr.tensor(3.0, requires_grad=True)
    >>> (dx,) = cr.autograd.grad(x**3, x, create_graph=True)
    >>> (dxx,) = cr.autograd.grad(dx, x)
    >>> float(dx), float(dxx)
    (27.0, 18.0)
    """
    Tensor = _function._Tensor

    roots = _as_list(outputs, "grad", "outputs")
    wrt = _as_list(inputs, "grad", "inputs")
    for k, tensor in enumerate(wrt):
        if not isinstance(tensor, Tensor) or not tensor.requires_grad:
            raise BackwardError(
                f"grad: inputs[{k}] does not require grad, so no gradient can "
                "be taken with respect to it; create it with requires_grad=True"
            )
    seeds = _seeds(roots, grad_outputs, create_graph, "grad")
    keep = create_graph if retain_graph is None else retain_graph
    captured = run_backward(roots, seeds, keep, create_graph, inputs=wrt)
    assert captured is not None

    results: list[Any] = []
    for k, value in enumerate(captured):
        if value is None:
            if not allow_unused:
                raise BackwardError(
                    f"grad: the outputs do not depend on inputs[{k}] (shape "
                    f"{wrt[k].shape}); pass allow_unused=True to get None for it"
                )
            results.append(None)
        elif isinstance(value, Tensor):
            results.append(value)
        else:
            # A copy: the array may be shared with the graph or another result.
            results.append(Tensor(np.array(value, copy=True)))
    return tuple(results)


def _as_list(value: Any, where: str, name: str) -> list[Any]:
    Tensor = _function._Tensor

    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(v, Tensor) for v in value):
        return list(value)
    raise TypeError(
        f"{where}: {name} must be a Tensor or a sequence of Tensors, got "
        f"{type(value).__name__}"
    )


def _seeds(roots: list[Any], grads: Any, create_graph: bool, where: str) -> list[Any]:
    if grads is None:
        grads = [None] * len(roots)
    elif not isinstance(grads, (list, tuple)):
        grads = [grads]
    if len(grads) != len(roots):
        raise BackwardError(
            f"{where}: {len(roots)} outputs but {len(grads)} gradients; give "
            "one gradient per output"
        )
    return [
        seed_gradient(root, g, create_graph, where)
        for root, g in zip(roots, grads, strict=True)
    ]


def seed_gradient(root: Any, gradient: Any, create_graph: bool, where: str) -> Any:
    """The gradient the backward pass starts from, checked against ``root``."""
    Tensor = _function._Tensor

    if not root.requires_grad:
        raise BackwardError(
            f"{where}: the output does not require grad: no input of the "
            "computation had requires_grad=True (or it ran under no_grad()); "
            "create the leaves with requires_grad=True"
        )
    data = root.data
    if gradient is None:
        if data.size != 1:
            given, example = (
                ("grad_outputs=", "cr.autograd.grad(y.sum(), x)")
                if where == "grad"
                else ("gradient=", "loss.sum().backward()")
            )
            raise BackwardError(
                f"{where}: the output has shape {data.shape}, so its gradient "
                f"must be given ({given} of that shape); to differentiate a "
                f"sum or a mean, reduce first, e.g. {example}; for every "
                "output's gradient, use cr.func.jacobian"
            )
        seed: Any = np.ones(data.shape, data.dtype)
        return Tensor(seed) if create_graph else seed

    if isinstance(gradient, Tensor):
        seed = gradient if create_graph else gradient.data
    else:
        try:
            seed = np.asarray(gradient)
        except ValueError:
            raise ShapeError(
                f"{where}: the gradient is a ragged nested list; pass an array "
                f"of the output's shape {data.shape}"
            ) from None
    if seed.dtype.kind not in "fiu":
        raise DTypeError(
            f"{where}: the gradient is {type(gradient).__name__} of dtype "
            f"{seed.dtype}; pass a float array or tensor like the output "
            f"({data.dtype}, shape {data.shape})"
        )
    if seed.shape != data.shape:
        raise ShapeError(
            f"{where}: the gradient has shape {seed.shape} but the output has "
            f"shape {data.shape}; pass a gradient of shape {data.shape}"
        )
    if isinstance(seed, Tensor):
        return seed if seed.dtype == data.dtype else seed.astype(data.dtype)
    # A copy: the caller's array must never end up as some leaf's .grad.
    seed = seed.astype(data.dtype, copy=True)
    # A recorded backward hands Tensors to every rule, so that each rule's
    # result can be differentiated (see autograd.function).
    return Tensor(seed) if create_graph else seed


def clear_grad(tensor: Any, set_to_none: bool = True) -> None:
    """Forget ``tensor.grad`` before the next backward (zero_grad, for one tensor).

    ``set_to_none=False`` fills it with zeros instead: in place when the
    gradient is a plain array the tensor owns, by replacement when it belongs
    to a recorded graph (``create_graph=True``), whose saved values an
    in-place write would change.
    """
    Tensor = _function._Tensor

    grad = tensor.grad
    if grad is None:
        return
    if set_to_none:
        tensor.grad = None
    elif grad.grad_fn is None and grad.data.flags.writeable:
        grad.data.fill(0)
    else:
        tensor.grad = Tensor(np.zeros_like(grad.data))
