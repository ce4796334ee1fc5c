"""Whether operations record the computational graph.

The switch is one module attribute read on every op, which is as cheap as a
switch can be. NOTE: it is process-wide, not per thread (unlike PyTorch): a
``no_grad()`` block in one thread turns recording off for all of them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    enabled = True


state = _State()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad record the graph."""
    return state.enabled


class _GradMode:
    """Sets grad mode for a ``with`` block or for every call of a function.

    Works as ``with no_grad():``, ``@no_grad()`` and ``@no_grad``; a
    decorated generator function runs its whole body in the mode.
    """

    mode: bool

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        instance = super().__new__(cls)
        if fn is None:
            return instance
        # Used bare as a decorator: ``@no_grad`` on ``def f``.
        instance._previous = []
        return instance(fn)

    def __init__(self, fn: Callable[..., Any] | None = None) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(state.enabled)
        state.enabled = self.mode

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        state.enabled = self._previous.pop()

    def __call__(self, fn: F) -> F:
        mode = self.mode

        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator(*args: Any, **kwargs: Any) -> Any:
                # NOTE: set the mode around each step of the generator, not
                # just its creation, and restore it while the caller runs.
                inner = fn(*args, **kwargs)
                value = None
                while True:
                    previous = state.enabled
                    state.enabled = mode
                    try:
                        item = inner.send(value)
                    except StopIteration as stop:
                        return stop.value
                    finally:
                        state.enabled = previous
                    value = yield item

            return generator  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous = state.enabled
            state.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                state.enabled = previous

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Run without recording the graph: results do not require grad.

    Use it for evaluation and for updating weights in place.

    Examples
    --------
    >>> import chainrule as cr
    >>> w = cr.ones(3, requires_grad=True)
    >>> with cr.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradMode):
    """Record the graph again inside a ``no_grad`` block."""

    mode = True
