"""Gradient clipping: clip_grad_norm_ and clip_grad_value_ against PyTorch's."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim
from chainrule.errors import NonFiniteError

SHAPES = [(3, 4), (5,), (), (0, 2)]


def both(
    grads: list[np.ndarray | None],
) -> tuple[list[cr.Tensor], list[torch.Tensor]]:
    """Weights with the given gradients (None: no gradient), in both libraries."""
    ours, theirs = [], []
    for g in grads:
        start = np.zeros(()) if g is None else np.zeros_like(g)
        w = cr.tensor(start, requires_grad=True)
        w_torch = torch.tensor(start, requires_grad=True)
        if g is not None:
            w.grad, w_torch.grad = cr.tensor(g.copy()), torch.tensor(g.copy())
        ours.append(w)
        theirs.append(w_torch)
    return ours, theirs


def random_grads(dtype: Any = np.float64, scale: float = 1.0) -> list[Any]:
    rng = np.random.default_rng(3)
    grads: list[Any] = [scale * rng.standard_normal(s).astype(dtype) for s in SHAPES]
    return [*grads, None]


def assert_same_grads(
    ours: list[cr.Tensor], theirs: list[torch.Tensor], rtol: float = 1e-12
) -> None:
    for w, w_torch in zip(ours, theirs, strict=True):
        if w_torch.grad is None:
            assert w.grad is None
            continue
        assert w.grad.dtype == w.dtype
        np.testing.assert_allclose(w.grad.data, w_torch.grad.numpy(), rtol, 1e-14)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type: float, max_norm: float) -> None:
    grads = random_grads()
    if norm_type == math.inf:
        grads = [g for g in grads if g is None or g.size]  # PyTorch raises on empty
    ours, theirs = both(grads)
    norm = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)

    assert isinstance(norm, cr.Tensor) and norm.shape == () and norm.dtype == np.float64
    np.testing.assert_allclose(norm.item(), expected.item(), rtol=1e-12)
    assert_same_grads(ours, theirs)


def test_the_norm_is_over_all_gradients_together() -> None:
    ours, _ = both([np.array([3.0]), np.array([4.0])])
    norm = optim.clip_grad_norm_(ours, max_norm=1.0)
    assert norm.item() == 5.0
    grads = [ours[0].grad.item(), ours[1].grad.item()]
    np.testing.assert_allclose(grads, [0.6, 0.8], rtol=1e-6)
    within, _ = both([np.array([3.0]), np.array([4.0])])
    optim.clip_grad_norm_(within, max_norm=5.0 + 1e-3)
    assert within[0].grad.item() == 3.0 and within[1].grad.item() == 4.0


def test_float32_gradients_stay_float32() -> None:
    ours, theirs = both(random_grads(np.float32))
    norm = optim.clip_grad_norm_(ours, 0.5)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 0.5)
    assert norm.dtype == np.float32
    np.testing.assert_allclose(norm.item(), expected.item(), rtol=1e-6)
    assert_same_grads(ours, theirs, rtol=1e-6)


def test_an_empty_gradient_counts_as_zero_in_every_norm() -> None:
    for norm_type in (1.0, 2.0, math.inf):
        ours, _ = both([np.zeros((0, 3)), np.array([-2.0])])
        assert optim.clip_grad_norm_(ours, 10.0, norm_type).item() == 2.0


def test_a_single_tensor_and_no_gradients() -> None:
    w = cr.tensor([0.0, 0.0], requires_grad=True)
    w.grad = cr.tensor([6.0, 8.0])
    assert optim.clip_grad_norm_(w, 5.0).item() == 10.0
    np.testing.assert_allclose(w.grad.data, [3.0, 4.0], rtol=1e-6)
    norm = optim.clip_grad_norm_([cr.zeros(2, requires_grad=True)], 1.0)
    assert norm.item() == 0.0 and norm.shape == ()


def test_the_norm_does_not_overflow_when_the_gradients_are_finite() -> None:
    # PyTorch gives inf here (and so zeroes the gradients).
    w = cr.zeros(3, dtype=np.float32, requires_grad=True)
    w.grad = cr.tensor(np.full(3, 1e20, np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        norm = optim.clip_grad_norm_([w], 1.0)
    np.testing.assert_allclose(norm.item(), 1e20 * math.sqrt(3), rtol=1e-6)
    np.testing.assert_allclose(w.grad.data, np.full(3, 1 / math.sqrt(3)), rtol=1e-5)


@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_a_nonfinite_norm_warns_naming_it_and_scales_like_torch(bad: float) -> None:
    grads = [np.array([1.0, 2.0]), np.array([1.0, bad, 2.0]), np.array([3.0, 4.0])]
    ours, theirs = both(grads)
    ours[1].name = "fc.weight"
    with pytest.warns(UserWarning) as record:
        norm = optim.clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)

    (warning,) = record
    message = str(warning.message)
    assert f"total norm of order 2.0 of the gradients is {bad}, not finite" in message
    assert "parameters[1] ('fc.weight') of shape (3,) (1 of 3)" in message
    assert "parameters[0]" not in message
    assert warning.filename == __file__
    np.testing.assert_equal(norm.item(), expected.item())
    for w, w_torch in zip(ours, theirs, strict=True):
        np.testing.assert_equal(w.grad.data, w_torch.grad.numpy())


def test_a_nonfinite_norm_raises_when_asked_naming_the_parameters() -> None:
    grads = [np.array([1.0]), np.array([np.inf, -np.inf]), np.array([np.nan])]
    ours, theirs = both(grads)
    with pytest.raises(NonFiniteError) as info:
        optim.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    message = str(info.value)
    assert (
        "parameters[1] of shape (2,) (2 of 2), parameters[2] of shape (1,)" in message
    )
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    assert ours[0].grad.item() == 1.0  # nothing was scaled


def test_clipping_one_leaf_leaves_the_others_gradient_alone() -> None:
    # add's backward hands the same array to both inputs; the engine copies
    # it for the second leaf, so scaling a's gradient in place is safe.
    a = cr.tensor([3.0, 4.0], requires_grad=True)
    b = cr.tensor([0.0, 0.0], requires_grad=True)
    (a + b).backward(np.array([3.0, 4.0]))
    optim.clip_grad_norm_([a], 1.0)
    np.testing.assert_allclose(a.grad.data, [0.6, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(b.grad.data, [3.0, 4.0])


def test_a_gradient_in_a_graph_is_replaced_not_written() -> None:
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    (w**2 / 2).sum().backward(create_graph=True)
    graph_grad = w.grad
    optim.clip_grad_norm_([w], 1.0)
    optim.clip_grad_value_([w], 0.7)
    np.testing.assert_array_equal(graph_grad.data, [3.0, 4.0])
    np.testing.assert_allclose(w.grad.data, [0.6, 0.7], rtol=1e-6)


@pytest.mark.parametrize("clip_value", [0.0, 0.5, 10.0])
def test_clip_grad_value_matches_torch(clip_value: float) -> None:
    grads = [*random_grads(scale=2.0), np.array([np.nan, -np.inf, np.inf])]
    ours, theirs = both(grads)
    assert nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for w, w_torch in zip(ours, theirs, strict=True):
        if w.grad is not None:
            np.testing.assert_array_equal(w.grad.data, w_torch.grad.numpy())


def test_clip_grad_value_keeps_float32() -> None:
    w = cr.zeros(2, dtype=np.float32, requires_grad=True)
    w.grad = cr.tensor(np.array([-3.0, 3.0], np.float32))
    optim.clip_grad_value_(w, 1.0)
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad.data, [-1.0, 1.0])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda p: optim.clip_grad_norm_(p, -1.0),
            ValueError,
            r"max_norm must be >= 0",
        ),
        (
            lambda p: optim.clip_grad_norm_(p, 1.0, 0),
            ValueError,
            r"norm_type must be > 0",
        ),
        (
            lambda p: optim.clip_grad_norm_(p, 1.0, -2.0),
            ValueError,
            r"norm_type must be >= 0",
        ),
        (
            lambda p: optim.clip_grad_value_(p, -1.0),
            ValueError,
            r"clip_value must be >= 0",
        ),
        (lambda p: optim.clip_grad_norm_(3, 1.0), TypeError, r"got int"),
        (
            lambda p: optim.clip_grad_norm_([np.zeros(2)], 1.0),
            TypeError,
            r"parameters\[0\] is a ndarray",
        ),
    ],
)
def test_bad_arguments_are_refused(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call([cr.zeros(2, requires_grad=True)])


def test_exposed_where_pytorch_has_them() -> None:
    assert nn.utils.clip_grad_norm_ is optim.clip_grad_norm_
    assert nn.utils.clip_grad_value_ is optim.clip_grad_value_


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_report_agrees_with_clip_grad_norm_(
    norm_type: float, max_norm: float
) -> None:
    grads = random_grads()
    plain, _ = both(grads)
    reported, _ = both(grads)
    norm = nn.utils.clip_grad_norm_(plain, max_norm, norm_type)
    report = nn.utils.clip_grad_norm_(
        reported, max_norm, norm_type, return_report=True, per_parameter=True
    )

    assert isinstance(report, optim.ClipReport)
    assert report.total_norm == float(norm)
    assert (report.max_norm, report.norm_type) == (max_norm, norm_type)
    assert report.clipped == (max_norm == 0.5)
    assert report.scale == (max_norm / (float(norm) + 1e-6) if report.clipped else 1)
    for w, w_plain in zip(reported, plain, strict=True):
        if w.grad is not None:
            np.testing.assert_array_equal(w.grad.data, w_plain.grad.data)
    # Each parameter's own norm, before clipping; None without a gradient.
    assert report.parameter_norms is not None
    assert report.parameter_norms[-1] is None
    for g, value in zip(grads[:-1], report.parameter_norms[:-1], strict=True):
        expected = np.linalg.norm(g.ravel(), ord=norm_type) if g.size else 0.0
        assert value == pytest.approx(expected, rel=1e-12)


def test_clip_report_without_per_parameter_norms_or_gradients() -> None:
    ours, _ = both(random_grads())
    report = nn.utils.clip_grad_norm_(ours, 1.0, return_report=True)
    assert report.parameter_norms is None
    assert str(report).startswith("gradient norm ")
    assert "clipped: scaled by" in str(report)

    w = cr.tensor([1.0, 2.0], requires_grad=True)
    empty = nn.utils.clip_grad_norm_([w], 1.0, return_report=True, per_parameter=True)
    assert (empty.total_norm, empty.clipped, empty.scale) == (0.0, False, 1.0)
    assert empty.parameter_norms == (None,)
    assert "parameters[0]: no gradient" in str(empty)


def test_clip_report_of_a_nonfinite_norm_says_it_clipped() -> None:
    w = cr.tensor([0.0, 0.0], requires_grad=True)
    w.grad = cr.tensor([np.inf, 1.0])
    with pytest.warns(UserWarning, match="not finite"):
        report = nn.utils.clip_grad_norm_([w], 1.0, return_report=True)
    assert report.total_norm == math.inf and report.clipped and report.scale == 0.0
