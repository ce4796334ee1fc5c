"""nn.Dropout: training versus evaluation, seeding, repr and errors.

The statistics of the mask and its gradient are tested with the function
(tests/functional/test_dropout.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


def test_drops_in_training_and_passes_through_in_evaluation():
    layer = nn.Dropout(0.5, generator=np.random.default_rng(0))
    x = cr.ones(1000)
    y = layer(x)
    assert set(np.unique(y.data)) == {0.0, 2.0}

    layer.eval()
    assert layer(x) is x
    layer.train()
    assert (layer(x).data == 0).any()


def test_model_eval_turns_dropout_off_inside_a_sequential():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.9), nn.Linear(4, 1))
    x = cr.ones(3, 4)
    model.eval()
    np.testing.assert_array_equal(model(x).data, model(x).data)


def test_generator_makes_masks_reproducible():
    def masks(layer: nn.Dropout) -> list[np.ndarray]:
        return [layer(cr.ones(50)).data for _ in range(3)]

    first = masks(nn.Dropout(0.3, generator=np.random.default_rng(7)))
    second = masks(nn.Dropout(0.3, generator=np.random.default_rng(7)))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])

    # Without a generator: the default one at each call, so manual_seed
    # after construction still decides the masks.
    layer = nn.Dropout(0.3)
    cr.manual_seed(1)
    a = layer(cr.ones(50)).data
    cr.manual_seed(1)
    np.testing.assert_array_equal(a, layer(cr.ones(50)).data)


def test_edge_probabilities():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert nn.Dropout(0.0)(x) is x
    assert nn.Dropout(1.0)(x).data.tolist() == [0.0, 0.0]


def test_repr_and_errors():
    assert repr(nn.Dropout()) == "Dropout(p=0.5)"
    assert repr(nn.Dropout(0.1)) == "Dropout(p=0.1)"
    with pytest.raises(ValueError, match=r"Dropout: p .* between 0 and 1, got 2"):
        nn.Dropout(2)
    assert list(nn.Dropout().state_dict()) == []
