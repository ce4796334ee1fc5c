"""What a transform does with its arguments, and when its result carries a graph."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import func, nn


def cube_sum(x):
    return (x**3).sum()


@pytest.mark.parametrize("requires_grad", [False, True])
def test_the_callers_tensor_is_neither_changed_nor_given_a_grad(
    requires_grad: bool,
) -> None:
    x = cr.tensor([1.0, -2.0], requires_grad=requires_grad)
    before = x.data.copy()
    for transform in (func.grad, func.hessian, func.jacobian):
        transform(cube_sum)(x)
    func.hvp(cube_sum, (x,), (np.ones(2),))
    func.jvp(cube_sum, (x,), (np.ones(2),))
    func.vjp(cube_sum, x)[1](cr.tensor(1.0))

    assert x.grad is None
    assert x.requires_grad is requires_grad
    assert x.is_leaf
    np.testing.assert_array_equal(x.data, before)


def test_arrays_and_python_floats_are_accepted_and_left_alone() -> None:
    x = np.array([1.0, 2.0])
    g = func.grad(cube_sum)(x)
    np.testing.assert_array_equal(g.data, 3 * x**2)
    g.data[0] = 100.0  # the result is the caller's own array, not a view of x
    np.testing.assert_array_equal(x, [1.0, 2.0])
    assert func.grad(lambda t: t**2)(3.0).item() == 6.0
    assert func.grad(lambda t: t**2)(np.float32(3.0)).dtype == np.float32


def test_arguments_not_differentiated_are_passed_as_they_are() -> None:
    def f(x, scale, *, power):
        assert isinstance(scale, int) and power == 3
        return (scale * x**power).sum()

    np.testing.assert_array_equal(
        func.grad(f)(np.array([1.0, 2.0]), 2, power=3).data, [6.0, 24.0]
    )


def test_results_are_plain_tensors_when_nothing_outside_requires_grad() -> None:
    g = func.grad(cube_sum)(cr.tensor([1.0, 2.0]))
    h = func.hessian(cube_sum)(cr.tensor([1.0, 2.0]))
    value, (hv,) = func.hvp(cube_sum, (cr.tensor([1.0, 2.0]),), (np.ones(2),))
    for result in (g, h, value, hv):
        assert not result.requires_grad


def test_an_argument_that_requires_grad_makes_the_result_differentiable() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    g = func.grad(cube_sum)(x)  # 3x²
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_under_no_grad_nothing_is_nested() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        g = func.grad(cube_sum)(x)
        h = func.hessian(cube_sum)(x)
    assert not g.requires_grad
    np.testing.assert_allclose(h.data, np.diag(6 * x.data))


def test_a_closed_over_parameter_makes_the_gradient_differentiable() -> None:
    # The gradient penalty: d/dW of ||d critic/dx||², against PyTorch.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    critic = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    twin = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)
    ).double()
    twin.load_state_dict(
        {k: torch.from_numpy(v) for k, v in critic.state_dict().items()}
    )

    g = func.grad(lambda t: critic(t).sum())(x)
    ((g**2).sum(axis=1) - 1.0).mean().backward()

    xt = torch.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad(twin(xt).sum(), xt, create_graph=True)
    ((gt**2).sum(dim=1) - 1.0).mean().backward()

    np.testing.assert_allclose(g.data, gt.detach().numpy(), rtol=1e-12)
    for (name, p), pt in zip(critic.named_parameters(), twin.parameters(), strict=True):
        if pt.grad is None:  # the last bias: the penalty does not depend on it
            assert p.grad is None, name
            continue
        np.testing.assert_allclose(
            p.grad.data, pt.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name
        )


def test_the_graph_behind_an_argument_is_not_run_nor_freed() -> None:
    w = cr.tensor([0.5, 1.5], requires_grad=True)
    h = cr.exp(w)  # an Exp node with saved values behind the argument
    func.grad(cube_sum)(h)
    func.hessian(cube_sum)(h)
    assert w.grad is None
    h.sum().backward()  # would fail if a transform had freed Exp's values
    np.testing.assert_allclose(w.grad.data, np.exp(w.data))


def test_an_argument_and_its_stand_in_may_meet_in_one_op() -> None:
    # f closes over the caller's x and also gets it as its argument; the
    # stand-in must not be confused with x where an op saves both.
    x = cr.tensor([1.5, -0.5], requires_grad=True)
    g = func.grad(lambda t: (t * x * t).sum())(x)  # d/dt (x t²) = 2 x t
    np.testing.assert_allclose(g.data, 2 * x.data**2)
    (gg,) = cr.autograd.grad(g.sum(), x)  # d/dx sum(2x²) = 4x
    np.testing.assert_allclose(gg.data, 4 * x.data)


def test_vjp_fn_with_a_cotangent_that_requires_grad_is_differentiable() -> None:
    x = np.array([1.0, 2.0])
    _, vjp_fn = func.vjp(lambda t: t**2, x)
    v = cr.tensor([3.0, 4.0], requires_grad=True)
    (product,) = vjp_fn(v)  # 2 x v
    assert product.requires_grad
    (dv,) = cr.autograd.grad(product.sum(), v)
    np.testing.assert_allclose(dv.data, 2 * x)


def test_transforms_under_an_outer_transform_are_differentiated_through() -> None:
    # d/dx of hvp and jvp results, against the analytic third derivative:
    # f = sum(x⁴): H v = 12 x² v, so d/dx sum(H v) = 24 x v.
    x, v = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    f = lambda t: (t**4).sum()  # noqa: E731
    through_hvp = func.grad(lambda t: func.hvp(f, (t,), (v,))[1][0].sum())(x)
    through_jvp = func.grad(lambda t: func.jvp(func.grad(f), (t,), (v,))[1].sum())(x)
    through_vjp = func.grad(lambda t: func.vjp(func.grad(f), t)[1](v)[0].sum())(x)
    for result in (through_hvp, through_jvp, through_vjp):
        np.testing.assert_allclose(result.data, 24 * x * v, rtol=1e-12)


def test_values_returned_inside_an_outer_transform_stay_differentiable() -> None:
    # g(x) = f(x) x with f = sum(x³): J = f I + x ∇fᵀ.
    x = np.array([1.0, 2.0])
    f = lambda t: (t**3).sum()  # noqa: E731
    through_value = func.grad(lambda t: func.value_and_grad(f)(t)[0])(x)
    np.testing.assert_allclose(through_value.data, 3 * x**2)
    j = func.jacobian(lambda t: func.jvp(f, (t,), (np.ones(2),))[0] * t)(x)
    expected = (x**3).sum() * np.eye(2) + np.outer(x, 3 * x**2)
    np.testing.assert_allclose(j.data, expected, rtol=1e-12)
