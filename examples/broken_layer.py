"""A layer with a planted bug, to see what gradcheck reports.

The weight gradient of ``Scale`` (y = x * w, w broadcast over the rows of x)
is taken from the first row only instead of summed over all rows: a classic
unreduced broadcast. Check it:

    chainrule gradcheck examples/broken_layer.py:scale_layer --input-shape 5,3 \\
        --input-shape 3

and gradcheck names the input, the wrong entries and the cause. Exit status 1.
"""

import chainrule as cr


class Scale(cr.Function):
    """x * w with w of shape (features,) broadcast over the batch."""

    def forward(self, x, w):
        self.save_for_backward(x, w)
        return x * w

    def backward(self, grad):
        x, w = self.saved
        grad_x = grad * w
        grad_w = (grad * x)[0]  # BUG (planted): should be (grad * x).sum(axis=0)
        return grad_x, grad_w


def scale_layer(x: cr.Tensor, w: cr.Tensor) -> cr.Tensor:
    return Scale.apply(x, w)


if __name__ == "__main__":
    import numpy as np

    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    w = cr.tensor(rng.standard_normal(3), requires_grad=True)
    print(cr.gradcheck(scale_layer, (x, w), raise_exception=False))
