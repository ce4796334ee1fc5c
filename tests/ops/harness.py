"""The op specification table's machinery: what a spec says and how it is checked.

An :class:`OpSpec` names a chainrule op, an independent reference (PyTorch in
float64), where its inputs may be drawn from, where it is not differentiable,
and how close the two must agree. ``test_op_table.py`` turns every spec into
value, gradient, numerical-gradient, second-order, dtype and edge-shape tests,
so an op is tested the moment it is listed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
from hypothesis import assume
from hypothesis import strategies as st

import chainrule as cr

Shape = tuple[int, ...]
Domain = tuple[float, float]


@dataclass
class Case:
    """One call of an op: its positional arguments and keyword options.

    ``args`` holds NumPy arrays (made into tensors) and plain values (passed
    as they are). ``differentiable[k]`` says whether argument k is a tensor
    that requires grad.
    """

    args: list[Any]
    differentiable: list[bool]
    options: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = [
            f"array{a.shape}{'*' if d else ''}"
            if isinstance(a, np.ndarray)
            else repr(a)
            for a, d in zip(self.args, self.differentiable, strict=True)
        ]
        return f"Case({', '.join(shown)}, options={self.options})"


@dataclass(frozen=True)
class OpSpec:
    """How to test one op.

    name        test id.
    op          the chainrule function: ``op(*args, **options)``.
    reference   the same function in PyTorch: ``reference(*torch_args, **options)``.
    arity       number of tensor inputs for the default (broadcasting) generator.
    domain      interval inputs are drawn from; one per input or one for all.
    kinks       values where the op is not differentiable: drawn inputs keep
                ``kink_margin`` away, so central differences stay on one side.
    shapes      strategy of input shape tuples; default: mutually broadcastable
                shapes of up to 3 dims with sides 0..4 (0-d and empty included).
    options     function of the shapes giving a strategy of keyword options.
    inputs      a complete case generator, ``inputs(draw) -> Case``, for ops
                whose arguments are not just tensors (where, getitem, stack).
    valid       reject drawn cases that sit on a kink spanning several inputs
                (ties in maximum): ``valid(case) -> bool``.
    special     cases always tested (0-d, empty, ...): ``(shapes, options)``;
                default for broadcasting ops: all 0-d, and an empty batch.
    rtol, atol  agreement with the reference (values and gradients).
    numeric_tol (rtol, atol) against central differences.
    numeric     compare with central differences at all; off for an op that
                rounds to a lower precision (astype to float32), whose
                central differences measure the rounding.
    second_order  compare second derivatives with the reference.
    second_order_valid  reject cases, for the second-order test only, where
                the value is nan or a convention (empty or one-element
                slices of a mean or a spread) and PyTorch's second
                derivative is an artifact of its formula (0·inf = nan).
    float32     check that float32 inputs give float32 outputs and gradients.
    """

    name: str
    op: Callable[..., Any]
    reference: Callable[..., Any]
    arity: int = 1
    domain: Domain | tuple[Domain, ...] = (-3.0, 3.0)
    kinks: tuple[float, ...] = ()
    kink_margin: float = 1e-3
    shapes: Callable[[], st.SearchStrategy[tuple[Shape, ...]]] | None = None
    options: Callable[[tuple[Shape, ...]], st.SearchStrategy[dict[str, Any]]] | None = (
        None
    )
    inputs: Callable[[Callable[..., Any]], Case] | None = None
    valid: Callable[[Case], bool] | None = None
    special: tuple[tuple[tuple[Shape, ...], dict[str, Any]], ...] | None = None
    rtol: float = 1e-7
    atol: float = 1e-9
    numeric_tol: tuple[float, float] = (1e-5, 1e-6)
    numeric: bool = True
    second_order: bool = True
    second_order_valid: Callable[[Case], bool] | None = None
    float32: bool = True

    def __repr__(self) -> str:
        return self.name

    def domain_of(self, k: int) -> Domain:
        if isinstance(self.domain[0], tuple):
            return self.domain[k]  # type: ignore[return-value]
        return self.domain  # type: ignore[return-value]

    def special_cases(self) -> tuple[tuple[tuple[Shape, ...], dict[str, Any]], ...]:
        if self.special is not None:
            return self.special
        if self.inputs is not None or self.shapes is not None:
            return ()
        scalar = tuple(() for _ in range(self.arity))
        empty = ((0, 2), *((2,) for _ in range(self.arity - 1)))
        return ((scalar, {}), (empty, {}))


# --- drawing cases -------------------------------------------------------------


def default_shapes(arity: int) -> st.SearchStrategy[tuple[Shape, ...]]:
    if arity == 1:
        return hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4).map(
            lambda s: (s,)
        )
    return hnp.mutually_broadcastable_shapes(
        num_shapes=arity, min_dims=0, max_dims=3, min_side=0, max_side=4
    ).map(lambda b: b.input_shapes)


def elements(domain: Domain, kinks: Sequence[float], margin: float) -> Any:
    lo, hi = domain
    values = st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)
    if kinks:
        values = values.filter(lambda v: all(abs(v - k) > margin for k in kinks))
    return values


def array(draw: Callable[..., Any], spec: OpSpec, k: int, shape: Shape) -> np.ndarray:
    return draw(
        hnp.arrays(
            np.float64,
            shape,
            elements=elements(spec.domain_of(k), spec.kinks, spec.kink_margin),
        )
    )


def draw_case(draw: Callable[..., Any], spec: OpSpec) -> Case:
    """A random case for ``spec``, on its domain and away from its kinks."""
    if spec.inputs is not None:
        case = spec.inputs(draw)
    else:
        shapes = draw(spec.shapes() if spec.shapes else default_shapes(spec.arity))
        options = draw(spec.options(shapes)) if spec.options else {}
        args = [array(draw, spec, k, s) for k, s in enumerate(shapes)]
        case = Case(args, [True] * len(args), options)
    if spec.valid is not None:
        assume(spec.valid(case))
    return case


def fixed_case(
    spec: OpSpec, shapes: tuple[Shape, ...], options: dict[str, Any]
) -> Case:
    """A deterministic case of the given shapes (for 0-d and empty tests)."""
    rng = np.random.default_rng(0)
    args = []
    for k, shape in enumerate(shapes):
        lo, hi = spec.domain_of(k)
        values = rng.uniform(lo, hi, size=shape)
        for kink in spec.kinks:
            near = np.abs(values - kink) <= spec.kink_margin
            values[near] = kink + 2 * spec.kink_margin
        args.append(values)
    return Case(args, [True] * len(args), dict(options))


# --- running both sides --------------------------------------------------------


def as_list(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def run_chainrule(
    spec: OpSpec, case: Case, dtype: Any = np.float64
) -> tuple[list[Any], list[Any]]:
    """Inputs (tensors where the case says so) and outputs of the chainrule op."""
    inputs = [
        cr.tensor(a.astype(dtype), requires_grad=d)
        if isinstance(a, np.ndarray) and d
        else (cr.tensor(a) if isinstance(a, np.ndarray) else a)
        for a, d in zip(case.args, case.differentiable, strict=True)
    ]
    return inputs, as_list(spec.op(*inputs, **case.options))


def run_reference(spec: OpSpec, case: Case) -> tuple[list[Any], list[Any]]:
    """Inputs and outputs of the PyTorch reference, in float64."""
    inputs = [
        torch.tensor(a, requires_grad=d and a.dtype.kind == "f")
        if isinstance(a, np.ndarray)
        else a
        for a, d in zip(case.args, case.differentiable, strict=True)
    ]
    return inputs, as_list(spec.reference(*inputs, **case.options))


def upstream_gradients(outputs: list[Any], seed: int) -> list[np.ndarray]:
    """A random gradient for each output (a fixed one would hide mistakes)."""
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal(
            np.shape(
                out.data
                if isinstance(out, cr.Tensor)
                else out.detach().numpy(force=True)
            )
        )
        for out in outputs
    ]


def differentiable_tensors(inputs: list[Any], case: Case) -> list[Any]:
    return [x for x, d in zip(inputs, case.differentiable, strict=True) if d]


def reference_grads(
    outputs: list[Any], inputs: list[Any], grads: list[np.ndarray]
) -> list[np.ndarray]:
    """d(sum_i <g_i, out_i>)/d(inputs) in PyTorch; zeros where unused."""
    pairs = [
        (o, torch.tensor(g))
        for o, g in zip(outputs, grads, strict=True)
        if o.requires_grad
    ]
    if not pairs:
        return [np.zeros(tuple(x.shape)) for x in inputs]
    result = torch.autograd.grad(
        [o for o, _ in pairs], inputs, [g for _, g in pairs], allow_unused=True
    )
    return [
        np.zeros(tuple(x.shape)) if r is None else r.detach().numpy(force=True)
        for x, r in zip(inputs, result, strict=True)
    ]


def chainrule_grads(
    outputs: list[Any],
    inputs: list[Any],
    grads: list[np.ndarray],
    create_graph: bool = False,
) -> list[Any]:
    """d(sum_i <g_i, out_i>)/d(inputs) in chainrule; zeros where unused."""
    pairs = [(o, g) for o, g in zip(outputs, grads, strict=True) if o.requires_grad]
    if not pairs:
        return [np.zeros(x.shape) for x in inputs]
    result = cr.autograd.grad(
        [o for o, _ in pairs],
        inputs,
        [g for _, g in pairs],
        create_graph=create_graph,
        allow_unused=True,
    )
    return [
        cr.zeros(x.shape) if r is None else r
        for x, r in zip(inputs, result, strict=True)
    ]


def numerical_vjp(
    spec: OpSpec, case: Case, grads: list[np.ndarray], eps: float = 1e-6
) -> list[np.ndarray]:
    """Central differences of sum_i <g_i, out_i> in each differentiable input.

    Two evaluations per input component, exactly as the source text's
    formula: (f(x + eps) - f(x - eps)) / (2 eps).
    """

    def objective(args: list[Any]) -> float:
        with cr.no_grad():
            outs = as_list(
                spec.op(
                    *[cr.tensor(a) if isinstance(a, np.ndarray) else a for a in args],
                    **case.options,
                )
            )
        return float(sum(np.sum(g * o.data) for g, o in zip(grads, outs, strict=True)))

    result = []
    for k, (a, d) in enumerate(zip(case.args, case.differentiable, strict=True)):
        if not d:
            continue
        grad = np.zeros(a.shape)
        for index in np.ndindex(a.shape):
            args = list(case.args)
            shifted = a.copy()
            shifted[index] = a[index] + eps
            args[k] = shifted
            up = objective(args)
            shifted[index] = a[index] - eps
            down = objective(args)
            grad[index] = (up - down) / (2 * eps)
        result.append(grad)
    return result


def assert_close(
    actual: Any, expected: Any, rtol: float, atol: float, what: str
) -> None:
    actual = actual.data if isinstance(actual, cr.Tensor) else actual
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy(force=True)
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (
        f"{what}: shape {actual.shape} != {expected.shape}"
    )
    np.testing.assert_allclose(
        actual, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=what
    )
