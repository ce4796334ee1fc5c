"""Losses: values and gradients against PyTorch in float64, stability at ±1e4,
reductions, the conventions of an empty mean, and the error messages."""

from __future__ import annotations

import math
import re
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import functional as F
from chainrule.errors import DTypeError, IndexingError, ShapeError

REDUCTIONS = ["mean", "sum", "none"]


def compare(
    ours: Any,
    theirs: Any,
    arrays: dict[str, np.ndarray],
    differentiable: tuple[str, ...],
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> None:
    """Value, and gradient of <upstream, loss> in every differentiable array.

    ``ours(**tensors)`` and ``theirs(**torch_tensors)`` compute the same loss;
    integer arrays are passed to both as they are (labels).
    """
    ours_in = {
        k: cr.tensor(v, requires_grad=k in differentiable) for k, v in arrays.items()
    }
    theirs_in = {
        k: torch.tensor(v, requires_grad=k in differentiable) for k, v in arrays.items()
    }
    value, expected = ours(**ours_in), theirs(**theirs_in)
    np.testing.assert_allclose(
        value.data, expected.detach().numpy(), rtol, atol, equal_nan=True
    )
    assert value.shape == tuple(expected.shape)

    upstream = np.random.default_rng(1).standard_normal(value.shape)
    value.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for name in differentiable:
        np.testing.assert_allclose(
            ours_in[name].grad.data,
            theirs_in[name].grad.numpy(),
            rtol,
            atol,
            err_msg=f"gradient of {name}",
        )


# --- cross_entropy and nll_loss against PyTorch ---------------------------------------


@st.composite
def classification(draw: Any) -> dict[str, Any]:
    """Logits of shape (N, C), (N, C, d...) or (C,), labels with some ignored,
    optional class weights, a reduction and a label smoothing."""
    classes = draw(st.integers(1, 5))
    if draw(st.booleans()):
        shape: tuple[int, ...] = (classes,)
        label_shape: tuple[int, ...] = ()
    else:
        batch = draw(st.integers(0, 4))
        extra = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        shape, label_shape = (batch, classes, *extra), (batch, *extra)
    logits = draw(
        hnp.arrays(np.float64, shape, elements=st.floats(-5, 5, allow_subnormal=False))
    )
    labels = draw(
        hnp.arrays(np.int64, label_shape, elements=st.integers(0, classes - 1))
    )
    if draw(st.booleans()):
        ignored = draw(hnp.arrays(np.bool_, label_shape))
        labels = np.where(ignored, -100, labels)
    weight = draw(
        st.none()
        | hnp.arrays(np.float64, (classes,), elements=st.floats(0.125, 2.0, width=32))
    )
    return {
        "logits": logits,
        "labels": labels,
        "weight": weight,
        "reduction": draw(st.sampled_from(REDUCTIONS)),
        "label_smoothing": draw(st.sampled_from([0.0, 0.1]) | st.floats(0.0, 1.0)),
    }


@given(case=classification())
def test_cross_entropy_matches_torch(case: dict[str, Any]) -> None:
    weight, reduction = case["weight"], case["reduction"]
    smoothing = case["label_smoothing"]
    torch_weight = None if weight is None else torch.tensor(weight)

    compare(
        lambda logits, labels: F.cross_entropy(
            logits, labels, weight, reduction=reduction, label_smoothing=smoothing
        ),
        lambda logits, labels: TF.cross_entropy(
            logits,
            labels,
            torch_weight,
            reduction=reduction,
            label_smoothing=smoothing,
        ),
        {"logits": case["logits"], "labels": case["labels"]},
        ("logits",),
    )


@given(case=classification())
def test_nll_loss_matches_torch(case: dict[str, Any]) -> None:
    weight, reduction = case["weight"], case["reduction"]
    torch_weight = None if weight is None else torch.tensor(weight)

    compare(
        lambda logits, labels: F.nll_loss(logits, labels, weight, reduction=reduction),
        lambda logits, labels: TF.nll_loss(
            logits, labels, torch_weight, reduction=reduction
        ),
        {"logits": case["logits"], "labels": case["labels"]},
        ("logits",),
    )


@given(
    shape=st.sampled_from([(3,), (4, 3), (2, 3, 2), (0, 3)]),
    reduction=st.sampled_from(REDUCTIONS),
    smoothing=st.sampled_from([0.0, 0.3]),
    weighted=st.booleans(),
    data=st.data(),
)
def test_cross_entropy_with_class_probabilities_matches_torch(
    shape: tuple[int, ...], reduction: str, smoothing: float, weighted: bool, data: Any
) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 100)))
    class_axis = 0 if len(shape) == 1 else 1
    logits = rng.standard_normal(shape) * 3
    raw = rng.random(shape)
    probabilities = raw / raw.sum(axis=class_axis, keepdims=True)
    weight = rng.random(shape[class_axis]) + 0.5 if weighted else None
    torch_weight = None if weight is None else torch.tensor(weight)

    # The target gets a gradient too, as in PyTorch.
    compare(
        lambda x, p: F.cross_entropy(
            x, p, weight, reduction=reduction, label_smoothing=smoothing
        ),
        lambda x, p: TF.cross_entropy(
            x, p, torch_weight, reduction=reduction, label_smoothing=smoothing
        ),
        {"x": logits, "p": probabilities},
        ("x", "p"),
    )


def test_cross_entropy_is_nll_of_log_softmax() -> None:
    rng = np.random.default_rng(0)
    logits = cr.tensor(rng.standard_normal((6, 4)))
    labels = rng.integers(0, 4, 6)
    np.testing.assert_allclose(
        F.cross_entropy(logits, labels).data,
        F.nll_loss(cr.log_softmax(logits, axis=1), labels).data,
        rtol=1e-15,
    )


def test_cross_entropy_of_uniform_logits_is_log_c() -> None:
    loss = F.cross_entropy(cr.zeros(3, 7), [0, 3, 6])
    assert loss.item() == pytest.approx(math.log(7), rel=1e-15)


def test_cross_entropy_second_derivative_matches_torch() -> None:
    rng = np.random.default_rng(0)
    logits, labels = rng.standard_normal((4, 3)), np.array([0, 2, -100, 1])
    weight, direction = rng.random(3) + 0.5, rng.standard_normal((4, 3))

    x = cr.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, labels, weight, label_smoothing=0.2)
    (grad,) = cr.autograd.grad(loss, x, create_graph=True)
    (second,) = cr.autograd.grad((grad * direction).sum(), x)

    t = torch.tensor(logits, requires_grad=True)
    loss_t = TF.cross_entropy(
        t, torch.tensor(labels), torch.tensor(weight), label_smoothing=0.2
    )
    (grad_t,) = torch.autograd.grad(loss_t, t, create_graph=True)
    (second_t,) = torch.autograd.grad((grad_t * torch.tensor(direction)).sum(), t)
    np.testing.assert_allclose(second.data, second_t.numpy(), rtol=1e-10, atol=1e-12)


# --- mse_loss and binary_cross_entropy_with_logits against PyTorch --------------------


@given(
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    reduction=st.sampled_from(REDUCTIONS),
    seed=st.integers(0, 100),
)
def test_mse_loss_matches_torch(
    shape: tuple[int, ...], reduction: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    compare(
        lambda x, y: F.mse_loss(x, y, reduction),
        lambda x, y: TF.mse_loss(x, y, reduction=reduction),
        {"x": rng.standard_normal(shape), "y": rng.standard_normal(shape)},
        ("x", "y"),
    )


@given(
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    reduction=st.sampled_from(REDUCTIONS),
    with_pos_weight=st.booleans(),
    with_weight=st.booleans(),
    seed=st.integers(0, 100),
)
def test_binary_cross_entropy_with_logits_matches_torch(
    shape: tuple[int, ...],
    reduction: str,
    with_pos_weight: bool,
    with_weight: bool,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    arrays = {
        "x": rng.standard_normal(shape) * 4,
        "y": rng.random(shape),
    }
    differentiable = ["x", "y"]
    # pos_weight broadcasts along the last axis; weight over everything.
    # PyTorch has no gradient for either (chainrule has: see the gradcheck).
    if with_pos_weight:
        arrays["pos_weight"] = rng.random(shape[-1:]) * 3
    if with_weight:
        arrays["weight"] = rng.random(shape)

    compare(
        lambda x, y, **w: F.binary_cross_entropy_with_logits(
            x, y, w.get("weight"), reduction=reduction, pos_weight=w.get("pos_weight")
        ),
        lambda x, y, **w: TF.binary_cross_entropy_with_logits(
            x, y, w.get("weight"), reduction=reduction, pos_weight=w.get("pos_weight")
        ),
        arrays,
        tuple(differentiable),
    )


# --- large logits: finite, accurate and quiet (RuntimeWarning is an error) ----------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_logits_of_1e4(dtype: Any) -> None:
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [5e3, 5e3, -1e4]], dtype)
    labels = np.array([1, 2, 0])
    x = cr.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, labels, reduction="none")
    loss.sum().backward()

    t = torch.tensor(logits.astype(np.float64), requires_grad=True)
    expected = TF.cross_entropy(t, torch.tensor(labels), reduction="none")
    expected.sum().backward()
    assert loss.dtype == x.grad.dtype == dtype
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), atol=1e-6)
    assert loss.data.tolist() == pytest.approx([2e4, 0.0, math.log(2)], rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_with_logits_is_stable_for_logits_of_1e4(
    dtype: Any,
) -> None:
    logits = np.array([1e4, -1e4, 1e4, -1e4, 0.0], dtype)
    target = np.array([0.0, 1.0, 1.0, 0.0, 0.5], dtype)
    x = cr.tensor(logits, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(
        x, target, reduction="none", pos_weight=2.0
    )
    loss.sum().backward()

    t = torch.tensor(logits.astype(np.float64), requires_grad=True)
    expected = TF.binary_cross_entropy_with_logits(
        t,
        torch.tensor(target.astype(np.float64)),
        reduction="none",
        pos_weight=torch.tensor(2.0, dtype=torch.float64),
    )
    expected.sum().backward()
    assert loss.dtype == x.grad.dtype == dtype
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-6, atol=1e-7)
    assert loss.data[:4].tolist() == [1e4, 2e4, 0.0, 0.0]
    assert x.grad.data[:4].tolist() == [1.0, -2.0, 0.0, 0.0]


def test_cross_entropy_with_a_minus_inf_logit_stays_finite_like_torch() -> None:
    # -inf logits mask classes out; the loss of the other classes is finite.
    logits = np.array([[0.0, -np.inf, 1.0], [2.0, -np.inf, 0.0]])
    x = cr.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, [2, 0])
    loss.backward()

    t = torch.tensor(logits, requires_grad=True)
    expected = TF.cross_entropy(t, torch.tensor([2, 0]))
    expected.backward()
    assert math.isfinite(loss.item())
    np.testing.assert_allclose(loss.data, expected.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12)


# --- reductions and the empty mean ---------------------------------------------------


def test_mean_over_nothing_is_nan_with_zero_gradient() -> None:
    # Every label ignored, or an empty batch: 0/0, quietly, as in PyTorch.
    x = cr.tensor(np.ones((3, 4)), requires_grad=True)
    loss = F.cross_entropy(x, [-100, -100, -100], label_smoothing=0.1)
    loss.backward()
    assert math.isnan(loss.item())
    assert x.grad.data.tolist() == np.zeros((3, 4)).tolist()

    empty = cr.tensor(np.ones((0, 4)), requires_grad=True)
    assert math.isnan(F.nll_loss(empty, np.zeros(0, np.int64)).item())


def test_ignored_labels_add_nothing_and_are_not_counted() -> None:
    logits = np.random.default_rng(0).standard_normal((4, 3))
    full = F.cross_entropy(cr.tensor(logits[:2]), [2, 0], reduction="none")
    partly = F.cross_entropy(cr.tensor(logits), [2, 0, -100, -100], reduction="none")
    assert partly.data.tolist() == [*full.data.tolist(), 0.0, 0.0]
    mean = F.cross_entropy(cr.tensor(logits), [2, 0, 7, 7], ignore_index=7)
    assert mean.item() == pytest.approx(full.data.mean(), rel=1e-15)


def test_weighted_mean_divides_by_the_labels_total_weight() -> None:
    weight = np.array([1.0, 3.0])
    losses = F.cross_entropy(cr.zeros(3, 2), [0, 1, 1], weight, reduction="none")
    mean = F.cross_entropy(cr.zeros(3, 2), [0, 1, 1], weight)
    assert losses.data.tolist() == pytest.approx(
        [math.log(2), 3 * math.log(2), 3 * math.log(2)]
    )
    assert mean.item() == pytest.approx(losses.data.sum() / 7)


@pytest.mark.parametrize(
    "loss",
    [
        lambda r: F.mse_loss(cr.zeros(2), cr.zeros(2), r),
        lambda r: F.cross_entropy(cr.zeros(2, 3), [0, 1], reduction=r),
        lambda r: F.nll_loss(cr.zeros(2, 3), [0, 1], reduction=r),
        lambda r: F.binary_cross_entropy_with_logits(cr.zeros(2), [0, 1], reduction=r),
    ],
)
@pytest.mark.parametrize("reduction", ["avg", "Mean", None])
def test_bad_reduction_names_the_options(loss: Any, reduction: Any) -> None:
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        loss(reduction)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_losses_and_gradients_stay_float32(dtype: Any) -> None:
    x = cr.tensor(np.ones((3, 2), dtype), requires_grad=True)
    losses = [
        F.mse_loss(x, np.zeros((3, 2), dtype)),
        F.cross_entropy(x, [0, 1, 1], label_smoothing=0.1),
        F.cross_entropy(x, [0, 1, -100], np.ones(2)),
        F.nll_loss(x, [0, 1, 1]),
        F.binary_cross_entropy_with_logits(x, np.ones((3, 2), dtype)),
        # float64 weight arrays do not upcast a float32 loss.
        F.binary_cross_entropy_with_logits(
            x, np.ones((3, 2)), np.ones(2), pos_weight=np.array([2.0, 3.0])
        ),
    ]
    for loss in losses:
        x.grad = None
        loss.backward()
        assert loss.dtype == x.grad.dtype == dtype


# --- gradcheck ----------------------------------------------------------------------


def test_losses_pass_gradcheck_and_gradgradcheck() -> None:
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    y = cr.tensor(rng.random((4, 3)), requires_grad=True)
    labels, weight = np.array([0, 2, -100, 1]), rng.random(3) + 0.5
    losses = [
        lambda x, y: F.mse_loss(x, y),
        lambda x, y: F.cross_entropy(x, labels, weight, label_smoothing=0.3),
        lambda x, y: F.cross_entropy(x, y, reduction="sum"),
        lambda x, y: F.nll_loss(x, labels, reduction="none"),
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=y),
    ]
    for loss in losses:
        assert cr.gradcheck(loss, (x, y)).passed
        assert cr.gradgradcheck(loss, (x, y)).passed


# --- errors ---------------------------------------------------------------------------


def test_label_out_of_range_names_the_label_and_the_classes() -> None:
    message = re.escape(
        "cross_entropy: label 3 (at position (1,) of the target) is out of "
        "range for 3 classes; labels must be in [0, 2]"
    )
    with pytest.raises(IndexingError, match=message):
        F.cross_entropy(cr.zeros(2, 3), [0, 3])
    with pytest.raises(IndexError, match=r"label -1 .* for 3 classes"):
        F.nll_loss(cr.zeros(2, 3), [-1, 0])
    with pytest.raises(IndexError, match=r"label 5 \(at position \(0, 1\)"):
        F.cross_entropy(cr.zeros(1, 3, 2), [[0, 5]])


def test_non_integer_labels_are_refused() -> None:
    with pytest.raises(DTypeError, match="class labels must be integers, got a target"):
        F.cross_entropy(cr.zeros(2, 3), [0.0, 1.0])
    with pytest.raises(TypeError, match="dtype float64; convert with"):
        F.nll_loss(cr.zeros(2, 3), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="dtype bool"):
        F.nll_loss(cr.zeros(2, 3), np.array([True, False]))


@pytest.mark.parametrize(
    ("call", "shapes"),
    [
        (lambda: F.mse_loss(cr.zeros(3), cr.zeros(3, 1)), ["(3,)", "(3, 1)"]),
        (
            lambda: F.binary_cross_entropy_with_logits(cr.zeros(4), cr.zeros(3)),
            ["(4,)", "(3,)"],
        ),
        (lambda: F.cross_entropy(cr.zeros(5, 3), [0, 1]), ["(5, 3)", "(5,)", "(2,)"]),
        (lambda: F.nll_loss(cr.zeros(3), [0, 1]), ["(3,)", "()", "(2,)"]),
        (
            lambda: F.cross_entropy(cr.zeros(2, 3), [0, 1], np.ones(4)),
            ["(4,)", "(3,)"],
        ),
    ],
)
def test_shape_mismatch_names_both_shapes(call: Any, shapes: list[str]) -> None:
    with pytest.raises(ShapeError) as error:
        call()
    for shape in shapes:
        assert shape in str(error.value)


def test_other_argument_errors() -> None:
    with pytest.raises(ValueError, match="label_smoothing must be between 0 and 1"):
        F.cross_entropy(cr.zeros(2, 3), [0, 1], label_smoothing=1.5)
    with pytest.raises(TypeError, match="reduction='sum'"):
        F.cross_entropy(cr.zeros(2, 3), [0, 1], "sum")
    with pytest.raises(NotImplementedError, match=r"weight.detach\(\)"):
        F.nll_loss(cr.zeros(2, 3), [0, 1], cr.ones(3, requires_grad=True))
    with pytest.raises(ShapeError, match="0-d input"):
        F.cross_entropy(cr.tensor(1.0), 0)
