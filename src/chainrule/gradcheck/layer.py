"""``check_layer``: one call that checks a user-written layer's whole contract.

gradcheck answers "is backward right at this point?". A layer used in a real
model must also behave when it is called twice in one graph, when an input
feeds it twice, when inputs broadcast, on an empty batch, under ``no_grad``,
and it must not write into the arrays it was given. Each item below is one
such promise, checked against an independent computation.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule.autograd.api import grad as autograd_grad
from chainrule.autograd.grad_mode import no_grad
from chainrule.errors import ChainruleError
from chainrule.gradcheck.check import GradcheckWarning, gradcheck
from chainrule.gradcheck.jacobian import float_outputs
from chainrule.tensor import Tensor

Check = Callable[["_Context"], "Item"]


@dataclass
class Item:
    """One promise of the layer contract and whether it held."""

    name: str
    status: str  # "ok", "FAIL" or "skipped"
    detail: str = ""


@dataclass
class LayerCheckResult:
    """Every contract item, printable as one report; ``passed`` if none failed."""

    layer: str
    items: list[Item] = field(default_factory=list)

    @property
    def failures(self) -> list[Item]:
        return [i for i in self.items if i.status == "FAIL"]

    @property
    def passed(self) -> bool:
        return not self.failures

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        counts = {
            s: sum(i.status == s for i in self.items) for s in ("ok", "FAIL", "skipped")
        }
        lines = [
            f"check_layer({self.layer}): {counts['ok']} passed, "
            f"{counts['FAIL']} failed, {counts['skipped']} skipped"
        ]
        for item in self.items:
            lines.append(f"  {item.status:<7} {item.name}")
            if item.detail:
                lines.extend("          " + line for line in item.detail.splitlines())
        return "\n".join(lines)


class LayerCheckError(ChainruleError, RuntimeError):
    """A layer broke its contract; ``error.result`` has the whole report."""

    def __init__(self, result: LayerCheckResult) -> None:
        super().__init__(str(result))
        self.result = result


def check_layer(
    layer: Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> LayerCheckResult:
    """Check a layer's gradients and its behaviour in a graph, in one call.

    Parameters
    ----------
    layer
        A Module, a ``Function`` subclass's ``apply``, or a function of tensors.
    inputs
        Example inputs (tensors or arrays); they are copied to float64 tensors
        that require grad. Use small shapes: the gradient check costs two
        evaluations per input component. A layer's float32 weights are
        checked in float64 too, and restored (same arrays) afterwards.

    Checks
    ------
    - weight and data gradients against central differences (gradcheck);
    - the forward is deterministic (else no numerical check is sound);
    - called twice in one graph (on other inputs), each call's data
      gradients stay its own and the weight gradients add up;
    - an input used twice gets the sum of both gradients, and one tensor
      passed in two argument slots (``layer(x, x)``) too;
    - broadcast inputs (a leading axis of 1), for layers of several inputs;
    - an empty batch (leading axis 0): no error, no nan in weight gradients;
    - a 0-d input, for layers whose example inputs are 1-D or 0-d;
    - under ``no_grad`` the same values and no graph;
    - forward and backward leave the inputs, the weights and the upstream
      gradient untouched.

    Examples
    --------
    >>> import chainrule as cr
    >>> layer = cr.nn.Linear(3, 2, dtype="float64")
    >>> cr.check_layer(layer, cr.randn(4, 3)).passed
    True
    """
    args = [_as_input(x) for x in inputs]
    parameters = _parameters(layer)
    result = LayerCheckResult(_describe(layer))
    rng = np.random.default_rng(seed)
    checks: list[Check] = [
        _deterministic,
        _gradients,
        _called_twice,
        _input_reused,
        _broadcast_inputs,
        _empty_batch,
        _zero_dim,
        _no_grad,
        _leaves_arrays_alone,
    ]
    context = _Context(layer, args, parameters, rng, eps, atol, rtol)
    # Checked in float64 like the inputs (central differences need it); the
    # weights get their own arrays and dtype back afterwards.
    originals = [p.data for _, p in parameters]
    for _, p in parameters:
        if p.data.dtype != np.float64:
            p.data = p.data.astype(np.float64)
    try:
        context.pristine = {k: v.copy() for k, v in context.current().items()}
        _run_checks(checks, context, result)
    finally:
        for (_, p), original in zip(parameters, originals, strict=True):
            if p.data is not original:
                p.data = original

    if raise_exception and not result.passed:
        raise LayerCheckError(result)
    return result


def _run_checks(
    checks: list[Check],
    context: _Context,
    result: LayerCheckResult,
) -> None:
    for check in checks:
        try:
            result.items.append(check(context))
        except Exception as error:  # a crash is a failed promise, reported
            result.items.append(
                Item(
                    _CHECK_NAMES[check],
                    "FAIL",
                    f"raised {type(error).__name__}: {error}",
                )
            )
        if (
            result.items[-1].name == _CHECK_NAMES[_deterministic]
            and result.items[-1].status == "FAIL"
        ):
            break


@dataclass
class _Context:
    layer: Callable[..., Any]
    inputs: list[Tensor]
    parameters: list[tuple[str, Tensor]]
    rng: np.random.Generator
    eps: float
    atol: float
    rtol: float

    pristine: dict[str, np.ndarray] = field(default_factory=dict)

    def current(self) -> dict[str, np.ndarray]:
        arrays = {f"input {k}": x.data for k, x in enumerate(self.inputs)}
        arrays.update({name: p.data for name, p in self.parameters})
        return arrays

    def close(self, a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.allclose(a, b, rtol=self.rtol, atol=self.atol, equal_nan=True))


def _deterministic(c: _Context) -> Item:
    name = _CHECK_NAMES[_deterministic]
    with no_grad():
        first = [o.data.copy() for o in float_outputs(c.layer(*c.inputs))]
        second = [o.data.copy() for o in float_outputs(c.layer(*c.inputs))]
    if all(
        np.array_equal(a, b, equal_nan=True) for a, b in zip(first, second, strict=True)
    ):
        return Item(name, "ok")
    return Item(
        name,
        "FAIL",
        "two calls on the same inputs gave different outputs, so no gradient "
        "can be checked numerically; for dropout and other random layers call "
        "layer.eval() (or fix the generator) before check_layer",
    )


def _gradients(c: _Context) -> Item:
    name = _CHECK_NAMES[_gradients]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GradcheckWarning)
        report = gradcheck(
            c.layer,
            tuple(c.inputs),
            eps=c.eps,
            atol=c.atol,
            rtol=c.rtol,
            raise_exception=False,
        )
    if report.passed:
        return Item(name, "ok", f"{len(report.blocks)} Jacobian block(s)")
    status = "skipped" if report.status == "kink" else "FAIL"
    return Item(name, status, str(report))


def _called_twice(c: _Context) -> Item:
    name = _CHECK_NAMES[_called_twice]
    other = [_perturbed(x, c.rng) for x in c.inputs]
    first_up = _upstream(c.layer(*c.inputs), c.rng)
    second_up = _upstream(c.layer(*other), c.rng)

    weights = [p for _, p in c.parameters]
    separate_first = _grads(c.layer, c.inputs, first_up, [*c.inputs, *weights])
    separate_second = _grads(c.layer, other, second_up, [*other, *weights])
    both = _weighted_sum(c.layer(*c.inputs), first_up) + _weighted_sum(
        c.layer(*other), second_up
    )
    if not both.requires_grad:
        return Item(name, "ok")
    together = _as_arrays(
        autograd_grad(both, [*c.inputs, *other, *weights], allow_unused=True),
        [*c.inputs, *other, *weights],
    )

    # Each call's data gradients must be its own; the weight gradients add.
    n = len(c.inputs)
    expected = [
        *separate_first[:n],
        *separate_second[:n],
        *(a + b for a, b in zip(separate_first[n:], separate_second[n:], strict=True)),
    ]
    labels = [
        *(f"input {k} of the first call" for k in range(n)),
        *(f"input {k} of the second call" for k in range(n)),
        *(pname for pname, _ in c.parameters),
    ]
    for label, got, want in zip(labels, together, expected, strict=True):
        if not c.close(got, want):
            what = (
                "the sum of the two calls' gradients"
                if label in dict(c.parameters)
                else "what the call alone gives"
            )
            return Item(
                name,
                "FAIL",
                f"the gradient of {label} from one graph with two calls is not "
                f"{what} (max difference {np.max(np.abs(got - want)):.3g}): the "
                "layer keeps state between calls (saved values on the module or "
                "the class instead of the graph node?)",
            )
    return Item(name, "ok")


def _input_reused(c: _Context) -> Item:
    name = _CHECK_NAMES[_input_reused]
    outputs = float_outputs(c.layer(*c.inputs))
    up_a = [c.rng.standard_normal(o.shape) for o in outputs]
    up_b = [c.rng.standard_normal(o.shape) for o in outputs]
    targets = [*c.inputs, *(p for _, p in c.parameters)]

    combined = _grads(
        c.layer, c.inputs, [a + b for a, b in zip(up_a, up_b, strict=True)], targets
    )
    twice = _weighted_sum(c.layer(*c.inputs), up_a) + _weighted_sum(
        c.layer(*c.inputs), up_b
    )
    got = autograd_grad(twice, targets, allow_unused=True)

    names = [f"input {k}" for k in range(len(c.inputs))] + [n for n, _ in c.parameters]
    for tname, expected, g in zip(names, combined, got, strict=True):
        actual = np.zeros_like(expected) if g is None else g.data
        if not c.close(actual, expected):
            return Item(
                name,
                "FAIL",
                f"feeding the same inputs to the layer twice gives {tname} a "
                "gradient that is not the sum of both uses (max difference "
                f"{np.max(np.abs(actual - expected)):.3g})",
            )
    return _one_tensor_in_two_slots(c, name)


def _one_tensor_in_two_slots(c: _Context, name: str) -> Item:
    """layer(x, x): x's gradient is the sum of what each argument slot gets."""
    pairs = [
        (i, j)
        for i in range(len(c.inputs))
        for j in range(i + 1, len(c.inputs))
        if c.inputs[i].shape == c.inputs[j].shape
    ]
    if not pairs:
        return Item(name, "ok")
    i, j = pairs[0]
    x = c.inputs[i]
    twin = Tensor(x.data.copy(), requires_grad=True)
    apart = list(c.inputs)
    apart[j] = twin
    shared = list(c.inputs)
    shared[j] = x

    upstream = _upstream(c.layer(*apart), c.rng)
    grad_i, grad_j = _grads(c.layer, apart, upstream, [x, twin])
    (got,) = _grads(c.layer, shared, upstream, [x])
    if not c.close(got, grad_i + grad_j):
        return Item(
            name,
            "FAIL",
            f"with one tensor passed as input {i} and input {j}, its gradient "
            "is not the sum of the gradients of the two arguments (max "
            f"difference {np.max(np.abs(got - grad_i - grad_j)):.3g}): backward "
            "must not assume its inputs are distinct tensors",
        )
    return Item(name, "ok", f"also layer(x, x) with inputs {i} and {j}")


def _broadcast_inputs(c: _Context) -> Item:
    name = _CHECK_NAMES[_broadcast_inputs]
    if len(c.inputs) < 2:
        return Item(name, "skipped", "the layer takes one input: nothing broadcasts")
    candidates = [k for k, x in enumerate(c.inputs) if x.ndim >= 1 and x.shape[0] > 1]
    if not candidates:
        return Item(name, "skipped", "no input has a leading axis longer than 1")
    k = candidates[-1]
    shrunk = list(c.inputs)
    shrunk[k] = Tensor(c.inputs[k].data[:1].copy(), requires_grad=True)
    try:
        with no_grad():
            c.layer(*shrunk)
    except ChainruleError as error:
        return Item(name, "skipped", f"the layer does not broadcast input {k}: {error}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GradcheckWarning)
        report = gradcheck(
            c.layer,
            tuple(shrunk),
            eps=c.eps,
            atol=c.atol,
            rtol=c.rtol,
            raise_exception=False,
        )
    if report.status == "failed":
        return Item(name, "FAIL", f"input {k} with shape {shrunk[k].shape}:\n{report}")
    return Item(name, "ok", f"input {k} with shape {shrunk[k].shape}")


def _empty_batch(c: _Context) -> Item:
    name = _CHECK_NAMES[_empty_batch]
    if not any(x.ndim >= 1 for x in c.inputs):
        return Item(name, "skipped", "no input has a batch axis")
    empty = [
        Tensor(x.data[:0].copy(), requires_grad=True) if x.ndim >= 1 else x
        for x in c.inputs
    ]
    try:
        outputs = float_outputs(c.layer(*empty))
    except ChainruleError as error:
        return Item(name, "skipped", f"the layer rejects an empty batch: {error}")
    weights = [p for _, p in c.parameters]
    total = sum((o.sum() for o in outputs if o.requires_grad), Tensor(np.zeros(())))
    if not weights or not total.requires_grad:
        return Item(name, "ok")
    grads = autograd_grad(total, weights, allow_unused=True)
    for (pname, _), g in zip(c.parameters, grads, strict=True):
        if g is not None and not np.all(np.isfinite(g.data)):
            return Item(
                name,
                "FAIL",
                f"on an empty batch the gradient of {pname} is not finite "
                "(a mean over zero elements?); an empty batch should give "
                "zero weight gradients",
            )
    return Item(name, "ok")


def _zero_dim(c: _Context) -> Item:
    name = _CHECK_NAMES[_zero_dim]
    if any(x.ndim > 1 for x in c.inputs):
        return Item(name, "skipped", "an example input has more than 1 dimension")
    scalars = [
        Tensor(x.data.reshape(-1)[:1].reshape(()).copy(), requires_grad=True)
        for x in c.inputs
    ]
    try:
        with no_grad():
            c.layer(*scalars)
    except ChainruleError as error:
        return Item(name, "skipped", f"the layer rejects 0-d inputs: {error}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GradcheckWarning)
        report = gradcheck(
            c.layer,
            tuple(scalars),
            eps=c.eps,
            atol=c.atol,
            rtol=c.rtol,
            raise_exception=False,
        )
    if report.status == "failed":
        return Item(name, "FAIL", str(report))
    return Item(name, "ok")


def _no_grad(c: _Context) -> Item:
    name = _CHECK_NAMES[_no_grad]
    recorded = float_outputs(c.layer(*c.inputs))
    with no_grad():
        quiet = float_outputs(c.layer(*c.inputs))
    for k, (r, q) in enumerate(zip(recorded, quiet, strict=True)):
        if q.requires_grad or q.grad_fn is not None:
            return Item(name, "FAIL", f"output {k} records a graph under no_grad()")
        if not np.array_equal(r.data, q.data, equal_nan=True):
            return Item(name, "FAIL", f"output {k} differs under no_grad()")
    return Item(name, "ok")


def _leaves_arrays_alone(c: _Context) -> Item:
    name = _CHECK_NAMES[_leaves_arrays_alone]
    changed = [
        key
        for key, value in c.pristine.items()
        if not np.array_equal(value, c.current()[key], equal_nan=True)
    ]
    if changed:
        return Item(
            name,
            "FAIL",
            f"forward or backward wrote into {', '.join(changed)}; a layer must "
            "not modify its inputs or weights in place (other ops and backward "
            "need their values)",
        )

    # The gradient reaching the layer is shared when its output also feeds
    # an addition: the same array goes to the other operand, here a leaf.
    outputs = [o for o in float_outputs(c.layer(*c.inputs)) if o.requires_grad]
    if not outputs:
        return Item(name, "ok")
    siblings = [Tensor(np.zeros(o.shape), requires_grad=True) for o in outputs]
    upstream = [c.rng.standard_normal(o.shape) for o in outputs]
    total = _weighted_sum(
        [o + s for o, s in zip(outputs, siblings, strict=True)], upstream
    )
    targets = [*c.inputs, *(p for _, p in c.parameters), *siblings]
    grads = autograd_grad(total, targets, allow_unused=True)
    for sibling_grad, expected in zip(grads[-len(siblings) :], upstream, strict=True):
        if sibling_grad is None or not np.array_equal(sibling_grad.data, expected):
            return Item(
                name,
                "FAIL",
                "backward wrote into the upstream gradient it received; that "
                "array is shared with other branches of the graph (here the "
                "other operand of an addition), so compute a new array instead",
            )
    return Item(name, "ok")


_CHECK_NAMES: dict[Check, str] = {
    _deterministic: "forward is deterministic",
    _gradients: "weight and data gradients vs central differences",
    _called_twice: "called twice in one graph",
    _input_reused: "an input used twice gets both gradients",
    _broadcast_inputs: "broadcast inputs",
    _empty_batch: "empty batch",
    _zero_dim: "0-d inputs",
    _no_grad: "no_grad: same values, no graph",
    _leaves_arrays_alone: "inputs, weights and upstream gradient left unchanged",
}


# --- helpers --------------------------------------------------------------------


def _as_input(x: Any) -> Tensor:
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return Tensor(np.array(data, dtype=np.float64), requires_grad=True)


def _parameters(layer: Any) -> list[tuple[str, Tensor]]:
    if hasattr(layer, "named_parameters"):
        return [(name, p) for name, p in layer.named_parameters() if p.requires_grad]
    return []


def _describe(layer: Any) -> str:
    if hasattr(layer, "named_parameters"):
        return repr(layer).splitlines()[0].rstrip("(")
    owner = getattr(layer, "__self__", None)
    if isinstance(owner, type):
        return f"{owner.__name__}.{layer.__name__}"
    return getattr(layer, "__qualname__", type(layer).__name__)


def _perturbed(x: Tensor, rng: np.random.Generator) -> Tensor:
    return Tensor(x.data + 0.1 * rng.standard_normal(x.shape), requires_grad=True)


def _upstream(result: Any, rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.standard_normal(o.shape) for o in float_outputs(result)]


def _weighted_sum(result: Any, upstream: list[np.ndarray]) -> Tensor:
    total = Tensor(np.zeros(()))
    for out, u in zip(float_outputs(result), upstream, strict=True):
        total = total + (out * u).sum()
    return total


def _grads(
    layer: Callable[..., Any],
    inputs: list[Tensor],
    upstream: list[np.ndarray],
    targets: list[Tensor],
) -> list[np.ndarray]:
    total = _weighted_sum(layer(*inputs), upstream)
    if not total.requires_grad:
        return [np.zeros(t.shape) for t in targets]
    return _as_arrays(autograd_grad(total, targets, allow_unused=True), targets)


def _as_arrays(grads: Any, targets: list[Tensor]) -> list[np.ndarray]:
    """Gradients as arrays, zeros for a target nothing depended on."""
    return [
        np.zeros(t.shape) if g is None else g.data
        for t, g in zip(targets, grads, strict=True)
    ]
