"""Tensor hooks and retained gradients."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import BackwardError, GradientError


def test_hook_on_intermediate_sees_its_full_gradient() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g.data.copy()))
    (h * h + h).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * h.data + 1)
    assert len(seen) == 1


def test_hook_may_replace_the_gradient_of_a_leaf_and_an_intermediate() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10)
    h = x * 2
    h.register_hook(lambda g: g + 1)
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [40.0, 40.0])


def test_leaf_hook_sees_each_backward_before_accumulation() -> None:
    w = cr.tensor([1.0], requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append(g.item()))
    (w * 2).sum().backward()
    (w * 5).sum().backward()
    assert seen == [2.0, 5.0]
    assert w.grad.item() == 7.0


def test_removed_hook_is_not_called() -> None:
    x = cr.tensor([1.0], requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    handle.remove()
    (x * 2).sum().backward()
    assert calls == []


def test_hook_returning_a_wrong_shape_is_refused() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: cr.ones(3))
    with pytest.raises(GradientError, match=r"hook returned shape \(3,\)"):
        h.sum().backward()


def test_retain_grad_keeps_data_gradients_of_intermediates() -> None:
    x = cr.tensor([[1.0, -2.0]], requires_grad=True)
    w = cr.tensor([[0.5], [0.25]], requires_grad=True)
    h = x @ w
    h.retain_grad()
    a = cr.tanh(h)
    a.retain_grad()
    (a * a).sum().backward()
    np.testing.assert_allclose(a.grad.data, 2 * a.data)
    np.testing.assert_allclose(h.grad.data, 2 * a.data * (1 - a.data**2))
    assert h.retains_grad and not x.retains_grad


def test_hooks_on_tensors_without_grad_are_refused() -> None:
    with pytest.raises(BackwardError, match="does not require grad"):
        cr.tensor([1.0]).register_hook(lambda g: g)


def test_hooks_match_pytorch_on_a_small_network() -> None:
    import torch

    rng = np.random.default_rng(0)
    x0, w0 = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    x, w = cr.tensor(x0), cr.tensor(w0, requires_grad=True)
    tx, tw = torch.tensor(x0), torch.tensor(w0, requires_grad=True)

    ours, theirs = [], []
    h = x @ w
    h.register_hook(lambda g: ours.append(g.data.copy()))
    th = tx @ tw
    th.register_hook(lambda g: theirs.append(g.numpy().copy()))
    cr.sigmoid(h).sum().backward()
    torch.sigmoid(th).sum().backward()
    np.testing.assert_allclose(ours[0], theirs[0])


def _hooked(library, order: str, seed: int = 0):
    """y = 2x with retain_grad and hooks registered in ``order``; y's grad."""
    x0 = np.random.default_rng(seed).standard_normal(3)
    if library == "torch":
        import torch

        x = torch.tensor(x0, requires_grad=True)
    else:
        x = cr.tensor(x0, requires_grad=True)
    y = x * 2
    for step in order:
        if step == "retain":
            y.retain_grad()
        elif step == "times10":
            y.register_hook(lambda g: g * 10)
        else:
            y.register_hook(lambda g: g + 1)
    (y * 3).sum().backward(retain_graph=True)
    (y * y).sum().backward()
    grads = (y.grad, x.grad)
    return [g.detach().numpy() if library == "torch" else g.data for g in grads]


@pytest.mark.parametrize(
    "order",
    [
        ("retain", "times10"),
        ("times10", "retain"),
        ("retain", "times10", "plus1"),
        ("times10", "retain", "plus1"),
    ],
)
def test_retained_gradient_is_taken_after_the_hooks_as_in_pytorch(order) -> None:
    # NOTE: PyTorch runs the retain_grad hook after every other hook on the
    # tensor, whenever it was registered: .grad is the gradient the hooks made.
    ours, theirs = _hooked("chainrule", order), _hooked("torch", order)
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference)


def test_retained_gradient_sees_a_hook_added_after_retain_grad() -> None:
    x = cr.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    (y * 3).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [30.0, 30.0])
