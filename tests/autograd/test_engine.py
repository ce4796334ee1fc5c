"""The backward walk: reuse, diamonds, accumulation, retain_graph, depth, memory."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import BackwardError, ShapeError


def test_value_used_twice_gets_both_gradients() -> None:
    # y = x * x uses x twice: dy/dx = 2x, the sum of both paths.
    x = cr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, -4.0, 6.0])


def test_diamond_graph_sums_both_branches() -> None:
    # a -> b = 2a, c = a^2 -> d = b * c = 2a^3, dd/da = 6a^2
    a = cr.tensor(1.5, requires_grad=True)
    b = a * 2.0
    c = a**2
    d = b * c
    d.backward()
    assert a.grad.item() == pytest.approx(6 * 1.5**2)


def test_intermediate_with_many_consumers_runs_once_after_all() -> None:
    # h feeds four ops; its node must run only after all four gradients arrived.
    calls = []

    class Record(cr.Function):
        def forward(self, x):
            return x.copy()

        def backward(self, grad):
            calls.append(grad.copy())
            return grad

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = Record.apply(x)
    (h + h * 2.0 + cr.exp(h) + h * h).sum().backward()

    assert len(calls) == 1
    expected = 1 + 2 + np.exp([1.0, 2.0]) + 2 * np.array([1.0, 2.0])
    np.testing.assert_allclose(calls[0], expected)
    np.testing.assert_allclose(x.grad.data, expected)


def test_gradients_accumulate_across_backward_calls_until_zeroed() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w * 3.0).sum().backward()
    (w * 3.0).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [6.0, 6.0])

    w.grad = None
    (w * 3.0).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0])


def test_grad_is_none_until_a_backward_reaches_it() -> None:
    used = cr.tensor([1.0], requires_grad=True)
    unused = cr.tensor([1.0], requires_grad=True)
    (used * 2.0).sum().backward()
    assert unused.grad is None
    assert used.grad is not None


def test_leaves_that_receive_one_shared_gradient_get_separate_arrays() -> None:
    # add passes the same array to both inputs; each leaf must own its .grad.
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(np.array([1.0, 1.0]))
    assert a.grad.data is not b.grad.data
    a.grad.data *= 10
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0])


def test_seed_gradient_is_copied_not_aliased() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([1.0, 1.0])
    x.backward(seed)
    x.grad.data += 5
    np.testing.assert_array_equal(seed, [1.0, 1.0])


def test_broadcast_gradients_are_summed_to_each_input_shape() -> None:
    x = cr.tensor(np.ones((4, 3)), requires_grad=True)
    b = cr.tensor(np.ones(3), requires_grad=True)
    s = cr.tensor(2.0, requires_grad=True)
    (x * b + s).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_array_equal(b.grad.data, [4.0, 4.0, 4.0])
    assert s.grad.shape == ()
    assert s.grad.item() == 12.0


def test_backward_with_explicit_gradient() -> None:
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(gradient=np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, -6.0])


def test_second_backward_through_freed_graph_says_retain_graph() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tanh(x).sum()
    y.backward()
    with pytest.raises(BackwardError, match="retain_graph=True"):
        y.backward()


def test_a_refused_second_backward_changes_no_gradient() -> None:
    # z's gradient arrives through an add, which saves nothing; the refusal
    # must come before it, not after, or z.grad would be doubled.
    x, z = (cr.tensor([1.0, 2.0], requires_grad=True) for _ in range(2))
    y = (x * 2.0 + z).sum()
    y.backward()
    with pytest.raises(BackwardError, match="no gradient was changed"):
        y.backward()
    np.testing.assert_array_equal(z.grad.data, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_grad_through_a_freed_graph_is_refused_too() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tanh(x).sum()
    cr.autograd.grad(y, x)
    with pytest.raises(BackwardError, match="retain_graph=True"):
        cr.autograd.grad(y, x)


def test_retain_graph_allows_second_backward() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tanh(x).sum()
    y.backward(retain_graph=True)
    first = x.grad.data.copy()
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * first)


def test_graph_of_ops_that_save_nothing_can_run_twice() -> None:
    # Like PyTorch: only ops that need their saved values refuse a second pass.
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1.0).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_saved_values_are_released_after_backward() -> None:
    x = cr.tensor(np.ones(1000), requires_grad=True)
    y = cr.exp(x)
    saved = weakref.ref(y.grad_fn.saved[0])
    loss = y.sum()
    del y
    loss.backward()
    gc.collect()
    assert saved() is None


def test_graph_keeps_no_intermediate_tensors_alive() -> None:
    # Holding the loss (e.g. for logging) must not keep activations alive.
    x = cr.tensor(np.ones((100, 100)), requires_grad=True)
    h = x + 1.0
    h_ref = weakref.ref(h)
    loss = (h * 2.0).sum()
    del h
    loss.backward()
    gc.collect()
    assert h_ref() is None
    assert loss.grad_fn is not None


def test_no_reference_cycles_from_nodes_to_their_outputs() -> None:
    # Outputs must die by reference counting alone, without the cycle collector.
    gc.disable()
    try:
        x = cr.tensor(np.ones(10), requires_grad=True)
        y = cr.tanh(x)
        y_ref = weakref.ref(y)
        node_ref = weakref.ref(y.grad_fn)
        del y
        assert y_ref() is None
        assert node_ref() is None
    finally:
        gc.enable()


def test_chain_of_100000_ops_backpropagates_without_recursion_error() -> None:
    x = cr.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_deep_graph_is_freed_without_recursion_error() -> None:
    x = cr.tensor(1.0, requires_grad=True)
    y = x + 0.0
    first = weakref.ref(y.grad_fn)
    for _ in range(100_000):
        y = y + 0.0
    del y  # dropping a long chain of nodes must not overflow the C stack
    gc.collect()
    assert first() is None


def test_no_grad_records_nothing() -> None:
    w = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        y = w * 2.0
    assert not y.requires_grad
    assert y.grad_fn is None
    assert cr.is_grad_enabled()


def test_no_grad_as_decorator_and_enable_grad_inside() -> None:
    w = cr.tensor([1.0], requires_grad=True)

    @cr.no_grad()
    def evaluate():
        inner = w * 2.0
        with cr.enable_grad():
            recorded = w * 2.0
        return inner, recorded

    inner, recorded = evaluate()
    assert not inner.requires_grad
    assert recorded.requires_grad
    assert cr.is_grad_enabled()


def test_no_grad_restores_mode_after_an_exception() -> None:
    with pytest.raises(RuntimeError, match="inside"), cr.no_grad():
        raise RuntimeError("inside")
    assert cr.is_grad_enabled()


def test_detach_cuts_the_graph() -> None:
    x = cr.tensor([2.0], requires_grad=True)
    y = (x * x).detach() * x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [4.0])


def test_backward_on_non_scalar_without_gradient_says_what_to_do() -> None:
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(BackwardError, match=r"shape \(2, 3\).*sum\(\)\.backward"):
        (x * 2.0).backward()


def test_backward_with_gradient_of_wrong_shape_names_both_shapes() -> None:
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ShapeError, match=r"\(3, 2\).*\(2, 3\)"):
        (x * 2.0).backward(np.ones((3, 2)))


def test_backward_on_tensor_without_grad_explains() -> None:
    with pytest.raises(BackwardError, match="requires_grad=True"):
        cr.tensor([1.0]).sum().backward()


def test_backward_from_a_leaf() -> None:
    x = cr.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_grad_returns_gradients_without_touching_dot_grad() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x**3).sum()
    (g,) = cr.autograd.grad(y, x)
    np.testing.assert_allclose(g.data, [3.0, 12.0])
    assert x.grad is None


def test_grad_with_respect_to_an_intermediate_tensor() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    y = (h * h).sum()
    (g_h,) = cr.autograd.grad(y, h)
    np.testing.assert_allclose(g_h.data, 2 * h.data)


class CountingSquare(cr.Function):
    """x², counting how often its backward runs."""

    calls = 0

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad):
        CountingSquare.calls += 1
        (x,) = self.saved
        return 2 * x * grad


def test_grad_runs_only_the_part_of_the_graph_that_leads_to_its_inputs() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    fired = []
    x.register_hook(lambda g: fired.append("x"))
    w.register_hook(lambda g: fired.append("w"))
    CountingSquare.calls = 0
    h = CountingSquare.apply(x)
    y = (h * w).sum()

    (g_h,) = cr.autograd.grad(y, h)

    np.testing.assert_array_equal(g_h.data, [3.0, 4.0])
    # Neither the graph behind h nor the hooks of leaves not asked for ran,
    # so that graph still has its saved values.
    assert CountingSquare.calls == 0
    assert fired == []
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    assert CountingSquare.calls == 1


def test_grad_with_respect_to_an_intermediate_and_what_is_behind_it() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = CountingSquare.apply(x)
    y = (h * h).sum()
    g_h, g_x = cr.autograd.grad(y, [h, x])
    np.testing.assert_allclose(g_h.data, 2 * h.data)
    np.testing.assert_allclose(g_x.data, 4 * x.data**3)
    (g_self,) = cr.autograd.grad(h, h, grad_outputs=np.array([5.0, 6.0]))
    np.testing.assert_array_equal(g_self.data, [5.0, 6.0])


def test_grad_of_unused_input_raises_unless_allowed() -> None:
    x = cr.tensor([1.0], requires_grad=True)
    z = cr.tensor([1.0], requires_grad=True)
    y = (x * 2.0).sum()
    with pytest.raises(BackwardError, match="allow_unused=True"):
        cr.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = cr.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None
    np.testing.assert_array_equal(gx.data, [2.0])


def test_third_derivative_of_x_to_the_fourth() -> None:
    # d³/dx³ x^4 = 24x
    x = cr.tensor(1.5, requires_grad=True)
    (d1,) = cr.autograd.grad(x**4, x, create_graph=True)
    (d2,) = cr.autograd.grad(d1, x, create_graph=True)
    (d3,) = cr.autograd.grad(d2, x)
    assert d1.item() == pytest.approx(4 * 1.5**3)
    assert d2.item() == pytest.approx(12 * 1.5**2)
    assert d3.item() == pytest.approx(24 * 1.5)


def test_hessian_of_quadratic_form_is_a_plus_a_transpose() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    x = cr.tensor(rng.standard_normal(4), requires_grad=True)
    f = x @ cr.tensor(a) @ x
    (g,) = cr.autograd.grad(f, x, create_graph=True)
    rows = [cr.autograd.grad(g[i], x, retain_graph=True)[0].data for i in range(4)]
    np.testing.assert_allclose(np.stack(rows), a + a.T, rtol=1e-12)


def test_backward_create_graph_makes_grad_differentiable() -> None:
    x = cr.tensor(2.0, requires_grad=True)
    (x**3).backward(create_graph=True)
    assert x.grad.requires_grad
    first = x.grad
    x.grad = None
    first.backward()
    assert x.grad.item() == pytest.approx(12.0)


def test_multi_output_function_gets_zeros_for_unused_output() -> None:
    class SplitHalves(cr.Function):
        def forward(self, x):
            return x[:2].copy(), x[2:].copy()

        def backward(self, grad_a, grad_b):
            return np.concatenate([grad_a, grad_b])

    x = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a, _unused = SplitHalves.apply(x)
    (a * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0, 0.0, 0.0])


def test_grad_with_the_same_input_twice_returns_it_twice() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    a, b = cr.autograd.grad((x * x).sum(), [x, x])
    np.testing.assert_array_equal(a.data, [2.0, 4.0])
    np.testing.assert_array_equal(b.data, [2.0, 4.0])


def test_leaf_grad_never_aliases_a_saved_array() -> None:
    class Linear(cr.Function):
        def forward(self, w, c):
            self.save_for_backward(c)
            return (w * c).sum()

        def backward(self, grad):
            (c,) = self.saved
            return c, None  # the saved array itself, not a copy

    w = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0, 4.0])
    Linear.apply(w, c).backward()
    Linear.apply(w, c).backward()
    np.testing.assert_array_equal(c.data, [3.0, 4.0])
    np.testing.assert_array_equal(w.grad.data, [6.0, 8.0])


def test_error_inside_a_backward_names_the_op() -> None:
    class WritesIntoGrad(cr.Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            grad *= 2
            return grad

    x = cr.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError) as caught:
        WritesIntoGrad.apply(x).sum().backward()
    notes = " ".join(getattr(caught.value, "__notes__", []))
    assert "WritesIntoGrad.backward" in notes
    assert "new array" in notes


def test_backward_may_return_a_list() -> None:
    class TwoInputs(cr.Function):
        def forward(self, x, y):
            return x + y

        def backward(self, grad):
            return [grad, grad]

    x = cr.tensor([1.0], requires_grad=True)
    TwoInputs.apply(x, x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0])


def test_tensor_passed_by_keyword_to_apply_is_refused() -> None:
    class Scale(cr.Function):
        def forward(self, x, factor=1.0):
            return x * factor

        def backward(self, grad):
            return grad

    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="positionally"):
        Scale.apply(x, factor=cr.tensor(2.0, requires_grad=True))


def test_gradient_of_wrong_type_is_named_before_its_shape() -> None:
    from chainrule.errors import DTypeError

    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(DTypeError, match="str"):
        (x * 2).backward("abc")


# --- the counts recorded in forward --------------------------------------------
# A plain backward starts from how many ops used each node, counted as they were
# recorded. These cases make that count too high (a use the pass does not
# reach); the engine must notice and count what is left instead.


def test_a_branch_the_loss_does_not_use_leaves_the_gradient_exact() -> None:
    x = cr.tensor([0.5, -1.0], requires_grad=True)
    h = cr.tanh(x)
    logged = h * 3.0  # used by nothing the loss depends on
    loss = (h * h).sum()
    loss.backward()
    t = np.tanh(x.data)
    np.testing.assert_allclose(x.grad.data, 2 * t * (1 - t**2), rtol=1e-15)
    assert logged.requires_grad


def test_backward_from_a_tensor_that_later_ops_also_used() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    later = cr.exp(h)  # noqa: F841 (a use of h outside the pass)
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_a_result_reused_by_many_graphs_gets_every_gradient() -> None:
    # e is computed once and used by a new graph each step: its use count
    # only grows, and every backward must still reach w.
    w = cr.tensor([1.0, -2.0], requires_grad=True)
    e = w * 3.0
    for step in range(1, 4):
        x = cr.tensor([float(step), 1.0])
        (e * x).sum().backward(retain_graph=True)
    np.testing.assert_array_equal(w.grad.data, [3.0 * (1 + 2 + 3), 3.0 * 3])


def test_several_roots_where_one_feeds_another() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2.0
    b = (a * a).sum()
    cr.autograd.backward([a.sum(), b])
    # d/dx (sum 2x) = 2, d/dx sum (2x)^2 = 8x
    np.testing.assert_array_equal(x.grad.data, [2.0 + 8.0, 2.0 + 16.0])


def test_a_backward_that_raises_midway_changes_no_gradient() -> None:
    class Fails(cr.Function):
        def forward(self, x):
            return x.copy()

        def backward(self, grad):
            raise RuntimeError("planted")

    x, z = (cr.tensor([1.0, 2.0], requires_grad=True) for _ in range(2))
    loss = (Fails.apply(x) + z * 2.0).sum()
    with pytest.raises(RuntimeError, match="planted"):
        loss.backward()
    # z's gradient was computed before Fails ran; it must not have landed.
    assert z.grad is None and x.grad is None


def test_a_leaf_hook_runs_once_with_the_whole_gradient() -> None:
    # As PyTorch (checked there): the hook sees the sum over both paths, once.
    seen = []
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: seen.append(g.data.copy()))
    (x * 3.0 + x * x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [3.0 + 2.0, 3.0 + 4.0])
    np.testing.assert_array_equal(x.grad.data, seen[0])


def test_a_leaf_hook_that_scales_acts_on_the_whole_gradient() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 0.5)
    (x * 3.0 + x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.5, 3.5])
