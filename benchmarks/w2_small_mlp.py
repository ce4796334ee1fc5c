"""W2: one training step of a small MLP, where the per-op cost still shows.

MLP 64-128-10, tanh, batch 32, softmax cross-entropy, SGD step (see
``mlp.py``). The matrices are small enough that a step is a few dozen
microseconds of arithmetic, so the framework's own work counts.
Target: chainrule ≤ 2.0× the hand-written NumPy step.
"""

from __future__ import annotations

from typing import Any

import mlp
from common import Context, Target

NAME = "W2"
SPEC = mlp.Spec(layers=(64, 128, 10), activation="tanh", batch=32)
TARGET = 2.0  # chainrule step × NumPy step


def run(ctx: Context) -> dict[str, Any]:
    result, _ = mlp.measure(SPEC, ctx)
    target = Target(NAME, "step × NumPy", TARGET, result["ratios"]["chainrule/numpy"])
    result["targets"] = [target.as_dict()]
    return result


def table(result: dict[str, Any]) -> str:
    target = Target.from_dict(result["targets"][0])
    return "\n".join(
        [
            f"### {NAME}: {result['description']}",
            "",
            mlp.table(result, target),
            "",
            result["noise"],
        ]
    )


def profile_target(ctx: Context) -> Any:
    """chainrule's side: one training step."""
    return mlp.ChainruleMLP(SPEC, mlp.make_problem(SPEC)).step
