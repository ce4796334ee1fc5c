"""W3: one training step of a wide MLP, where BLAS does nearly all the work.

MLP 784-512-512-10, relu, batch 128, softmax cross-entropy, SGD step (see
``mlp.py``), in float64 and float32. Besides each framework's step, the
step's 8 matrix products are timed alone (3 forward; in backward a weight
gradient per layer and a data gradient for layers 3 and 2, none for the
input), through NumPy's BLAS and through PyTorch's, which is usually a
different library. "× matmul-only" divides a step by the products alone
through the framework's own BLAS: 1.00 would mean everything else is free.
Target: chainrule ≤ 1.05× the hand-written NumPy step, in each dtype.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mlp
import numpy as np
from common import Context, Target
from timing import median_ratio

NAME = "W3"
LAYERS = (784, 512, 512, 10)
DTYPES = ("float64", "float32")
TARGET = 1.05  # chainrule step × NumPy step


def spec(dtype: str) -> mlp.Spec:
    return mlp.Spec(layers=LAYERS, activation="relu", batch=128, dtype=dtype)


def matmul_operands(problem: mlp.Problem) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (a, b) of each of the step's products, on arrays of the step's shapes.

    Forward ``h @ W.T`` per layer; backward ``g.T @ h`` (weight gradient)
    per layer and ``g @ W`` (data gradient) for every layer but the first.
    """
    rng = np.random.default_rng(1)
    dtype = problem.x.dtype
    weights = problem.params[0::2]
    batch = len(problem.x)
    inputs = [problem.x] + [
        rng.standard_normal((batch, w.shape[1])).astype(dtype) for w in weights[1:]
    ]
    grads = [rng.standard_normal((batch, w.shape[0])).astype(dtype) for w in weights]
    pairs = [(h, w.T) for h, w in zip(inputs, weights, strict=True)]
    pairs += [(g.T, h) for g, h in zip(grads, inputs, strict=True)]
    pairs += [(g, w) for g, w in zip(grads[1:], weights[1:], strict=True)]
    return pairs


def numpy_matmuls(problem: mlp.Problem) -> Callable[[], None]:
    pairs = matmul_operands(problem)

    def products() -> None:
        for a, b in pairs:
            a @ b

    return products


def torch_matmuls(torch: Any) -> Callable[[mlp.Problem], Callable[[], None]]:
    def make(problem: mlp.Problem) -> Callable[[], None]:
        # from_numpy keeps the strides, so transposed views stay views.
        pairs = [
            (torch.from_numpy(a), torch.from_numpy(b))
            for a, b in matmul_operands(problem)
        ]

        def products() -> None:
            for a, b in pairs:
                a @ b

        return products

    return make


def run(ctx: Context) -> dict[str, Any]:
    results = {}
    targets = []
    for dtype in DTYPES:
        extra: dict[str, Any] = {"numpy matmul-only": numpy_matmuls}
        if ctx.torch is not None:
            extra["torch matmul-only"] = torch_matmuls(ctx.torch)
        result, cases = mlp.measure(spec(dtype), ctx, extra)
        own_blas = {
            "chainrule": "numpy matmul-only",
            "numpy": "numpy matmul-only",
            "autograd": "numpy matmul-only",
            "torch": "torch matmul-only",
        }
        result["over_matmuls"] = {
            framework: median_ratio(cases[framework], cases[blas])
            for framework, blas in own_blas.items()
            if framework in cases and blas in cases
        }
        if "torch matmul-only" in cases:
            result["over_matmuls"]["torch matmul-only"] = median_ratio(
                cases["torch matmul-only"], cases["numpy matmul-only"]
            )
        target = Target(
            NAME, f"{dtype} step × NumPy", TARGET, result["ratios"]["chainrule/numpy"]
        )
        result["targets"] = [target.as_dict()]
        targets.append(target.as_dict())
        results[dtype] = result
    return {
        "description": spec("float64").describe().replace(", float64", ""),
        "dtypes": results,
        "targets": targets,
    }


def table(result: dict[str, Any]) -> str:
    lines = [f"### {NAME}: {result['description']}"]
    for dtype, row in result["dtypes"].items():
        target = Target.from_dict(row["targets"][0])
        lines += [
            "",
            f"{dtype}:",
            "",
            mlp.table(row, target, {"× matmul-only": row["over_matmuls"]}),
        ]
    lines += [
        "",
        "× matmul-only: the step over its 8 matrix products alone through the "
        "framework's own BLAS (PyTorch's for PyTorch, NumPy's for the rest); "
        "on the PyTorch matmul-only row, PyTorch's BLAS over NumPy's.",
        *(f"{dtype}: {row['noise']}" for dtype, row in result["dtypes"].items()),
    ]
    return "\n".join(lines)


def profile_target(ctx: Context) -> Any:
    """chainrule's side: one float64 training step."""
    return mlp.ChainruleMLP(spec("float64"), mlp.make_problem(spec("float64"))).step
