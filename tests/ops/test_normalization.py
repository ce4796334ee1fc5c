"""standardize: constant slices, eps = 0, the composed oracle, and errors.

Values, gradients and second derivatives on random inputs come from the op
table (specs/normalization.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.errors import AxisError


def composed(x, axis, eps):
    """The same function built from chainrule's mean, var, sqrt and divide."""
    mean = cr.mean(x, axis=axis, keepdims=True)
    return (x - mean) / cr.sqrt(cr.var(x, axis=axis, keepdims=True) + eps)


@pytest.mark.parametrize(
    ("shape", "axis"), [((5, 3), 0), ((2, 3, 4), (0, 2)), ((4, 6), -1)]
)
def test_matches_its_composition_to_second_order(shape, axis):
    rng = np.random.default_rng(0)
    x_value = rng.standard_normal(shape) * 3 + 2
    upstream, direction = rng.standard_normal(shape), rng.standard_normal(shape)

    results = []
    for fn in (cr.standardize, composed):
        x = cr.tensor(x_value, requires_grad=True)
        y = fn(x, axis, 1e-3)
        (grad,) = cr.autograd.grad(y, x, upstream, create_graph=True)
        (second,) = cr.autograd.grad((grad * direction).sum(), x)
        results.append((y.data, grad.data, second.data))

    for ours, oracle in zip(*results, strict=True):
        np.testing.assert_allclose(ours, oracle, rtol=1e-10, atol=1e-12)


def test_constant_slice_standardizes_to_exactly_zero():
    # mean([0.1] * 3) is not 0.1 in floating point; the shift by the first
    # element makes the deviations exactly 0. The slope there is finite,
    # (g - mean(g)) / sqrt(eps), as in PyTorch.
    x = cr.tensor([[0.1, 0.1, 0.1], [1.0, 2.0, 3.0]], requires_grad=True)
    upstream = np.arange(6.0).reshape(2, 3)
    y = cr.standardize(x, axis=1)
    y.backward(upstream)

    assert y.data[0].tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(x.grad.data[0], [-1, 0, 1] / np.sqrt(1e-5))
    reference = torch.tensor(x.data, requires_grad=True)
    torch.nn.functional.layer_norm(reference, (3,)).backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.data, reference.grad.numpy(), 1e-6, 1e-12)


def test_constant_slice_without_eps_is_nan_quietly():
    # pytest turns RuntimeWarning into an error: 0/0 must not warn.
    x = cr.tensor([[2.0, 2.0], [1.0, 3.0]], requires_grad=True)
    y = cr.standardize(x, axis=1, eps=0.0)
    y.sum().backward()

    assert np.isnan(y.data[0]).all()
    assert y.data[1].tolist() == [-1.0, 1.0]
    assert np.isnan(x.grad.data[0]).all()


def test_one_element_slices_standardize_to_zero():
    x = cr.tensor([[5.0, -2.0]], requires_grad=True)
    y = cr.standardize(x, axis=0)
    y.backward(np.ones((1, 2)))
    assert y.data.tolist() == [[0.0, 0.0]]
    assert x.grad.data.tolist() == [[0.0, 0.0]]


def test_integer_input_is_standardized_in_float64():
    y = cr.standardize(cr.tensor([1, 3]), eps=0.0)
    assert y.dtype == np.float64
    assert y.data.tolist() == [-1.0, 1.0]


def test_float32_is_kept_and_accurate_at_large_offsets():
    values = np.array([1e4 + 1, 1e4 - 1, 1e4 + 1, 1e4 - 1], dtype=np.float32)
    y = cr.standardize(cr.tensor(values), eps=0.0)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, [1, -1, 1, -1], rtol=1e-6)


def test_axis_out_of_range_names_the_op():
    with pytest.raises(AxisError, match=r"standardize: axis 2 is out of range"):
        cr.standardize(cr.zeros(2, 3), axis=2)
