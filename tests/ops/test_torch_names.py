"""PyTorch's argument names, ``dim`` and ``keepdim`` (and ``correction``,
``start_dim``, ``end_dim``), as functions, Tensor methods and layers, against
PyTorch; the refusals (both names given, ``max(dim=)``); NumPy's own
functions still dispatching with ``axis``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.errors import ArgumentError

Pair = tuple[str, Callable[[Any], Any], Callable[[Any], Any]]

# (id, chainrule with PyTorch's names, the same call in PyTorch)
CALLS: list[Pair] = [
    ("sum", lambda x: cr.sum(x, dim=1), lambda x: torch.sum(x, dim=1)),
    (
        ".sum keepdim",
        lambda x: x.sum(dim=(0, 2), keepdim=True),
        lambda x: x.sum(dim=(0, 2), keepdim=True),
    ),
    ("mean", lambda x: cr.mean(x, dim=-1), lambda x: torch.mean(x, dim=-1)),
    (".mean", lambda x: x.mean(dim=0, keepdim=True), lambda x: x.mean(0, True)),
    (
        ".max keepdim",
        lambda x: x.max(axis=1, keepdim=True),
        lambda x: x.amax(dim=1, keepdim=True),
    ),
    ("min keepdim", lambda x: cr.min(x, 2, keepdim=True), lambda x: x.amin(2, True)),
    (
        "var correction",
        lambda x: cr.var(x, dim=1, correction=1),
        lambda x: torch.var(x, dim=1),
    ),
    (
        ".var correction=0",
        lambda x: x.var(dim=(0, 1), correction=0, keepdim=True),
        lambda x: x.var(dim=(0, 1), correction=0, keepdim=True),
    ),
    (".std", lambda x: x.std(dim=2, correction=1), lambda x: x.std(dim=2)),
    (
        "logsumexp",
        lambda x: cr.logsumexp(x, dim=1, keepdim=True),
        lambda x: torch.logsumexp(x, dim=1, keepdim=True),
    ),
    ("softmax", lambda x: cr.softmax(x, dim=0), lambda x: torch.softmax(x, dim=0)),
    (".softmax", lambda x: x.softmax(dim=1), lambda x: x.softmax(dim=1)),
    (
        "log_softmax",
        lambda x: cr.functional.log_softmax(x, dim=1),
        lambda x: torch.nn.functional.log_softmax(x, dim=1),
    ),
    (".log_softmax", lambda x: x.log_softmax(dim=0), lambda x: x.log_softmax(dim=0)),
    ("cat", lambda x: cr.cat([x, x * 2], dim=1), lambda x: torch.cat([x, x * 2], 1)),
    (
        "concatenate",
        lambda x: cr.concatenate([x, x], dim=-1),
        lambda x: torch.concatenate([x, x], dim=-1),
    ),
    (
        "stack",
        lambda x: cr.stack([x, x * 3], dim=2),
        lambda x: torch.stack([x, x * 3], 2),
    ),
    ("unsqueeze", lambda x: cr.unsqueeze(x, dim=-1), lambda x: x.unsqueeze(dim=-1)),
    (".unsqueeze", lambda x: x.unsqueeze(dim=1), lambda x: x.unsqueeze(dim=1)),
    (
        "squeeze",
        lambda x: cr.squeeze(x[:, :1], dim=1),
        lambda x: torch.squeeze(x[:, :1], dim=1),
    ),
    (".squeeze", lambda x: x[:1].squeeze(dim=0), lambda x: x[:1].squeeze(dim=0)),
    ("flatten", lambda x: cr.flatten(x, start_dim=1), lambda x: x.flatten(start_dim=1)),
    (
        ".flatten",
        lambda x: x.flatten(start_dim=0, end_dim=1),
        lambda x: x.flatten(start_dim=0, end_dim=1),
    ),
    ("nn.Softmax", lambda x: nn.Softmax(dim=1)(x), lambda x: torch.nn.Softmax(1)(x)),
    (
        "nn.LogSoftmax",
        lambda x: nn.LogSoftmax(dim=0)(x),
        lambda x: torch.nn.LogSoftmax(dim=0)(x),
    ),
    (
        "nn.Flatten",
        lambda x: nn.Flatten(start_dim=0, end_dim=1)(x),
        lambda x: torch.nn.Flatten(start_dim=0, end_dim=1)(x),
    ),
]


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(ours, theirs) for _, ours, theirs in CALLS],
    ids=[name for name, _, _ in CALLS],
)
def test_pytorch_names_match_pytorch_in_value_and_gradient(
    ours: Callable[[Any], Any], theirs: Callable[[Any], Any]
) -> None:
    rng = np.random.default_rng(0)
    data = rng.permutation(24).reshape(2, 3, 4) / 7.0  # no ties
    x = cr.tensor(data, requires_grad=True)
    x_torch = torch.tensor(data, requires_grad=True)
    y, y_torch = ours(x), theirs(x_torch)
    assert y.shape == tuple(y_torch.shape)
    np.testing.assert_allclose(y.data, y_torch.detach().numpy(), rtol=1e-12)

    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    y_torch.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(
        x.grad.data, x_torch.grad.numpy(), rtol=1e-10, atol=1e-15
    )


@pytest.mark.parametrize("method", [True, False], ids=["method", "function"])
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_and_argmin_with_dim_match_pytorch(op: str, method: bool) -> None:
    data = np.random.default_rng(1).permutation(12).reshape(3, 4).astype(float)
    x = cr.tensor(data)
    ours = getattr(x, op) if method else lambda **kw: getattr(cr, op)(x, **kw)
    theirs = getattr(torch.tensor(data), op)
    for options in ({"dim": 1}, {"dim": 0, "keepdim": True}, {}):
        assert ours(**options).tolist() == theirs(**options).tolist()


BOTH_NAMES = [
    ("sum", lambda x: x.sum(axis=0, dim=1)),
    ("sum", lambda x: cr.sum(x, keepdims=True, keepdim=False)),
    ("var", lambda x: x.var(ddof=1, correction=0)),
    ("softmax", lambda x: cr.softmax(x, axis=0, dim=1)),
    ("concatenate", lambda x: cr.cat([x, x], axis=None, dim=1)),
    ("stack", lambda x: cr.stack([x, x], 1, dim=0)),
    ("squeeze", lambda x: x[:1].squeeze(0, dim=0)),
    ("unsqueeze", lambda x: x.unsqueeze(0, dim=1)),
    ("flatten", lambda x: x.flatten(1, start_dim=0)),
    ("Softmax", lambda x: nn.Softmax(0, dim=1)),
    ("Flatten", lambda x: nn.Flatten(end_axis=1, end_dim=2)),
]


@pytest.mark.parametrize(
    ("op", "call"),
    BOTH_NAMES,
    ids=[f"{op}-{k}" for k, (op, _) in enumerate(BOTH_NAMES)],
)
def test_giving_both_names_is_refused(op: str, call: Callable[[Any], Any]) -> None:
    with pytest.raises(ArgumentError, match=rf"^{op}: got both \w+=.* pass one"):
        call(cr.ones(2, 3, 4))


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_and_min_refuse_dim_which_would_return_indices_in_pytorch(op: str) -> None:
    x = cr.ones(2, 3)
    message = rf"{op}\(dim=1\): PyTorch's {op} with dim returns \(values, indices\)"
    with pytest.raises(ArgumentError, match=message) as info:
        getattr(x, op)(dim=1)
    assert f"x.arg{op}(axis=1)" in str(info.value)
    with pytest.raises(ArgumentError, match=message):
        getattr(cr, op)(x, dim=1)
    # What the refusal prevents: PyTorch's result is a pair.
    values, indices = getattr(torch.ones(2, 3), op)(dim=1)
    assert values.shape == indices.shape == (2,)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_and_std_with_dim_warn_that_pytorch_divides_by_n_minus_1(op: str) -> None:
    data = np.arange(6.0).reshape(2, 3)
    x = cr.tensor(data)
    with pytest.warns(UserWarning, match=rf"{op}\(dim=\.\.\.\) divides by n") as seen:
        value = getattr(x, op)(dim=1)
    assert seen[0].filename == __file__, "the warning names the caller"
    np.testing.assert_allclose(value.data, getattr(data, op)(axis=1))
    with pytest.warns(UserWarning, match="correction=1 for PyTorch's value") as seen:
        getattr(cr, op)(x, dim=1)
    assert seen[0].filename == __file__

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = getattr(x, op)(dim=1, correction=1)
        getattr(x, op)(dim=1, correction=0)
        getattr(x, op)(axis=1)
        getattr(x, op)(dim=1, ddof=1)
    theirs = getattr(torch.tensor(data), op)(dim=1)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


def test_unsqueeze_needs_an_axis() -> None:
    with pytest.raises(TypeError, match="say where the new axis goes"):
        cr.ones(2).unsqueeze()


NUMPY_CALLS = [
    (np.sum, {"axis": 2, "keepdims": True}),
    (np.mean, {"axis": (0, 2)}),
    (np.max, {"axis": 0}),
    (np.var, {"axis": 2, "ddof": 1}),
    (np.squeeze, {"axis": 1}),
]


@pytest.mark.parametrize(
    ("function", "options"), NUMPY_CALLS, ids=[f.__name__ for f, _ in NUMPY_CALLS]
)
def test_numpy_functions_still_dispatch_with_numpys_names(
    function: Any, options: dict[str, Any]
) -> None:
    data = np.arange(6.0).reshape(2, 1, 3)
    x = cr.tensor(data, requires_grad=True)
    result = function(x, **options)
    assert isinstance(result, cr.Tensor) and result.requires_grad
    np.testing.assert_allclose(result.data, function(data, **options))
    result.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


@pytest.mark.parametrize("function", [np.concatenate, np.stack])
def test_numpy_joins_still_dispatch_with_axis(function: Any) -> None:
    data = np.arange(6.0).reshape(2, 3)
    x = cr.tensor(data, requires_grad=True)
    result = function([x, x * 2], axis=-1)
    np.testing.assert_allclose(result.data, function([data, data * 2], axis=-1))
    result.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full((2, 3), 3.0))
