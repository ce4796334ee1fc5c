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


class set_grad_enabled(_GradMode):
    """Turn recording on (``True``) or off (``False``), as ``torch.set_grad_enabled``.

    Called on its own it sets the mode at once, for the rest of the program
    (or until set again). As ``with set_grad_enabled(mode):`` it sets the
    mode for the block and restores the previous one after it; as
    ``@set_grad_enabled(mode)`` for every call of the function. Handy when
    one flag decides, ``set_grad_enabled(training)``.

    Parameters
    ----------
    mode
        True records the graph (as ``enable_grad``), False does not (as
        ``no_grad``).

    Examples
    --------
    >>> import chainrule as cr
    >>> w = cr.ones(3, requires_grad=True)
    >>> with cr.set_grad_enabled(False):
    ...     y = w * 2
    >>> y.requires_grad, cr.is_grad_enabled()
    (False, True)
    >>> _ = cr.set_grad_enabled(False)
    >>> cr.is_grad_enabled()
    False
    >>> _ = cr.set_grad_enabled(True)
    """

    def __new__(cls, mode: bool) -> Any:
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(
                f"set_grad_enabled(mode): mode must be True or False, got {mode!r}"
            )
        self.mode = mode
        # NOTE: as in PyTorch, the call itself sets the mode, so that the
        # plain function form works; the previous mode is kept for a with
        # block to restore, and a decorator undoes the change (below).
        self._previous = [state.enabled]
        self._applied = True
        state.enabled = mode

    def __enter__(self) -> None:
        if self._applied:
            self._applied = False  # the mode was set when this was made
            return
        super().__enter__()

    def __call__(self, fn: F) -> F:
        if self._applied:
            self._applied = False
            state.enabled = self._previous.pop()
        return super().__call__(fn)
