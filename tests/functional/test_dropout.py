"""dropout: how many elements it zeroes, the scale of the rest, the gradient
mask, the edge probabilities 0 and 1, seeding, and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import functional as F


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_zeroes_a_share_p_and_scales_the_rest_by_one_over_one_minus_p(p: float):
    n = 200_000
    y = F.dropout(cr.ones(n), p, generator=np.random.default_rng(0)).data

    dropped = np.mean(y == 0)
    # A binomial share: within 5 standard errors of p.
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-15)
    # Inverted dropout keeps the expected value: the mean stays near 1.
    assert abs(y.mean() - 1) < 5 * math.sqrt(p / (1 - p) / n)


def test_gradient_is_the_same_mask_and_scale():
    rng = np.random.default_rng(1)
    x = cr.tensor(rng.standard_normal((50, 40)), requires_grad=True)
    upstream = rng.standard_normal((50, 40))
    y = F.dropout(x, 0.3, generator=np.random.default_rng(2))
    y.backward(upstream)

    scale = y.data / x.data
    assert set(np.round(np.unique(scale), 12)) == {0.0, round(1 / 0.7, 12)}
    np.testing.assert_allclose(x.grad.data, upstream * scale, rtol=1e-14)


def test_each_call_draws_a_new_mask_and_a_seed_repeats_it():
    x = cr.ones(1000)
    rng = np.random.default_rng(3)
    first, second = F.dropout(x, generator=rng), F.dropout(x, generator=rng)
    assert not np.array_equal(first.data, second.data)
    again = F.dropout(x, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(first.data, again.data)

    cr.manual_seed(5)
    a = F.dropout(x)
    cr.manual_seed(5)
    np.testing.assert_array_equal(a.data, F.dropout(x).data)


def test_evaluation_and_p_zero_return_the_input_itself():
    x = cr.tensor([1.0, np.nan, -2.0], requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_p_one_zeroes_everything_and_keeps_nan_as_torch():
    x = cr.tensor([1.0, np.nan, -2.0], requires_grad=True)
    y = F.dropout(x, 1.0)
    y.backward(np.ones(3))

    expected = torch.nn.functional.dropout(torch.tensor(x.data), 1.0)
    np.testing.assert_array_equal(y.data, expected.numpy())
    assert x.grad.data.tolist() == [0.0, 0.0, 0.0]


def test_float32_stays_float32():
    x = cr.tensor(np.ones(10, np.float32), requires_grad=True)
    y = F.dropout(x, 0.5, generator=np.random.default_rng(0))
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.5, math.nan])
def test_p_outside_zero_one_is_refused(p: float):
    with pytest.raises(ValueError, match=f"between 0 and 1, got {p}"):
        F.dropout(cr.ones(3), p)


def test_p_must_be_a_number():
    with pytest.raises(TypeError, match="p must be a number"):
        F.dropout(cr.ones(3), "0.5")  # type: ignore[arg-type]
