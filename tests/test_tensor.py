"""The Tensor type: attributes, conversions, repr, and what it refuses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

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


# --- in-place updates, as in a hand-written training loop ---------------------------


def test_weight_update_under_no_grad_writes_into_the_weight() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    same = w
    with cr.no_grad():
        w -= 0.25 * w.grad
    assert w is same
    np.testing.assert_allclose(w.data, [0.5, 1.0])
    assert w.is_leaf and w.requires_grad


def test_in_place_update_of_a_weight_while_recording_is_refused() -> None:
    w = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(BackwardError, match=r"no_grad\(\)"):
        w -= 0.5


def test_in_place_on_a_recorded_result_rebinds_with_the_right_graph() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    y += x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_in_place_on_plain_data_tensor() -> None:
    t = cr.tensor([1.0, 2.0])
    alias = t
    t *= 3.0
    t /= 2.0
    t += 1
    assert alias is t
    np.testing.assert_array_equal(t.data, [2.5, 4.0])
    with pytest.raises(DTypeError, match="int64"):
        i = cr.tensor([1, 2])
        i += 0.5


def test_data_setter_takes_arrays_and_tensors_and_guards_dtype() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    w.data = w.data - cr.tensor([0.5, 0.5])
    assert isinstance(w.data, np.ndarray)
    np.testing.assert_array_equal(w.data, [0.5, 1.5])
    with pytest.raises(DTypeError, match="int64"):
        w.data = np.array([3, 4])


def test_grad_setter_checks_type_shape_and_dtype() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    w.grad = cr.zeros(2)
    with pytest.raises(TypeError, match="Tensor or None"):
        w.grad = np.zeros(2)
    with pytest.raises(ShapeError, match=r"\(2, 2\).*\(2,\)"):
        w.grad = cr.zeros((2, 2))
    with pytest.raises(DTypeError):
        w.grad = cr.tensor([1, 2])


def test_requires_grad_setter_validates_like_requires_grad_() -> None:
    t = cr.tensor([1, 2])
    with pytest.raises(DTypeError, match="floating-point"):
        t.requires_grad = True
    y = cr.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(BackwardError, match="detach"):
        y.requires_grad = False


def test_clone_stays_in_the_graph_and_copies() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.data is not x.data
    (c * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_deepcopy_and_pickle_of_leaves_keep_values_grad_and_flag() -> None:
    import copy
    import pickle

    w = cr.tensor([1.0, 2.0], requires_grad=True, name="w")
    (w * w).sum().backward()
    for clone in (copy.deepcopy(w), pickle.loads(pickle.dumps(w))):
        assert clone is not w and clone.data is not w.data
        np.testing.assert_array_equal(clone.data, w.data)
        np.testing.assert_array_equal(clone.grad.data, w.grad.data)
        assert clone.requires_grad and clone.name == "w" and clone.is_leaf


def test_deepcopy_and_pickle_of_non_leaves_are_refused() -> None:
    import copy
    import pickle

    y = cr.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(BackwardError, match="detach"):
        copy.deepcopy(y)
    with pytest.raises(BackwardError, match="detach"):
        pickle.dumps(y)


def test_format_and_round_of_one_element() -> None:
    assert f"{cr.tensor(3.14159):.2f}" == "3.14"
    assert round(cr.tensor(2.6)) == 3


def test_logic_operators_on_masks() -> None:
    x = cr.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(((x > 1) & (x < 3)).data, [False, True, False])
    np.testing.assert_array_equal(((x < 2) | (x > 2)).data, [True, False, True])
    np.testing.assert_array_equal((~(x > 1)).data, [True, False, False])
    np.testing.assert_array_equal((x // 2).data, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal((x % 2).data, [1.0, 0.0, 1.0])


def test_floor_division_of_a_tensor_that_requires_grad_is_refused() -> None:
    from chainrule.errors import NotDifferentiableError

    with pytest.raises(NotDifferentiableError, match="detach"):
        cr.tensor([1.0], requires_grad=True) // 2


def test_comparison_of_mismatched_shapes_names_them() -> None:
    with pytest.raises(ShapeError, match=r"'==': shapes \(3,\) and \(2,\)"):
        _ = cr.ones(3) == cr.zeros(2)


def test_list_of_tensors_that_require_grad_points_to_stack() -> None:
    a = cr.tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match=r"cr\.stack"):
        cr.tensor([a, a])


def test_complex_result_of_a_recorded_op_is_refused() -> None:
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(DTypeError, match="complex"):
        x * np.array([1j])


def test_a_gradient_of_another_dtype_is_refused() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(DTypeError, match="dtype float32 to a tensor of dtype float64"):
        x.grad = cr.ones(2, dtype=np.float32)


def test_repr_of_an_empty_tensor_shows_its_shape() -> None:
    assert "shape=(0, 3)" in repr(cr.zeros(0, 3, requires_grad=True))
    assert "shape" not in repr(cr.zeros(0))  # [] of a 1-D tensor says it all


def test_a_forward_that_returns_no_array_is_named() -> None:
    class Forgetful(cr.Function):
        def forward(self, x):
            x * 2  # BUG: no return

    with pytest.raises(TypeError, match=r"Forgetful\.forward returned None"):
        Forgetful.apply(cr.tensor([1.0], requires_grad=True))


def test_bad_reshape_and_gradient_arguments_are_named() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ShapeError, match="reshape: the new shape must be whole"):
        x.reshape("a")
    with pytest.raises(ShapeError, match="ragged"):
        (x * 2).backward(gradient=[[1, 1], [1]])
    with pytest.raises(DTypeError, match="matmul: cannot multiply by str"):
        x @ "a"


# --- PyTorch's names: dim, numel, float, double, to ------------------------------

SHAPES = [(), (0,), (3,), (2, 0, 4), (2, 3, 4)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_dim_numel_size_and_shape_match_torch(shape: tuple[int, ...]) -> None:
    t, theirs = cr.zeros(*shape), torch.zeros(shape)
    assert t.dim() == theirs.dim() and t.numel() == theirs.numel()
    # NOTE: .size is NumPy's attribute, the element count; torch's size() is shape.
    assert t.size == theirs.numel()
    assert t.shape == tuple(theirs.size())


CASTS = [
    ("float", lambda t: t.float(), np.float32),
    ("double", lambda t: t.double(), np.float64),
    ("to(np.float32)", lambda t: t.to(np.float32), np.float32),
    ("to('float32')", lambda t: t.to("float32"), np.float32),
    ("to(dtype=)", lambda t: t.to(dtype=np.float32), np.float32),
    ("to('cpu', dtype)", lambda t: t.to("cpu", np.float32), np.float32),
    (
        "to(device=, dtype=)",
        lambda t: t.to(device="cpu:0", dtype=np.float32),
        np.float32,
    ),
    ("to(other)", lambda t: t.to(cr.zeros(1, dtype=np.float32)), np.float32),
]


@pytest.mark.parametrize(
    ("cast", "dtype"), [(c, d) for _, c, d in CASTS], ids=[n for n, _, _ in CASTS]
)
@pytest.mark.parametrize("source", [np.float64, np.float32])
def test_casts_match_torch_in_values_dtype_and_gradient(
    cast: Any, dtype: Any, source: Any
) -> None:
    values = np.array([[1.0, -2.5], [3.25, 1e-3]], dtype=source)
    t = cr.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    y = cast(t)
    y_torch = theirs.to(getattr(torch, np.dtype(dtype).name))
    assert y.dtype == dtype and str(y_torch.dtype) == f"torch.{np.dtype(dtype)}"
    np.testing.assert_array_equal(y.data, y_torch.detach().numpy())

    (y * y).sum().backward()
    (y_torch * y_torch).sum().backward()
    assert t.grad is not None and t.grad.dtype == source
    np.testing.assert_allclose(t.grad.data, theirs.grad.numpy(), rtol=1e-6)


def test_to_without_a_change_of_dtype_returns_the_tensor_itself() -> None:
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    assert t.to("cpu") is t and t.to("cpu:0") is t
    assert t.double() is t and t.to(np.float64) is t
    copied = t.to("cpu", copy=True, non_blocking=True)
    assert copied is not t and copied.data is not t.data
    assert copied.grad_fn is not None, "a copy stays in the graph"


def test_to_an_integer_dtype_gives_a_tensor_without_grad() -> None:
    t = cr.tensor([1.5, -2.5], requires_grad=True)
    y = t.to(np.int64)
    assert y.dtype == np.int64 and not y.requires_grad
    assert y.tolist() == torch.tensor([1.5, -2.5]).to(torch.int64).tolist()
    assert cr.tensor([1, 2]).float().dtype == np.float32


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "mps", 0])
def test_to_another_device_is_a_named_gap(device: Any) -> None:
    t = cr.ones(2)
    with pytest.raises(NotImplementedError, match="NumPy on the CPU"):
        t.to(device)
    with pytest.raises(NotImplementedError, match=r"device .* is not available"):
        t.to(device=device, dtype=np.float32)


def test_to_refuses_what_is_neither_a_dtype_nor_a_device() -> None:
    t = cr.ones(2)
    with pytest.raises(TypeError, match=r"cannot read torch\.float32 as a dtype"):
        t.to(torch.float32)
    with pytest.raises(TypeError, match="more than one dtype or device"):
        t.to(np.float32, np.float64)
    with pytest.raises(TypeError, match="at most a device and a dtype"):
        t.to("cpu", np.float32, False)
    with pytest.raises(TypeError, match="device must be a string"):
        t.to(device=1.5)
