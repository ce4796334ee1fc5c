"""no_grad and enable_grad in all their forms."""

from __future__ import annotations

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
