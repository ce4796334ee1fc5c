"""The first thing to run: a two-layer tanh network's gradients, checked.

Builds h = tanh(x @ W1 + b1), loss = mean((h @ W2 - y)^2), backpropagates, and
compares every weight gradient with a central-difference numerical gradient,
as the source text recommends.
"""

import numpy as np

import chainrule as cr


def main() -> None:
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((8, 4)))
    y = cr.tensor(rng.standard_normal((8, 1)))
    w1 = cr.tensor(rng.standard_normal((4, 16)) * 0.5, requires_grad=True)
    b1 = cr.zeros(16, requires_grad=True)
    w2 = cr.tensor(rng.standard_normal((16, 1)) * 0.25, requires_grad=True)

    def loss_fn() -> cr.Tensor:
        h = cr.tanh(x @ w1 + b1)
        return ((h @ w2 - y) ** 2).mean()

    loss = loss_fn()
    loss.backward()
    print(f"loss = {loss.item():.6f}")

    eps = 1e-6
    for name, w in [("W1", w1), ("b1", b1), ("W2", w2)]:
        numeric = np.zeros(w.shape)
        for index in np.ndindex(w.shape):
            original = w.data[index]
            w.data[index] = original + eps
            up = loss_fn().item()
            w.data[index] = original - eps
            down = loss_fn().item()
            w.data[index] = original
            numeric[index] = (up - down) / (2 * eps)
        error = np.abs(numeric - w.grad.data).max()
        print(
            f"weight gradient dL/d{name}: shape {w.grad.shape}, "
            f"max |analytic - numerical| = {error:.2e}"
        )
        assert error < 1e-7, f"gradient of {name} disagrees with central differences"

    print("all weight gradients agree with central differences")


if __name__ == "__main__":
    main()
