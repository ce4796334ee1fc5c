"""Indexing beyond the op table: repeats, masks, mixed indices, higher order, errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import ChainruleError, IndexingError, ShapeError
from chainrule.ops.indexing import _normalize_index, _scatter_add_array
from tests.ops.harness import Case, assert_close, numerical_vjp, run_chainrule
from tests.ops.specs.indexing import GETITEM
from tests.ops.test_op_table import check_against_reference

# Cases a generator draws rarely, each checked against PyTorch (values and
# gradients) and against central differences.
FIXED = {
    "negative_steps": ((4, 3), (slice(None, None, -1), slice(2, None, -2))),
    "negative_step_bounds": ((5,), slice(-1, 0, -2)),
    "repeated": ((4,), np.array([0, 0, 2, 0])),
    "repeated_negative": ((4,), np.array([-1, 3, -4, 0])),
    "repeated_rows": ((3, 2), np.array([[2, 0], [2, 2]])),
    "arrays_apart": (
        (2, 3, 4),
        (np.array([0, 1, 1]), slice(None), np.array([3, 3, 0])),
    ),
    "int_with_array": ((2, 3, 4), (1, slice(None), np.array([0, 0]))),
    "arrays_adjacent": (
        (2, 3, 4),
        (slice(None), np.array([[0], [2]]), np.array([1, 1])),
    ),
    "mask_tensor": ((2, 3), np.array([[True, False, True], [False, True, True]])),
    "mask_inner": ((2, 3, 4), (slice(None), np.array([True, False, True]))),
    "mask_with_array": ((2, 3), (np.array([True, True]), np.array([2, 2]))),
    "int_tensor": ((3, 2), np.array([1, 1, -1])),
    "list": ((3, 2), [2, 0, 2]),
    "ellipsis_none": ((2, 3, 4), (Ellipsis, None, np.array([1, 1]))),
    "zero_d_empty_tuple": ((), ()),
    "zero_d_ellipsis": ((), Ellipsis),
    "zero_d_new_axis": ((), None),
    "zero_d_true": ((), True),
    "empty_axis": ((0, 3), (slice(None), 1)),
    "empty_index": ((3,), np.array([], dtype=np.int64)),
    "all_false_mask": ((3,), np.array([False, False, False])),
}


@pytest.mark.parametrize(("shape", "index"), FIXED.values(), ids=FIXED.keys())
def test_fixed_index_matches_pytorch_and_central_differences(shape, index) -> None:
    x = np.random.default_rng(0).uniform(-3, 3, shape)
    case = Case([x, index], [True, False])
    check_against_reference(GETITEM, case, seed=1)

    inputs, outputs = run_chainrule(GETITEM, case)
    grads = [np.random.default_rng(2).standard_normal(outputs[0].shape)]
    (analytic,) = cr.autograd.grad(outputs, [inputs[0]], grads)
    (numeric,) = numerical_vjp(GETITEM, case, grads)
    assert_close(analytic, numeric, 1e-6, 1e-8, f"getitem {index!r}")


def test_repeated_indices_accumulate() -> None:
    x = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x[[0, 0, 2, 0]]
    (y * cr.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    # x[0] was read at positions 0, 1 and 3 (weights 1 + 2 + 4), x[2] once.
    np.testing.assert_array_equal(x.grad.data, [7.0, 0.0, 3.0, 0.0])


def test_repeated_rows_accumulate() -> None:
    w = cr.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    w[np.array([2, 0, 2, 2])].sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[1, 1], [0, 0], [3, 3]])


def test_repeated_pairs_in_mixed_index_accumulate() -> None:
    x = cr.tensor(np.zeros((2, 3, 4)), requires_grad=True)
    x[[0, 0, 1], :, [1, 1, 3]].sum().backward()
    expected = np.zeros((2, 3, 4))
    expected[0, :, 1] = 2
    expected[1, :, 3] = 1
    np.testing.assert_array_equal(x.grad.data, expected)


def test_mixed_basic_and_advanced_puts_array_axes_first() -> None:
    """NumPy's rule: arrays split by a slice send their axes to the front."""
    data = np.arange(24.0).reshape(2, 3, 4)
    x = cr.tensor(data, requires_grad=True)
    y = x[1, :, [0, 2]]
    assert y.shape == (2, 3)
    np.testing.assert_array_equal(y.data, data[1, :, [0, 2]])
    y.backward(np.arange(6.0).reshape(2, 3))
    expected = np.zeros((2, 3, 4))
    expected[1, :, 0] = [0, 1, 2]
    expected[1, :, 2] = [3, 4, 5]
    np.testing.assert_array_equal(x.grad.data, expected)


@pytest.mark.parametrize("as_tensor", [False, True], ids=["ndarray", "tensor"])
def test_boolean_mask_passes_gradient_where_true(as_tensor: bool) -> None:
    mask = np.array([[True, False, True], [False, False, True]])
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x[cr.tensor(mask) if as_tensor else mask]
    np.testing.assert_array_equal(y.data, [0.0, 2.0, 5.0])
    y.backward(np.array([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(x.grad.data, [[10, 0, 20], [0, 0, 30]])


def test_tensors_inside_an_index_are_read_as_their_data() -> None:
    x = cr.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    rows = cr.tensor(np.array([2, 2]))
    y = x[rows, cr.tensor(1) : cr.tensor(3)]
    np.testing.assert_array_equal(y.data, [[9.0, 10.0], [9.0, 10.0]])
    z = x[[cr.tensor(1), 0]]
    np.testing.assert_array_equal(z.data, x.data[[1, 0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data[2], [0, 2, 2, 0])


def test_negative_step_gradient_lands_on_the_elements_read() -> None:
    x = cr.tensor(np.arange(6.0), requires_grad=True)
    y = x[::-2]
    np.testing.assert_array_equal(y.data, [5.0, 3.0, 1.0])
    y.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.data, [0, 3, 0, 2, 0, 1])


def test_index_array_reused_by_the_caller_does_not_move_the_gradient() -> None:
    index = np.array([0, 0])
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[index]
    index[:] = 2
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, 0.0])


def test_second_derivative_through_repeated_indices() -> None:
    """f = sum(x[i]^3): df/dx_k = 3 c_k x_k^2, d2f/dx_k^2 = 6 c_k x_k (c_k = count)."""
    x = cr.tensor([0.5, -1.0, 2.0], requires_grad=True)
    index = [2, 0, 2, 2]
    counts = np.array([1.0, 0.0, 3.0])
    v = np.array([1.0, -2.0, 0.5])

    (g,) = cr.autograd.grad((x[index] ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, 3 * counts * x.data**2)
    (hv,) = cr.autograd.grad((g * v).sum(), x, create_graph=True)
    np.testing.assert_allclose(hv.data, 6 * counts * x.data * v)
    (third,) = cr.autograd.grad(hv.sum(), x)
    np.testing.assert_allclose(third.data, 6 * counts * v)


def test_scatter_add_is_differentiated_by_its_gather() -> None:
    """g = d/dx sum(x[i]^2) = 2 c x; d/dx sum(g^2) = 8 c^2 x."""
    x = cr.tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)
    index = (np.array([1, 1, 0]), np.array([0, 0, 1]))
    counts = np.array([[0.0, 1.0], [2.0, 0.0]])
    (g,) = cr.autograd.grad((x[index] ** 2).sum(), x, create_graph=True)
    assert type(g.grad_fn).__name__ == "ScatterAdd"
    np.testing.assert_allclose(g.data, 2 * counts * x.data)
    (gg,) = cr.autograd.grad((g**2).sum(), x)
    np.testing.assert_allclose(gg.data, 8 * counts**2 * x.data)


@pytest.mark.parametrize(
    ("shape", "index"),
    [
        ((5,), (np.array([4, 4, 0, -1]),)),
        ((5, 3), (np.array([[4, 1], [4, 4]]),)),
        ((5, 3, 2), (np.array([-1, 4, 0, -5]), Ellipsis)),
        ((5, 0), (np.array([1, 1]), slice(None))),
        ((5, 3), (slice(None), np.array([2, 2, -3]))),
        ((2, 3, 4), (np.array([1, 1]), slice(None, None, -1), np.array([0, 0]))),
        ((2, 3, 4), (Ellipsis, np.array([3, 3, 3]))),
        ((4, 3), (np.array([True, False, True, True]), slice(1, None))),
        ((4, 3), (slice(None, None, -2), 1)),
    ],
)
def test_scatter_paths_agree_with_numpy_add_at(shape, index) -> None:
    """Each path (assignment, rows, flat positions) against plain np.add.at."""
    normalized, repeats = _normalize_index(index)
    target = np.empty(shape)[normalized].shape
    values = np.random.default_rng(0).standard_normal(target)
    expected = np.zeros(shape)
    np.add.at(expected, normalized, values)
    np.testing.assert_allclose(
        _scatter_add_array(values, normalized, shape, repeats), expected
    )


def test_scatter_add_values_broadcast_to_the_indexed_shape() -> None:
    values = cr.tensor([1.0, 10.0], requires_grad=True)
    out = cr.scatter_add(values, (np.array([0, 0, 2]), slice(None)), (3, 2))
    np.testing.assert_array_equal(out.data, [[2, 20], [0, 0], [1, 10]])
    out.backward(np.ones((3, 2)))
    np.testing.assert_array_equal(values.grad.data, [3.0, 3.0])


# --- errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "index", "expected"),
    [
        ((3,), 5, ["getitem", "[5]", "(3,)", "out of bounds", "-n..n-1"]),
        ((3,), -4, ["[-4]", "(3,)", "out of bounds"]),
        ((2, 3), (slice(None), [0, 3]), ["[:, [0, 3]]", "(2, 3)", "axis 1"]),
        ((2, 3), np.arange(20), ["int64 array of shape (20,)", "(2, 3)"]),
        ((3,), np.array([True, False]), ["[[True, False]]", "(3,)", "boolean"]),
        ((3,), (0, 1), ["[0, 1]", "(3,)", "too many indices", "at most 1 axis"]),
        ((3,), 1.5, ["[1.5]", "(3,)", ".astype(int)"]),
        ((3,), cr.tensor([1.0]), ["[[1.0]]", "(3,)", ".astype(int)"]),
        ((3,), (Ellipsis, Ellipsis), ["[..., ...]", "(3,)", "ellipsis"]),
    ],
)
def test_bad_index_error_names_the_index_and_the_shape(shape, index, expected):
    x = cr.tensor(np.zeros(shape), requires_grad=True)
    with pytest.raises(IndexingError) as info:
        x[index]
    assert isinstance(info.value, IndexError)
    assert isinstance(info.value, ChainruleError)
    for part in expected:
        assert part in str(info.value)


def test_scatter_add_errors_name_the_op() -> None:
    with pytest.raises(IndexingError, match=r"scatter_add: index \[\[0, 3\]\].*\(2,\)"):
        cr.scatter_add(cr.tensor([1.0, 2.0]), [0, 3], (2,))
    with pytest.raises(
        ShapeError, match=r"scatter_add: values of shape \(3,\).*\(2,\)"
    ):
        cr.scatter_add(cr.tensor([1.0, 2.0, 3.0]), [0, 1], (2,))
