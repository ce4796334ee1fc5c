"""Module forward, forward-pre and full backward hooks, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def twins():
    layer = nn.Linear(3, 2)
    twin = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        twin.weight.copy_(torch.tensor(layer.weight.data))
        twin.bias.copy_(torch.tensor(layer.bias.data))
    return layer, twin


def test_forward_hooks_see_and_may_replace_inputs_and_output() -> None:
    layer = nn.Linear(3, 2)
    calls = []
    layer.register_forward_pre_hook(lambda m, inputs: (inputs[0] * 0,))
    handle = layer.register_forward_hook(
        lambda m, inputs, output: calls.append((m, inputs[0].data.copy())) or output * 2
    )
    out = layer(cr.ones(1, 3))
    assert calls[0][0] is layer
    np.testing.assert_array_equal(calls[0][1], np.zeros((1, 3)))
    np.testing.assert_allclose(out.data, 2 * layer.bias.data[None, :])
    handle.remove()
    layer(cr.ones(1, 3))
    assert len(calls) == 1


def test_full_backward_hook_matches_pytorch() -> None:
    layer, twin = twins()
    x0 = np.random.default_rng(1).standard_normal((4, 3))
    ours, theirs = [], []
    layer.register_full_backward_hook(
        lambda m, gi, go: ours.append((gi[0].data.copy(), go[0].data.copy()))
    )
    twin.register_full_backward_hook(
        lambda m, gi, go: theirs.append((gi[0].numpy().copy(), go[0].numpy().copy()))
    )
    x = cr.tensor(x0, requires_grad=True)
    tx = torch.tensor(x0, requires_grad=True)
    (cr.tanh(layer(x)) ** 2).sum().backward()
    (torch.tanh(twin(tx)) ** 2).sum().backward()

    assert len(ours) == len(theirs) == 1
    np.testing.assert_allclose(ours[0][0], theirs[0][0])
    np.testing.assert_allclose(ours[0][1], theirs[0][1])
    np.testing.assert_allclose(layer.weight.grad.data, twin.weight.grad.numpy())


def test_backward_hook_on_a_first_layer_gets_none_for_its_input() -> None:
    layer = nn.Linear(3, 2)
    seen = []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    layer(cr.ones(2, 3)).sum().backward()
    (grad_input, grad_output) = seen[0]
    assert grad_input == (None,)
    np.testing.assert_array_equal(grad_output[0].data, np.ones((2, 2)))


def test_backward_hook_may_replace_the_input_gradient() -> None:
    layer = nn.Linear(3, 2)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    x = cr.ones(2, 3, requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))
    assert layer.weight.grad is not None


def test_backward_hook_returning_the_wrong_count_is_an_error() -> None:
    layer = nn.Linear(3, 2)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    x = cr.ones(2, 3, requires_grad=True)
    with pytest.raises(ValueError, match="returned 2 gradients for 1 inputs"):
        layer(x).sum().backward()


def test_hooks_in_sequential_fire_per_layer_in_backward_order() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    order = []
    for name, module in model.named_children():
        module.register_full_backward_hook(
            lambda m, gi, go, name=name: order.append(name)
        )
    model(cr.ones(1, 3)).sum().backward()
    assert order == ["2", "1", "0"]
