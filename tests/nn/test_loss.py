"""Loss layers: the same values and gradients as the functions and as
PyTorch's layers, buffers in the state dict, repr, and early errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((5, 3))
LABELS = np.array([0, 2, 1, -100, 2])
PROBABILITIES = RNG.random((5, 3))
WEIGHT = RNG.random(3) + 0.5

# (chainrule layer, PyTorch layer, target): each pair configured alike.
LAYERS: list[tuple[Any, Any, np.ndarray]] = [
    (nn.MSELoss(), torch.nn.MSELoss(), PROBABILITIES),
    (nn.MSELoss("sum"), torch.nn.MSELoss(reduction="sum"), PROBABILITIES),
    (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), LABELS),
    (
        nn.CrossEntropyLoss(WEIGHT, reduction="none", label_smoothing=0.2),
        torch.nn.CrossEntropyLoss(
            torch.tensor(WEIGHT), reduction="none", label_smoothing=0.2
        ),
        LABELS,
    ),
    (
        nn.CrossEntropyLoss(ignore_index=2),
        torch.nn.CrossEntropyLoss(ignore_index=2),
        np.array([0, 2, 1, 1, 2]),
    ),
    (nn.NLLLoss(WEIGHT), torch.nn.NLLLoss(torch.tensor(WEIGHT)), LABELS),
    (nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), PROBABILITIES),
    (
        nn.BCEWithLogitsLoss(WEIGHT, reduction="sum", pos_weight=WEIGHT[::-1]),
        torch.nn.BCEWithLogitsLoss(
            torch.tensor(WEIGHT),
            reduction="sum",
            pos_weight=torch.tensor(WEIGHT[::-1].copy()),
        ),
        PROBABILITIES,
    ),
]


@pytest.mark.parametrize(("layer", "twin", "target"), LAYERS, ids=repr)
def test_matches_torch(layer: Any, twin: Any, target: np.ndarray) -> None:
    x = cr.tensor(LOGITS, requires_grad=True)
    x_t = torch.tensor(LOGITS, requires_grad=True)
    loss, expected = layer(x, target), twin(x_t, torch.tensor(target))
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-12)

    upstream = np.random.default_rng(1).standard_normal(loss.shape)
    loss.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.data, x_t.grad.numpy(), rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize(("layer", "twin", "target"), LAYERS, ids=repr)
def test_buffers_are_saved_as_torch_saves_them(
    layer: Any, twin: Any, target: np.ndarray
) -> None:
    ours, theirs = layer.state_dict(), twin.state_dict()
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        np.testing.assert_array_equal(ours[key], value.numpy())
    assert list(layer.parameters()) == []


def test_repr() -> None:
    assert repr(nn.MSELoss()) == "MSELoss(reduction='mean')"
    assert repr(nn.NLLLoss(reduction="sum")) == (
        "NLLLoss(ignore_index=-100, reduction='sum')"
    )
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == (
        "CrossEntropyLoss(ignore_index=-100, reduction='mean', label_smoothing=0.1)"
    )
    assert repr(nn.BCEWithLogitsLoss()) == "BCEWithLogitsLoss(reduction='mean')"


def test_settings_are_checked_when_the_layer_is_made() -> None:
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="MSELoss: reduction must be 'mean', 'sum'"):
        nn.MSELoss("elementwise_mean")
    with pytest.raises(ValueError, match="label_smoothing must be between 0 and 1"):
        nn.CrossEntropyLoss(label_smoothing=-0.1)
