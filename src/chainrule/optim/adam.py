"""``Adam`` and ``AdamW``: steps scaled by running moments of the gradient."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from chainrule.optim.optimizer import Optimizer, ParamGroup, check_flag, check_number


class Adam(Optimizer):
    """Adam: each weight's step is its mean gradient over its RMS gradient.

    Each step t, for every weight θ with gradient g (PyTorch's formulation):

    1. g ← -g if ``maximize``; then g ← g + weight_decay·θ (an L2 penalty,
       which Adam rescales like the gradient: see :class:`AdamW`).
    2. m ← β₁·m + (1 - β₁)·g and v ← β₂·v + (1 - β₂)·g², both starting at 0.
    3. With ``amsgrad``, v_max ← max(v_max, v), used in place of v below.
    4. θ ← θ - lr/(1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + eps).

    The factors 1 - βᵗ undo the pull of the zero start on the averages.

    Parameters
    ----------
    params
        Weights, or parameter-group dicts (see :class:`Optimizer`).
    lr
        Learning rate, >= 0 (default 1e-3).
    betas
        (β₁, β₂), each in [0, 1): the decay of the averages of the gradient
        and of its square (default (0.9, 0.999)).
    eps
        Added to the denominator, >= 0 (default 1e-8).
    weight_decay
        L2 penalty added to the gradient, >= 0 (default 0).
    amsgrad
        Divide by the largest v so far (the AMSGrad variant).
    maximize
        Ascend the objective instead of descending.

    State
    -----
    ``step`` (an int), ``exp_avg`` (m), ``exp_avg_sq`` (v), and
    ``max_exp_avg_sq`` (v_max) with amsgrad.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import optim
    >>> w = cr.tensor([1.0, -2.0], requires_grad=True)
    >>> optimizer = optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> optimizer.step()
    >>> w  # the first step moves every weight by about lr
    tensor([ 0.9, -1.9], requires_grad=True)
    """

    # NOTE: True makes the weight decay decoupled (AdamW).
    _decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any], where: str) -> None:
        options["lr"] = check_number(where, "lr", options["lr"])
        betas = options["betas"]
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise TypeError(
                f"{where}: betas must be a pair (beta1, beta2), e.g. "
                f"(0.9, 0.999), got {betas!r}"
            )
        options["betas"] = (
            check_number(where, "betas[0]", betas[0], 0.0, 1.0),
            check_number(where, "betas[1]", betas[1], 0.0, 1.0),
        )
        options["eps"] = check_number(where, "eps", options["eps"])
        options["weight_decay"] = check_number(
            where, "weight_decay", options["weight_decay"]
        )
        options["amsgrad"] = check_flag(where, "amsgrad", options["amsgrad"])
        options["maximize"] = check_flag(where, "maximize", options["maximize"])

    def _required_state(self, group: ParamGroup) -> tuple[str, ...]:
        names = ("step", "exp_avg", "exp_avg_sq")
        return (*names, "max_exp_avg_sq") if group["amsgrad"] else names

    def _update(
        self,
        theta: np.ndarray,
        grad: np.ndarray,
        state: dict[str, Any],
        group: ParamGroup,
    ) -> None:
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(theta)
            state["exp_avg_sq"] = np.zeros_like(theta)
        state["step"] += 1
        t = state["step"]

        g = -grad if group["maximize"] else grad
        if weight_decay != 0 and self._decoupled:
            theta *= 1 - lr * weight_decay
        elif weight_decay != 0:
            g = g + weight_decay * theta

        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * g * g
        if group["amsgrad"]:
            v_max = state.setdefault("max_exp_avg_sq", np.zeros_like(theta))
            np.maximum(v_max, v, out=v_max)
            v = v_max

        # NOTE: the bias corrections are Python floats, which keep float32
        # weights and state float32 (NumPy 2 promotion rules).
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        denominator = np.sqrt(v) / math.sqrt(bias_correction2) + group["eps"]
        theta -= (lr / bias_correction1) * (m / denominator)


class AdamW(Adam):
    """Adam with decoupled weight decay: θ ← θ·(1 - lr·weight_decay) each step.

    In :class:`Adam` the L2 penalty is added to the gradient, so it is
    divided by √v like the rest: weights with large gradients are barely
    decayed. AdamW shrinks every weight by the same factor before the Adam
    step, which is then computed from the gradient alone (Loshchilov and
    Hutter). Apart from that and the default ``weight_decay=1e-2``, it is
    :class:`Adam`, with the same options and state.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import optim
    >>> w = cr.tensor([1.0], requires_grad=True)
    >>> w.grad = cr.zeros(1)
    >>> optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
    >>> w  # a zero gradient: only the decay, 1 - 0.1·0.5
    tensor([0.95], requires_grad=True)
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize
        )
