"""gradcheck catches planted faults, names the entry, and diagnoses the cause."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.gradcheck import GradcheckError, GradcheckWarning

RNG = np.random.default_rng(0)


def leaf(*shape: int, dtype=np.float64) -> cr.Tensor:
    return cr.tensor(RNG.standard_normal(shape).astype(dtype), requires_grad=True)


# --- planted faults -------------------------------------------------------------


class WrongSign(cr.Function):
    """x - y with the gradient for y given the wrong sign."""

    def forward(self, x, y):
        return x - y

    def backward(self, grad):
        return grad, grad


class MissingTwo(cr.Function):
    """x² with backward x·grad instead of 2x·grad."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad):
        (x,) = self.saved
        return x * grad


class TransposedWeightGradient(cr.Function):
    """x @ w with the weight gradient transposed (w square, so shapes agree)."""

    def forward(self, x, w):
        self.save_for_backward(x, w)
        return x @ w

    def backward(self, grad):
        x, w = self.saved
        return grad @ w.T, (x.T @ grad).T


class BiasFromOneRow(cr.Function):
    """x + b with b broadcast over rows; backward keeps row 0 only."""

    def forward(self, x, b):
        return x + b

    def backward(self, grad):
        return grad, grad[0]


class BiasAveraged(cr.Function):
    """x + b with b broadcast over rows; backward averages instead of summing."""

    def forward(self, x, b):
        return x + b

    def backward(self, grad):
        return grad, grad.mean(axis=0)


class IgnoresSecondInput(cr.Function):
    """x * y whose backward forgets y."""

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return x * y

    def backward(self, grad):
        _, y = self.saved
        return grad * y, None


def failure_of(fn, inputs):
    with pytest.raises(GradcheckError) as caught:
        cr.gradcheck(fn, inputs)
    result = caught.value.result
    assert result.status == "failed"
    (block,) = result.failures
    return block


def codes(block) -> list[str]:
    return [d.code for d in block.diagnoses]


def test_wrong_sign_is_diagnosed_on_the_right_input() -> None:
    x, y = leaf(3), leaf(3)
    block = failure_of(WrongSign.apply, (x, y))
    assert block.input == "input 1"
    assert codes(block) == ["sign"]
    assert block.mismatch_count == 3
    # Each y[i] enters only out[i], so exactly the diagonal is wrong.
    assert {(e.output_index, e.input_index) for e in block.worst} == {
        ((i,), (i,)) for i in range(3)
    }
    worst = block.worst[0]
    assert worst.analytical == pytest.approx(-worst.numerical, rel=1e-6)


def test_missing_factor_two_is_diagnosed_with_the_factor() -> None:
    x = leaf(4)
    block = failure_of(MissingTwo.apply, x)
    assert codes(block) == ["factor"]
    assert "1/2 times" in block.diagnoses[0].message
    entry = block.worst[0]
    index = entry.input_index
    assert entry.output_index == index
    assert entry.analytical == pytest.approx(x.data[index], rel=1e-12)
    assert entry.numerical == pytest.approx(2 * x.data[index], rel=1e-6)
    assert entry.rel_error == pytest.approx(0.5, rel=1e-5)


def test_transposed_weight_gradient_is_diagnosed() -> None:
    x, w = leaf(4, 3), leaf(3, 3)
    block = failure_of(TransposedWeightGradient.apply, (x, w))
    assert block.input == "input 1"
    assert codes(block) == ["transpose"]
    # d out[i, j] / d w[k, l] = x[i, k] if j == l; the backward gives the
    # Jacobian of w[l, k] instead. The worst entries, worked out by hand: the
    # largest |x[i, k]|, wrong in four places (two l for n, two j for a).
    n = np.einsum("ik,jl->ijkl", x.data, np.eye(3))
    a = np.einsum("il,jk->ijkl", x.data, np.eye(3))
    error = np.abs(a - n)
    worst = {tuple(int(i) for i in w) for w in np.argwhere(error == error.max())}
    assert len(worst) == 4
    assert {e.output_index + e.input_index for e in block.worst[:4]} == worst
    for entry in block.worst:
        index = entry.output_index + entry.input_index
        assert entry.analytical == pytest.approx(a[index], abs=1e-12)
        assert entry.numerical == pytest.approx(n[index], rel=1e-6, abs=1e-9)


def test_broadcast_taken_from_one_copy_is_diagnosed() -> None:
    x, b = leaf(5, 3), leaf(3)
    block = failure_of(BiasFromOneRow.apply, (x, b))
    assert block.input == "input 1"
    assert codes(block) == ["unreduced_broadcast"]
    # Row 0 of the output is right; the first wrong one is in another row.
    assert all(e.output_index[0] != 0 for e in block.worst)
    assert all(
        e.analytical == 0.0 and e.numerical == pytest.approx(1.0) for e in block.worst
    )
    assert block.mismatch_count == 4 * 3


def test_broadcast_averaged_instead_of_summed_is_diagnosed() -> None:
    x, b = leaf(4, 3), leaf(3)
    block = failure_of(BiasAveraged.apply, (x, b))
    assert codes(block) == ["unreduced_broadcast"]
    assert "averages" in block.diagnoses[0].message


def test_backward_that_ignores_an_input_is_diagnosed_as_disconnected() -> None:
    x, y = leaf(2, 2), leaf(2, 2)
    block = failure_of(IgnoresSecondInput.apply, (x, y))
    assert block.input == "input 1"
    assert codes(block) == ["disconnected"]
    assert block.mismatch_count == 4
    assert block.total == 16
    # d(x * y)[i] / dy[i] = x[i]: the worst is where |x| is largest.
    largest = np.unravel_index(np.argmax(np.abs(x.data)), x.shape)
    entry = block.worst[0]
    assert entry.output_index == entry.input_index == largest
    assert (entry.analytical, entry.numerical) == (0.0, pytest.approx(x.data[largest]))


def test_relu_at_its_kink_is_reported_as_a_kink_not_a_bug() -> None:
    x = cr.tensor([0.0, 1.5, -2.0], requires_grad=True)
    with pytest.warns(GradcheckWarning, match="non-differentiable"):
        result = cr.gradcheck(cr.relu, x)
    assert result.status == "kink"
    assert not result.passed
    (block,) = result.failures
    assert codes(block) == ["kink"]
    assert block.worst[0].input_index == (0,)
    assert "KINK" in str(result)


def test_kink_next_to_a_real_bug_is_still_a_failure() -> None:
    class ReluWithWrongSlope(cr.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return np.maximum(x, 0)

        def backward(self, grad):
            (x,) = self.saved
            return grad * (x > 0) * 3.0

    x = cr.tensor([0.0, 1.5, -2.0], requires_grad=True)
    with pytest.raises(GradcheckError) as caught:
        cr.gradcheck(ReluWithWrongSlope.apply, x)
    (block,) = caught.value.result.failures
    assert "kink_nearby" in codes(block)


def test_float32_input_warns_first_and_diagnoses_precision() -> None:
    x = leaf(3, dtype=np.float32)
    with pytest.warns(GradcheckWarning, match="float64"):
        result = cr.gradcheck(cr.tanh, x, raise_exception=False)
    assert not result.passed
    (block,) = result.failures
    # Rounding noise, not a kink or a factor: the only diagnosis is precision.
    assert codes(block) == ["float32"]
    assert result.notes and "float64" in result.notes[0]
    # The reported worst entry is the block's largest mismatch, by its index.
    errors = np.where(block.mismatched, np.abs(block.analytical - block.numerical), 0)
    i, j = np.unravel_index(np.argmax(errors), errors.shape)
    assert block.worst[0].output_index == (int(i),)
    assert block.worst[0].input_index == (int(j),)


# --- passing checks --------------------------------------------------------------


def test_correct_custom_function_passes() -> None:
    class Square(cr.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, grad):
            (x,) = self.saved
            return 2 * x * grad

    result = cr.gradcheck(Square.apply, leaf(3, 2))
    assert result.passed
    assert bool(result)
    assert "passed" in str(result)


def test_several_outputs_and_non_tensor_arguments() -> None:
    class SplitScale(cr.Function):
        """(a·x[:k], x[k:]²) with k and a plain arguments."""

        def forward(self, x, k, a):
            self.save_for_backward(x)
            self.k, self.a = k, a
            return x[:k] * a, x[k:] ** 2

        def backward(self, grad_head, grad_tail):
            (x,) = self.saved
            return (
                np.concatenate([grad_head * self.a, 2 * x[self.k :] * grad_tail]),
                None,
                None,
            )

    x = leaf(5)
    result = cr.gradcheck(SplitScale.apply, (x, 2, 3.0))
    assert result.passed
    assert [b.output for b in result.blocks] == ["output 0", "output 1"]


def test_result_exposes_the_full_jacobians() -> None:
    x = leaf(3)
    result = cr.gradcheck(cr.sin, x)
    (block,) = result.blocks
    np.testing.assert_allclose(block.analytical, np.diag(np.cos(x.data)))
    np.testing.assert_allclose(block.numerical, np.diag(np.cos(x.data)), atol=1e-8)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (2, 3)])
def test_numerical_jacobian_of_outputs_of_every_shape(shape) -> None:
    # A one-element output's results are gathered as scalars, others as rows:
    # both must give d(w·x)/dx = w, laid out (output size, input size).
    x = leaf(3)
    weights = RNG.standard_normal((*shape, 3))
    result = cr.gradcheck(lambda t: (cr.tensor(weights) * t).sum(axis=-1), x)
    (block,) = result.blocks
    expected = weights.reshape(-1, 3)
    np.testing.assert_allclose(block.numerical, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(block.analytical, expected)


def test_return_instead_of_raise() -> None:
    result = cr.gradcheck(MissingTwo.apply, leaf(2), raise_exception=False)
    assert result.status == "failed"
    assert "FAIL" in str(result)


def test_numerical_side_costs_two_evaluations_per_component() -> None:
    calls = []

    def f(x):
        calls.append(1)
        return cr.tanh(x)

    cr.gradcheck(f, leaf(4, 3))
    # one recorded call, one at the centre, then 2 per component
    assert len(calls) == 1 + 1 + 2 * 12


def test_inputs_as_separate_arguments_are_refused_with_the_tuple_form() -> None:
    x, w = leaf(2), leaf(2)
    with pytest.raises(TypeError, match=r"gradcheck: got 2 inputs .*\(x, w\)"):
        cr.gradcheck(lambda a, b: a * b, x, w)


def test_no_input_requiring_grad_is_an_error() -> None:
    with pytest.raises(ValueError, match="requires_grad=True"):
        cr.gradcheck(cr.tanh, cr.tensor([1.0]))


def test_non_tensor_output_is_an_error() -> None:
    with pytest.raises(TypeError, match=r"output 0.*float"):
        cr.gradcheck(lambda x: 1.0, leaf(2))


def test_inputs_are_restored_exactly() -> None:
    x = leaf(3, 3)
    before = x.data.copy()
    cr.gradcheck(cr.exp, x)
    np.testing.assert_array_equal(x.data, before)


# --- fast mode -----------------------------------------------------------------------


def test_fast_mode_passes_with_a_handful_of_evaluations() -> None:
    calls = []

    def f(x, w):
        calls.append(1)
        return cr.tanh(x @ w).sum()

    result = cr.gradcheck(f, (leaf(20, 20), leaf(20, 20)), fast_mode=True)
    assert result.passed
    assert result.mode == "fast"
    # one recorded call, then two per input, whatever the input size
    assert len(calls) == 1 + 2 * 2


def test_fast_mode_failure_falls_back_to_localise_the_fault() -> None:
    x = leaf(5)
    with pytest.raises(GradcheckError) as caught:
        cr.gradcheck(MissingTwo.apply, x, fast_mode=True)
    result = caught.value.result
    assert "full" in result.mode
    (block,) = result.failures
    assert codes(block) == ["factor"]
    assert any("localised" in n for n in result.notes)


# --- second order --------------------------------------------------------------------


def test_gradgradcheck_passes_for_ops_written_in_numpy() -> None:
    x = leaf(3)
    result = cr.gradgradcheck(lambda t: cr.tanh(t) * cr.exp(t), x)
    assert result.passed
    assert str(result).startswith("gradgradcheck passed: ")
    assert str(cr.gradcheck(cr.tanh, x)).startswith("gradcheck passed: ")


def test_gradgradcheck_catches_a_wrong_second_derivative() -> None:
    class CubeWithConstantSlope(cr.Function):
        """x³ whose backward is right once but treats x as a constant."""

        def forward(self, x):
            self.save_for_backward(x)
            return x**3

        def backward(self, grad):
            (x,) = self.saved
            return 3 * np.asarray(x.data if isinstance(x, cr.Tensor) else x) ** 2 * grad

    x = leaf(3)
    assert cr.gradcheck(CubeWithConstantSlope.apply, x).passed
    with pytest.raises(GradcheckError) as caught:
        cr.gradgradcheck(CubeWithConstantSlope.apply, x)
    failing = caught.value.result.failures
    assert any(b.input == "input 0" for b in failing)
    assert str(caught.value).startswith("gradgradcheck failed: ")


def test_warnings_are_silent_for_a_clean_float64_check() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cr.gradcheck(cr.sigmoid, leaf(4))


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"eps": 0.0}, "eps"),
        ({"eps": float("nan")}, "eps"),
        ({"atol": -1.0}, "atol"),
        ({"rtol": float("inf")}, "rtol"),
    ],
)
def test_bad_tolerances_are_refused(options, name) -> None:
    with pytest.raises(ValueError, match=name):
        cr.gradcheck(cr.tanh, leaf(2), **options)


def test_a_function_without_float_output_has_nothing_to_check() -> None:
    with pytest.raises(ValueError, match="no floating-point output"):
        cr.gradcheck(lambda t: t.argmax(), leaf(3))


def test_a_layer_checked_at_relus_kink() -> None:
    model = cr.nn.Sequential(cr.nn.Linear(2, 2), cr.nn.ReLU())
    model[0].weight.data[...] = [[1.0, -1.0], [1.0, 1.0]]
    model[0].bias.data[...] = 0.0
    x = cr.tensor([[1.0, 1.0]], requires_grad=True)  # unit 0 sits at exactly 0
    with pytest.warns(GradcheckWarning, match="non-differentiable"):
        result = cr.gradcheck(model, x)
    assert result.status == "kink"
    assert {b.input for b in result.failures} == {
        "input 0",
        "parameter 0.weight",
        "parameter 0.bias",
    }
    # Only unit 0 of the output is at the kink.
    assert all(e.output_index == (0, 0) for b in result.failures for e in b.worst)
    bias = next(b for b in result.failures if b.input == "parameter 0.bias")
    assert bias.worst[0].input_index == (0,)


def test_strong_curvature_is_not_mistaken_for_a_kink() -> None:
    class SlightlyWrongLog(cr.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return np.log(x)

        def backward(self, grad):
            (x,) = self.saved
            return grad / (x + 3e-7)  # BUG: 0.3% off near 1e-4

    # log'' = -1/x² = -1e8 at 1e-4: the one-sided differences disagree by
    # eps·1e8 = 100, as they would at a kink; half the step tells them apart.
    x = cr.tensor([1e-4, 2e-4], requires_grad=True)
    with pytest.raises(GradcheckError) as caught:
        cr.gradcheck(SlightlyWrongLog.apply, x)
    (block,) = caught.value.result.failures
    assert caught.value.result.status == "failed"
    assert not {"kink", "kink_nearby"} & set(codes(block))
    assert block.worst[0].input_index == (0,)
    assert cr.gradcheck(cr.log, cr.tensor([1e-4, 2e-4], requires_grad=True)).passed


def test_a_kink_anywhere_inside_the_stencil_is_still_a_kink() -> None:
    # At a third of eps from 0, the jump halves with the step as curvature's
    # would; the central difference moving gives it away.
    x = cr.tensor([-1e-6 / 3, 1.0, 2e-7], requires_grad=True)
    with pytest.warns(GradcheckWarning):
        result = cr.gradcheck(cr.relu, x)
    assert result.status == "kink"
    assert {e.input_index for e in result.failures[0].worst} == {(0,), (2,)}


def test_transposed_and_fortran_ordered_inputs_are_nudged_in_place() -> None:
    a = RNG.standard_normal((3, 4))
    for data in (a.T, np.asfortranarray(a)):
        x = cr.tensor(data, requires_grad=True)
        assert not x.data.flags.c_contiguous
        assert cr.gradcheck(lambda t: cr.tanh(t @ t.T), x).passed
        block = failure_of(MissingTwo.apply, cr.tensor(data, requires_grad=True))
        assert codes(block) == ["factor"]


def test_outputs_are_named_by_their_place_among_all_outputs() -> None:
    x = leaf(3)
    result = cr.gradcheck(lambda t: (cr.argmax(t), 2.0 * t, cr.tanh(t)), x)
    assert [b.output for b in result.blocks] == ["output 1", "output 2"]
    result = cr.gradcheck(lambda t: (cr.argmax(t), 2.0 * t), x)
    assert [b.output for b in result.blocks] == ["output 1"]
    assert [b.output for b in cr.gradcheck(cr.tanh, x).blocks] == ["output"]


def test_gradgradcheck_names_each_first_derivative_by_its_variable() -> None:
    c, x = cr.tensor([1.0, 2.0]), leaf(2)
    result = cr.gradgradcheck(lambda c, t: c * t * t, (c, x))
    assert [b.title for b in result.blocks] == [
        "d(d(output)/d(input 1))/d(input 1)",
        "d(d(output)/d(input 1))/d(grad_output 0)",
    ]
    layer = cr.nn.Linear(2, 1)
    outputs = {b.output for b in cr.gradgradcheck(layer, leaf(3, 2)).blocks}
    assert outputs == {
        "d(output)/d(input 0)",
        "d(output)/d(parameter weight)",
        "d(output)/d(parameter bias)",
    }


def test_an_empty_check_says_that_nothing_was_compared() -> None:
    result = cr.gradcheck(cr.tanh, cr.tensor(np.zeros((0, 3)), requires_grad=True))
    assert result.passed
    assert any("nothing was compared" in note for note in result.notes)
    assert "nothing was compared" in str(result)
    assert not any("nothing" in n for n in cr.gradcheck(cr.tanh, leaf(2)).notes)
