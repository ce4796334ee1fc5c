"""The transforms: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp.

Each takes a plain Python function of Tensors and returns a function (or
evaluates one) built on ``autograd.grad``; see ``chainrule.func._call`` for
the steps they share and how they know they are nested.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.autograd import grad_mode
from chainrule.autograd.api import grad as autograd_grad
from chainrule.errors import BackwardError, DTypeError, ShapeError
from chainrule.func._call import Argnums, Call, check_argnums
from chainrule.ops.shape import stack
from chainrule.tensor import Tensor


def grad(
    f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The gradient of ``f``, as a function of the same arguments.

    ``grad(f)(x)`` is df/dx, shaped like ``x``. ``f`` must return a 0-d
    Tensor (a loss); reduce a larger one with ``.sum()`` or ``.mean()``, or
    use :func:`jacobian`. Results are differentiable (see
    :mod:`chainrule.func`), so ``grad(grad(f))`` is the second derivative.

    Parameters
    ----------
    f
        A function of Tensors (arrays and Python floats are accepted too)
        returning a 0-d Tensor.
    argnums
        The position of the argument to differentiate, or a tuple of them;
        negative positions count from the end.
    has_aux
        ``f`` returns ``(output, aux)``; aux is handed back untouched (cut
        from the graph unless nested), and no derivative of it is taken.

    Returns
    -------
    Callable
        Taking ``f``'s arguments and returning the gradient (a tuple of them
        when ``argnums`` is a tuple), and ``(gradient, aux)`` with ``has_aux``.

    Examples
    --------
    >>> import chainrule as cr
    >>> f = lambda x: (x**3).sum()
    >>> cr.func.grad(f)(cr.tensor([1.0, 2.0]))
    tensor([ 3., 12.])
    >>> cr.func.grad(cr.func.grad(lambda x: x**3))(2.0)
    tensor(12.)
    """
    check_argnums("grad", argnums)

    @functools.wraps(f, updated=())
    def gradient(*args: Any, **kwargs: Any) -> Any:
        call = Call("grad", f, args, kwargs, argnums, has_aux, scalar=True)
        result = _gradient(call, argnums)
        return (result, call.returned(call.aux)) if has_aux else result

    return gradient


def value_and_grad(
    f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Like :func:`grad`, but the function returns ``(f(...), gradient)``.

    With ``has_aux`` it returns ``((value, aux), gradient)``, as JAX and
    ``torch.func`` do.

    Examples
    --------
    >>> import chainrule as cr
    >>> value, g = cr.func.value_and_grad(lambda x: (x**2).sum())(
    ...     cr.tensor([1.0, 3.0])
    ... )
    >>> value, g
    (tensor(10.), tensor([2., 6.]))
    """
    check_argnums("value_and_grad", argnums)

    @functools.wraps(f, updated=())
    def value_and_gradient(*args: Any, **kwargs: Any) -> Any:
        call = Call("value_and_grad", f, args, kwargs, argnums, has_aux, scalar=True)
        result = _gradient(call, argnums)
        value = call.returned(call.output)
        if has_aux:
            return (value, call.returned(call.aux)), result
        return value, result

    return value_and_gradient


def _gradient(call: Call, argnums: Argnums) -> Any:
    grads, unused = call.gradients(
        call.outputs, [None], retain=call.nested, create=call.nested
    )
    call.warn_unused(unused)
    return grads[0] if isinstance(argnums, int) else tuple(grads)


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """``f(*primals)`` and a function giving vector-Jacobian products there.

    ``vjp_fn(cotangents)`` returns, for each primal, the gradient of
    ``<cotangents, f(*primals)>`` with respect to it: ``vᵀJ``, one backward
    pass per call. ``cotangents`` is shaped like the output (a tuple of them
    when ``f`` returns a tuple). ``vjp_fn`` may be called many times: the
    graph is kept while it lives.

    Returns
    -------
    tuple
        ``(output, vjp_fn)``, and ``(output, vjp_fn, aux)`` with ``has_aux``.

    Examples
    --------
    >>> import chainrule as cr
    >>> out, vjp_fn = cr.func.vjp(lambda x: x**2, cr.tensor([1.0, 2.0]))
    >>> vjp_fn(cr.tensor([1.0, 10.0]))
    (tensor([ 2., 40.]),)
    """
    call = _call_all("vjp", f, primals, has_aux)

    def vjp_fn(cotangents: Any) -> tuple[Tensor, ...]:
        given = [cotangents] if call.single else _as_list("vjp_fn", cotangents)
        seeds = _matching("vjp_fn", "cotangent", given, call.outputs, "output")
        create = grad_mode.is_grad_enabled() and (
            call.nested or _any_requires_grad(seeds)
        )
        grads, unused = call.gradients(call.outputs, seeds, retain=True, create=create)
        call.warn_unused(unused)
        return tuple(grads)

    output = call.returned(call.output)
    if has_aux:
        return output, vjp_fn, call.returned(call.aux)
    return output, vjp_fn


def jvp(
    f: Callable[..., Any], primals: Any, tangents: Any, has_aux: bool = False
) -> Any:
    """``f(*primals)`` and the Jacobian-vector product ``J @ tangents``.

    The directional derivative of ``f`` along ``tangents``. chainrule has no
    forward mode, so this is the double-vjp trick: ``u -> uᵀJ`` is linear in
    ``u``, and differentiating ``<uᵀJ, v>`` with respect to ``u`` gives
    ``Jv``. It costs a forward and two backward passes, the first one
    recorded, and needs every backward rule on the way to be differentiable
    in its incoming gradient (all built-in ones are).

    Parameters
    ----------
    primals, tangents
        Tuples (or lists) of equal length: the arguments of ``f`` and one
        direction shaped like each.

    Returns
    -------
    tuple
        ``(output, jvp_out)``, ``jvp_out`` shaped like the output; and
        ``(output, jvp_out, aux)`` with ``has_aux``.

    Examples
    --------
    >>> import chainrule as cr
    >>> x, v = cr.tensor([1.0, 2.0]), cr.tensor([1.0, 0.5])
    >>> cr.func.jvp(lambda x: x**3, (x,), (v,))
    (tensor([1., 8.]), tensor([3., 6.]))
    """
    call, seeds, nested = _along("jvp", f, primals, tangents, has_aux)

    # NOTE: u's value does not matter (u -> uᵀJ is linear); zeros will do.
    used = [j for j, out in enumerate(call.outputs) if out.requires_grad]
    dummies = [
        Tensor(np.zeros(out.shape, out.dtype), requires_grad=True)
        for out in (call.outputs[j] for j in used)
    ]
    vjps, unused = call.gradients(
        [call.outputs[j] for j in used], list(dummies), retain=True, create=True
    )
    pairs = [
        (g, v)
        for k, (g, v) in enumerate(zip(vjps, seeds, strict=True))
        if k not in unused and g.requires_grad
    ]
    call.warn_unused(unused)
    found: tuple[Any, ...] = (None,) * len(dummies)
    if pairs:
        found = autograd_grad(
            [g for g, _ in pairs],
            dummies,
            [v for _, v in pairs],
            retain_graph=nested,
            create_graph=nested,
            allow_unused=True,
        )
    products = [Tensor(np.zeros(out.shape, out.dtype)) for out in call.outputs]
    for j, product in zip(used, found, strict=True):
        if product is not None:
            products[j] = product
        elif _depends_on_inputs(call, call.outputs[j]):
            raise BackwardError(
                "jvp: the backward of an op between the inputs and the output is "
                "not differentiable in its incoming gradient (does it use .data "
                "or .detach() of it?), so the double-vjp trick cannot give the "
                "jvp; find the op with cr.gradgradcheck"
            )

    output = call.returned(call.output)
    result = call.structured(products)
    if has_aux:
        return output, result, call.returned(call.aux)
    return output, result


def _depends_on_inputs(call: Call, out: Tensor) -> bool:
    # Only asked when something is wrong, so a backward pass is cheap enough.
    seed = np.zeros(out.shape, out.dtype)
    _, unused = call.gradients([out], [seed], retain=True, create=False)
    return len(unused) < len(call.inputs)


def jacobian(
    f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The Jacobian of ``f``, in reverse mode, as a function of its arguments.

    For an output ``y`` and an argument ``x`` the Jacobian has shape
    ``y.shape + x.shape``: entry ``[i..., j...]`` is dy[i...]/dx[j...]. It
    takes one backward pass per output element (the same as
    ``torch.func.jacrev``'s result, without its vectorisation).

    Returns
    -------
    Callable
        Returning the Jacobian; a tuple over arguments when ``argnums`` is a
        tuple; a tuple over outputs (of those) when ``f`` returns a tuple;
        and ``(jacobian, aux)`` with ``has_aux``.

    Examples
    --------
    >>> import chainrule as cr
    >>> f = lambda x: cr.stack([x[0] * x[1], x[0] + 2 * x[1]])
    >>> cr.func.jacobian(f)(cr.tensor([3.0, 4.0]))
    tensor([[4., 3.],
            [1., 2.]])
    """
    return _jacobian(f, argnums, has_aux, "jacobian", warn=True)


jacrev = jacobian


def _jacobian(
    f: Callable[..., Any], argnums: Argnums, has_aux: bool, where: str, warn: bool
) -> Callable[..., Any]:
    check_argnums(where, argnums)

    @functools.wraps(f, updated=())
    def jacobian_of_f(*args: Any, **kwargs: Any) -> Any:
        call = Call(where, f, args, kwargs, argnums, has_aux)
        per_output = []
        unused = set(range(len(call.inputs)))
        for out in call.outputs:
            blocks, unused_here = _jacobian_blocks(call, out)
            per_output.append(blocks[0] if isinstance(argnums, int) else blocks)
            unused &= unused_here
        if warn:
            call.warn_unused(unused)
        result = call.structured(per_output)
        return (result, call.returned(call.aux)) if has_aux else result

    return jacobian_of_f


def _jacobian_blocks(call: Call, out: Tensor) -> tuple[tuple[Tensor, ...], set[int]]:
    """d(out)/d(input) for every input, one backward per element of ``out``;
    and the inputs ``out`` does not depend on."""
    rows: list[list[Tensor]] = [[] for _ in call.inputs]
    unused = set(range(len(call.inputs)))
    seed = np.zeros(out.size, out.dtype)
    for i in range(out.size if out.requires_grad else 0):
        seed[i] = 1
        grads, unused = call.gradients(
            [out], [seed.reshape(out.shape)], retain=True, create=call.nested
        )
        seed[i] = 0
        for k, g in enumerate(grads):
            rows[k].append(g)
    if out.requires_grad and out.size == 0:
        # No element, no pass: one with a zero-sized seed says what is used.
        _, unused = call.gradients([out], [seed.reshape(out.shape)], True, False)

    blocks = []
    for x, row in zip(call.inputs, rows, strict=True):
        shape = out.shape + x.shape
        blocks.append(
            stack(row).reshape(shape) if row else Tensor(np.zeros(shape, x.dtype))
        )
    return tuple(blocks), unused


def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The Hessian of ``f``: the Jacobian of its Jacobian.

    For a scalar ``f`` of ``x`` it has shape ``x.shape + x.shape``; in
    general ``y.shape + x.shape + x.shape``. With a tuple ``argnums`` it is a
    nested tuple: ``H[i][j]`` is d²f/dx_i dx_j. It costs one recorded
    backward (the gradient) and then one backward through that per gradient
    element: n + 1 passes for n inputs. For one direction, :func:`hvp` is
    far cheaper.

    Examples
    --------
    >>> import chainrule as cr
    >>> f = lambda x: x[0] ** 2 * x[1]
    >>> cr.func.hessian(f)(cr.tensor([1.0, 3.0]))
    tensor([[6., 2.],
            [2., 0.]])
    """
    inner = _jacobian(f, argnums, False, "hessian", warn=True)
    # The gradient may well not depend on x (a linear f): that is no mistake.
    return _jacobian(inner, argnums, False, "hessian", warn=False)


def hvp(f: Callable[..., Any], primals: Any, tangents: Any) -> tuple[Any, Any]:
    """``f(*primals)`` and the Hessian-vector product ``H @ tangents``.

    Reverse over reverse: the gradient, recorded, then the gradient of
    ``<gradient, v>``: two backward passes, whatever the size of the inputs,
    and the Hessian is never formed. ``f`` must return a 0-d Tensor;
    ``primals`` and ``tangents`` are given as to :func:`jvp`.

    Returns
    -------
    tuple
        ``(value, products)``: ``products`` has one tensor per primal (the
        rows of ``H @ v`` for that argument).

    Examples
    --------
    >>> import chainrule as cr
    >>> f = lambda x: (x**3).sum()
    >>> cr.func.hvp(f, (cr.tensor([1.0, 2.0]),), (cr.tensor([1.0, 1.0]),))
    (tensor(9.), (tensor([ 6., 12.]),))
    """
    call, seeds, nested = _along("hvp", f, primals, tangents, scalar=True)

    grads, unused = call.gradients(call.outputs, [None], retain=True, create=True)
    call.warn_unused(unused)
    terms = [
        (g * v).sum() for g, v in zip(grads, seeds, strict=True) if g.requires_grad
    ]
    roots = [functools.reduce(operator.add, terms)] if terms else []
    # A gradient constant in x (unused here) is no mistake: H is zero there.
    products, _ = call.gradients(
        roots, [None] * len(roots), retain=nested, create=nested
    )
    return call.returned(call.output), tuple(products)


# --- shared argument handling ------------------------------------------------


def _call_all(
    where: str, f: Any, primals: Any, has_aux: bool, scalar: bool = False
) -> Call:
    """Evaluate ``f`` with every primal differentiated (vjp, jvp, hvp)."""
    return Call(where, f, tuple(primals), {}, _all(where, primals), has_aux, scalar)


def _along(
    where: str,
    f: Any,
    primals: Any,
    tangents: Any,
    has_aux: bool = False,
    scalar: bool = False,
) -> tuple[Call, list[Any], bool]:
    """Evaluate ``f`` for a product along ``tangents`` (jvp, hvp): the call,
    the checked tangents, and whether the product must be differentiable."""
    primals = _as_list(where, primals, "primals")
    tangents = _as_list(where, tangents, "tangents")
    call = _call_all(where, f, primals, has_aux, scalar)
    seeds = _matching(where, "tangent", tangents, call.inputs, "primal")
    nested = grad_mode.is_grad_enabled() and (call.nested or _any_requires_grad(seeds))
    return call, seeds, nested


def _all(where: str, primals: Any) -> tuple[int, ...]:
    if not primals:
        raise ValueError(
            f"{where}: no primals were given; pass the function's arguments, "
            "e.g. (x,) for one"
        )
    return tuple(range(len(primals)))


def _as_list(where: str, value: Any, name: str = "cotangents") -> list[Any]:
    if isinstance(value, (tuple, list)):
        return list(value)
    raise TypeError(
        f"{where}: {name} must be a tuple or list (one entry per "
        f"{'output' if name == 'cotangents' else 'argument'}), got "
        f"{type(value).__name__}; wrap a single one: (x,)"
    )


def _matching(
    where: str, name: str, given: list[Any], targets: list[Tensor], target_name: str
) -> list[Any]:
    """Directions checked against what they belong to: count, shape, float."""
    if len(given) != len(targets):
        raise ShapeError(
            f"{where}: {len(given)} {name}s for {len(targets)} {target_name}s; "
            f"give one {name} per {target_name}"
        )
    checked = []
    for k, (v, t) in enumerate(zip(given, targets, strict=True)):
        value = v if isinstance(v, Tensor) else np.asarray(v)
        if value.dtype.kind != "f":
            raise DTypeError(
                f"{where}: {name} {k} has dtype {value.dtype}; {name}s must be "
                f"floating point, like {target_name} {k} ({t.dtype})"
            )
        if value.shape != t.shape:
            raise ShapeError(
                f"{where}: {name} {k} has shape {value.shape} but {target_name} "
                f"{k} has shape {t.shape}; give one {name} shaped like each "
                f"{target_name}"
            )
        checked.append(value)
    return checked


def _any_requires_grad(values: list[Any]) -> bool:
    return any(isinstance(v, Tensor) and v.requires_grad for v in values)
