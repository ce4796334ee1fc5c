"""``gradcheck`` and ``gradgradcheck``: backward against central differences."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from chainrule.autograd.api import grad as autograd_grad
from chainrule.autograd.grad_mode import enable_grad
from chainrule.gradcheck.diagnosis import Diagnosis, diagnose
from chainrule.gradcheck.jacobian import (
    Evaluate,
    analytical_jacobian,
    directional_derivatives,
    evaluate_quietly,
    float_outputs,
    numerical_jacobian,
    one_sided_differences,
    outputs_as_arrays,
    vector_jacobian_products,
)
from chainrule.gradcheck.report import Block, Entry, GradcheckError, GradcheckResult
from chainrule.tensor import Tensor

Target = tuple[str, Tensor]


class GradcheckWarning(UserWarning):
    """gradcheck was asked to do something that makes its verdict unreliable."""


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    *more_inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast_mode: bool = False,
    seed: int = 0,
    max_entries: int = 5,
) -> GradcheckResult:
    """Check ``fn``'s backward against central differences.

    Every output of ``fn(*inputs)`` is differentiated with respect to every
    input tensor that requires grad and, when ``fn`` is a Module, every
    parameter (weight gradients and data gradients both). The analytical
    Jacobian comes from backward, one pass per output element; the numerical
    one from the source text's formula (f(x + eps) - f(x - eps)) / (2 eps),
    two evaluations per input component. An entry passes when
    ``|analytical - numerical| <= atol + rtol * |numerical|``.

    Parameters
    ----------
    fn
        A function of tensors returning a tensor or a tuple of tensors; a
        ``Function`` subclass's ``apply``; or a Module.
    inputs
        A tensor or a tuple of arguments. Tensors with ``requires_grad`` are
        checked; anything else is passed as it is.
    eps, atol, rtol
        Step of the central differences and the tolerances.
    raise_exception
        Raise :class:`GradcheckError` on a wrong gradient (otherwise return
        the failed result). A check spoiled only by kinks warns instead.
    fast_mode
        Compare one random projection u^T J v per input, computed both ways:
        two evaluations per input whatever its size. On a mismatch the full
        check runs to localise it.
    seed
        Seed of the random directions of fast mode.
    max_entries
        How many of the worst entries each failed block reports.

    Returns
    -------
    GradcheckResult
        Printable; its fields hold every Jacobian and the diagnosis.

    Examples
    --------
    >>> import chainrule as cr
    >>> x = cr.tensor([[0.3, -1.2], [2.0, 0.5]], requires_grad=True)
    >>> cr.gradcheck(lambda t: cr.tanh(t @ t), x).passed
    True
    """
    if more_inputs:
        raise TypeError(
            f"gradcheck: got {1 + len(more_inputs)} inputs as separate arguments; "
            "pass them as one tuple, gradcheck(fn, (x, w)), as in PyTorch"
        )
    args = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    targets: list[Target] = [
        (f"input {k}", a)
        for k, a in enumerate(args)
        if isinstance(a, Tensor) and a.requires_grad
    ]
    if hasattr(fn, "named_parameters"):
        targets += [
            (f"parameter {name}", p)
            for name, p in fn.named_parameters()
            if p.requires_grad
        ]
    if not targets:
        raise ValueError(
            "gradcheck: no input requires grad, so there is nothing to check; "
            "create the inputs with requires_grad=True"
        )

    # Where each checked output is among all of them, for the report's names:
    # read off the first evaluation (later ones skip it; see float_outputs).
    positions: list[int] = []

    def evaluate(record: bool) -> list[Tensor]:
        return float_outputs(fn(*args), None if positions else positions)

    def output_names() -> list[str]:
        # -1: the function returned one tensor, not a tuple.
        return [f"output {k}" if k >= 0 else "output" for k in positions]

    return _check(
        evaluate,
        targets,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        fast_mode=fast_mode,
        seed=seed,
        max_entries=max_entries,
        record=False,
        output_names=output_names,
        check="gradcheck",
    )


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast_mode: bool = False,
    seed: int = 0,
    max_entries: int = 5,
) -> GradcheckResult:
    """Check second derivatives: gradcheck of ``fn``'s first derivatives.

    The checked function maps (inputs, upstream gradients) to the gradients
    of ``<upstream, fn(inputs)>`` with respect to the inputs, computed with
    ``create_graph=True``; its backward is the double backward of ``fn``.
    ``grad_outputs`` defaults to random tensors (seeded by ``seed``).

    Examples
    --------
    >>> import chainrule as cr
    >>> x = cr.tensor([0.3, -1.2, 2.0], requires_grad=True)
    >>> cr.gradgradcheck(cr.sigmoid, x).passed
    True
    """
    args = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    primary: list[Target] = [
        (f"input {k}", a)
        for k, a in enumerate(args)
        if isinstance(a, Tensor) and a.requires_grad
    ]
    if hasattr(fn, "named_parameters"):
        primary += [
            (f"parameter {name}", p)
            for name, p in fn.named_parameters()
            if p.requires_grad
        ]
    if not primary:
        raise ValueError(
            "gradgradcheck: no input requires grad, so there is nothing to "
            "check; create the inputs with requires_grad=True"
        )

    with enable_grad():
        outputs = [o for o in float_outputs(fn(*args)) if o.requires_grad]
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        upstream = [
            Tensor(rng.standard_normal(o.shape).astype(o.dtype), requires_grad=True)
            for o in outputs
        ]
    else:
        given = (
            grad_outputs if isinstance(grad_outputs, (tuple, list)) else [grad_outputs]
        )
        upstream = [
            g
            if isinstance(g, Tensor)
            else Tensor(np.array(g, dtype=o.dtype), requires_grad=True)
            for g, o in zip(given, outputs, strict=True)
        ]
    tensors = [t for _, t in primary]

    def evaluate(record: bool) -> list[Tensor]:
        outs = [o for o in float_outputs(fn(*args)) if o.requires_grad]
        firsts = autograd_grad(
            outs, tensors, upstream, create_graph=True, allow_unused=True
        )
        return [
            Tensor(np.zeros(t.shape, t.dtype)) if g is None else g
            for g, t in zip(firsts, tensors, strict=True)
        ]

    targets = primary + [(f"grad_output {k}", g) for k, g in enumerate(upstream)]
    return _check(
        evaluate,
        targets,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        fast_mode=fast_mode,
        seed=seed,
        max_entries=max_entries,
        record=True,
        output_names=lambda: [f"d(output)/d({name})" for name, _ in primary],
        check="gradgradcheck",
    )


def _validate(eps: float, atol: float, rtol: float) -> None:
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"gradcheck: eps must be a positive finite number, got {eps}")
    for name, value in (("atol", atol), ("rtol", rtol)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"gradcheck: {name} must be finite and >= 0, got {value}")


def _mismatched(
    analytical: np.ndarray, numerical: np.ndarray, rtol: float, atol: float
) -> np.ndarray:
    """Where ``|analytical - numerical| > atol + rtol·|numerical|``.

    np.isclose's rule, with equal infinities and nan = nan counted as equal,
    but without its Python overhead (15 us a call, a tenth of fast mode).
    """
    with np.errstate(invalid="ignore"):
        close = np.abs(analytical - numerical) <= atol + rtol * np.abs(numerical)
    close |= analytical == numerical
    close |= np.isnan(analytical) & np.isnan(numerical)
    return ~close


def _check(
    evaluate: Evaluate,
    targets: Sequence[Target],
    *,
    eps: float,
    atol: float,
    rtol: float,
    raise_exception: bool,
    fast_mode: bool,
    seed: int,
    max_entries: int,
    record: bool,
    output_names: Callable[[], list[str]],
    check: str,
) -> GradcheckResult:
    _validate(eps, atol, rtol)
    notes = _precision_notes(targets)

    with enable_grad():
        outputs = evaluate(True)
    if not outputs:
        raise ValueError(
            "gradcheck: the function has no floating-point output, so there is "
            "no gradient to check (argmax, comparisons and integer results "
            "have none)"
        )
    names = output_names()

    if fast_mode:
        result = _fast(evaluate, outputs, targets, eps, atol, rtol, seed, record, notes)
        if not result.passed:
            result = _full(
                evaluate, outputs, names, targets, eps, atol, rtol, max_entries, record
            )
            result.mode = "fast, then full to localise"
            result.notes = [
                *notes,
                "fast mode found a mismatch; the full check localised it",
            ]
    else:
        result = _full(
            evaluate, outputs, names, targets, eps, atol, rtol, max_entries, record
        )
        result.notes = notes
    result.check = check

    if all(block.total == 0 for block in result.blocks):
        result.notes = [
            *result.notes,
            "nothing was compared: every Jacobian block is empty (an input or "
            "an output has no elements)",
        ]
    status = result.status
    if status == "kink":
        warnings.warn(str(result), GradcheckWarning, stacklevel=3)
    elif status == "failed" and raise_exception:
        raise GradcheckError(result)
    return result


def _full(
    evaluate: Evaluate,
    outputs: list[Tensor],
    names: list[str],
    targets: Sequence[Target],
    eps: float,
    atol: float,
    rtol: float,
    max_entries: int,
    record: bool,
) -> GradcheckResult:
    tensors = [t for _, t in targets]
    analytical = analytical_jacobian(outputs, tensors)
    low_precision = _low_precision(targets, outputs)
    center = outputs_as_arrays(evaluate_quietly(evaluate, record))

    blocks = []
    for t, (input_name, tensor) in enumerate(targets):
        differences = numerical_jacobian(evaluate, tensor, eps, record, center)
        for k, out in enumerate(outputs):
            a = analytical[k][t]
            n = differences.central[k]
            mismatched = _mismatched(a, n, rtol, atol)
            block = Block(
                output=names[k],
                input=input_name,
                output_shape=out.shape,
                input_shape=tensor.shape,
                analytical=a,
                numerical=n,
                mismatched=mismatched,
            )
            if mismatched.any():

                def half_step(
                    columns: list[int], tensor: Tensor = tensor, k: int = k
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
                    half = one_sided_differences(
                        evaluate, tensor, eps / 2, columns, k, record
                    )
                    return half.central[0], half.forward[0], half.backward[0]

                block.worst = _worst_entries(block, max_entries)
                block.diagnoses = low_precision + diagnose(
                    a,
                    n,
                    differences.forward[k],
                    differences.backward[k],
                    mismatched,
                    tensor.shape,
                    out.size,
                    atol,
                    rtol,
                    half_step=half_step,
                    low_precision=bool(low_precision),
                )
            blocks.append(block)
    return GradcheckResult(blocks, eps, atol, rtol, mode="full")


def _fast(
    evaluate: Evaluate,
    outputs: list[Tensor],
    targets: Sequence[Target],
    eps: float,
    atol: float,
    rtol: float,
    seed: int,
    record: bool,
    notes: list[str],
) -> GradcheckResult:
    # NOTE: directions uniform on [-1/2, 1/2), not Gaussian: any random
    # direction exposes a wrong Jacobian with probability 1, and uniform
    # numbers come three times faster (standard_normal of a 20x20 input was
    # a twentieth of a fast check).
    rng = _seeded(seed)
    weights = [rng.random(out.size) - 0.5 for out in outputs]
    norm = np.sqrt(sum(float(w @ w) for w in weights)) or 1.0
    weights = [w / norm for w in weights]
    tensors = [t for _, t in targets]
    products = vector_jacobian_products(outputs, tensors, weights)

    blocks = []
    for (input_name, tensor), vjp in zip(targets, products, strict=True):
        direction = rng.random(tensor.shape) - 0.5
        direction /= math.sqrt(float(np.vdot(direction, direction))) or 1.0
        analytical = float(vjp @ direction.ravel())
        numerical = directional_derivatives(
            evaluate, tensor, direction, weights, eps, record
        )
        a, n = np.array([[analytical]]), np.array([[numerical]])
        close = (
            abs(analytical - numerical) <= atol + rtol * abs(numerical)
            or analytical == numerical
            or (math.isnan(analytical) and math.isnan(numerical))
        )
        blocks.append(
            Block(
                output="u . outputs",
                input=f"{input_name} along v",
                output_shape=(),
                input_shape=(),
                analytical=a,
                numerical=n,
                mismatched=np.array([[not close]]),
            )
        )
    return GradcheckResult(blocks, eps, atol, rtol, mode="fast", notes=notes)


_generator = np.random.default_rng(0)
_initial_states: dict[int, Any] = {}


def _seeded(seed: int) -> np.random.Generator:
    """A generator at the start of ``seed``'s stream, as default_rng(seed) is.

    NOTE: default_rng builds its state from the seed through a SeedSequence
    (about 8 us, a twentieth of a fast check); the state is computed once
    per seed and set on one generator instead (under 1 us).
    """
    state = _initial_states.get(seed)
    if state is None:
        state = _initial_states[seed] = np.random.default_rng(seed).bit_generator.state
        if len(_initial_states) > 64:
            _initial_states.pop(next(iter(_initial_states)))
    _generator.bit_generator.state = state
    return _generator


def _worst_entries(block: Block, count: int) -> list[Entry]:
    errors = np.abs(block.analytical - block.numerical)
    errors = np.where(block.mismatched, np.nan_to_num(errors, nan=np.inf), -1.0)
    order = np.argsort(errors, axis=None)[::-1][: min(count, block.mismatch_count)]
    entries = []
    for flat in order:
        i, j = np.unravel_index(flat, errors.shape)
        entries.append(
            Entry(
                tuple(int(n) for n in np.unravel_index(i, block.output_shape)),
                tuple(int(n) for n in np.unravel_index(j, block.input_shape)),
                float(block.analytical[i, j]),
                float(block.numerical[i, j]),
            )
        )
    return entries


def _precision_notes(targets: Sequence[Target]) -> list[str]:
    low = [name for name, t in targets if t.dtype.itemsize < 8]
    if not low:
        return []
    message = (
        f"gradcheck on {', '.join(low)} in reduced precision "
        f"({targets[0][1].dtype if len(low) == len(targets) else 'float32/16'}): "
        "central differences with eps around 1e-6 keep only a few digits there, "
        "so expect false alarms; check in float64 (e.g. x.astype(np.float64), "
        "or build the layer with dtype=np.float64)"
    )
    warnings.warn(message, GradcheckWarning, stacklevel=4)
    return [message]


def _low_precision(targets: Sequence[Target], outputs: list[Tensor]) -> list[Diagnosis]:
    dtypes = [t.dtype for _, t in targets] + [o.dtype for o in outputs]
    if all(d.itemsize >= 8 for d in dtypes):
        return []
    return [
        Diagnosis(
            "float32",
            "the check ran in reduced precision (float32/16): with eps around "
            "1e-6 the numerical gradient is mostly rounding error; repeat the "
            "check in float64 before suspecting backward",
        )
    ]
