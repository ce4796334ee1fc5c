"""How dtypes combine in ops and what dtype gradients get."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_python_scalars_do_not_upcast_float32() -> None:
    x = cr.tensor(np.ones(3, np.float32), requires_grad=True)
    y = 2.0 * x + 1.0 - x / 3.0 + x**2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_numpy_float64_operands_promote_but_gradient_keeps_input_dtype() -> None:
    x = cr.tensor(np.ones(3, np.float32), requires_grad=True)
    y = x * np.ones(3, np.float64)
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_mixed_float_tensors_promote_and_each_gradient_keeps_its_dtype() -> None:
    a = cr.tensor(np.ones(2, np.float32), requires_grad=True)
    b = cr.tensor(np.ones(2, np.float64), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32
    assert b.grad.dtype == np.float64


def test_integer_tensors_compute_without_gradients() -> None:
    i = cr.tensor([1, 2, 3])
    w = cr.tensor([0.5, 0.5, 0.5], requires_grad=True)
    y = (i * w).sum()
    assert y.dtype == np.float64
    y.backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 2.0, 3.0])
    assert (i + 1).dtype == np.int64
    assert not (i + 1).requires_grad


def test_true_division_of_integers_is_float() -> None:
    assert (cr.tensor([1, 2]) / cr.tensor([2, 4])).dtype == np.float64


def test_astype_casts_and_gradient_flows_back_in_original_dtype() -> None:
    x = cr.tensor(np.array([1.5, 2.5], np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [3.0, 5.0])


def test_cast_to_integer_ends_the_gradient() -> None:
    x = cr.tensor([1.7], requires_grad=True)
    assert not x.astype(np.int64).requires_grad


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_backward_seed_has_output_dtype(dtype) -> None:
    x = cr.tensor(np.ones(2, dtype), requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.dtype == dtype
