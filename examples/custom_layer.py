"""Write your own layer, forward and backward, and check it: the source text's workflow.

Swish(x) = x * sigmoid(x) is not built in. Its derivative is
s + x * s * (1 - s) with s = sigmoid(x). The backward below is written with
NumPy operators, so it is also twice differentiable.

Run it as a script, or check it from the command line:

    chainrule gradcheck examples/custom_layer.py:Swish --input-shape 4,3
"""

import numpy as np

import chainrule as cr


class Swish(cr.Function):
    """swish(x) = x·sigmoid(x).  d/dx = s + x·s·(1 - s)."""

    def forward(self, x):
        s = 1 / (1 + np.exp(-x))
        self.save_for_backward(x)
        return x * s

    def backward(self, grad):
        (x,) = self.saved
        s = 1 / (1 + np.exp(-x))
        return grad * (s + x * s * (1 - s))


def swish(x: cr.Tensor) -> cr.Tensor:
    return Swish.apply(x)


def main() -> None:
    x = cr.randn(4, 3, generator=np.random.default_rng(0), requires_grad=True)
    print(cr.gradcheck(swish, x))
    print(cr.gradcheck(swish, x, fast_mode=True))
    print(cr.gradgradcheck(swish, x))


if __name__ == "__main__":
    main()
