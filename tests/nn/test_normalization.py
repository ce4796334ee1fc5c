"""BatchNorm1d and LayerNorm against PyTorch: several training steps (outputs,
data and weight gradients, running statistics), then evaluation; options,
state dicts, gradcheck, and errors."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.errors import DTypeError, ShapeError
from tests.nn.reference import check_against_torch, copy_weights


def train_then_evaluate(
    layer: nn.Module,
    twin: torch.nn.Module,
    shape: tuple[int, ...],
    steps: int = 4,
    seed: int = 0,
) -> None:
    """Each step compares outputs and gradients, then the buffers; the last
    comparison runs in evaluation mode."""
    rng = np.random.default_rng(seed)
    for p in layer.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    copy_weights(layer, twin)
    for step in range(steps + 1):
        if step == steps:
            layer.eval()
            twin.eval()
        x = rng.standard_normal(shape) * (step + 1) + step
        check_against_torch(layer, twin, x, rtol=1e-9, atol=1e-11)
        for name, buffer in twin.named_buffers():
            ours = dict(layer.named_buffers())[name]
            np.testing.assert_allclose(
                ours.data, buffer.numpy(), rtol=1e-12, err_msg=f"{name} @ {step}"
            )
        for p in layer.parameters():
            p.grad = None
        twin.zero_grad()


@pytest.mark.parametrize("shape", [(8, 3), (5, 3, 4), (2, 3, 1)])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"momentum": 0.3, "eps": 1e-3},
        {"momentum": None},
        {"affine": False},
        {"track_running_stats": False},
    ],
    ids=["default", "momentum", "cumulative", "no-affine", "untracked"],
)
def test_batch_norm_matches_torch_through_training_and_evaluation(
    shape: tuple[int, ...], options: dict[str, Any]
) -> None:
    train_then_evaluate(
        nn.BatchNorm1d(3, **options), torch.nn.BatchNorm1d(3, **options), shape
    )


def test_batch_norm_counts_batches_and_averages_with_momentum_none() -> None:
    layer = nn.BatchNorm1d(2, momentum=None)
    batches = [np.random.default_rng(k).standard_normal((6, 2)) for k in range(3)]
    for batch in batches:
        layer(cr.tensor(batch))
    assert layer.num_batches_tracked is not None
    assert layer.num_batches_tracked.data.tolist() == 3
    assert layer.num_batches_tracked.dtype == np.int64
    assert layer.running_mean is not None
    np.testing.assert_allclose(
        layer.running_mean.data, np.mean([b.mean(axis=0) for b in batches], axis=0)
    )


def test_batch_norm_evaluation_uses_the_running_stats_and_changes_nothing() -> None:
    layer = nn.BatchNorm1d(2).eval()
    assert layer.running_mean is not None and layer.running_var is not None
    layer.running_mean.data[...] = [1.0, -1.0]
    layer.running_var.data[...] = [4.0, 0.25]
    y = layer(cr.tensor([[3.0, 0.0]]))
    np.testing.assert_allclose(
        y.data, [[2 / np.sqrt(4 + 1e-5), 1 / np.sqrt(0.25 + 1e-5)]], rtol=1e-12
    )
    assert layer.running_mean.data.tolist() == [1.0, -1.0]
    assert layer.num_batches_tracked is not None
    assert layer.num_batches_tracked.data.tolist() == 0


def test_batch_norm_state_dict_matches_torch() -> None:
    for options in ({}, {"affine": False}, {"track_running_stats": False}):
        ours = nn.BatchNorm1d(4, **options).state_dict()
        theirs = torch.nn.BatchNorm1d(4, **options).state_dict()
        assert list(ours) == list(theirs)
        for key, value in theirs.items():
            assert ours[key].shape == tuple(value.shape), key


def test_batch_norm_loads_a_torch_state_and_resets() -> None:
    twin = torch.nn.BatchNorm1d(3)
    twin(torch.randn(10, 3) * 5 + 2)
    layer = nn.BatchNorm1d(3, dtype=np.float32)
    layer.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    assert layer.running_var is not None and layer.num_batches_tracked is not None
    np.testing.assert_array_equal(layer.running_var.data, twin.running_var.numpy())
    assert layer.num_batches_tracked.data.tolist() == 1

    layer.reset_parameters()
    assert layer.running_var.data.tolist() == [1.0] * 3
    assert layer.num_batches_tracked.data.tolist() == 0


def test_batch_norm_float32_stays_float32() -> None:
    layer = nn.BatchNorm1d(3, dtype=np.float32)
    x = cr.tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))
    x.requires_grad_()
    y = layer(x)
    y.sum().backward()
    assert layer.weight is not None and layer.running_var is not None
    assert y.dtype == x.grad.dtype == layer.weight.grad.dtype == np.float32
    assert layer.running_var.dtype == np.float32


def test_batch_norm_passes_gradcheck_in_training_and_evaluation() -> None:
    rng = np.random.default_rng(0)
    layer = nn.BatchNorm1d(3)
    assert layer.weight is not None
    layer.weight.data[...] = rng.standard_normal(3)
    x = cr.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    assert cr.gradcheck(layer, x).passed
    assert cr.gradcheck(layer.eval(), x).passed


def test_batch_norm_repr_and_errors() -> None:
    assert repr(nn.BatchNorm1d(3, momentum=None, affine=False)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, "
        "track_running_stats=True)"
    )
    layer = nn.BatchNorm1d(3)
    with pytest.raises(ShapeError, match=r"2-D input \(N, C\) or a 3-D .* \(3,\)"):
        layer(cr.zeros(3))
    with pytest.raises(ShapeError, match=r"2-D input .* \(2, 3, 4, 5\)"):
        layer(cr.zeros(2, 3, 4, 5))
    with pytest.raises(ShapeError, match=r"shape \(4, 5\), whose axis 1 .*=3"):
        layer(cr.zeros(4, 5))
    with pytest.raises(DTypeError, match="float dtype"):
        nn.BatchNorm1d(3, dtype=np.int64)
    with pytest.raises(TypeError, match="num_features must be an int"):
        nn.BatchNorm1d(3.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1), (0, 3), (0, 3, 4)])
def test_batch_norm_refuses_a_batch_of_one_value_per_channel_in_training(
    shape: tuple[int, ...],
) -> None:
    layer = nn.BatchNorm1d(3)
    before = layer.state_dict()
    message = rf"more than 1 value per channel .*{re.escape(str(shape))}"
    with pytest.raises(ShapeError, match=message):
        layer(cr.zeros(*shape, requires_grad=True))
    after = layer.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before), "stats changed"
    if shape[0] == 1:  # PyTorch returns an empty output for an empty batch
        with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
            torch.nn.BatchNorm1d(3)(torch.zeros(shape))
    assert layer.eval()(cr.zeros(*shape)).shape == shape, "evaluation takes any"


def test_batch_norm_takes_one_example_with_a_length_axis_as_torch_does() -> None:
    train_then_evaluate(nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3), (1, 3, 5))


def test_check_layer_passes_batch_norm_and_skips_the_empty_batch() -> None:
    x = cr.randn(4, 3, generator=np.random.default_rng(0))
    report = cr.check_layer(nn.BatchNorm1d(3), x)
    assert report.passed, report
    (empty,) = [item for item in report.items if item.name == "empty batch"]
    assert empty.status == "skipped"
    assert "expected more than 1 value per channel when training" in empty.detail


@pytest.mark.parametrize(
    ("normalized_shape", "shape"), [(4, (3, 4)), ((2, 4), (3, 2, 4)), (5, (5,))]
)
@pytest.mark.parametrize(
    "options",
    [{}, {"eps": 1e-3}, {"bias": False}, {"elementwise_affine": False}],
    ids=["default", "eps", "no-bias", "no-affine"],
)
def test_layer_norm_matches_torch(
    normalized_shape: Any, shape: tuple[int, ...], options: dict[str, Any]
) -> None:
    train_then_evaluate(
        nn.LayerNorm(normalized_shape, **options),
        torch.nn.LayerNorm(normalized_shape, **options),
        shape,
        steps=1,
    )


def test_layer_norm_state_dict_repr_gradcheck_and_errors() -> None:
    for options in ({}, {"bias": False}, {"elementwise_affine": False}):
        assert list(nn.LayerNorm(3, **options).state_dict()) == list(
            torch.nn.LayerNorm(3, **options).state_dict()
        )
    layer = nn.LayerNorm((2, 3))
    assert repr(layer) == "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True)"
    rng = np.random.default_rng(0)
    for p in layer.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    x = cr.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    assert cr.gradcheck(layer, x).passed
    with pytest.raises(ShapeError, match=r"normalized_shape=\(2, 3\).*\(4, 3\)"):
        layer(cr.zeros(4, 3))
