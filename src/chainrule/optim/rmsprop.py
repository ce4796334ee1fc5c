"""``RMSprop``: steps divided by a running root-mean-square of the gradient."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from chainrule.optim.optimizer import Optimizer, ParamGroup, check_flag, check_number


class RMSprop(Optimizer):
    """RMSprop: divide each gradient by the root of its running mean square.

    Each step, for every weight θ with gradient g (PyTorch's formulation):

    1. g ← -g if ``maximize``; then g ← g + weight_decay·θ.
    2. v ← α·v + (1 - α)·g², starting at 0.
    3. The scale s ← √v + eps; with ``centered``, also a ← α·a + (1 - α)·g
       and s ← √(v - a²) + eps (an estimate of the variance, not the mean
       square).
    4. With momentum μ > 0: b ← μ·b + g/s and θ ← θ - lr·b; else
       θ ← θ - lr·g/s.

    Parameters
    ----------
    params
        Weights, or parameter-group dicts (see :class:`Optimizer`).
    lr
        Learning rate, >= 0 (default 1e-2).
    alpha
        Decay of the mean square, >= 0 (default 0.99).
    eps
        Added to the scale, >= 0 (default 1e-8).
    weight_decay
        L2 penalty added to the gradient, >= 0 (default 0).
    momentum
        Momentum factor μ, >= 0 (default 0).
    centered
        Divide by the running variance rather than the mean square.
    maximize
        Ascend the objective instead of descending.

    State
    -----
    ``step`` (an int), ``square_avg`` (v), ``momentum_buffer`` (b) with
    momentum > 0, ``grad_avg`` (a) when centered.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import optim
    >>> w = cr.tensor([1.0, -2.0], requires_grad=True)
    >>> optimizer = optim.RMSprop([w], lr=0.01, alpha=0.99)
    >>> (w * w).sum().backward()
    >>> optimizer.step()
    >>> w  # the first step is lr/sqrt(1 - alpha) = 0.1 per weight
    tensor([ 0.9, -1.9], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any], where: str) -> None:
        options["lr"] = check_number(where, "lr", options["lr"])
        options["alpha"] = check_number(where, "alpha", options["alpha"])
        options["eps"] = check_number(where, "eps", options["eps"])
        options["weight_decay"] = check_number(
            where, "weight_decay", options["weight_decay"]
        )
        options["momentum"] = check_number(where, "momentum", options["momentum"])
        options["centered"] = check_flag(where, "centered", options["centered"])
        options["maximize"] = check_flag(where, "maximize", options["maximize"])

    def _required_state(self, group: ParamGroup) -> tuple[str, ...]:
        names: tuple[str, ...] = ("step", "square_avg")
        if group["momentum"] > 0:
            names += ("momentum_buffer",)
        if group["centered"]:
            names += ("grad_avg",)
        return names

    def _update(
        self,
        theta: np.ndarray,
        grad: np.ndarray,
        state: dict[str, Any],
        group: ParamGroup,
    ) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        weight_decay = group["weight_decay"]
        state["step"] = state.get("step", 0) + 1
        v = state.setdefault("square_avg", np.zeros_like(theta))

        g = -grad if group["maximize"] else grad
        if weight_decay != 0:
            g = g + weight_decay * theta

        v *= alpha
        v += (1 - alpha) * g * g
        if group["centered"]:
            a = state.setdefault("grad_avg", np.zeros_like(theta))
            a += (1 - alpha) * (g - a)
            # NOTE: v - a² >= 0 in exact arithmetic (a mean square bounds
            # the square of the mean); rounding can take it just below 0
            # when the gradient barely varies, where PyTorch gives nan.
            scale = np.sqrt(np.maximum(v - a * a, 0))
        else:
            scale = np.sqrt(v)
        scale += group["eps"]

        if momentum > 0:
            buffer = state.setdefault("momentum_buffer", np.zeros_like(theta))
            buffer *= momentum
            buffer += g / scale
            theta -= group["lr"] * buffer
        else:
            theta -= group["lr"] * (g / scale)
