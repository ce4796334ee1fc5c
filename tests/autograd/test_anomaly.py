"""detect_anomaly names the op and the line of a planted log(0) and 0/0."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import AnomalyError, detect_anomaly
from chainrule.autograd.function import Function


def line_of(marker: str) -> int:
    source, _ = inspect.getsourcelines(inspect.getmodule(line_of))
    return next(k for k, line in enumerate(source, start=1) if marker in line)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_log_of_zero_is_traced_to_its_op_and_line() -> None:
    x = cr.tensor([0.0, 1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        y = cr.tanh(x)
        z = cr.log(x * y + x)  # planted: log(0)
        loss = z.sum()
        with pytest.raises(AnomalyError) as caught:
            loss.backward()
    message = str(caught.value)
    assert message.startswith("Log.backward turned finite gradients into inf")
    assert f"test_anomaly.py:{line_of('planted: log(0)')}" in message
    assert "(3,)" in message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_zero_over_zero_is_traced_to_the_division() -> None:
    a = cr.tensor([0.0, 1.0], requires_grad=True)
    b = cr.tensor([0.0, 2.0], requires_grad=True)
    with detect_anomaly():
        ratio = a / b  # planted: 0/0
        loss = (ratio * 0.0).sum()
        with pytest.raises(AnomalyError) as caught:
            loss.backward()
    message = str(caught.value)
    assert message.startswith("Divide.backward")
    assert f"test_anomaly.py:{line_of('planted: 0/0')}" in message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_forward_check_stops_at_the_op_that_made_nan() -> None:
    a = cr.tensor([0.0, 1.0], requires_grad=True)
    b = cr.tensor([0.0, 2.0], requires_grad=True)
    with (
        detect_anomaly(forward=True, backward=False),
        pytest.raises(AnomalyError) as caught,
    ):
        _ = cr.exp(a) + a / b
    assert str(caught.value).startswith("Divide produced nan in output 0")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_inf_saved_in_forward_is_reported_as_coming_from_earlier() -> None:
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        y = cr.log(x).detach()  # the -inf enters as a constant
        loss = (x * y).sum()
        with pytest.raises(AnomalyError) as caught:
            loss.backward()
    message = str(caught.value)
    assert message.startswith("Multiply.backward")
    assert "came from an earlier op" in message
    assert "forward=True" in message


def test_anomaly_mode_is_off_outside_and_restores_apply() -> None:
    plain = Function.__dict__["apply"]
    with detect_anomaly(), detect_anomaly(forward=True):
        assert Function.__dict__["apply"] is not plain
    assert Function.__dict__["apply"] is plain
    x = cr.tensor([1.0], requires_grad=True)
    assert not hasattr(cr.exp(x).grad_fn, "_created_at")


def test_clean_run_under_anomaly_mode_is_silent() -> None:
    x = cr.tensor([0.5, 1.0], requires_grad=True)
    with detect_anomaly(forward=True):
        cr.log(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 1.0])
