"""check_layer: each promise of the layer contract, kept and broken."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.gradcheck import LayerCheckError

RNG = np.random.default_rng(1)


def statuses(result) -> dict[str, str]:
    return {item.name: item.status for item in result.items}


def failed_item(layer, *inputs):
    with pytest.raises(LayerCheckError) as caught:
        cr.check_layer(layer, *inputs)
    (item,) = caught.value.result.failures
    return item


class Scale(cr.nn.Module):
    """y = x * w, a correct layer with a weight."""

    def __init__(self) -> None:
        super().__init__()
        self.w = cr.nn.Parameter(np.array([0.5, -1.0, 2.0]))

    def forward(self, x):
        return x * self.w


def test_correct_layers_pass_every_applicable_item() -> None:
    result = cr.check_layer(cr.nn.Linear(3, 2), RNG.standard_normal((4, 3)))
    assert result.passed
    assert statuses(result)["weight and data gradients vs central differences"] == "ok"
    assert statuses(result)["called twice in one graph"] == "ok"
    assert "7 passed, 0 failed, 2 skipped" in str(result)


def test_gradcheck_covers_weights_and_data_of_a_module() -> None:
    layer = cr.nn.Linear(3, 2)
    x = cr.randn(4, 3, requires_grad=True)
    result = cr.gradcheck(layer, x)
    assert [b.input for b in result.blocks] == [
        "input 0",
        "parameter weight",
        "parameter bias",
    ]


def test_state_kept_on_the_module_breaks_the_called_twice_item() -> None:
    class Cached(cr.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = cr.nn.Parameter(np.array([0.5, -1.0, 2.0]))

        def forward(self, x):
            module = self

            class Op(cr.Function):
                def forward(self, x, w):
                    module.last_input = x  # BUG: one slot shared by every call
                    return x * w

                def backward(self, grad):
                    return grad * module.w.data, grad * module.last_input

            return Op.apply(x, self.w)

    item = failed_item(Cached(), RNG.standard_normal((4, 3)))
    assert item.name == "called twice in one graph"
    assert "gradient of w" in item.detail


def test_state_shared_by_a_function_without_weights_is_caught_too() -> None:
    class Square(cr.Function):
        last = None

        def forward(self, x):
            Square.last = x  # BUG: one slot for every call, on the class
            return x * x

        def backward(self, grad):
            return 2 * Square.last * grad

    result = cr.check_layer(Square.apply, RNG.standard_normal(3), raise_exception=False)
    assert statuses(result)["weight and data gradients vs central differences"] == "ok"
    (item,) = result.failures
    assert item.name == "called twice in one graph"
    assert "input 0 of the first call" in item.detail


def test_one_tensor_in_two_argument_slots() -> None:
    class Product(cr.Function):
        def forward(self, x, y):
            self.same = x is y
            self.save_for_backward(x, y)
            return x * y

        def backward(self, grad):
            x, y = self.saved
            if self.same:  # BUG: counts d(x²)/dx in each slot, then the
                return 2 * x * grad, 2 * x * grad  # engine adds the two
            return grad * y, grad * x

    x, y = RNG.standard_normal(3), RNG.standard_normal(3)
    result = cr.check_layer(Product.apply, x, y, raise_exception=False)
    (item,) = result.failures
    assert item.name == "an input used twice gets both gradients"
    assert "input 0 and input 1" in item.detail

    correct = cr.check_layer(cr.multiply, x, y)
    detail = {i.name: i.detail for i in correct.items}
    assert "layer(x, x) with inputs 0 and 1" in detail[item.name]


def test_float32_weights_are_checked_in_float64_and_given_back() -> None:
    layer = cr.nn.Linear(3, 2, dtype=np.float32)
    weight = layer.weight.data
    assert cr.check_layer(layer, RNG.standard_normal((4, 3))).passed
    assert layer.weight.data is weight and weight.dtype == np.float32


def test_a_forward_that_writes_into_its_input_is_caught() -> None:
    class Clamp(cr.Function):
        def forward(self, x):
            np.clip(x, -1, 1, out=x)  # BUG: modifies the caller's array
            return x * 1.0

        def backward(self, grad):
            return grad

    item = failed_item(Clamp.apply, RNG.standard_normal(5) * 3)
    assert item.name.startswith("inputs, weights")
    assert "input 0" in item.detail


def test_a_backward_that_writes_into_the_upstream_gradient_is_caught() -> None:
    class Double(cr.Function):
        def forward(self, x):
            return 2 * x

        def backward(self, grad):
            grad *= 2  # BUG: the incoming gradient may be shared
            return grad

    result = cr.check_layer(Double.apply, RNG.standard_normal(4), raise_exception=False)
    item = next(i for i in result.items if i.name.startswith("inputs, weights"))
    assert item.status == "FAIL"
    assert "upstream gradient" in item.detail


def test_a_random_forward_stops_the_check_with_advice() -> None:
    def noisy(x):
        return x * cr.tensor(np.random.default_rng().random(x.shape))

    item = failed_item(noisy, RNG.standard_normal(4))
    assert item.name == "forward is deterministic"
    assert "eval()" in item.detail


def test_a_mean_over_the_batch_in_a_weight_gradient_fails_on_an_empty_batch() -> None:
    class BatchScaled(cr.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = cr.nn.Parameter(np.array([1.0, 2.0]))

        def forward(self, x):
            return x.mean(axis=0) * self.w

    with pytest.raises(LayerCheckError) as caught:
        cr.check_layer(BatchScaled(), RNG.standard_normal((3, 2)))
    item = caught.value.result.failures[0]
    assert item.name == "empty batch"
    assert "not finite" in item.detail


def test_broadcast_inputs_are_checked_for_layers_of_several_inputs() -> None:
    class BiasFromOneRow(cr.Function):
        """Right for same-shape inputs; a broadcast b gets row 0 only."""

        def forward(self, x, b):
            self.b_rows = b.shape[0]
            return x + b

        def backward(self, grad):
            return grad, grad[: self.b_rows]

    result = cr.check_layer(
        BiasFromOneRow.apply,
        RNG.standard_normal((4, 3)),
        RNG.standard_normal((4, 3)),
        raise_exception=False,
    )
    assert statuses(result)["weight and data gradients vs central differences"] == "ok"
    assert statuses(result)["broadcast inputs"] == "FAIL"


def test_zero_dim_inputs_for_elementwise_layers() -> None:
    result = cr.check_layer(cr.tanh, RNG.standard_normal(3))
    assert statuses(result)["0-d inputs"] == "ok"


def test_a_kink_skips_the_gradient_item_instead_of_failing() -> None:
    result = cr.check_layer(cr.relu, np.array([0.0, 1.0, -1.0]))
    assert result.passed
    assert (
        statuses(result)["weight and data gradients vs central differences"]
        == "skipped"
    )


def test_custom_module_passes() -> None:
    assert cr.check_layer(Scale(), RNG.standard_normal((2, 3))).passed
