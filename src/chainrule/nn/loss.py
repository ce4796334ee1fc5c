"""Loss layers: the functions of ``chainrule.functional`` as modules.

Each holds its settings (reduction, class weights, ...) and calls the
function in ``forward(input, target)``. Class weights and ``pos_weight`` are
registered as buffers, as in PyTorch, so they are saved in ``state_dict()``.
"""

from __future__ import annotations

from typing import Any

from chainrule.functional import loss as F
from chainrule.nn.module import Module
from chainrule.tensor import Tensor


class _Loss(Module):
    def __init__(self, reduction: str) -> None:
        super().__init__()
        self.reduction = F.check_reduction(type(self).__name__, reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


def _buffer(value: Any) -> Tensor | None:
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor(value)


class MSELoss(_Loss):
    """Mean squared error: ``(input - target)²``, reduced.

    Parameters
    ----------
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape
    -----
    - Input: any shape. Target: the same shape (a different shape raises,
      where PyTorch warns and broadcasts).
    - Output: a scalar; with ``reduction="none"`` the input's shape.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.MSELoss()(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 0.0]))
    tensor(2.)
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(reduction)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood of class labels, given log-probabilities.

    Put it after ``LogSoftmax(axis=1)``; or use :class:`CrossEntropyLoss` on
    the logits, which is the same thing in one layer.

    Parameters
    ----------
    weight
        Optional class weights, shape ``(C,)`` (a buffer, not trained).
    ignore_index
        A label value that contributes nothing and is not counted.
    reduction
        ``"mean"`` (default; divides by the labels' total weight), ``"sum"``
        or ``"none"``.

    Shape
    -----
    - Input: ``(N, C)``, ``(N, C, d1, ..., dk)`` or ``(C,)``.
    - Target: integer labels ``(N,)``, ``(N, d1, ..., dk)`` or ``()``.
    - Output: a scalar; with ``reduction="none"`` the target's shape.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.NLLLoss()(cr.tensor(np.log([[0.25, 0.75]])), [1])
    tensor(0.28768207)
    """

    def __init__(
        self,
        weight: Any = None,
        *,
        ignore_index: int = -100,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )

    def extra_repr(self) -> str:
        return f"ignore_index={self.ignore_index}, reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits against class labels (or class probabilities).

    ``log_softmax`` and the negative log-likelihood in one, computed so that
    large logits stay finite; see :func:`chainrule.functional.cross_entropy`.

    Parameters
    ----------
    weight
        Optional class weights, shape ``(C,)`` (a buffer, not trained).
    ignore_index
        A label value that contributes nothing and is not counted.
    reduction
        ``"mean"`` (default; divides by the labels' total weight), ``"sum"``
        or ``"none"``.
    label_smoothing
        ε in [0, 1]: the target puts ``1 - ε`` on the label and spreads ε
        evenly over all classes (default 0).

    Shape
    -----
    - Input: logits ``(N, C)``, ``(N, C, d1, ..., dk)`` or ``(C,)``.
    - Target: integer labels ``(N,)``, ``(N, d1, ..., dk)`` or ``()``; or
      float class probabilities of the input's shape.
    - Output: a scalar; with ``reduction="none"`` one loss per example.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    >>> criterion
    CrossEntropyLoss(ignore_index=-100, reduction='mean', label_smoothing=0.1)
    >>> logits = cr.zeros(4, 3, requires_grad=True)
    >>> loss = criterion(logits, [0, 1, 2, 0])
    >>> round(loss.item(), 6)  # log 3: uniform predictions
    1.098612
    """

    def __init__(
        self,
        weight: Any = None,
        *,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))
        self.ignore_index = ignore_index
        self.label_smoothing = F.check_label_smoothing(label_smoothing)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )

    def extra_repr(self) -> str:
        return (
            f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, "
            f"label_smoothing={self.label_smoothing}"
        )


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits: a sigmoid and the log-loss in one.

    Stable for logits of any size; see
    :func:`chainrule.functional.binary_cross_entropy_with_logits`.

    Parameters
    ----------
    weight
        Optional rescaling of each element's loss, broadcast to the input
        (a buffer).
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"``.
    pos_weight
        Optional weight of the positive term, broadcast along the last axis
        (one per class; a buffer).

    Shape
    -----
    - Input: logits, any shape. Target: the same shape, values in [0, 1].
    - Output: a scalar; with ``reduction="none"`` the input's shape.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.BCEWithLogitsLoss()(cr.tensor([0.0, 0.0]), cr.tensor([0.0, 1.0]))
    tensor(0.69314718)
    """

    def __init__(
        self, weight: Any = None, *, reduction: str = "mean", pos_weight: Any = None
    ) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))
        self.register_buffer("pos_weight", _buffer(pos_weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input,
            target,
            self.weight,
            reduction=self.reduction,
            pos_weight=self.pos_weight,
        )
