"""``Flatten``: merge a range of axes into one, typically before a Linear."""

from __future__ import annotations

from typing import Any

from chainrule.nn.module import Module
from chainrule.ops._common import torch_alias
from chainrule.ops.shape import flatten


class Flatten(Module):
    """Merges the axes ``start_axis`` to ``end_axis`` (inclusive) into one.

    The default keeps the first (batch) axis and flattens the rest, so
    images of shape ``(N, C, H, W)`` become rows of shape ``(N, C*H*W)``.
    This is :func:`chainrule.flatten` as a layer; the arguments are called
    axes, as everywhere in chainrule, and PyTorch's names ``start_dim`` and
    ``end_dim`` are accepted as keywords too.

    Parameters
    ----------
    start_axis
        First axis to merge (default 1).
    end_axis
        Last axis to merge, inclusive (default -1, the last).
    start_dim, end_dim
        PyTorch's names for ``start_axis`` and ``end_axis``.

    Shape
    -----
    - Input: ``(*, S_start, ..., S_end, *)``.
    - Output: ``(*, S_start * ... * S_end, *)``.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.Flatten()(cr.zeros(32, 1, 5, 5)).shape
    (32, 25)
    >>> nn.Flatten(0, 2)(cr.zeros(32, 1, 5, 5)).shape
    (160, 5)
    """

    def __init__(
        self,
        start_axis: int = 1,
        end_axis: int = -1,
        *,
        start_dim: int | None = None,
        end_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.start_axis = torch_alias(
            "Flatten", "start_axis", start_axis, "start_dim", start_dim, 1
        )
        self.end_axis = torch_alias(
            "Flatten", "end_axis", end_axis, "end_dim", end_dim, -1
        )

    def forward(self, x: Any) -> Any:
        return flatten(x, self.start_axis, self.end_axis)

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"
