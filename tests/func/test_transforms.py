"""The transforms against analytic derivatives and torch.func, in float64.

Most functions are written once with a library argument (``cr`` or
``torch``) so both sides compute the same thing; the derivative on each side
comes only from its own transform.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.func

import chainrule as cr
from chainrule import func

RTOL, ATOL = 1e-10, 1e-12

# torch.func's forward-mode transforms call the deprecated torch.jit.script.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)


def value(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.data)


def assert_same(ours: Any, theirs: Any, what: str = "") -> None:
    """Equal structure (tuples nested alike) and values."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple), f"{what}: {type(ours).__name__}, not a tuple"
        assert len(ours) == len(theirs), f"{what}: length"
        for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(a, b, f"{what}[{k}]")
        return
    assert isinstance(ours, cr.Tensor), f"{what}: {type(ours).__name__}"
    np.testing.assert_allclose(value(ours), value(theirs), RTOL, ATOL, err_msg=what)
    assert ours.shape == tuple(theirs.shape), what


def arrays(*shapes: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def both(values: list[np.ndarray]) -> tuple[list[cr.Tensor], list[torch.Tensor]]:
    return [cr.tensor(v) for v in values], [torch.tensor(v) for v in values]


# --- analytic -------------------------------------------------------------------


@pytest.mark.parametrize("x", [-1.3, 0.5, 2.0])
def test_third_and_fourth_derivatives_of_x_to_the_fourth(x: float) -> None:
    def f(t):
        return t**4

    d3 = func.grad(func.grad(func.grad(f)))
    d4 = func.grad(d3)
    assert d3(x).item() == pytest.approx(24 * x, rel=1e-12)
    assert d4(x).item() == pytest.approx(24.0, rel=1e-12)


def test_fifth_derivative_of_x_to_the_fourth_is_zero() -> None:
    d4 = func.grad(func.grad(func.grad(func.grad(lambda t: t**4))))
    assert func.grad(d4)(1.5).item() == 0.0


def test_derivatives_of_a_vector_function_elementwise() -> None:
    # sum(sin(x)): gradient cos(x), Hessian diag(-sin(x)), third along v.
    (x,) = arrays((5,))
    f = lambda t: cr.sin(t).sum()  # noqa: E731
    np.testing.assert_allclose(value(func.grad(f)(x)), np.cos(x), RTOL)
    np.testing.assert_allclose(value(func.hessian(f)(x)), np.diag(-np.sin(x)), RTOL)
    _, (hv,) = func.hvp(f, (x,), (np.ones(5),))
    np.testing.assert_allclose(value(hv), -np.sin(x), RTOL)


def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose() -> None:
    a, x = arrays((4, 4), (4,))
    h = func.hessian(lambda t: t @ cr.tensor(a) @ t)(x)
    np.testing.assert_allclose(value(h), a + a.T, RTOL, ATOL)
    # The same at any other point: a quadratic's Hessian is constant.
    h_elsewhere = func.hessian(lambda t: t @ cr.tensor(a) @ t)(x + 3.0)
    np.testing.assert_allclose(value(h_elsewhere), a + a.T, RTOL, ATOL)


def test_gradient_of_a_quadratic_form_and_its_hvp() -> None:
    a, x, v = arrays((3, 3), (3,), (3,))
    f = lambda t: t @ cr.tensor(a) @ t  # noqa: E731
    np.testing.assert_allclose(value(func.grad(f)(x)), (a + a.T) @ x, RTOL)
    value_, (hv,) = func.hvp(f, (x,), (v,))
    assert value_.item() == pytest.approx(x @ a @ x, rel=1e-12)
    np.testing.assert_allclose(value(hv), (a + a.T) @ v, RTOL)


# --- against torch.func ---------------------------------------------------------


def mlp_loss(lib: Any, w1, b1, w2, b2, x, y):
    """Mean squared error of a 3-5-2 tanh MLP."""
    h = lib.tanh(x @ w1 + b1)
    return ((h @ w2 + b2 - y) ** 2).mean()


MLP_SHAPES = [(3, 5), (5,), (5, 2), (2,)]


def test_hessian_of_an_mlp_loss_matches_torch_func_hessian() -> None:
    params = arrays(*MLP_SHAPES, seed=1)
    x, y = arrays((6, 3), (6, 2), seed=2)
    ours_p, theirs_p = both(params)
    argnums = (0, 1, 2, 3)

    ours = func.hessian(
        lambda *p: mlp_loss(cr, *p, cr.tensor(x), cr.tensor(y)), argnums=argnums
    )(*ours_p)
    theirs = torch.func.hessian(
        lambda *p: mlp_loss(torch, *p, torch.tensor(x), torch.tensor(y)),
        argnums=argnums,
    )(*theirs_p)

    assert_same(ours, theirs, "H")
    for i, shape_i in enumerate(MLP_SHAPES):
        for j, shape_j in enumerate(MLP_SHAPES):
            assert ours[i][j].shape == shape_i + shape_j


def test_hessian_of_a_flat_mlp_loss_matches_torch_autograd_functional() -> None:
    params = arrays(*MLP_SHAPES, seed=3)
    x, y = arrays((4, 3), (4, 2), seed=4)
    flat = np.concatenate([p.ravel() for p in params])
    cuts = np.cumsum([int(np.prod(s)) for s in MLP_SHAPES])[:-1]

    def loss(lib, theta):
        bounds = zip([0, *cuts], [*cuts, len(flat)], strict=True)
        pieces = [theta[a:b] for a, b in bounds]
        p = [piece.reshape(s) for piece, s in zip(pieces, MLP_SHAPES, strict=True)]
        return mlp_loss(lib, *p, lib.tensor(x), lib.tensor(y))

    ours = func.hessian(lambda t: loss(cr, t))(flat)
    theirs = torch.autograd.functional.hessian(
        lambda t: loss(torch, t), torch.tensor(flat)
    )
    assert ours.shape == (len(flat), len(flat))
    np.testing.assert_allclose(value(ours), value(theirs), RTOL, ATOL)
    np.testing.assert_allclose(value(ours), value(ours).T, RTOL, ATOL)


def vector_functions(lib: Any) -> list[Any]:
    """Functions of (x of shape (3,), w of shape (3, 2)), various outputs."""
    return [
        lambda x, w: lib.exp(x) * w.sum(),
        lambda x, w: lib.tanh(x @ w),
        lambda x, w: (x[:, None] * w) ** 2,  # output (3, 2)
        lambda x, w: (lib.sin(x @ w).sum(), lib.cos(x) * 2.0),  # two outputs
    ]


@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1, 0), -1])
def test_jacobian_matches_torch_func_jacrev(index: int, argnums: Any) -> None:
    ours_args, theirs_args = both(arrays((3,), (3, 2), seed=index))
    ours = func.jacobian(vector_functions(cr)[index], argnums=argnums)(*ours_args)
    theirs = torch.func.jacrev(vector_functions(torch)[index], argnums=argnums)(
        *theirs_args
    )
    assert_same(ours, theirs, f"J of function {index}, argnums={argnums}")


def test_jacobian_of_a_0d_and_of_an_empty_output() -> None:
    (x,) = arrays((3,))
    j = func.jacobian(lambda t: (t**2).sum())(x)
    np.testing.assert_allclose(value(j), 2 * x, RTOL)
    empty = func.jacobian(lambda t: t[:0] * 2.0)(x)
    assert empty.shape == (0, 3)


def test_jacobian_of_the_gradient_is_the_hessian() -> None:
    params = arrays(*MLP_SHAPES, seed=5)
    x, y = arrays((4, 3), (4, 2), seed=6)

    def f(w1):
        return mlp_loss(cr, w1, *params[1:], cr.tensor(x), cr.tensor(y))

    def ft(w1):
        rest = [torch.tensor(p) for p in params[1:]]
        return mlp_loss(torch, w1, *rest, torch.tensor(x), torch.tensor(y))

    h = func.hessian(f)(params[0])
    np.testing.assert_allclose(
        value(func.jacobian(func.grad(f))(params[0])), value(h), RTOL, ATOL
    )
    theirs = torch.func.jacrev(torch.func.grad(ft))(torch.tensor(params[0]))
    np.testing.assert_allclose(value(h), value(theirs), RTOL, ATOL)


def scalar_functions(lib: Any) -> list[Any]:
    """Scalar functions of (a of shape (2, 3), b of shape (3,))."""
    return [
        lambda a, b: (lib.tanh(a @ b) ** 2).sum(),
        lambda a, b: (lib.exp(a * b) / (1.0 + b**2)).mean(),
        lambda a, b: (lib.sin(a).sum(0) * b**3).sum() * (a**2).mean(),
    ]


@pytest.mark.parametrize("index", range(3))
def test_hvp_matches_forward_over_reverse_in_torch_func(index: int) -> None:
    primals, tangents = arrays((2, 3), (3,), seed=index), arrays((2, 3), (3,), seed=9)
    ours_p, theirs_p = both(primals)
    ours_t, theirs_t = both(tangents)
    f, ft = scalar_functions(cr)[index], scalar_functions(torch)[index]

    value_, ours = func.hvp(f, tuple(ours_p), tuple(ours_t))
    grad_all = torch.func.grad(ft, argnums=(0, 1))
    _, theirs = torch.func.jvp(grad_all, tuple(theirs_p), tuple(theirs_t))

    assert_same(ours, theirs, "Hv")
    assert_same(value_, ft(*theirs_p), "value")
    # And against the Hessian this hvp never forms.
    h = func.hessian(f, argnums=(0, 1))(*ours_p)
    for i in range(2):
        rows = sum(
            value(h[i][j]).reshape(primals[i].size, -1) @ tangents[j].ravel()
            for j in range(2)
        )
        np.testing.assert_allclose(value(ours[i]).ravel(), rows, RTOL, ATOL)


@pytest.mark.parametrize("index", range(4))
def test_jvp_matches_torch_func_jvp(index: int) -> None:
    ours_p, theirs_p = both(arrays((3,), (3, 2), seed=index))
    ours_t, theirs_t = both(arrays((3,), (3, 2), seed=index + 10))
    ours = func.jvp(vector_functions(cr)[index], tuple(ours_p), tuple(ours_t))
    theirs = torch.func.jvp(
        vector_functions(torch)[index], tuple(theirs_p), tuple(theirs_t)
    )
    assert_same(ours, theirs, f"jvp of function {index}")


@pytest.mark.parametrize("index", range(4))
def test_vjp_matches_torch_func_vjp_and_can_be_called_again(index: int) -> None:
    ours_p, theirs_p = both(arrays((3,), (3, 2), seed=index))
    out, vjp_fn = func.vjp(vector_functions(cr)[index], *ours_p)
    out_t, vjp_fn_t = torch.func.vjp(vector_functions(torch)[index], *theirs_p)
    assert_same(out, out_t, "output")

    several = isinstance(out_t, tuple)
    shapes = [tuple(o.shape) for o in (out_t if several else [out_t])]
    for seed in (20, 21):
        ours_c, theirs_c = both(arrays(*shapes, seed=seed))
        if several:
            assert_same(vjp_fn(tuple(ours_c)), vjp_fn_t(tuple(theirs_c)), "vjp")
        else:
            assert_same(vjp_fn(ours_c[0]), vjp_fn_t(theirs_c[0]), "vjp")


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1,), (-1, 0)])
def test_grad_and_value_and_grad_with_argnums_match_torch_func(argnums: Any) -> None:
    ours_args, theirs_args = both(arrays((2, 3), (3,), seed=7))
    f, ft = scalar_functions(cr)[0], scalar_functions(torch)[0]
    expected = torch.func.grad(ft, argnums=argnums)(*theirs_args)
    assert_same(func.grad(f, argnums=argnums)(*ours_args), expected, "grad")

    value_, gradient = func.value_and_grad(f, argnums=argnums)(*ours_args)
    assert_same(gradient, expected, "value_and_grad")
    assert_same(value_, ft(*theirs_args), "value")


def with_aux(lib: Any) -> Any:
    def f(x, w):
        h = lib.tanh(x @ w)
        aux = {"h": h, "note": "kept"} if lib is cr else {"h": h}
        return (h**2).sum(), aux

    return f


def test_has_aux_returns_aux_untouched_like_torch_func() -> None:
    ours_args, theirs_args = both(arrays((3,), (3, 2), seed=8))
    g, aux = func.grad(with_aux(cr), has_aux=True)(*ours_args)
    gt, aux_t = torch.func.grad(with_aux(torch), has_aux=True)(*theirs_args)
    assert_same(g, gt, "grad")
    assert_same(aux["h"], aux_t["h"], "aux")
    assert aux["note"] == "kept"
    assert not aux["h"].requires_grad

    (value_, aux), g = func.value_and_grad(with_aux(cr), argnums=1, has_aux=True)(
        *ours_args
    )
    (value_t, _), gt = torch.func.grad_and_value(
        with_aux(torch), argnums=1, has_aux=True
    )(*theirs_args)[::-1]
    assert_same(g, gt, "value_and_grad")
    assert_same(value_, value_t, "value")


def test_has_aux_for_jacobian_vjp_and_jvp() -> None:
    def f(lib):
        return lambda x: (lib.exp(x) * x, x.sum())

    (x,) = arrays((3,))
    ours_x, theirs_x = both([x])
    j, aux = func.jacobian(f(cr), has_aux=True)(ours_x[0])
    jt, aux_t = torch.func.jacrev(f(torch), has_aux=True)(theirs_x[0])
    assert_same(j, jt, "J")
    assert_same(aux, aux_t, "aux")

    out, vjp_fn, aux = func.vjp(f(cr), ours_x[0], has_aux=True)
    out_t, vjp_fn_t, aux_t = torch.func.vjp(f(torch), theirs_x[0], has_aux=True)
    assert_same(out, out_t, "output")
    assert_same(vjp_fn(cr.ones(3)), vjp_fn_t(torch.ones(3, dtype=torch.float64)))
    assert_same(aux, aux_t, "aux")

    ours = func.jvp(f(cr), (ours_x[0],), (cr.ones(3),), has_aux=True)
    theirs = torch.func.jvp(
        f(torch), (theirs_x[0],), (torch.ones(3, dtype=torch.float64),), has_aux=True
    )
    assert_same(ours, theirs, "jvp")


def test_grad_of_grad_of_a_function_of_two_variables() -> None:
    # d/dx d/dy (x² y³) = 6 x y²
    def f(lib):
        return lambda x, y: x**2 * y**3

    x, y = 1.5, -0.7
    ours = func.grad(func.grad(f(cr), argnums=1), argnums=0)(x, y)
    theirs = torch.func.grad(torch.func.grad(f(torch), argnums=1), argnums=0)(
        torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    )
    assert ours.item() == pytest.approx(6 * x * y**2, rel=1e-12)
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)


def test_a_grad_inside_the_function_of_another_keeps_variables_apart() -> None:
    # f(x) = x * d/dy (x * y) = x², so f'(x) = 2x. Confusing the two
    # derivatives (perturbation confusion) would give another answer.
    def f(lib_grad):
        return lambda x: x * lib_grad(lambda y: x * y)(x)

    x = 1.7
    ours = func.grad(f(func.grad))(x)
    theirs = torch.func.grad(f(torch.func.grad))(torch.tensor(x, dtype=torch.float64))
    assert ours.item() == pytest.approx(2 * x, rel=1e-12)
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)


def test_float32_stays_float32() -> None:
    x = np.array([0.5, -1.0], np.float32)
    assert func.grad(lambda t: (t**3).sum())(x).dtype == np.float32
    assert func.hessian(lambda t: (t**3).sum())(x).dtype == np.float32
    assert func.jacobian(lambda t: cr.tanh(t))(x).dtype == np.float32
