"""Shape ops beyond the op table: edge cases, mixing with arrays, NumPy's names,
higher order, and errors that name what is wrong."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.errors import AxisError, ShapeError
from tests.ops.harness import Case, assert_close, numerical_vjp, run_chainrule
from tests.ops.specs import shape as specs
from tests.ops.test_op_table import check_against_reference


def uniform(*shape: int) -> np.ndarray:
    return np.random.default_rng(sum(shape) + len(shape)).uniform(-2, 2, shape)


def check(spec, case: Case) -> None:
    """Values and gradients against PyTorch, gradients against central differences."""
    check_against_reference(spec, case, seed=3)
    inputs, outputs = run_chainrule(spec, case)
    grads = [np.random.default_rng(4).standard_normal(o.shape) for o in outputs]
    wrt = [x for x, d in zip(inputs, case.differentiable, strict=True) if d]
    analytic = cr.autograd.grad(outputs, wrt, grads, allow_unused=True)
    for a, n in zip(analytic, numerical_vjp(spec, case, grads), strict=True):
        assert_close(0 * n if a is None else a, n, 1e-6, 1e-8, f"{spec.name} {case}")


# Cases the generators draw rarely: 0-d tensors, empty axes, odd cuts.
FIXED = {
    "concatenate_empty_first": (
        specs.CONCATENATE,
        Case([uniform(0, 3), uniform(2, 3)], [True, True], {"axis": 0}),
    ),
    "concatenate_all_empty": (
        specs.CONCATENATE,
        Case([uniform(2, 0), uniform(2, 0)], [True, False], {"axis": 1}),
    ),
    "concatenate_flat": (
        specs.CONCATENATE,
        Case([uniform(), uniform(2, 2)], [True, True], {"axis": None}),
    ),
    "stack_0d": (
        specs.STACK,
        Case([uniform(), uniform()], [True, True], {"axis": 0}),
    ),
    "stack_last_axis": (
        specs.STACK,
        Case([uniform(2, 3), uniform(2, 3)], [False, True], {"axis": -1}),
    ),
    "stack_empty": (
        specs.STACK,
        Case([uniform(0, 2), uniform(0, 2)], [True, True], {"axis": 1}),
    ),
    "split_empty_axis": (
        specs.SPLIT,
        Case([uniform(0, 2), 3, 0], [True, False, False]),
    ),
    "split_sections": (specs.SPLIT, Case([uniform(2, 6), 3, 1], [True, False, False])),
    "split_overlapping": (
        specs.SPLIT,
        Case([uniform(5, 2), [3, 1], 0], [True, False, False]),
    ),
    "split_clipped": (
        specs.SPLIT,
        Case([uniform(5), [-2, 7], 0], [True, False, False]),
    ),
    "pad_0d": (specs.PAD, Case([uniform(), 2], [True, False], {"mode": "constant"})),
    "pad_empty": (
        specs.PAD,
        Case([uniform(0, 3), ((1, 2), (0, 1))], [True, False], {"mode": "constant"}),
    ),
    "pad_reflect_3d": (
        specs.PAD,
        Case([uniform(3, 3, 4), (1, 2)], [True, False], {"mode": "reflect"}),
    ),
    "pad_wrap_full": (
        specs.PAD,
        Case([uniform(3, 2), ((3, 3), (0, 2))], [True, False], {"mode": "wrap"}),
    ),
    "squeeze_0d": (specs.SQUEEZE, Case([uniform(), None], [True, False])),
    "squeeze_empty": (specs.SQUEEZE, Case([uniform(1, 0, 1), (0, -1)], [True, False])),
    "expand_dims_0d": (specs.EXPAND_DIMS, Case([uniform(), (0, -1)], [True, False])),
    "flatten_0d": (specs.FLATTEN, Case([uniform(), 0, -1], [True, False, False])),
    "flatten_middle": (
        specs.FLATTEN,
        Case([uniform(2, 0, 3, 2), 1, 2], [True, False, False]),
    ),
    "expand_keep": (specs.EXPAND, Case([uniform(3, 1), (2, -1, 4)], [True, False])),
    "moveaxis_several": (
        specs.MOVEAXIS,
        Case([uniform(2, 3, 4), (0, 1), (-1, 0)], [True, False, False]),
    ),
}


@pytest.mark.parametrize(("spec", "case"), FIXED.values(), ids=FIXED.keys())
def test_fixed_cases_match_pytorch_and_central_differences(spec, case) -> None:
    check(spec, case)


# --- semantics -------------------------------------------------------------------


def test_concatenate_mixes_tensors_and_arrays_and_promotes_as_numpy() -> None:
    x = cr.tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    constant = np.full((1, 2), 7.0)
    y = cr.concatenate([constant, x, [[5.0, 6.0]]], axis=0)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.data, [[7, 7], [1, 1], [1, 1], [5, 6]])
    y.backward(np.arange(8.0).reshape(4, 2))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [[2, 3], [4, 5]])


def test_stack_gives_each_tensor_its_slice_of_the_gradient() -> None:
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = np.array([3.0, 4.0])
    y = cr.stack([a, b, a], axis=1)
    np.testing.assert_array_equal(y.data, [[1, 3, 1], [2, 4, 2]])
    y.backward(np.array([[1.0, 10.0, 100.0], [2.0, 20.0, 200.0]]))
    np.testing.assert_array_equal(a.grad.data, [101.0, 202.0])


def test_split_is_one_node_and_unused_sections_get_zero_gradient() -> None:
    x = cr.tensor(np.arange(6.0), requires_grad=True)
    first, middle, last = cr.split(x, [2, 4])
    assert first.grad_fn is middle.grad_fn is last.grad_fn
    (middle * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0, 3, 3, 0, 0])


def test_split_with_decreasing_cuts_overlaps_like_numpy() -> None:
    """np.split(x, [3, 1]) is x[:3], x[3:1] (empty), x[1:]: x[1], x[2] twice."""
    x = cr.tensor(np.arange(5.0), requires_grad=True)
    parts = cr.split(x, [3, 1])
    expected = np.split(np.arange(5.0), [3, 1])
    for part, want in zip(parts, expected, strict=True):
        np.testing.assert_array_equal(part.data, want)
    (parts[0].sum() + parts[2].sum()).backward()
    np.testing.assert_array_equal(x.grad.data, [1, 2, 2, 1, 1])


@pytest.mark.parametrize("mode", ["wrap", "reflect", "symmetric", "edge"])
def test_pad_wider_than_the_axis_repeats_as_numpy(mode: str) -> None:
    """PyTorch refuses these widths; NumPy's value and central differences decide."""
    data = uniform(3, 2)
    case = Case([data, ((7, 5), (4, 3))], [True, False], {"mode": mode})
    x = cr.tensor(data, requires_grad=True)
    y = cr.pad(x, ((7, 5), (4, 3)), mode=mode)
    np.testing.assert_array_equal(y.data, np.pad(data, ((7, 5), (4, 3)), mode=mode))
    grad = np.random.default_rng(5).standard_normal(y.shape)
    (analytic,) = cr.autograd.grad(y, x, grad)
    (numeric,) = numerical_vjp(specs.PAD, case, [grad])
    assert_close(analytic, numeric, 1e-6, 1e-8, f"pad {mode}")


def test_pad_constant_values_and_dict_widths_follow_numpy() -> None:
    data = uniform(2, 3)
    x = cr.tensor(data, requires_grad=True)
    y = cr.pad(x, {1: (2, 1)}, constant_values=-1.5)
    np.testing.assert_array_equal(
        y.data, np.pad(data, {1: (2, 1)}, constant_values=-1.5)
    )
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3)))


def test_flatten_and_ravel_of_0d_give_one_element() -> None:
    x = cr.tensor(2.0, requires_grad=True)
    assert cr.flatten(x).shape == (1,)
    assert cr.ravel(x).shape == (1,)
    (cr.flatten(x) * 3).sum().backward()
    assert x.grad.shape == ()
    assert float(x.grad) == 3.0


def test_tensor_expand_keeps_lengths_given_as_minus_one() -> None:
    x = cr.tensor(np.ones((3, 1)), requires_grad=True)
    y = x.expand(2, -1, 4)
    assert y.shape == (2, 3, 4)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((3, 1), 8.0))


# --- NumPy's functions on tensors ---------------------------------------------------

NUMPY_CALLS = {
    "concatenate": (lambda f, x: f([x, x * 2], axis=1), np.concatenate, cr.concatenate),
    "stack": (lambda f, x: f([x, x * 2], axis=-1), np.stack, cr.stack),
    "split": (lambda f, x: f(x, [1], axis=1)[1] * 2, np.split, cr.split),
    "pad": (lambda f, x: f(x, 1, mode="reflect"), np.pad, cr.pad),
    "squeeze": (lambda f, x: f(x[:, :1], axis=1), np.squeeze, cr.squeeze),
    "expand_dims": (lambda f, x: f(x, (0, 2)), np.expand_dims, cr.expand_dims),
    "ravel": (lambda f, x: f(x), np.ravel, cr.ravel),
    "moveaxis": (lambda f, x: f(x, 0, -1), np.moveaxis, cr.moveaxis),
}


@pytest.mark.parametrize(
    ("call", "numpy_fn", "ours"), NUMPY_CALLS.values(), ids=NUMPY_CALLS.keys()
)
def test_numpy_functions_on_tensors_run_the_chainrule_op(call, numpy_fn, ours) -> None:
    data = uniform(2, 3)
    x = cr.tensor(data, requires_grad=True)
    y = call(numpy_fn, x)
    assert isinstance(y, cr.Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, call(numpy_fn, data))
    (ours_grad,) = cr.autograd.grad(call(ours, x), x, np.ones(y.shape))
    (numpy_grad,) = cr.autograd.grad(y, x, np.ones(y.shape))
    np.testing.assert_array_equal(numpy_grad.data, ours_grad.data)


# --- higher order ------------------------------------------------------------------


def hessian_vector(f, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    t = cr.tensor(x, requires_grad=True)
    (g,) = cr.autograd.grad(f(t), t, create_graph=True)
    (hv,) = cr.autograd.grad((g * cr.tensor(v)).sum(), t)
    return hv.data


def torch_hessian_vector(f, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    t = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(f(t), t, create_graph=True)
    (hv,) = torch.autograd.grad((g * torch.tensor(v)).sum(), t)
    return hv.numpy()


HIGHER_ORDER = {
    "sum_axis_expand_dims": (
        lambda x: (x.sum(axis=1) ** 2).sum(),
        lambda x: (x.sum(dim=1) ** 2).sum(),
    ),
    "split_concatenate": (
        lambda x: (
            cr.concatenate(cr.split(x, [1], axis=1)[::-1], axis=1) ** 3
            * cr.tensor(uniform(2, 3))
        ).sum(),
        lambda x: (
            torch.cat(torch.tensor_split(x, [1], dim=1)[::-1], dim=1) ** 3
            * torch.tensor(uniform(2, 3))
        ).sum(),
    ),
    "split_overlapping": (
        lambda x: sum((p**3).sum() for p in cr.split(x, [2, 1], axis=1)),
        lambda x: sum((p**3).sum() for p in torch.tensor_split(x, [2, 1], dim=1)),
    ),
    "stack_squeeze": (
        lambda x: (cr.stack([x, x**2], axis=0)[:, :1].squeeze(1) ** 2).sum(),
        lambda x: (torch.stack([x, x**2], dim=0)[:, :1].squeeze(1) ** 2).sum(),
    ),
    "pad_reflect": (
        lambda x: (cr.pad(x, ((0, 0), (2, 1)), mode="reflect") ** 3).sum(),
        lambda x: (torch.nn.functional.pad(x[None], (2, 1), mode="reflect") ** 3).sum(),
    ),
    "pad_constant": (
        lambda x: (cr.pad(x, 1, constant_values=0.5) ** 3).sum(),
        lambda x: (torch.nn.functional.pad(x, (1, 1, 1, 1), value=0.5) ** 3).sum(),
    ),
}


@pytest.mark.parametrize(
    ("ours", "theirs"), HIGHER_ORDER.values(), ids=HIGHER_ORDER.keys()
)
def test_hessian_vector_products_match_pytorch(ours, theirs) -> None:
    x, v = uniform(2, 3), uniform(3, 2).reshape(2, 3)
    np.testing.assert_allclose(
        hessian_vector(ours, x, v), torch_hessian_vector(theirs, x, v), rtol=1e-10
    )


# --- errors --------------------------------------------------------------------


def raises(error, call, *parts: str) -> None:
    with pytest.raises(error) as info:
        call()
    for part in parts:
        assert part in str(info.value), f"{part!r} not in {info.value}"


def test_squeeze_errors() -> None:
    x = cr.tensor(np.zeros((2, 1, 3)))
    raises(
        ShapeError,
        lambda: cr.squeeze(x, 2),
        "squeeze",
        "axis 2",
        "(2, 1, 3)",
        "length 3",
    )
    raises(ShapeError, lambda: x.squeeze((1, -3)), "axis -3", "length 2")
    raises(AxisError, lambda: cr.squeeze(x, 3), "squeeze", "axis 3", "3 dimensions")
    raises(AxisError, lambda: cr.squeeze(x, (1, 1)), "squeeze", "twice")


def test_expand_dims_and_unsqueeze_errors() -> None:
    x = cr.tensor(np.zeros((2, 3)))
    raises(
        AxisError,
        lambda: cr.expand_dims(x, 3),
        "expand_dims",
        "axis 3",
        "(2, 3)",
        "-3 to 2",
    )
    raises(AxisError, lambda: cr.expand_dims(x, (0, 4)), "axis 4", "-4 to 3")
    raises(AxisError, lambda: cr.expand_dims(x, (0, -4)), "expand_dims", "twice")
    raises(AxisError, lambda: cr.unsqueeze(x, -4), "unsqueeze", "axis -4", "(2, 3)")
    raises(AxisError, lambda: cr.unsqueeze(x, (0, 1)), "unsqueeze", "expand_dims")


def test_expand_flatten_moveaxis_errors() -> None:
    x = cr.tensor(np.zeros((2, 3)))
    raises(ShapeError, lambda: cr.expand(x, 3), "expand", "(3,)", "(2, 3)")
    raises(ShapeError, lambda: cr.expand(x, -1, 2, 3), "expand", "-1", "new axis")
    raises(ShapeError, lambda: x.expand(4, 3), "expand", "(2, 3)", "(4, 3)")
    raises(
        AxisError,
        lambda: cr.flatten(x, 1, 0),
        "flatten",
        "start_axis 1",
        "end_axis 0",
        "(2, 3)",
    )
    raises(AxisError, lambda: cr.flatten(x, 2), "flatten", "axis 2")
    raises(AxisError, lambda: cr.moveaxis(x, (0, 1), 0), "moveaxis", "as many")
    raises(AxisError, lambda: cr.moveaxis(x, (0, 0), (0, 1)), "moveaxis", "twice")


def test_concatenate_errors_name_shapes_and_axis() -> None:
    a, b = cr.tensor(np.zeros((2, 3))), cr.tensor(np.zeros((2, 4)))
    raises(ShapeError, lambda: cr.concatenate([]), "concatenate", "no tensors")
    raises(
        ShapeError,
        lambda: cr.concatenate([a, b]),
        "concatenate",
        "(2, 3)",
        "(2, 4)",
        "axis 0",
    )
    raises(
        AxisError,
        lambda: cr.concatenate([a, a], axis=2),
        "concatenate",
        "axis 2",
        "(2, 3), (2, 3)",
        "-2 to 1",
    )
    raises(
        ShapeError,
        lambda: cr.concatenate([a, np.zeros(3)]),
        "concatenate",
        "(2, 3), (3,)",
        "numbers of dimensions",
    )
    raises(
        ShapeError,
        lambda: cr.cat([cr.tensor(1.0), cr.tensor(2.0)]),
        "0-d",
        "(), ()",
        "stack",
    )
    raises(TypeError, lambda: cr.concatenate(a), "concatenate", "list", "(2, 3)")


def test_stack_errors_name_shapes_and_axis() -> None:
    a, b = cr.tensor(np.zeros((2, 3))), cr.tensor(np.zeros((3, 2)))
    raises(ShapeError, lambda: cr.stack([]), "stack", "no tensors")
    raises(
        ShapeError,
        lambda: cr.stack([a, b], axis=1),
        "stack",
        "(2, 3), (3, 2)",
        "axis 1",
        "same shape",
    )
    raises(
        AxisError,
        lambda: cr.stack([a, a], axis=-4),
        "stack",
        "axis -4",
        "(2, 3)",
        "-3 to 2",
    )


def test_split_errors() -> None:
    x = cr.tensor(np.zeros((2, 5)))
    raises(
        ShapeError,
        lambda: cr.split(x, 2, axis=1),
        "split",
        "axis 1",
        "(2, 5)",
        "length 5",
        "2 equal sections",
        "indices",
    )
    raises(ShapeError, lambda: cr.split(x, 0), "split", "0 equal sections")
    raises(ShapeError, lambda: cr.split(x, [[1], [2]]), "split", "1-D")
    raises(AxisError, lambda: cr.split(x, 1, axis=2), "split", "axis 2", "(2, 5)")
    raises(AxisError, lambda: cr.split(cr.tensor(1.0), 1), "split", "axis 0", "()")


def test_pad_errors_and_unsupported_modes() -> None:
    x = cr.tensor(np.zeros((2, 3)), requires_grad=True)
    raises(
        ShapeError, lambda: cr.pad(x, ((1, -1), (0, 0))), "pad", "negative", "(2, 3)"
    )
    raises(
        ShapeError,
        lambda: cr.pad(x, (1, 2, 3)),
        "pad",
        "(1, 2, 3)",
        "(2, 3)",
        "2 (before, after) pairs",
    )
    raises(TypeError, lambda: cr.pad(x, 1.5), "pad", "ints", "1.5")
    raises(
        NotImplementedError,
        lambda: cr.pad(x, 1, mode="mean"),
        "pad",
        "'mean'",
        "not implemented",
        "mode='constant'",
        "concatenate",
    )
    raises(
        NotImplementedError,
        lambda: cr.pad(x, 1, mode=lambda *a: None),
        "pad",
        "not implemented",
    )
    raises(
        ValueError, lambda: cr.pad(x, 1, mode="mirror"), "pad", "'mirror'", "'reflect'"
    )
    raises(
        ValueError,
        lambda: cr.pad(x, 1, mode="edge", constant_values=2.0),
        "constant_values",
        "'edge'",
    )
    raises(
        ShapeError,
        lambda: cr.pad(cr.tensor(np.zeros((0, 2))), 1, mode="wrap"),
        "pad",
        "'wrap'",
        "axis 0",
        "(0, 2)",
        "mode='constant'",
    )
    bound = cr.tensor(1.0, requires_grad=True)
    raises(
        TypeError,
        lambda: cr.pad(x, 1, constant_values=bound),
        "pad",
        "constant_values",
        "requires grad",
    )
