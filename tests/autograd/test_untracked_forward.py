"""Under no_grad, ops with an untracked_forward skip their node, nothing else."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd.function import Function
from chainrule.errors import AxisError, DTypeError, ShapeError
from chainrule.ops.activation import Tanh
from chainrule.ops.arithmetic import MatMul
from chainrule.ops.reduction import Sum

RNG = np.random.default_rng(0)


def both_ways(op: type[Function], *args):
    """The op's result recorded (through forward) and under no_grad."""
    tensors = [
        cr.tensor(a, requires_grad=True) if isinstance(a, np.ndarray) else a
        for a in args
    ]
    tracked = op.apply(*tensors)
    assert tracked.grad_fn is not None, "the tracked call must go through forward"
    with cr.no_grad():
        untracked = op.apply(*tensors)
    assert untracked.grad_fn is None and not untracked.requires_grad
    return tracked, untracked


CASES = [
    (Tanh, (RNG.standard_normal((3, 4)),)),
    (Tanh, (RNG.standard_normal(5).astype(np.float32),)),
    (Tanh, (np.array(0.5),)),
    (MatMul, (RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2)))),
    (MatMul, (RNG.standard_normal(4), RNG.standard_normal(4))),
    (MatMul, (RNG.standard_normal((2, 3, 4)), RNG.standard_normal((4, 5)))),
    (MatMul, (RNG.standard_normal((3, 4)), [[1.0], [2.0], [3.0], [4.0]])),
    (Sum, (RNG.standard_normal((3, 4)), None, False)),
    (Sum, (RNG.standard_normal((3, 4)), None, True)),
    (Sum, (RNG.standard_normal((2, 3, 4)), (0, -1), False)),
    (Sum, (RNG.standard_normal((2, 3, 4)), 1, True)),
    (Sum, (RNG.standard_normal((2, 3)).astype(np.float32), -1, False)),
    (Sum, (RNG.standard_normal((2, 3)), (), False)),
]


@pytest.mark.parametrize("op, args", CASES)
def test_untracked_result_equals_forward(op, args) -> None:
    tracked, untracked = both_ways(op, *args)
    assert untracked.dtype == tracked.dtype
    assert untracked.shape == tracked.shape
    np.testing.assert_array_equal(untracked.data, tracked.data)


ERRORS = [
    (MatMul, (np.ones((2, 3)), np.ones((4, 5))), ShapeError, r"do not line up"),
    (MatMul, (np.ones((2, 2, 3)), np.ones((4, 3, 2))), ShapeError, r"batch dimensions"),
    (MatMul, (np.ones(2), 2.0), ShapeError, r"at least 1-D"),
    (MatMul, (np.ones(2), "ab"), DTypeError, r"cannot multiply by str"),
    (Sum, (np.ones((2, 3)), 2, False), AxisError, r"sum"),
    (Sum, (np.ones((2, 3)), (0, 0), False), AxisError, r"names an axis twice"),
]


@pytest.mark.parametrize("op, args, error, message", ERRORS)
def test_untracked_errors_equal_forward(op, args, error, message) -> None:
    x = cr.tensor(args[0], requires_grad=True)
    with pytest.raises(error, match=message) as tracked:
        op.apply(x, *args[1:])
    with cr.no_grad(), pytest.raises(error, match=message) as untracked:
        op.apply(x, *args[1:])
    assert str(untracked.value) == str(tracked.value)


def test_a_subclass_with_its_own_forward_runs_it_under_no_grad() -> None:
    calls = []

    class LoudTanh(Tanh):
        def forward(self, x):
            calls.append("forward")
            return super().forward(x)

    class QuietTanh(Tanh):  # backward only: the inherited shortcut still holds
        def backward(self, grad):
            return super().backward(grad)

    with cr.no_grad():
        LoudTanh.apply(cr.tensor([0.5]))
        quiet = QuietTanh.apply(cr.tensor([0.5]))
    assert calls == ["forward"]
    # The condition apply tests before taking the shortcut, and its result.
    assert LoudTanh.forward is not LoudTanh._untracked_for
    assert QuietTanh.forward is QuietTanh._untracked_for
    np.testing.assert_array_equal(quiet.data, np.tanh([0.5]))


def test_a_forward_from_a_mixin_or_assigned_later_is_not_skipped() -> None:
    class Doubling:
        def forward(self, x):
            return 2 * np.tanh(x)

    class MixedTanh(Doubling, Tanh):
        pass

    class LateTanh(Tanh):
        pass

    LateTanh.forward = lambda self, x: 3 * np.tanh(x)  # type: ignore[method-assign]
    x = cr.tensor([0.5, 1.0])
    with cr.no_grad():
        np.testing.assert_allclose(MixedTanh.apply(x).data, 2 * np.tanh(x.data))
        np.testing.assert_allclose(LateTanh.apply(x).data, 3 * np.tanh(x.data))
        np.testing.assert_allclose(Tanh.apply(x).data, np.tanh(x.data))


def test_a_user_function_without_untracked_forward_uses_forward() -> None:
    class Twice(Function):
        def forward(self, x):
            return 2 * x

        def backward(self, grad):
            return 2 * grad

    with cr.no_grad():
        out = Twice.apply(cr.tensor([1.0, 3.0], requires_grad=True))
    np.testing.assert_array_equal(out.data, [2.0, 6.0])
    assert out.grad_fn is None


@pytest.mark.parametrize(
    "op, message",
    [
        (cr.tanh, r"Tanh: input 0 holds .*<U3"),
        (cr.exp, r"Exp: input 0 holds .*<U3"),
        (cr.sum, r"Sum: input 0 holds .*<U3"),
        (cr.mean, r"Mean: input 0 holds .*<U3"),
        (lambda t: t * 2, r"multiply: .*<U3"),  # the op's own message, kept
        (lambda t: cr.ones(2) @ t, r"matmul: .*dtype <U3"),
    ],
)
def test_an_op_on_a_tensor_of_strings_names_the_op_in_both_modes(op, message) -> None:
    words = cr.tensor(np.array(["cat", "dog"]))
    for mode in (cr.enable_grad, cr.no_grad):
        with mode(), pytest.raises(DTypeError, match=message):
            op(words)


def test_an_op_given_an_object_array_names_the_op_in_both_modes() -> None:
    a = cr.ones(2, 3, requires_grad=True)
    for mode in (cr.enable_grad, cr.no_grad):
        with (
            mode(),
            pytest.raises(DTypeError, match=r"MatMul: input 1 .*object.*astype"),
        ):
            a @ np.ones((3, 2), dtype=object)
        with mode(), pytest.raises(DTypeError, match=r"Add: input 1 .*dtype object"):
            a + np.ones((2, 3), dtype=object)
