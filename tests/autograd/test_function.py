"""User-defined operations with autograd.Function, and a wrong backward's errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import GradientError


class Cube(cr.Function):
    """x³.  d/dx = 3x²."""

    def forward(self, x):
        self.save_for_backward(x)
        return x**3

    def backward(self, grad):
        (x,) = self.saved
        return 3 * x**2 * grad


class ScaledAdd(cr.Function):
    """x + alpha * y, with a non-tensor argument and per-input skipping."""

    def forward(self, x, y, alpha):
        self.alpha = alpha
        return x + alpha * y

    def backward(self, grad):
        need_x, need_y, need_alpha = self.needs_input_grad
        assert not need_alpha
        self.seen = (need_x, need_y)
        return (grad if need_x else None), (self.alpha * grad if need_y else None), None


def test_custom_function_forward_backward() -> None:
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    y = Cube.apply(x)
    np.testing.assert_array_equal(y.data, [1.0, -8.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 12.0])


def test_custom_function_is_twice_differentiable_when_written_in_numpy() -> None:
    x = cr.tensor(2.0, requires_grad=True)
    (d1,) = cr.autograd.grad(Cube.apply(x), x, create_graph=True)
    (d2,) = cr.autograd.grad(d1, x)
    assert d1.item() == 12.0
    assert d2.item() == 12.0  # 6x


def test_non_tensor_arguments_and_needs_input_grad() -> None:
    x = cr.tensor([1.0], requires_grad=True)
    y = cr.tensor([1.0])
    out = ScaledAdd.apply(x, y, 3.0)
    node = out.grad_fn
    assert node.needs_input_grad == (True, False, False)
    out.sum().backward()
    assert node.seen == (True, False)
    np.testing.assert_array_equal(x.grad.data, [1.0])


def test_no_node_is_recorded_when_nothing_requires_grad() -> None:
    out = Cube.apply(cr.tensor([2.0]))
    assert out.grad_fn is None
    assert not out.requires_grad


def test_saved_values_refer_to_the_arrays_given() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.saved[0] is x.data


class WrongCount(cr.Function):
    def forward(self, x, y):
        return x * y

    def backward(self, grad):
        return (grad,)


class WrongShape(cr.Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return np.ones((5, 7))


class NotAnArray(cr.Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return "gradient"


class IntegerGradient(cr.Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return np.ones(grad.shape, dtype=np.int64)


class SingleForTwo(cr.Function):
    def forward(self, x, y):
        return x + y

    def backward(self, grad):
        return grad


def test_wrong_number_of_gradients_names_op_and_counts() -> None:
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(GradientError, match=r"WrongCount\.backward returned 1.*took 2"):
        WrongCount.apply(x, x).sum().backward()


def test_single_gradient_for_two_inputs_is_refused() -> None:
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(GradientError, match=r"SingleForTwo.*one value.*2 inputs"):
        SingleForTwo.apply(x, x).sum().backward()


def test_gradient_of_wrong_shape_names_op_input_and_shapes() -> None:
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(
        GradientError, match=r"WrongShape.*shape \(5, 7\) for input 0 of shape \(2, 3\)"
    ):
        WrongShape.apply(x).sum().backward()


def test_a_transposed_gradient_of_a_non_square_weight_is_called_so() -> None:
    class TransposedWeight(cr.Function):
        def forward(self, x, w):
            self.save_for_backward(x, w)
            return x @ w

        def backward(self, grad):
            x, w = self.saved
            return grad @ w.T, grad.T @ x  # BUG: (out, in) for a (in, out) weight

    x, w = (cr.tensor(np.ones(s), requires_grad=True) for s in ((4, 3), (3, 2)))
    with pytest.raises(
        GradientError, match=r"shape \(2, 3\) for input 1 of shape \(3, 2\).*transposed"
    ):
        TransposedWeight.apply(x, w).sum().backward()


def test_gradient_that_is_not_an_array_is_named() -> None:
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(GradientError, match=r"NotAnArray.*returned a str.*input 0"):
        NotAnArray.apply(x).sum().backward()


def test_integer_gradient_is_refused() -> None:
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(GradientError, match=r"IntegerGradient.*int64.*floating"):
        IntegerGradient.apply(x).sum().backward()


def test_missing_backward_says_what_to_define() -> None:
    class NoBackward(cr.Function):
        def forward(self, x):
            return x + 1

    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"NoBackward.*backward\(self"):
        NoBackward.apply(x).sum().backward()
