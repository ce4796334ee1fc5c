"""The Tensor type: attributes, conversions, repr, and what it refuses."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import BackwardError, DTypeError, ShapeError


def test_wraps_an_array_with_its_attributes() -> None:
    data = np.arange(6.0).reshape(2, 3)
    t = cr.Tensor(data)
    assert t.data is data
    assert t.shape == (2, 3)
    assert t.ndim == 2
    assert t.size == 6
    assert t.dtype == np.float64
    assert len(t) == 2
    assert not t.requires_grad
    assert t.grad is None
    assert t.is_leaf
    assert t.grad_fn is None


def test_numpy_and_array_protocol_share_data() -> None:
    t = cr.tensor([1.0, 2.0])
    assert t.numpy() is t.data
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert np.array(t, copy=True) is not t.data


def test_item_gives_python_number_and_refuses_many_elements() -> None:
    assert cr.tensor([[3.5]]).item() == 3.5
    assert isinstance(cr.tensor(2).item(), int)
    with pytest.raises(ShapeError, match=r"shape \(2,\).*reduce"):
        cr.tensor([1.0, 2.0]).item()


def test_float_int_and_bool_of_one_element() -> None:
    assert float(cr.tensor(1.5)) == 1.5
    assert int(cr.tensor(7)) == 7
    assert bool(cr.tensor([1.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(cr.tensor([1.0, 2.0]))


def test_detach_shares_data_and_leaves_graph() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert d.data is y.data
    assert not d.requires_grad
    assert d.grad_fn is None


def test_results_of_recorded_ops_are_non_leaves_with_grad_fn() -> None:
    x = cr.tensor([1.0], requires_grad=True)
    y = cr.exp(x)
    assert y.requires_grad
    assert not y.is_leaf
    assert type(y.grad_fn).__name__ == "Exp"
    assert y.grad_fn.next_functions == (x,)


def test_requires_grad_underscore_sets_flag_in_place() -> None:
    t = cr.tensor([1.0])
    assert t.requires_grad_() is t
    assert t.requires_grad


@pytest.mark.parametrize("data", [[1, 2], [True, False]])
def test_integer_and_bool_tensors_cannot_require_grad(data) -> None:
    with pytest.raises(DTypeError, match=r"floating-point.*dtype (int64|bool)"):
        cr.tensor(data, requires_grad=True)
    with pytest.raises(DTypeError, match="floating-point"):
        cr.tensor(data).requires_grad_()


def test_requires_grad_false_on_non_leaf_points_to_detach() -> None:
    y = cr.tensor([1.0], requires_grad=True) * 2.0
    with pytest.raises(BackwardError, match="detach"):
        y.requires_grad_(False)


def test_repr_shows_values_and_graph_state() -> None:
    assert repr(cr.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(cr.tensor([1.0], requires_grad=True)) == (
        "tensor([1.], requires_grad=True)"
    )
    assert "dtype=float32" in repr(cr.tensor(np.ones(2, np.float32)))
    assert "grad_fn=<ExpBackward>" in repr(cr.exp(cr.tensor([0.0], requires_grad=True)))
    assert "name='w'" in repr(cr.Tensor([1.0], name="w"))


def test_item_assignment_is_refused_with_alternatives() -> None:
    t = cr.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"cr\.where"):
        t[0] = 5.0


def test_iteration_yields_rows_with_gradients() -> None:
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [r.shape for r in rows] == [(2,), (2,)]
    (rows[1] * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 0], [2, 2]])


def test_len_of_0d_tensor_is_an_error() -> None:
    with pytest.raises(TypeError, match="0-d"):
        len(cr.tensor(1.0))


def test_comparisons_give_bool_tensors_without_grad() -> None:
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == np.bool_
    assert not mask.requires_grad
    np.testing.assert_array_equal(mask.data, [False, True, True])
    np.testing.assert_array_equal((x == 2.0).data, [False, True, False])
    np.testing.assert_array_equal((x <= cr.tensor(2.0)).data, [True, True, False])


def test_tensors_are_hashable_by_identity() -> None:
    a, b = cr.tensor([1.0]), cr.tensor([1.0])
    assert len({a, b}) == 2


def test_python_scalar_on_either_side() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = 2.0 - x + 1.0 * x / 4.0 + 3.0 / (x + 1.0) + 2.0**x
    y.sum().backward()
    expected = -1.0 + 0.25 - 3.0 / (x.data + 1.0) ** 2 + np.log(2.0) * 2.0**x.data
    np.testing.assert_allclose(x.grad.data, expected)
