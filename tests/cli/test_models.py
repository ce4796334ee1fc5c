"""The command line's MLPs: each --init scheme with the gain of its activation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule import nn
from chainrule.cli.models import ACTIVATIONS, MLPSpec, build_mlp

SLOPES = {"leaky_relu": 0.01}  # nn.LeakyReLU's default slope


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("scheme", ["kaiming", "xavier"])
def test_init_uses_the_gain_of_the_chosen_activation(activation, scheme) -> None:
    spec = MLPSpec(128, (256,), 3, activation=activation, init=scheme)
    weight = build_mlp(spec, np.random.default_rng(0))[0].weight.data

    gain = nn.init.calculate_gain(activation, SLOPES.get(activation))
    fan_in, fan_out = 128, 256
    if scheme == "kaiming":
        bound = gain * math.sqrt(3 / fan_in)
    else:
        bound = gain * math.sqrt(6 / (fan_in + fan_out))
    # 32768 uniform draws: the largest is within 0.1% of the bound.
    largest = float(np.abs(weight).max())
    assert bound * 0.999 < largest <= bound, (
        f"--init {scheme} --activation {activation}: weights up to {largest:.5f}, "
        f"expected U(-b, b) with b = {bound:.5f} (gain {gain:.4f})"
    )
