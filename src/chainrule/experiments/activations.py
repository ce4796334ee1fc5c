"""The activation functions and their derivatives, computed by autograd.

The source text (1.6.2) reads three facts off the derivatives: Sigmoid's is
largest at x = 0, where it is 1/4, and tends to 0 for large |x|; Tanh's
behaves alike (it is a rescaled Sigmoid); ReLU's jumps from 0 to 1 at x = 0,
where it does not exist and is defined as 0. :func:`activation_derivatives`
computes every derivative with chainrule's own backward (one ``backward()``
of ``f(x).sum()``, whose gradient is f'(x) elementwise), not with the
formulas, so the numbers are what training uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.errors import ArgumentError
from chainrule.experiments._common import (
    check_choices,
    check_count,
    check_positive,
    json_safe,
    markdown_table,
)
from chainrule.ops.activation import gelu, leaky_relu, relu, sigmoid, tanh
from chainrule.tensor import Tensor

FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "gelu": gelu,
}
# Just left and right of 0, for the one-sided limits of a derivative.
SIDE = 1e-9


@dataclass
class ActivationCurves:
    """f(x) and f'(x) on a grid, and f' at the points the text talks about.

    ``key_values[name]`` holds f' at ``-limit``, just left of 0 (``0-``), at
    0, just right of 0 (``0+``) and at ``limit``, the largest f' on the grid
    (``max``) and where it is (``argmax``), and ``jump`` = f'(0+) - f'(0-).
    """

    x: np.ndarray
    values: dict[str, np.ndarray]
    derivatives: dict[str, np.ndarray]
    key_values: dict[str, dict[str, float]]
    limit: float

    def table(self) -> str:
        header = [
            "function",
            f"f'(-{self.limit:g})",
            "f'(0-)",
            "f'(0)",
            "f'(0+)",
            f"f'({self.limit:g})",
            "max f'",
            "at x",
        ]
        keys = ["-limit", "0-", "0", "0+", "limit", "max", "argmax"]
        rows = [
            [name, *(f"{values[key]:.6g}" for key in keys)]
            for name, values in self.key_values.items()
        ]
        return markdown_table(header, rows)

    def findings(self) -> list[str]:
        """The text's statements, each with the value autograd gave."""
        lines = []
        for name, values in self.key_values.items():
            if abs(values["jump"]) > 1e-6:
                lines.append(
                    f"{name}' jumps at x = 0 from {values['0-']:g} to "
                    f"{values['0+']:g}; autograd gives {name}'(0) = {values['0']:g}"
                )
            else:
                lines.append(
                    f"{name}' is continuous at 0 with {name}'(0) = {values['0']:g}; "
                    f"largest on [-{self.limit:g}, {self.limit:g}] at x = "
                    f"{values['argmax']:g}: {values['max']:g}; at the ends "
                    f"{values['-limit']:.3g} and {values['limit']:.3g}"
                )
        return lines

    def to_json(self) -> dict[str, Any]:
        return json_safe(
            {
                "experiment": "activations",
                "limit": self.limit,
                "key_values": self.key_values,
                "findings": self.findings(),
                "x": self.x,
                "values": self.values,
                "derivatives": self.derivatives,
            }
        )


def derivative(name: str, x: np.ndarray) -> np.ndarray:
    """f'(x) elementwise by chainrule's backward: the gradient of sum(f(x)).

    >>> derivative("sigmoid", np.array([0.0])), derivative("relu", np.array([0.0]))
    (array([0.25]), array([0.]))
    """
    check_choices("derivative", "function", [name], list(FUNCTIONS))
    t = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    FUNCTIONS[name](t).sum().backward()
    assert t.grad is not None
    return np.asarray(t.grad.data)


def activation_derivatives(
    names: Sequence[str] = tuple(FUNCTIONS), limit: float = 6.0, points: int = 1201
) -> ActivationCurves:
    """Each activation and its autograd derivative on ``[-limit, limit]``.

    The grid has ``points`` evenly spaced values (an odd number, so x = 0 is
    on it exactly) and ends at ±``limit``.

    Examples
    --------
    >>> curves = activation_derivatives(["sigmoid", "relu"], points=5)
    >>> curves.x
    array([-6., -3.,  0.,  3.,  6.])
    >>> curves.key_values["sigmoid"]["0"], curves.key_values["relu"]["jump"]
    (0.25, 1.0)
    """
    where = "activation_derivatives"
    check_choices(where, "function", list(names), list(FUNCTIONS))
    check_positive(where, "limit", limit)
    check_count(where, "points", points, least=3)
    if points % 2 == 0:
        raise ArgumentError(
            f"{where}: points must be odd so that x = 0 is on the grid, got "
            f"{points}; use {points + 1}"
        )

    half = points // 2
    x = np.arange(-half, half + 1) * (limit / half)
    values = {}
    derivatives = {}
    key_values = {}
    for name in names:
        values[name] = np.asarray(FUNCTIONS[name](Tensor(x)).data)
        derivatives[name] = derivative(name, x)
        ends = derivative(name, np.array([-limit, -SIDE, 0.0, SIDE, limit]))
        best = int(np.argmax(derivatives[name]))
        key_values[name] = {
            "-limit": float(ends[0]),
            "0-": float(ends[1]),
            "0": float(ends[2]),
            "0+": float(ends[3]),
            "limit": float(ends[4]),
            "max": float(derivatives[name][best]),
            "argmax": float(x[best]),
            "jump": float(ends[3] - ends[1]),
        }
    return ActivationCurves(x, values, derivatives, key_values, float(limit))
