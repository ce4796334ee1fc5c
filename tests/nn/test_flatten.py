"""nn.Flatten: shapes and gradients against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.errors import AxisError
from tests.nn.reference import check_against_torch


@pytest.mark.parametrize(
    ("axes", "expected"),
    [((), (2, 60)), ((0, -1), (120,)), ((1, 2), (2, 12, 5)), ((0, 1), (6, 4, 5))],
)
def test_matches_torch(axes: tuple[int, ...], expected: tuple[int, ...]) -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    layer = nn.Flatten(*axes)
    assert layer(x).shape == expected
    check_against_torch(layer, torch.nn.Flatten(*axes), x)


def test_repr_and_errors() -> None:
    assert repr(nn.Flatten()) == "Flatten(start_axis=1, end_axis=-1)"
    with pytest.raises(AxisError, match="flatten"):
        nn.Flatten()(cr.zeros(3))
