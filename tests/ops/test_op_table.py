"""Every op in the table, checked against PyTorch and central differences.

Nothing here is specific to one op: add a spec to ``specs/`` and it is tested.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
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


@SPECS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_second_order_matches_pytorch(spec: OpSpec, data: Any, seed: int) -> None:
    """Hessian-vector products: the backward rules differentiate themselves."""
    if not spec.second_order:
        pytest.skip(f"{spec.name}: second derivative not defined or not supported")
    case = draw_case(data.draw, spec)
    inputs, outputs = run_chainrule(spec, case)
    ref_inputs, ref_outputs = run_reference(spec, case)
    wrt = differentiable_tensors(inputs, case)
    ref_wrt = differentiable_tensors(ref_inputs, case)
    if not wrt or not any(o.requires_grad for o in outputs):
        return
    grads = upstream_gradients(outputs, seed)
    directions = [np.random.default_rng(seed + 1).standard_normal(x.shape) for x in wrt]

    first = chainrule_grads(outputs, wrt, grads, create_graph=True)
    inner = sum(
        ((g * v).sum() for g, v in zip(first, directions, strict=True)), cr.tensor(0.0)
    )
    ours = (
        chainrule_grads([inner], wrt, [np.ones(())])
        if inner.requires_grad
        else [np.zeros(x.shape) for x in wrt]
    )

    pairs = [
        (o, torch.tensor(g))
        for o, g in zip(ref_outputs, grads, strict=True)
        if o.requires_grad
    ]
    ref_first = torch.autograd.grad(
        [o for o, _ in pairs],
        ref_wrt,
        [g for _, g in pairs],
        create_graph=True,
        allow_unused=True,
    )
    ref_inner = sum(
        (g * torch.tensor(v)).sum()
        for g, v in zip(ref_first, directions, strict=True)
        if g is not None
    )
    if isinstance(ref_inner, torch.Tensor) and ref_inner.requires_grad:
        theirs = torch.autograd.grad(ref_inner, ref_wrt, allow_unused=True)
        theirs = [
            np.zeros(tuple(x.shape)) if t is None else t.detach().numpy(force=True)
            for x, t in zip(ref_wrt, theirs, strict=True)
        ]
    else:
        theirs = [np.zeros(tuple(x.shape)) for x in ref_wrt]

    for k, (a, r) in enumerate(zip(ours, theirs, strict=True)):
        assert_close(
            a,
            r,
            10 * spec.rtol,
            10 * spec.atol,
            f"{spec.name} Hessian-vector product, input {k}, for {case}",
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
