"""W1: the cost around each op, on a chain of 100 elementwise ops.

A shape-(4,) float64 tensor goes through 100 ops (25 blocks of tanh, exp,
mul, add; see ``chain.py``), ``sum`` and ``backward``. Reported in µs per op,
for the forward pass alone (recording the graph) and forward+backward.
Target: chainrule's forward+backward ≤ 0.8× PyTorch's.
"""

from __future__ import annotations

from typing import Any

import chain
from common import Context, Target, markdown_table, ratio_cell, target_cells
from timing import median_ratio, noise_note, run_rounds, samples

import chainrule as cr

NAME = "W1"
BLOCKS = 25
OPS = BLOCKS * chain.OPS_PER_BLOCK
TARGET = 0.8  # chainrule forward+backward × PyTorch
FRAMEWORKS = {
    "chainrule": "chainrule",
    "numpy": "NumPy (by hand)",
    "torch": "PyTorch",
    "autograd": "HIPS autograd",
}


def run(ctx: Context) -> dict[str, Any]:
    """Check, then time every framework; medians in µs per op."""
    x0 = chain.start()
    chain.check(x0, BLOCKS, ctx)
    cases = chain.cases(x0, BLOCKS, ctx)
    run_rounds(list(cases.values()), ctx.rounds, ctx.sample_time)

    us_per_op: dict[str, dict[str, float]] = {}
    for (framework, phase), case in cases.items():
        us_per_op.setdefault(framework, {})[phase] = case.median() * 1e6 / OPS
    ratios: dict[str, dict[str, float]] = {}
    for (framework, phase), case in cases.items():
        for base in ("numpy", "torch"):
            if base != framework and (base, phase) in cases:
                ratios.setdefault(f"{framework}/{base}", {})[phase] = median_ratio(
                    case, cases[base, phase]
                )
    vs_torch = ratios.get("chainrule/torch", {}).get("forward_backward")
    target = Target(NAME, "fwd+bwd × PyTorch", TARGET, vs_torch)
    return {
        "description": (
            f"shape ({chain.SIZE},) float64 through {OPS} elementwise ops "
            "(tanh, exp, mul, add), sum, backward"
        ),
        "ops": OPS,
        "us_per_op": us_per_op,
        "ratios": ratios,
        "targets": [target.as_dict()],
        "noise": noise_note(list(cases.values())),
        "samples": samples(list(cases.values())),
    }


def table(result: dict[str, Any]) -> str:
    us, ratios = result["us_per_op"], result["ratios"]
    target = Target.from_dict(result["targets"][0])
    rows = []
    for framework, label in FRAMEWORKS.items():
        if framework not in us:
            continue
        vs_numpy = ratios.get(f"{framework}/numpy", {})
        vs_torch = ratios.get(f"{framework}/torch", {})
        if framework == "numpy":
            vs_numpy = {"forward": 1.0, "forward_backward": 1.0}
        rows.append(
            (
                label,
                ratio_cell(us[framework].get("forward")),
                ratio_cell(us[framework]["forward_backward"]),
                ratio_cell(vs_numpy.get("forward_backward")),
                ratio_cell(vs_torch.get("forward_backward")),
                *target_cells(target if framework == "chainrule" else None),
            )
        )
    return "\n".join(
        [
            f"### {NAME}: {result['description']}",
            "",
            markdown_table(
                (
                    "framework",
                    "forward µs/op",
                    "fwd+bwd µs/op",
                    "fwd+bwd × NumPy",
                    "fwd+bwd × PyTorch",
                    "target",
                    "met",
                ),
                rows,
            ),
            "",
            *(
                [
                    "HIPS autograd records its graph only while differentiating, so "
                    "it has no forward-only time."
                ]
                if "autograd" in us
                else []
            ),
            result["noise"],
        ]
    )


def profile_target(ctx: Context) -> Any:
    """chainrule's side: one forward+backward of the chain."""
    x = cr.tensor(chain.start(), requires_grad=True)
    return lambda: chain.chainrule_forward_backward(x, BLOCKS)
