"""Anomaly detection: where did a NaN or an Inf come from?

Inside ``with detect_anomaly():`` every op remembers the line of user code
that created it (a stack capture per op: slow, so only while the mode is on),
and the backward pass checks each node's gradients. The first node whose
backward turns finite gradients into NaN or Inf raises
:class:`AnomalyError` naming the op, its input shapes and that line.

``detect_anomaly(forward=True)`` also checks every op's output in the forward
pass: an op that makes NaN or Inf from finite inputs raises right there.
``detect_anomaly(forward=True, backward=False)`` does only that, with no
stack capture, so it is cheap enough to leave on while debugging a run.

Note [anomaly mode costs nothing when off]
    The mode does not add a check to the per-op path. Entering it swaps
    ``Function.apply`` for a wrapper that does the extra work, and leaving
    restores the original; the engine reads the mode once per backward call.
"""

from __future__ import annotations

import os
import traceback
from types import TracebackType
from typing import Any

import numpy as np

from chainrule.autograd import function as _function
from chainrule.errors import ChainruleError


class AnomalyError(ChainruleError, FloatingPointError):
    """An op produced NaN or Inf; the message names the op and its line."""


class _State:
    backward = False
    forward = False
    depth = 0


state = _State()

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_plain_apply = _function.Function.__dict__["apply"]


class detect_anomaly:
    """Find the op that first produced NaN or Inf, and the line that made it.

    Parameters
    ----------
    forward
        Also check every op's output during the forward pass.
    backward
        Check gradients during backward, naming the forward line of the op
        (captures a stack per op while on).

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> x = cr.tensor([0.0, 1.0], requires_grad=True)
    >>> with np.errstate(divide="ignore"), cr.autograd.detect_anomaly():
    ...     y = cr.log(x).sum()
    ...     try:
    ...         y.backward()
    ...     except cr.autograd.AnomalyError as error:
    ...         print(str(error).splitlines()[0])
    Log.backward turned finite gradients into inf: gradient of input 0 (shape (2,))
    """

    def __init__(self, forward: bool = False, backward: bool = True) -> None:
        self.forward = forward
        self.backward = backward
        self._previous: list[tuple[bool, bool]] = []

    def __enter__(self) -> None:
        self._previous.append((state.forward, state.backward))
        state.forward = self.forward or state.forward
        state.backward = self.backward or state.backward
        if state.depth == 0:
            _function.Function.apply = _checked_apply  # type: ignore[method-assign]
        state.depth += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        state.depth -= 1
        if state.depth == 0:
            _function.Function.apply = _plain_apply  # type: ignore[method-assign]
        state.forward, state.backward = self._previous.pop()


@classmethod  # type: ignore[misc]
def _checked_apply(cls: Any, *args: Any, **options: Any) -> Any:
    result = _plain_apply.__func__(cls, *args, **options)
    outputs = result if isinstance(result, tuple) else (result,)

    if state.forward:
        inputs = [a for a in args if isinstance(a, _function._Tensor)]
        if all(_finite(a._data) for a in inputs):
            for j, out in enumerate(outputs):
                if not _finite(out._data):
                    raise AnomalyError(
                        f"{cls.__name__} produced {_kind(out._data)} in output {j} "
                        f"(shape {out.shape}) from finite inputs of shapes "
                        f"{_shapes(inputs)}; the line that called it is in the "
                        "traceback below"
                    )
    if state.backward:
        node = outputs[0]._node if outputs else None
        if node is not None:
            node._created_at = _user_frames()
    return result


def check_gradients(node: Any, grads_out: list[Any], grads_in: Any) -> None:
    """Raise if ``node``'s backward made NaN/Inf from finite output gradients."""
    if not all(g is None or _finite(_array(g)) for g in grads_out):
        return
    for k, grad in enumerate(grads_in):
        if grad is None:
            continue
        array = _array(grad)
        if _finite(array):
            continue
        shapes = [edge[2] if edge is not None else "constant" for edge in node.edges]
        saved = node._saved or ()
        bad_saved = [
            s
            for s in saved
            if isinstance(s, np.ndarray) and s.dtype.kind == "f" and not _finite(s)
        ]
        lines = [
            f"{type(node).__name__}.backward turned finite gradients into "
            f"{_kind(array)}: gradient of input {k} (shape {array.shape})",
            f"  inputs of the op: {', '.join(map(str, shapes))}",
        ]
        frames = getattr(node, "_created_at", None)
        if frames:
            lines.append("  the op was created in the forward pass at:")
            lines.extend(
                f"    {f.filename}:{f.lineno} in {f.name}"
                + (f": {f.line}" if f.line else "")
                for f in frames
            )
        else:
            lines.append(
                "  (the op was created outside detect_anomaly(), so its line is "
                "unknown: run the forward pass inside it too)"
            )
        if bad_saved:
            lines.append(
                "  the values it saved in forward already hold nan/inf: they "
                "came from an earlier op; detect_anomaly(forward=True) stops there"
            )
        raise AnomalyError("\n".join(lines))


def _user_frames(limit: int = 3) -> list[traceback.FrameSummary]:
    """The innermost frames outside chainrule: where the user called the op."""
    frames = [
        f for f in traceback.extract_stack()[:-2] if not f.filename.startswith(_PACKAGE)
    ]
    return frames[-limit:][::-1]


def _array(value: Any) -> np.ndarray:
    return value._data if isinstance(value, _function._Tensor) else np.asarray(value)


def _finite(array: np.ndarray) -> bool:
    return array.dtype.kind != "f" or bool(np.isfinite(array).all())


def _kind(array: np.ndarray) -> str:
    has_nan = bool(np.isnan(array).any())
    has_inf = bool(np.isinf(array).any())
    return "nan and inf" if has_nan and has_inf else "nan" if has_nan else "inf"


def _shapes(tensors: list[Any]) -> str:
    return ", ".join(str(t.shape) for t in tensors) or "none"
