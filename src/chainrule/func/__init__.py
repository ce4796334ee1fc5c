"""Functional transforms: derivatives of plain Python functions of Tensors.

In the style of ``torch.func`` and JAX: a transform takes a function and
returns a function (or evaluates one) that computes a derivative, without
``requires_grad`` or ``.grad`` in sight::

    grad(f)(x)                    df/dx for a scalar f
    value_and_grad(f)(x)          (f(x), df/dx)
    vjp(f, x)                     (f(x), v -> vᵀJ)
    jvp(f, (x,), (v,))            (f(x), Jv)
    jacobian(f)(x)                J, one backward per output element
    hessian(f)(x)                 the Jacobian of the gradient
    hvp(f, (x,), (v,))            (f(x), Hv), two backward passes

Arguments may be Tensors, NumPy arrays or Python floats. The ones
differentiated are replaced by fresh tensors that require grad, so the
caller's tensors are never changed and their ``.grad`` is never touched.

Transforms compose: ``grad(grad(f))``, ``jacobian(grad(f))``, a ``grad``
inside the function of another. A transform whose result depends on
something outside it that requires grad (an argument that already does, a
parameter the function closes over, an outer transform's variable) records
its backward passes, so its result can be differentiated again; otherwise it
costs what a first-order backward costs. See docs/higher_order.md.

Where the output does not depend on a differentiated argument, the
derivative is zeros (as in ``torch.func`` and JAX), with an
:class:`UnusedInputWarning` (from each transform that finds it, so nested
transforms may warn more than once).

>>> import chainrule as cr
>>> f = lambda x: x**4
>>> d3 = cr.func.grad(cr.func.grad(cr.func.grad(f)))
>>> d3(2.0)
tensor(48.)
"""

from chainrule.func._call import UnusedInputWarning
from chainrule.func.transforms import (
    grad,
    hessian,
    hvp,
    jacobian,
    jacrev,
    jvp,
    value_and_grad,
    vjp,
)

__all__ = [
    "UnusedInputWarning",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jacrev",
    "jvp",
    "value_and_grad",
    "vjp",
]
