"""W4: depth. A 51-layer MLP step, and a chain of 5000 ops.

- **deep MLP**: 50 layers 32→32 and one 32→10, tanh, batch 16, softmax
  cross-entropy, SGD step (see ``mlp.py``). Each matrix product is tiny, so
  the step is ~100 ops' worth of framework overhead.
  Target: chainrule ≤ 2.5× the hand-written NumPy step.
- **5000-op chain**: W1's chain 50 times longer (see ``chain.py``),
  forward+backward. Issue 7 sets no target of its own for it; the report
  holds it to W1's (≤ 0.8× PyTorch), and gives the µs per op next to those of
  W1's 100-op chain timed in the same rounds: a ratio near 1 means the cost
  per op does not grow with the depth of the graph.
"""

from __future__ import annotations

from typing import Any

import chain
import mlp
from common import Context, Target, markdown_table, ratio_cell, target_cells
from timing import median_ratio, noise_note, run_rounds, samples

import chainrule as cr

NAME = "W4"
SPEC = mlp.Spec(layers=(32,) * 51 + (10,), activation="tanh", batch=16)
TARGET = 2.5  # chainrule step × NumPy step
CHAIN_BLOCKS = 1250  # 5000 ops
SHORT_BLOCKS = 25  # W1's 100 ops
CHAIN_TARGET = 0.8  # W1's: chainrule forward+backward × PyTorch


def run(ctx: Context) -> dict[str, Any]:
    step, _ = mlp.measure(SPEC, ctx)
    step_target = Target(
        NAME, "deep MLP step × NumPy", TARGET, step["ratios"]["chainrule/numpy"]
    )
    step["targets"] = [step_target.as_dict()]

    long_chain = run_chain(ctx)
    return {
        "description": "depth",
        "deep_mlp": step,
        "chain": long_chain,
        "targets": [step_target.as_dict(), *long_chain["targets"]],
    }


def run_chain(ctx: Context) -> dict[str, Any]:
    x0 = chain.start()
    chain.check(x0, CHAIN_BLOCKS, ctx)
    cases = chain.cases(x0, CHAIN_BLOCKS, ctx, phases=("forward_backward",))
    short = chain.cases(x0, SHORT_BLOCKS, ctx, phases=("forward_backward",))
    short_chainrule = short["chainrule", "forward_backward"]
    timed = [*cases.values(), short_chainrule]
    run_rounds(timed, ctx.rounds, ctx.sample_time)

    ops = CHAIN_BLOCKS * chain.OPS_PER_BLOCK
    frameworks = [framework for framework, _ in cases]
    us_per_op = {
        framework: cases[framework, "forward_backward"].median() * 1e6 / ops
        for framework in frameworks
    }
    ratios = {
        f"{framework}/{base}": median_ratio(
            cases[framework, "forward_backward"], cases[base, "forward_backward"]
        )
        for framework in frameworks
        for base in ("numpy", "torch")
        if framework != base and (base, "forward_backward") in cases
    }
    # Per op at 5000 ops over per op at 100 ops, round by round.
    depth_ratio = median_ratio(
        cases["chainrule", "forward_backward"], short_chainrule
    ) * (SHORT_BLOCKS / CHAIN_BLOCKS)
    target = Target(
        NAME,
        "5000-op chain fwd+bwd × PyTorch",
        CHAIN_TARGET,
        ratios.get("chainrule/torch"),
    )
    return {
        "description": (
            f"shape ({chain.SIZE},) float64 through {ops} elementwise ops, "
            "sum, backward"
        ),
        "us_per_op": us_per_op,
        "ratios": ratios,
        "chainrule_us_per_op_5000_over_100": depth_ratio,
        "targets": [target.as_dict()],
        "noise": noise_note(timed),
        "samples": samples(timed),
    }


def table(result: dict[str, Any]) -> str:
    step = result["deep_mlp"]
    long_chain = result["chain"]
    step_target = Target.from_dict(step["targets"][0])
    chain_target = Target.from_dict(long_chain["targets"][0])
    rows = []
    for framework, us in long_chain["us_per_op"].items():
        vs_numpy = long_chain["ratios"].get(f"{framework}/numpy")
        rows.append(
            (
                mlp.FRAMEWORKS[framework],
                f"{us:.2f}",
                ratio_cell(1.0 if framework == "numpy" else vs_numpy),
                ratio_cell(long_chain["ratios"].get(f"{framework}/torch")),
                *target_cells(chain_target if framework == "chainrule" else None),
            )
        )
    return "\n".join(
        [
            f"### {NAME}: {step['description']}",
            "",
            mlp.table(step, step_target),
            "",
            step["noise"],
            "",
            f"### {NAME}: {long_chain['description']}",
            "",
            markdown_table(
                (
                    "framework",
                    "fwd+bwd µs/op",
                    "× NumPy",
                    "× PyTorch",
                    "target",
                    "met",
                ),
                rows,
            ),
            "",
            "chainrule µs/op at 5000 ops ÷ µs/op at 100 ops (same rounds): "
            f"{long_chain['chainrule_us_per_op_5000_over_100']:.2f}. "
            "The chain's target is W1's, applied at 50× the depth.",
            long_chain["noise"],
        ]
    )


def profile_target(ctx: Context) -> Any:
    """chainrule's side: one deep-MLP step, then one 5000-op chain."""
    model = mlp.ChainruleMLP(SPEC, mlp.make_problem(SPEC))
    x = cr.tensor(chain.start(), requires_grad=True)

    def both() -> None:
        model.step()
        chain.chainrule_forward_backward(x, CHAIN_BLOCKS)

    return both
