"""no_grad, enable_grad and set_grad_enabled in all their forms."""

from __future__ import annotations

import pytest
import torch

import chainrule as cr


def test_bare_decorator() -> None:
    w = cr.tensor([1.0], requires_grad=True)

    @cr.no_grad
    def step():
        return w * 2

    assert not step().requires_grad
    assert cr.is_grad_enabled()


def test_decorated_generator_runs_its_body_without_recording() -> None:
    w = cr.tensor([1.0], requires_grad=True)

    @cr.no_grad()
    def outputs():
        for k in range(3):
            yield w * k

    results = list(outputs())
    assert not any(r.requires_grad for r in results)
    assert cr.is_grad_enabled()


def test_generator_does_not_leak_its_mode_to_the_caller() -> None:
    @cr.no_grad()
    def numbers():
        yield 1
        yield 2

    for _ in numbers():
        assert cr.is_grad_enabled()


def test_set_grad_enabled_as_a_function_sets_the_mode_until_set_again() -> None:
    w = cr.tensor([1.0], requires_grad=True)
    try:
        cr.set_grad_enabled(False)
        assert not cr.is_grad_enabled()
        assert not (w * 2).requires_grad
    finally:
        cr.set_grad_enabled(True)
    assert cr.is_grad_enabled()
    assert (w * 2).requires_grad


def test_set_grad_enabled_as_a_context_manager_restores_the_mode() -> None:
    w = cr.tensor([1.0], requires_grad=True)
    with cr.set_grad_enabled(False):
        assert not (w * 2).requires_grad
        with cr.set_grad_enabled(True):
            assert (w * 2).requires_grad
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()
    with cr.no_grad(), cr.set_grad_enabled(True):
        assert (w * 2).requires_grad


def test_set_grad_enabled_restores_the_mode_after_an_error() -> None:
    with pytest.raises(KeyError), cr.set_grad_enabled(False):
        raise KeyError("inside the block")
    assert cr.is_grad_enabled()


def test_set_grad_enabled_as_a_decorator_changes_only_the_calls() -> None:
    w = cr.tensor([1.0], requires_grad=True)

    @cr.set_grad_enabled(False)
    def evaluate():
        return w * 2

    assert cr.is_grad_enabled()  # decorating does not switch recording off
    assert not evaluate().requires_grad
    assert cr.is_grad_enabled()
    with cr.no_grad():
        assert cr.set_grad_enabled(True)(lambda: w * 2)().requires_grad
        assert not cr.is_grad_enabled()


def test_set_grad_enabled_with_one_flag_matches_torch() -> None:
    for training in (True, False):
        w = cr.tensor([2.0], requires_grad=True)
        w_torch = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
        with cr.set_grad_enabled(training):
            y = w * 3
        with torch.set_grad_enabled(training):
            y_torch = w_torch * 3
        assert y.requires_grad == y_torch.requires_grad == training


def test_set_grad_enabled_refuses_a_mode_that_is_not_a_bool() -> None:
    with pytest.raises(TypeError, match="mode must be True or False, got 'no'"):
        cr.set_grad_enabled("no")  # type: ignore[arg-type]
    assert cr.is_grad_enabled()
    with pytest.raises(TypeError, match="mode must be True or False"):

        @cr.set_grad_enabled  # type: ignore[arg-type]
        def f() -> None: ...
