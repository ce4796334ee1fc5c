"""nn.Parameter: a leaf Tensor with the dtype rules of cr.tensor."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import DTypeError


def test_is_a_leaf_tensor_that_requires_grad() -> None:
    p = nn.Parameter(np.ones((2, 3)))
    assert isinstance(p, cr.Tensor)
    assert p.requires_grad
    assert p.is_leaf
    assert p.grad is None
    assert p.shape == (2, 3)
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad


def test_has_no_instance_dict() -> None:
    # Tensor uses __slots__; a subclass without them would grow a __dict__.
    with pytest.raises(AttributeError):
        nn.Parameter([1.0]).anything = 1  # type: ignore[attr-defined]


def test_copies_its_data() -> None:
    array = np.array([1.0, 2.0])
    p = nn.Parameter(array)
    array[0] = 100.0
    assert p.data[0] == 1.0
    t = cr.tensor([3.0])
    assert nn.Parameter(t).data is not t.data


def test_dtype_rules_of_cr_tensor() -> None:
    assert nn.Parameter([1.0, 2.0]).dtype == np.float64
    assert nn.Parameter(0.5).dtype == np.float64
    assert nn.Parameter(np.ones(2, np.float32)).dtype == np.float32
    cr.set_default_dtype(np.float32)
    try:
        assert nn.Parameter([1.0]).dtype == np.float32
    finally:
        cr.set_default_dtype(np.float64)


@pytest.mark.parametrize("data", [np.arange(3), [1, 2], True, np.array([1j])])
@pytest.mark.parametrize("requires_grad", [True, False])
def test_non_float_data_is_a_dtype_error(data: object, requires_grad: bool) -> None:
    with pytest.raises(DTypeError, match=r"floating point.*register_buffer"):
        nn.Parameter(data, requires_grad=requires_grad)


def test_of_a_non_leaf_tensor_is_a_new_leaf() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    p = nn.Parameter(x * 2)
    assert p.is_leaf
    assert p.grad_fn is None
    np.testing.assert_array_equal(p.data, [2.0, 4.0])


def test_repr_says_parameter() -> None:
    assert repr(nn.Parameter([1.0, -2.0])) == (
        "Parameter containing:\ntensor([ 1., -2.], requires_grad=True)"
    )
    assert repr(nn.Parameter(np.zeros(1, np.float32), requires_grad=False)) == (
        "Parameter containing:\ntensor([0.], dtype=float32)"
    )


def test_operations_return_plain_tensors() -> None:
    p = nn.Parameter([[1.0, 2.0], [3.0, 4.0]])
    results = [
        p * 2,
        p + p,
        -p,
        p @ p,
        p.T,
        p[0],
        p.sum(),
        p.reshape(4),
        cr.tanh(p),
        np.exp(p),
        np.sum(p, axis=0),
        p.detach(),
    ]
    for result in results:
        assert type(result) is cr.Tensor


def test_backward_fills_grad_with_a_plain_tensor() -> None:
    p = nn.Parameter([1.0, 2.0, 3.0])
    (p * p).sum().backward()
    assert type(p.grad) is cr.Tensor
    np.testing.assert_array_equal(p.grad.data, [2.0, 4.0, 6.0])
