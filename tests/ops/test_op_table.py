"""Every op in the table, checked against PyTorch and central differences.

Nothing here is specific to one op: add a spec to ``specs/`` and it is tested.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import chainrule as cr
from tests.ops.harness import (
    Case,
    OpSpec,
    assert_close,
    chainrule_grads,
    differentiable_tensors,
    draw_case,
    fixed_case,
    numerical_vjp,
    reference_grads,
    run_chainrule,
    run_reference,
    upstream_gradients,
)
from tests.ops.specs import OP_TABLE

SPECS = pytest.mark.parametrize("spec", OP_TABLE, ids=[s.name for s in OP_TABLE])
SPECIAL = [
    pytest.param(spec, shapes, options, id=f"{spec.name}-{shapes}")
    for spec in OP_TABLE
    for shapes, options in spec.special_cases()
]


def check_against_reference(spec: OpSpec, case: Case, seed: int) -> None:
    """Values and first gradients of chainrule and PyTorch agree."""
    inputs, outputs = run_chainrule(spec, case)
    ref_inputs, ref_outputs = run_reference(spec, case)

    assert len(outputs) == len(ref_outputs), f"{spec.name}: number of outputs"
    for j, (out, ref) in enumerate(zip(outputs, ref_outputs, strict=True)):
        assert_close(
            out, ref, spec.rtol, spec.atol, f"{spec.name} output {j} for {case}"
        )

    wrt = differentiable_tensors(inputs, case)
    if not wrt:
        return
    grads = upstream_gradients(outputs, seed)
    ours = chainrule_grads(outputs, wrt, grads)
    theirs = reference_grads(
        ref_outputs, differentiable_tensors(ref_inputs, case), grads
    )
    for k, (g, r) in enumerate(zip(ours, theirs, strict=True)):
        assert_close(
            g, r, spec.rtol, spec.atol, f"{spec.name} gradient of input {k} for {case}"
        )


@SPECS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_matches_pytorch(spec: OpSpec, data: Any, seed: int) -> None:
    check_against_reference(spec, draw_case(data.draw, spec), seed)


@pytest.mark.parametrize(("spec", "shapes", "options"), SPECIAL)
def test_edge_shapes_match_pytorch(spec: OpSpec, shapes: Any, options: Any) -> None:
    """0-d tensors and size-0 dimensions, every time, not only when drawn."""
    check_against_reference(spec, fixed_case(spec, shapes, options), seed=0)


@SPECS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_gradient_matches_central_differences(
    spec: OpSpec, data: Any, seed: int
) -> None:
    if not spec.numeric:
        pytest.skip(f"{spec.name}: rounds its output; see test_matches_pytorch")
    case = draw_case(data.draw, spec)
    inputs, outputs = run_chainrule(spec, case)
    wrt = differentiable_tensors(inputs, case)
    if not wrt or not any(o.requires_grad for o in outputs):
        return
    grads = upstream_gradients(outputs, seed)

    analytic = chainrule_grads(outputs, wrt, grads)
    numeric = numerical_vjp(spec, case, grads)

    rtol, atol = spec.numeric_tol
    for k, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        assert_close(
            a, n, rtol, atol, f"{spec.name} input {k} vs central differences for {case}"
        )


def second_order_chainrule(outputs, wrt, grads, directions):
    """d/d(inputs, upstream) of <d<g, out>/d(inputs), v>, in chainrule."""
    used = [
        (o, cr.tensor(g, requires_grad=True))
        for o, g in zip(outputs, grads, strict=True)
        if o.requires_grad
    ]
    upstream = [g for _, g in used]
    first = cr.autograd.grad(
        [o for o, _ in used], wrt, upstream, create_graph=True, allow_unused=True
    )
    inner = sum(
        (
            (g * v).sum()
            for g, v in zip(first, directions, strict=True)
            if g is not None
        ),
        cr.tensor(0.0),
    )
    targets = [*wrt, *upstream]
    if not inner.requires_grad:
        return [np.zeros(t.shape) for t in targets]
    second = cr.autograd.grad(inner, targets, allow_unused=True)
    return [
        np.zeros(t.shape) if r is None else r.data
        for t, r in zip(targets, second, strict=True)
    ]


def second_order_reference(outputs, wrt, grads, directions):
    """The same quantity in PyTorch."""
    used = [
        (o, torch.tensor(g, requires_grad=True))
        for o, g in zip(outputs, grads, strict=True)
        if o.requires_grad
    ]
    upstream = [g for _, g in used]
    first = torch.autograd.grad(
        [o for o, _ in used], wrt, upstream, create_graph=True, allow_unused=True
    )
    inner = sum(
        (
            (g * torch.tensor(v)).sum()
            for g, v in zip(first, directions, strict=True)
            if g is not None
        ),
        torch.tensor(0.0, dtype=torch.float64),
    )
    targets = [*wrt, *upstream]
    if not inner.requires_grad:
        return [np.zeros(tuple(t.shape)) for t in targets]
    second = torch.autograd.grad(inner, targets, allow_unused=True)
    return [
        np.zeros(tuple(t.shape)) if r is None else r.detach().numpy(force=True)
        for t, r in zip(targets, second, strict=True)
    ]


@SPECS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_second_order_matches_pytorch(spec: OpSpec, data: Any, seed: int) -> None:
    """Second derivatives, as PyTorch's gradgradcheck takes them: differentiate
    <first gradient, v> with respect to the inputs (a Hessian-vector product)
    and to the upstream gradient, so every backward rule runs recorded."""
    if not spec.second_order:
        pytest.skip(f"{spec.name}: second derivative not defined or not supported")
    case = draw_case(data.draw, spec)
    if spec.second_order_valid is not None:
        assume(spec.second_order_valid(case))
    inputs, outputs = run_chainrule(spec, case)
    ref_inputs, ref_outputs = run_reference(spec, case)
    wrt = differentiable_tensors(inputs, case)
    if not wrt or not any(o.requires_grad for o in outputs):
        return
    grads = upstream_gradients(outputs, seed)
    rng = np.random.default_rng(seed + 1)
    directions = [rng.standard_normal(x.shape) for x in wrt]

    ours = second_order_chainrule(outputs, wrt, grads, directions)
    theirs = second_order_reference(
        ref_outputs, differentiable_tensors(ref_inputs, case), grads, directions
    )

    for k, (a, r) in enumerate(zip(ours, theirs, strict=True)):
        assert_close(
            a,
            r,
            10 * spec.rtol,
            10 * spec.atol,
            f"{spec.name} second derivative, target {k}, for {case}",
        )


@SPECS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_float32_stays_float32(spec: OpSpec, data: Any, seed: int) -> None:
    if not spec.float32:
        pytest.skip(f"{spec.name}: not a float32 op")
    case = draw_case(data.draw, spec)
    inputs, outputs = run_chainrule(spec, case, dtype=np.float32)
    for j, out in enumerate(outputs):
        if out.dtype.kind == "f":
            assert out.dtype == np.float32, f"{spec.name} output {j} is {out.dtype}"
    wrt = differentiable_tensors(inputs, case)
    if not wrt or not any(o.requires_grad for o in outputs):
        return
    grads = [g.astype(np.float32) for g in upstream_gradients(outputs, seed)]
    for k, g in enumerate(chainrule_grads(outputs, wrt, grads)):
        assert g.dtype == np.float32, f"{spec.name} gradient of input {k} is {g.dtype}"


def check_with(tool: Any, spec: OpSpec, case: Case) -> None:
    """Run chainrule's own checker (gradcheck or gradgradcheck) on one case."""
    if not spec.numeric:
        pytest.skip(f"{spec.name}: rounds its output; see test_matches_pytorch")
    inputs, outputs = run_chainrule(spec, case)
    if not differentiable_tensors(inputs, case) or not any(
        o.requires_grad for o in outputs
    ):
        return
    rtol, atol = spec.numeric_tol
    result = tool(
        lambda *args: spec.op(*args, **case.options),
        tuple(inputs),
        rtol=rtol,
        atol=atol,
    )
    assert result.passed, str(result)


@SPECS
@given(data=st.data())
def test_gradcheck_passes(spec: OpSpec, data: Any) -> None:
    """chainrule.gradcheck, the user's tool, accepts every built-in op."""
    check_with(cr.gradcheck, spec, draw_case(data.draw, spec))


@SPECS
@settings(max_examples=6)
@given(data=st.data())
def test_gradgradcheck_passes(spec: OpSpec, data: Any) -> None:
    """chainrule.gradgradcheck, the user's second-order tool, accepts every op
    whose second derivative exists: the double backward matches central
    differences of the recorded first backward. Fewer examples than the other
    table tests: each costs two recorded backward passes per input element."""
    if not spec.second_order:
        pytest.skip(f"{spec.name}: second derivative not defined or not supported")
    case = draw_case(data.draw, spec)
    if spec.second_order_valid is not None:
        assume(spec.second_order_valid(case))
    check_with(cr.gradgradcheck, spec, case)
