"""``SGD``: stochastic gradient descent, with optional momentum."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from chainrule.optim.optimizer import Optimizer, ParamGroup, check_flag, check_number


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Each step, for every weight θ with gradient g (PyTorch's formulation):

    1. g ← -g if ``maximize``; then g ← g + weight_decay·θ (the L2 penalty).
    2. With momentum μ ≠ 0: the buffer b ← g on the first step, afterwards
       b ← μ·b + (1 - dampening)·g; then g ← g + μ·b with ``nesterov``,
       else g ← b.
    3. θ ← θ - lr·g.

    NOTE: this is PyTorch's momentum, in which the learning rate scales the
    buffer when it is applied (θ ← θ - lr·b), not when it is accumulated as
    in Sutskever et al. The two agree while lr is constant.

    Parameters
    ----------
    params
        Weights, or parameter-group dicts (see :class:`Optimizer`).
    lr
        Learning rate, >= 0 (default 1e-3, as in PyTorch 2).
    momentum
        Momentum factor μ, >= 0 (default 0: plain gradient descent).
    dampening
        Scales the new gradient in the buffer by (1 - dampening) (default 0).
    weight_decay
        L2 penalty added to the gradient, >= 0 (default 0).
    nesterov
        Nesterov momentum; needs momentum > 0 and dampening 0.
    maximize
        Ascend the objective instead of descending.

    State
    -----
    ``momentum_buffer`` per weight, when momentum ≠ 0.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import optim
    >>> w = cr.tensor([1.0, -2.0], requires_grad=True)
    >>> optimizer = optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     optimizer.zero_grad()
    ...     (w * w).sum().backward()
    ...     optimizer.step()
    >>> w
    tensor([ 0.46, -0.92], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any], where: str) -> None:
        options["lr"] = check_number(where, "lr", options["lr"])
        options["momentum"] = check_number(where, "momentum", options["momentum"])
        options["dampening"] = check_number(
            where, "dampening", options["dampening"], low=-math.inf
        )
        options["weight_decay"] = check_number(
            where, "weight_decay", options["weight_decay"]
        )
        options["nesterov"] = check_flag(where, "nesterov", options["nesterov"])
        options["maximize"] = check_flag(where, "maximize", options["maximize"])
        momentum, dampening = options["momentum"], options["dampening"]
        if options["nesterov"] and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"{where}: nesterov=True needs momentum > 0 and dampening = 0, "
                f"got momentum={momentum}, dampening={dampening}; set a "
                "momentum (0.9 is usual) and no dampening, or nesterov=False"
            )

    def _required_state(self, group: ParamGroup) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

    def _update(
        self,
        theta: np.ndarray,
        grad: np.ndarray,
        state: dict[str, Any],
        group: ParamGroup,
    ) -> None:
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        # The gradient belongs to the weight's .grad: never written here.
        g = -grad if group["maximize"] else grad
        if weight_decay != 0:
            g = g + weight_decay * theta

        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                # np.array, not g.copy(): for a 0-d weight g may be a NumPy
                # scalar, which later in-place updates would not change.
                buffer = state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buffer *= momentum
                buffer += (1 - group["dampening"]) * g
            g = g + momentum * buffer if group["nesterov"] else buffer

        theta -= group["lr"] * g
