"""A user-written layer (its own Function inside a Module) works with everything."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import nn, optim


class ScaledTanh(cr.Function):
    """a·tanh(x·w + b).  Backward written by hand, as the source text describes."""

    def forward(self, x, w, b, a):
        self.save_for_backward(x, w, b)
        self.a = a
        return a * np.tanh(x @ w + b)

    def backward(self, grad):
        x, w, b = self.saved
        t = np.tanh(x @ w + b)
        local = self.a * grad * (1 - t * t)
        need_x, need_w, need_b, _ = self.needs_input_grad
        return (
            local @ w.T if need_x else None,
            x.T @ local if need_w else None,
            local if need_b else None,  # the engine sums the batch axis
            None,
        )


class ScaledTanhLayer(nn.Module):
    def __init__(self, n_in: int, n_out: int, a: float = 1.5) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        self.weight = nn.Parameter(rng.standard_normal((n_in, n_out)) / np.sqrt(n_in))
        self.bias = nn.Parameter(np.zeros(n_out))
        self.a = a

    def forward(self, x):
        return ScaledTanh.apply(x, self.weight, self.bias, self.a)


def test_custom_layer_passes_gradcheck_and_the_layer_contract() -> None:
    layer = ScaledTanhLayer(3, 2)
    x = cr.randn(4, 3, generator=np.random.default_rng(1), requires_grad=True)
    result = cr.gradcheck(layer, x)
    assert [b.input for b in result.blocks] == [
        "input 0",
        "parameter weight",
        "parameter bias",
    ]
    assert cr.gradgradcheck(layer, x).passed
    assert cr.check_layer(layer, x).passed


def test_custom_layer_trains_with_an_optimizer_and_saves() -> None:
    rng = np.random.default_rng(2)
    x = cr.tensor(rng.standard_normal((64, 3)))
    y = cr.tensor(np.sin(x.data @ np.array([[1.0], [-2.0], [0.5]])))
    model = nn.Sequential(ScaledTanhLayer(3, 8), nn.Linear(8, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.05)

    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]

    copy = nn.Sequential(ScaledTanhLayer(3, 8), nn.Linear(8, 1))
    copy.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(copy(x).data, model(x).data)
