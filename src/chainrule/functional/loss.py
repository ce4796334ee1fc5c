"""Loss functions: one number that says how wrong a prediction is.

Each loss is a composition of chainrule ops, so its gradient comes from the
ops' backward rules and differentiates again (no hand-written backward here).
The arguments and results follow PyTorch's ``torch.nn.functional``:

- ``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"`` (one loss per
  element, shaped like the target).
- Classification losses take the class axis as axis 1: inputs ``(N, C)`` or
  ``(N, C, d1, ..., dk)`` with integer labels ``(N,)`` or ``(N, d1, ..., dk)``,
  or a single example ``(C,)`` with a 0-d label.
- A label equal to ``ignore_index`` (default -100) adds nothing to the loss or
  its gradient, and is not counted by the mean.
- Targets and weights given as arrays, lists or numbers take the input's
  float dtype, so a float32 loss stays float32.

The inputs are not checked for being probabilities or log-probabilities: as in
PyTorch, ``nll_loss`` trusts that its input is log-probabilities. Everything
that can be checked cheaply is (shapes, label dtype and range, options), with
an error that names the offending values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.errors import DTypeError, IndexingError, ShapeError
from chainrule.ops.activation import log_softmax, softplus
from chainrule.ops.elementwise import where
from chainrule.ops.loss import label_cross_entropy
from chainrule.ops.shape import moveaxis
from chainrule.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: ``(input - target)²``, reduced.

    Parameters
    ----------
    input, target
        Tensors (or arrays) of the same shape. Both may require grad.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Unlike PyTorch, which warns and broadcasts, different shapes raise a
    ``ShapeError``: broadcasting ``(N,)`` against ``(N, 1)`` would compare
    every prediction with every target.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import functional as F
    >>> F.mse_loss(cr.tensor([1.0, 2.0]), cr.tensor([0.0, 4.0]))
    tensor(2.5)
    >>> F.mse_loss(cr.tensor([1.0, 2.0]), cr.tensor([0.0, 4.0]), reduction="none")
    tensor([1., 4.])
    """
    reduction = check_reduction("mse_loss", reduction)
    x, y = _as_tensor(input), _as_target(target, input)
    if x.shape != y.shape:
        raise ShapeError(
            f"mse_loss: input of shape {x.shape} and target of shape {y.shape} "
            "differ; they must have the same shape (broadcasting them would "
            "compare every prediction with every target). Reshape the target, "
            "e.g. target.reshape(input.shape)"
        )

    difference = x - y
    return _reduce(difference * difference, reduction)


def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of integer class labels, given log-probabilities.

    ``loss[n] = -weight[target[n]] * input[n, target[n]]``; the mean divides
    the sum by the total weight of the labels not ignored, so
    ``nll_loss(log_softmax(x, axis=1), target)`` is :func:`cross_entropy`.

    Parameters
    ----------
    input
        Log-probabilities ``(N, C)``, ``(N, C, d1, ..., dk)`` or ``(C,)``.
    target
        Integer labels in ``[0, C)``: ``(N,)``, ``(N, d1, ..., dk)`` or 0-d.
    weight
        Optional class weights, shape ``(C,)`` (constants: they get no
        gradient, as in PyTorch).
    ignore_index
        A label value that contributes nothing and is not counted.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import functional as F
    >>> log_probs = cr.tensor(np.log([[0.5, 0.5], [0.9, 0.1]]))
    >>> F.nll_loss(log_probs, [1, 0], reduction="none")
    tensor([0.69314718, 0.10536052])
    """
    reduction = check_reduction("nll_loss", reduction)
    x = _as_tensor(input)
    labels = _check_labels("nll_loss", x, target, ignore_index)
    class_weight = _check_class_weight("nll_loss", weight, x)

    likelihood, total_weight = _picked(x, labels, class_weight, ignore_index)
    return _negated_reduce(likelihood, total_weight, reduction)


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits and class labels (or class probabilities).

    With integer labels, ``loss[n] = -log softmax(input[n])[target[n]]``,
    computed so that logits of any size (1e4 and beyond) stay finite:
    nothing is exponentiated before the largest logit is subtracted. A batch
    ``(N, C)`` with labels and no other option runs as one fused op; the
    other cases as ``nll_loss(log_softmax(input, axis=1), target)``.

    With ``label_smoothing = ε`` the one-hot target becomes
    ``(1 - ε)·onehot + ε/C``: ``loss[n] = (1 - ε)·nll[n] + ε/C · Σ_c
    -weight[c]·log p[n, c]``, and the mean still divides by the total weight
    of the labels, as PyTorch does.

    A float ``target`` of the same shape as ``input`` holds class
    probabilities: ``loss[n] = -Σ_c weight[c]·target[n, c]·log p[n, c]``
    (smoothed the same way; the mean divides by the number of examples).

    Parameters
    ----------
    input
        Logits (unnormalized scores) ``(N, C)``, ``(N, C, d1, ..., dk)`` or
        ``(C,)``; the class axis is axis 1 (axis 0 for a single example).
    target
        Integer labels in ``[0, C)`` of shape ``(N,)``, ``(N, d1, ..., dk)``
        or ``()``; or class probabilities shaped like ``input``.
    weight
        Optional class weights, shape ``(C,)`` (constants).
    ignore_index
        A label value that contributes nothing and is not counted (labels
        only).
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"``.
    label_smoothing
        ε in ``[0, 1]`` (default 0).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import functional as F
    >>> logits = cr.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]], requires_grad=True)
    >>> loss = F.cross_entropy(logits, [0, 2])
    >>> round(loss.item(), 6)
    0.669079
    >>> loss.backward()
    >>> logits.grad.shape
    (2, 3)
    """
    reduction = check_reduction("cross_entropy", reduction)
    epsilon = check_label_smoothing(label_smoothing)
    x = _as_tensor(input)
    if x.ndim == 0:
        raise ShapeError(
            "cross_entropy: got a 0-d input, but logits need a class axis: "
            "(C,) for one example or (N, C) for a batch"
        )
    class_axis = 1 if x.ndim >= 2 else 0
    class_weight = _check_class_weight("cross_entropy", weight, x)
    if _is_probabilities(target, x):
        probabilities = _as_tensor(target)
        log_probs = log_softmax(x, axis=class_axis)
        return _soft_target_loss(
            log_probs, probabilities, class_weight, epsilon, class_axis, reduction
        )

    labels = _check_labels("cross_entropy", x, target, ignore_index)
    # NOTE: the common case, a batch of logits with labels and no option,
    # is one op (ops.loss); every other case is composed from log_softmax, a
    # gather and a sum, which leave a -inf logit of another class harmless,
    # as in PyTorch. Both are checked against PyTorch (the op table has
    # both), first and second order.
    if (
        x.ndim == 2
        and class_weight is None
        and not epsilon
        and labels.size
        and (labels != ignore_index).all()
    ):
        return label_cross_entropy(x, labels, reduction)
    log_probs = log_softmax(x, axis=class_axis)
    likelihood, total_weight = _picked(log_probs, labels, class_weight, ignore_index)
    if epsilon:
        # NOTE: the smoothing term is every class's weighted log-probability,
        # spread evenly: ε/C of the target mass on each class. It is masked
        # like the label term and averaged over the same total weight.
        if class_weight is not None:
            log_probs = log_probs * _along(class_weight, class_axis, x.ndim)
        spread = log_probs.sum(axis=class_axis)
        kept = labels != ignore_index
        if not kept.all():
            spread = spread * kept.astype(x.dtype)
        classes = x.shape[class_axis]
        likelihood = (1 - epsilon) * likelihood + (epsilon / classes) * spread
    return _negated_reduce(likelihood, total_weight, reduction)


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Binary cross-entropy of targets in [0, 1] and logits, without a sigmoid.

    ``loss = -[p·y·log σ(x) + (1 - y)·log(1 - σ(x))]`` with σ the sigmoid
    and ``p = pos_weight`` (1 by default), computed as
    ``(1 - y)·x + (1 + (p - 1)·y)·softplus(-x)``, where
    ``softplus(-x) = -log σ(x)`` is evaluated without exponentiating a
    positive number: logits of magnitude 1e4 give finite losses and
    gradients, and no overflow warning, in float32 and float64.

    Parameters
    ----------
    input
        Logits, any shape.
    target
        Same shape as ``input``; values in [0, 1] (soft labels allowed). Bool
        and integer targets are read as floats.
    weight
        Optional rescaling of each element's loss, broadcast to ``input``.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"``.
    pos_weight
        Optional weight of the positive term, broadcast along the last axis
        (one per class in multi-label problems): above 1 it raises recall.

    ``weight`` and ``pos_weight`` may be Tensors that require grad and then
    get gradients (PyTorch gives them none); the target gets one too.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import functional as F
    >>> x = cr.tensor([1e4, -1e4, 0.0])
    >>> F.binary_cross_entropy_with_logits(x, [0.0, 1.0, 1.0], reduction="none")
    tensor([1.00000000e+04, 1.00000000e+04, 6.93147181e-01])
    """
    op = "binary_cross_entropy_with_logits"
    reduction = check_reduction(op, reduction)
    x, y = _as_tensor(input), _as_target(target, input)
    if x.shape != y.shape:
        raise ShapeError(
            f"{op}: input of shape {x.shape} and target of shape {y.shape} "
            "differ; give one target per logit (reshape the target to the "
            "input's shape)"
        )

    # NOTE: threshold=inf keeps softplus exact everywhere; its own stable
    # form (max(z, 0) + log1p(exp(-|z|))) never overflows.
    negative_log_sigmoid = softplus(-x, 1.0, math.inf)
    if pos_weight is not None:
        pos_weight = _as_factor(pos_weight, x)
        negative_log_sigmoid = negative_log_sigmoid * (1 + (pos_weight - 1) * y)
    losses = negative_log_sigmoid + (1 - y) * x
    if weight is not None:
        losses = losses * _as_factor(weight, x)
    return _reduce(losses, reduction)


# --- checking arguments ------------------------------------------------------------


def _as_tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(value)


def _as_target(target: Any, input: Any) -> Tensor:
    """A target Tensor as it is (it may want a gradient); anything else, and
    bool or integer targets, as a Tensor of the input's float dtype."""
    dtype = _as_tensor(input).dtype
    if isinstance(target, Tensor) and target.dtype.kind == "f":
        return target
    data = target.data if isinstance(target, Tensor) else target
    return Tensor(np.asarray(data, dtype if dtype.kind == "f" else None))


def _as_factor(value: Any, x: Tensor) -> Any:
    """A Tensor as it is (it may want a gradient); numbers and arrays in x's
    dtype, so that a float32 loss is not upcast by a float64 weight array."""
    return value if isinstance(value, Tensor) else np.asarray(value, x.dtype)


def check_reduction(op: str, reduction: Any) -> str:
    """``reduction`` if it is "mean", "sum" or "none"; else a ValueError."""
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(
            f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )
    return reduction


def check_label_smoothing(label_smoothing: Any) -> float:
    """``label_smoothing`` as a float in [0, 1]; else a ValueError."""
    epsilon = float(label_smoothing)
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be between 0 and 1 (the "
            f"share of the target spread over all classes), got {label_smoothing}"
        )
    return epsilon


def _labels_shape(x: Tensor) -> tuple[int, ...]:
    """The shape integer labels must have for input ``x`` (class axis removed)."""
    shape = x.shape
    return () if len(shape) == 1 else (shape[0], *shape[2:])


def _check_labels(op: str, x: Tensor, target: Any, ignore_index: int) -> np.ndarray:
    """``target`` as an integer array, checked against the input's shape and C."""
    if x.ndim == 0:
        raise ShapeError(
            f"{op}: got a 0-d input, but it needs a class axis: (C,) for one "
            "example or (N, C) for a batch"
        )
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.dtype.kind not in "iu":
        raise DTypeError(
            f"{op}: class labels must be integers, got a target of dtype "
            f"{labels.dtype}; convert with target.astype(np.int64)"
            + (
                ", or, for class probabilities, give a float target of the "
                f"input's shape {x.shape}"
                if op == "cross_entropy"
                else ""
            )
        )
    expected = _labels_shape(x)
    if labels.shape != expected:
        raise ShapeError(
            f"{op}: input of shape {x.shape} needs labels of shape {expected} "
            f"(the input's shape without the class axis {1 if x.ndim > 1 else 0}), "
            f"got a target of shape {labels.shape}"
        )

    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    wrong = ((labels < 0) | (labels >= classes)) & (labels != ignore_index)
    if wrong.any():
        position = tuple(int(i) for i in np.argwhere(wrong)[0])
        label = int(labels[position])
        raise IndexingError(
            f"{op}: label {label} (at position {position} of the target) is "
            f"out of range for {classes} classes; labels must be in "
            f"[0, {classes - 1}], or equal ignore_index={ignore_index} to be "
            "skipped"
        )
    return labels


def _check_class_weight(op: str, weight: Any, x: Tensor) -> np.ndarray | None:
    """Class weights as a constant array of ``x``'s dtype, or None."""
    if weight is None:
        return None
    if isinstance(weight, str):
        raise TypeError(
            f"{op}: weight must be an array of class weights, got the string "
            f"{weight!r}; pass the reduction by keyword: reduction={weight!r}"
        )
    if isinstance(weight, Tensor) and weight.requires_grad:
        raise NotImplementedError(
            f"{op}: weight requires grad, but class weights are constants here "
            "(as in PyTorch, whose loss has no weight gradient); pass "
            "weight.detach()"
        )
    array = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if array.shape != (classes,):
        raise ShapeError(
            f"{op}: weight of shape {array.shape} does not fit {classes} "
            f"classes (input of shape {x.shape}); give one weight per class, "
            f"shape ({classes},)"
        )
    return array.astype(x.dtype, copy=False)


def _is_probabilities(target: Any, x: Tensor) -> bool:
    """A float target shaped like the logits holds class probabilities."""
    data = target.data if isinstance(target, Tensor) else np.asarray(target)
    return bool(data.dtype.kind == "f" and data.shape == x.shape)


# --- computing -----------------------------------------------------------------------


def _along(values: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """Per-class ``values`` shaped to broadcast along ``axis`` of an ndim array."""
    return values.reshape((-1,) + (1,) * (ndim - axis - 1))


def _picked(
    log_probs: Tensor,
    labels: np.ndarray,
    class_weight: np.ndarray | None,
    ignore_index: int,
) -> tuple[Tensor, float]:
    """``weight[label]·log_probs[label]`` per example, and the total weight.

    The loss is the negative of this; the caller negates once, after
    reducing (one op on a scalar rather than one per example).
    """
    kept = labels != ignore_index
    safe = np.where(kept, labels, 0)
    classes_last = log_probs if log_probs.ndim <= 2 else moveaxis(log_probs, 1, -1)
    picked = classes_last[(*np.indices(safe.shape, sparse=True), safe)]

    if class_weight is None and kept.all():
        return picked, float(labels.size)
    scale = kept.astype(log_probs.dtype)
    if class_weight is not None:
        scale = scale * class_weight[safe]
    # NOTE: an ignored example picks class 0 as a stand-in and multiplies it
    # by 0; should that log-probability be -inf, 0·inf would be nan, so it is
    # replaced first.
    if not kept.all():
        picked = where(kept, picked, 0.0)
    return picked * scale, float(scale.sum())


def _soft_target_loss(
    log_probs: Tensor,
    probabilities: Tensor,
    class_weight: np.ndarray | None,
    epsilon: float,
    class_axis: int,
    reduction: str,
) -> Tensor:
    """Cross-entropy against a distribution over classes, one per example."""
    if epsilon:
        classes = log_probs.shape[class_axis]
        probabilities = probabilities * (1 - epsilon) + epsilon / classes
    products = log_probs * probabilities
    if class_weight is not None:
        products = products * _along(class_weight, class_axis, log_probs.ndim)
    return _reduce(-products.sum(axis=class_axis), reduction)


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _negated_reduce(likelihood: Tensor, total_weight: float, reduction: str) -> Tensor:
    """The loss ``-likelihood``, reduced; the mean divides by the total weight."""
    if reduction == "none":
        return -likelihood
    if reduction == "sum":
        return -likelihood.sum()
    if total_weight == 0:
        # NOTE: nothing counted (an empty batch, every label ignored or of
        # weight 0): the mean is 0/0 = nan, and its gradient 0, quietly.
        # PyTorch agrees except for weights that are all 0, where its
        # gradient is nan too.
        return likelihood.sum() * 0.0 + math.nan
    # NOTE: a Python float, so a float32 loss stays float32.
    return likelihood.sum() * (-1 / total_weight)
