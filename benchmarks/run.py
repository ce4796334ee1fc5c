"""Benchmark chainrule against hand-written NumPy and PyTorch.

    python benchmarks/run.py                      # all workloads
    python benchmarks/run.py --workloads chain --rounds 50
    python benchmarks/run.py --profile            # where chainrule's chain time goes

Every workload first checks that the implementations agree (same seeded
inputs: same loss, same gradients), then times them in this one process,
interleaved round by round, on one BLAS thread. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKLOADS = ("chain", "mlp", "gradcheck")
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def pin_one_thread() -> None:
    """One BLAS thread everywhere; must run before NumPy is imported."""
    if "numpy" in sys.modules:
        raise RuntimeError(
            "NumPy was imported before the thread count was set; run this "
            "file as a script (python benchmarks/run.py)"
        )
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"


def import_torch() -> tuple[Any, str | None]:
    """PyTorch on one thread, or None and the reason it is missing."""
    try:
        import torch
    except ImportError as error:
        return None, f"PyTorch not importable ({error}); its columns are skipped"
    torch.set_num_threads(1)
    return torch, None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time chainrule, hand-written NumPy and PyTorch on the "
        "same workloads (medians of per-round ratios).",
    )
    parser.add_argument(
        "--workloads",
        nargs="+",
        choices=WORKLOADS,
        default=list(WORKLOADS),
        help="which workloads to run (default: all)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=25,
        help="interleaved rounds per workload (default: 25)",
    )
    parser.add_argument(
        "--sample-time",
        type=float,
        default=0.05,
        help="seconds each case runs per round (default: 0.05)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=HERE / "results",
        help="where the JSON and markdown go (default: benchmarks/results)",
    )
    parser.add_argument(
        "--no-torch",
        action="store_true",
        help="leave PyTorch out even if it is installed",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of timing, profile chainrule on the chain workload and "
        "print the functions with the most self time",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.sample_time <= 0:
        parser.error("--sample-time must be positive")
    return args


def profile_chain(calls: int = 300, top: int = 20) -> None:
    """cProfile of chainrule's chain forward+backward, sorted by self time."""
    import cProfile
    import pstats

    import chain
    import numpy as np

    import chainrule as cr

    x0 = np.random.default_rng(0).uniform(-1.0, 1.0, chain.SIZE)
    x = cr.tensor(x0, requires_grad=True)
    chain.chainrule_forward_backward(x)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        chain.chainrule_forward_backward(x)
    profiler.disable()
    print(f"chainrule chain forward+backward, {calls} calls of {chain.OPS} ops")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    pin_one_thread()
    # This checkout's chainrule (not whatever is installed elsewhere) and the
    # workload modules beside this file.
    sys.path[:0] = [str(HERE), str(HERE.parent / "src")]
    args = parse_args(argv)
    if args.profile:
        profile_chain()
        return 0

    import chain
    import gradcheck_workload
    import machine
    import mlp

    torch: Any = None
    torch_note: str | None = "PyTorch left out (--no-torch)"
    if not args.no_torch:
        torch, torch_note = import_torch()
    modules = {"chain": chain, "mlp": mlp, "gradcheck": gradcheck_workload}

    results: dict[str, Any] = {
        "machine": machine.describe(torch),
        "settings": {"rounds": args.rounds, "sample_time": args.sample_time},
        "notes": [torch_note] if torch_note else [],
        "workloads": {},
    }
    tables = []
    failed = False
    for name in args.workloads:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            result = modules[name].run(args.rounds, args.sample_time, torch)
        except AssertionError as error:
            # The check failed: timing implementations that compute different
            # things would compare nothing, so this workload stops here.
            failed = True
            message = str(error).strip()
            results["workloads"][name] = {"aborted": message}
            tables.append(
                f"### {name}: ABORTED, the implementations disagree\n\n"
                f"```\n{message}\n```"
            )
            continue
        results["workloads"][name] = result
        tables.append(modules[name].table(result))

    report = render(results, tables)
    print(report)
    write(results, report, args.output_dir)
    return 1 if failed else 0


def render(results: dict[str, Any], tables: list[str]) -> str:
    info = results["machine"]
    settings = results["settings"]
    header = [
        "## chainrule benchmarks",
        "",
        f"{info['cpu']}, {info['logical_cores']} logical cores, one thread; "
        f"Python {info['python']}, NumPy {info['numpy']} ({info['numpy_blas']})"
        + (
            f", PyTorch {info['torch']} ({info['torch_blas']})"
            if "torch" in info
            else ""
        ),
        f"Medians over {settings['rounds']} interleaved rounds; ratios are "
        "medians of per-round ratios.",
    ]
    header += [f"Note: {note}" for note in results["notes"]]
    return "\n\n".join(["\n".join(header), *tables]) + "\n"


def write(results: dict[str, Any], report: str, output_dir: Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    results["timestamp"] = stamp
    json_path = output_dir / f"bench-{stamp}.json"
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    (output_dir / f"bench-{stamp}.md").write_text(report)
    print(f"wrote {json_path} and its .md", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
