"""batch_norm and layer_norm against PyTorch: outputs, input and parameter
gradients, running statistics, and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import functional as F
from chainrule.errors import ShapeError


def run_both(
    ours: Any, theirs: Any, x: np.ndarray, params: list[np.ndarray | None]
) -> None:
    """Outputs and the gradients of x and every parameter agree with PyTorch."""
    x_cr = cr.tensor(x, requires_grad=True)
    x_t = torch.tensor(x, requires_grad=True)
    p_cr = [None if p is None else cr.tensor(p, requires_grad=True) for p in params]
    p_t = [None if p is None else torch.tensor(p, requires_grad=True) for p in params]

    y, y_t = ours(x_cr, *p_cr), theirs(x_t, *p_t)
    np.testing.assert_allclose(y.data, y_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = np.random.default_rng(3).standard_normal(y.shape)
    y.backward(upstream)
    y_t.backward(torch.tensor(upstream))
    pairs = [(x_cr, x_t)] + [
        (a, b) for a, b in zip(p_cr, p_t, strict=True) if a is not None
    ]
    for k, (a, b) in enumerate(pairs):
        np.testing.assert_allclose(
            a.grad.data, b.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=f"input {k}"
        )


@given(
    shape=st.sampled_from([(2, 3), (5, 1), (4, 3, 2), (2, 2, 5), (3, 2, 1, 2)]),
    training=st.booleans(),
    affine=st.booleans(),
    momentum=st.sampled_from([0.1, 0.5, 1.0]),
    seed=st.integers(0, 100),
)
def test_batch_norm_matches_torch(
    shape: tuple[int, ...], training: bool, affine: bool, momentum: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    channels = shape[1]
    x = rng.standard_normal(shape) * 3 + 1
    mean, var = rng.standard_normal(channels), rng.random(channels) + 0.5
    params = [rng.standard_normal(channels), rng.standard_normal(channels)]
    ours_stats, torch_stats = (
        (mean.copy(), var.copy()),
        (
            torch.tensor(mean),
            torch.tensor(var),
        ),
    )

    run_both(
        lambda x, *p: F.batch_norm(x, *ours_stats, *p, training, momentum, 1e-3),
        lambda x, *p: TF.batch_norm(x, *torch_stats, *p, training, momentum, 1e-3),
        x,
        params if affine else [None, None],
    )
    for ours, theirs in zip(ours_stats, torch_stats, strict=True):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)
    if not training:
        assert ours_stats[0].tolist() == mean.tolist()


def test_batch_norm_updates_running_stats_with_the_unbiased_variance() -> None:
    x = np.array([[1.0, 10.0], [3.0, 30.0], [8.0, 20.0]])
    mean, var = np.zeros(2), np.ones(2)
    F.batch_norm(cr.tensor(x), mean, var, training=True, momentum=0.25)
    np.testing.assert_allclose(mean, 0.25 * x.mean(axis=0))
    np.testing.assert_allclose(var, 0.75 + 0.25 * x.var(axis=0, ddof=1))


def test_batch_norm_training_without_running_stats_uses_the_batch() -> None:
    x = cr.tensor([[1.0], [3.0]])
    np.testing.assert_allclose(
        F.batch_norm(x, None, None, training=True, eps=0.0).data, [[-1.0], [1.0]]
    )


def test_batch_norm_gradcheck() -> None:
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    w = cr.tensor(rng.standard_normal(3), requires_grad=True)
    b = cr.tensor(rng.standard_normal(3), requires_grad=True)
    mean, var = np.zeros(3), np.ones(3)
    for training in (True, False):

        def fn(x: Any, w: Any, b: Any, training: bool = training) -> Any:
            return F.batch_norm(x, mean, var, w, b, training)

        assert cr.gradcheck(fn, (x, w, b)).passed
        assert cr.gradgradcheck(fn, (x, w, b)).passed


def test_batch_norm_errors_name_the_shapes() -> None:
    with pytest.raises(ShapeError, match=r"more than 1 value per channel.*\(1, 3\)"):
        F.batch_norm(cr.zeros(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean and running_var"):
        F.batch_norm(cr.zeros(4, 3), None, None, training=False)
    with pytest.raises(ShapeError, match=r"shape \(3,\)"):
        F.batch_norm(cr.zeros(3), None, None, training=True)
    with pytest.raises(ShapeError, match=r"running_mean must be .* \(3,\).* \(4,\)"):
        F.batch_norm(cr.zeros(2, 3), np.zeros(4), np.ones(3))
    with pytest.raises(ShapeError, match=r"weight of shape \(2,\) must have shape"):
        F.batch_norm(cr.zeros(2, 3), None, None, np.ones(2), training=True)


@given(
    shape=st.sampled_from([(3, 4), (2, 3, 4), (5,), (2, 0, 3), (2, 2, 3, 2)]),
    trailing=st.integers(1, 2),
    affine=st.sampled_from(["both", "weight", "none"]),
    seed=st.integers(0, 100),
)
def test_layer_norm_matches_torch(
    shape: tuple[int, ...], trailing: int, affine: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    normalized = shape[-trailing:]
    x = rng.standard_normal(shape) * 2 - 1
    params: list[np.ndarray | None] = [
        rng.standard_normal(normalized) if affine != "none" else None,
        rng.standard_normal(normalized) if affine == "both" else None,
    ]
    run_both(
        lambda x, *p: F.layer_norm(x, normalized, *p, eps=1e-4),
        lambda x, *p: TF.layer_norm(x, normalized, *p, eps=1e-4),
        x,
        params,
    )


def test_layer_norm_gradcheck() -> None:
    rng = np.random.default_rng(1)
    x = cr.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    w = cr.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    b = cr.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    fn = lambda x, w, b: F.layer_norm(x, (2, 4), w, b)  # noqa: E731
    assert cr.gradcheck(fn, (x, w, b)).passed
    assert cr.gradgradcheck(fn, (x, w, b)).passed


def test_layer_norm_errors_name_the_shapes() -> None:
    with pytest.raises(ShapeError, match=r"normalized_shape=\(4,\).*shape \(3, 5\)"):
        F.layer_norm(cr.zeros(3, 5), 4)
    with pytest.raises(ShapeError, match=r"normalized_shape=\(2, 3\).*shape \(3,\)"):
        F.layer_norm(cr.zeros(3), (2, 3))
    with pytest.raises(ShapeError, match=r"weight of shape \(5,\).*\(4,\)"):
        F.layer_norm(cr.zeros(3, 4), 4, np.ones(5))
    with pytest.raises(TypeError, match="normalized_shape must be an int"):
        F.layer_norm(cr.zeros(3, 4), 4.0)  # type: ignore[arg-type]
