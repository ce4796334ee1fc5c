"""Benchmark chainrule against hand-written NumPy, PyTorch and HIPS autograd.

    python benchmarks/run.py                    # W1..W6 and train, a few minutes
    python benchmarks/run.py --quick            # smoke run, well under a minute
    python benchmarks/run.py --workloads W1 W4 --rounds 50
    python benchmarks/run.py --profile W2       # where chainrule's W2 time goes
    python benchmarks/run.py --update-readme    # full run, then its table into README

Every workload first checks that the implementations agree (same seeded
inputs: same loss, same gradients), then times them in this one process,
interleaved round by round, on one BLAS thread. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
# Workload name -> module (imported after the thread count is pinned).
MODULES = {
    "W1": "w1_chain",
    "W2": "w2_small_mlp",
    "W3": "w3_wide_mlp",
    "W4": "w4_deep",
    "W5": "w5_gradcheck",
    "W6": "w6_memory",
    "train": "train_e2e",
}
PROFILABLE = ("W1", "W2", "W3", "W4", "W5", "train")
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
DEFAULTS = {"rounds": 25, "sample_time": 0.05, "profile_seconds": 10.0}
QUICK = {"rounds": 3, "sample_time": 0.01, "profile_seconds": 2.0}
README_START = "<!-- benchmarks:start -->"
README_END = "<!-- benchmarks:end -->"


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
        return None, f"PyTorch not importable ({error}); its rows are left out"
    torch.set_num_threads(1)
    return torch, None


def import_autograd() -> tuple[Any, str | None]:
    """HIPS autograd, or None and the reason it is missing."""
    try:
        # NOTE: this binds the package ``autograd`` and loads its submodule
        # ``autograd.numpy``, the attribute the workloads use.
        import autograd.numpy
    except ImportError as error:
        return None, (
            f"HIPS autograd not importable ({error}); its rows are left out "
            "(pip install autograd to add them)"
        )
    return autograd, None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time chainrule, hand-written NumPy, PyTorch and HIPS "
        "autograd on issue 7's workloads (medians of per-round ratios), and "
        "say which targets are met.",
    )
    parser.add_argument(
        "--workloads",
        nargs="+",
        choices=list(MODULES),
        default=list(MODULES),
        metavar="NAME",
        help=f"which workloads to run, of {' '.join(MODULES)} (default: all)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 3 short rounds, 60 steps for W6, a 2-epoch train run; "
        "checks that everything works, the numbers mean little",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help=f"interleaved rounds per workload (default: {DEFAULTS['rounds']}, "
        f"--quick: {QUICK['rounds']})",
    )
    parser.add_argument(
        "--sample-time",
        type=float,
        help="seconds each case runs per round "
        f"(default: {DEFAULTS['sample_time']}, --quick: {QUICK['sample_time']})",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=HERE / "results",
        help="where the JSON, markdown and profiles go (default: benchmarks/results)",
    )
    parser.add_argument(
        "--no-torch", action="store_true", help="leave PyTorch out even if installed"
    )
    parser.add_argument(
        "--no-autograd",
        action="store_true",
        help="leave HIPS autograd out even if installed",
    )
    parser.add_argument(
        "--profile",
        choices=PROFILABLE,
        metavar="NAME",
        help="instead of timing, profile chainrule's side of one workload "
        f"({' '.join(PROFILABLE)}) with py-spy if installed, else cProfile",
    )
    parser.add_argument(
        "--profile-seconds",
        type=float,
        help="how long --profile runs the workload "
        f"(default: {DEFAULTS['profile_seconds']:g}, "
        f"--quick: {QUICK['profile_seconds']:g})",
    )
    parser.add_argument(
        "--profiler",
        choices=("auto", "py-spy", "cprofile"),
        default="auto",
        help="which profiler --profile uses (default: auto, py-spy if installed)",
    )
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="after a full run of every workload, put its targets table and "
        "machine into the project README",
    )
    # The child process that --profile runs under py-spy.
    parser.add_argument("--profile-child", choices=PROFILABLE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    preset = QUICK if args.quick else DEFAULTS
    for name, value in preset.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.sample_time <= 0:
        parser.error("--sample-time must be positive")
    if args.profile_seconds <= 0:
        parser.error("--profile-seconds must be positive")
    if args.profiler == "py-spy" and not args.profile_child:
        import profiling

        if profiling.py_spy() is None:
            parser.error(
                "--profiler py-spy: py-spy is not installed (pip install py-spy)"
            )
    if args.update_readme and (args.quick or set(args.workloads) != set(MODULES)):
        parser.error(
            "--update-readme needs a full run: every workload, without --quick"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    pin_one_thread()
    # This checkout's chainrule (not whatever is installed elsewhere) and the
    # workload modules beside this file.
    sys.path[:0] = [str(HERE), str(HERE.parent / "src")]
    args = parse_args(argv)

    import importlib

    from common import Context

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    ctx = Context(rounds=args.rounds, sample_time=args.sample_time, quick=args.quick)
    if args.profile_child or args.profile:
        import profiling

        name = args.profile_child or args.profile
        module = importlib.import_module(MODULES[name])
        if args.profile_child:
            profiling.loop(module.profile_target(ctx), args.profile_seconds)
        else:
            profiling.profile(
                name,
                module,
                ctx,
                args.profile_seconds,
                args.output_dir,
                stamp,
                args.profiler,
            )
        return 0

    import machine

    if args.no_torch:
        ctx.notes.append("PyTorch left out (--no-torch)")
    else:
        ctx.torch, note = import_torch()
        ctx.notes += [note] if note else []
    if args.no_autograd:
        ctx.notes.append("HIPS autograd left out (--no-autograd)")
    else:
        ctx.autograd, note = import_autograd()
        ctx.notes += [note] if note else []
    if args.quick:
        ctx.notes.append(
            "--quick: a smoke run with few, short rounds; do not quote these numbers"
        )

    results: dict[str, Any] = {
        "timestamp": stamp,
        "machine": machine.describe(ctx.torch, ctx.autograd),
        "settings": {
            "rounds": ctx.rounds,
            "sample_time": ctx.sample_time,
            "quick": ctx.quick,
        },
        "notes": ctx.notes,
        "workloads": {},
    }
    tables = []
    failed = False
    started = time.perf_counter()
    for name in args.workloads:
        module = importlib.import_module(MODULES[name])
        print(f"running {name} ...", file=sys.stderr, flush=True)
        clock = time.perf_counter()
        try:
            result = module.run(ctx)
        except AssertionError as error:
            # The check failed: timing implementations that compute different
            # things would compare nothing, so this workload stops here.
            failed = True
            message = str(error).strip()
            results["workloads"][name] = {"aborted": message}
            tables.append(
                f"### {name}: ABORTED, the check failed\n\n```\n{message}\n```"
            )
            continue
        result["seconds"] = time.perf_counter() - clock
        print(f"  {result['seconds']:.1f} s", file=sys.stderr, flush=True)
        results["workloads"][name] = result
        tables.append(module.table(result))
    results["seconds"] = time.perf_counter() - started
    results["machine"]["load_average_at_end"] = machine.load_average()

    summary = targets_summary(results)
    report = render(results, summary, tables)
    print(report)
    write(results, report, args.output_dir)
    if args.update_readme:
        update_readme(results, summary)
    return 1 if failed else 0


def targets_summary(results: dict[str, Any]) -> str:
    """Every target of the run in one table, with ✓, ✗ or – (not measured)."""
    from common import Target, targets_table

    targets = [
        Target.from_dict(t)
        for result in results["workloads"].values()
        for t in result.get("targets", [])
    ]
    aborted = [
        name for name, result in results["workloads"].items() if "aborted" in result
    ]
    lines = [targets_table(targets)] if targets else []
    train = results["workloads"].get("train", {})
    if "wall_seconds" in train:
        lines.append(
            f"{train['description']} end to end: {train['wall_seconds']:.1f} s "
            f"(training {train['train_seconds']:.1f} s), test accuracy "
            f"{train['test_accuracy']:.4f}."
        )
    if aborted:
        lines.append(f"Aborted (their check failed): {', '.join(aborted)}.")
    return "\n\n".join(lines)


def render(results: dict[str, Any], summary: str, tables: list[str]) -> str:
    import machine

    settings = results["settings"]
    header = [
        "## chainrule benchmarks",
        "",
        machine.summary(results["machine"]),
        "",
        f"Medians over {settings['rounds']} interleaved rounds of "
        f"{settings['sample_time']:g} s per case; ratios are medians of "
        f"per-round ratios. Run took {results['seconds']:.0f} s.",
    ]
    header += [f"Note: {note}" for note in results["notes"]]
    parts = ["\n".join(header), "### Targets\n\n" + summary, *tables]
    return "\n\n".join(parts) + "\n"


def write(results: dict[str, Any], report: str, output_dir: Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["timestamp"]
    json_path = output_dir / f"bench-{stamp}.json"
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    (output_dir / f"bench-{stamp}.md").write_text(report)
    print(f"wrote {json_path} and its .md", file=sys.stderr)


def update_readme(results: dict[str, Any], summary: str) -> None:
    """Replace the README's benchmark table (between the markers) with this run's."""
    import machine

    text = README.read_text()
    pattern = re.compile(
        re.escape(README_START) + ".*?" + re.escape(README_END), re.DOTALL
    )
    if not pattern.search(text):
        print(
            f"README.md has no {README_START} ... {README_END} block; not updated",
            file=sys.stderr,
        )
        return
    day = datetime.date.today().isoformat()
    block = "\n".join(
        [
            README_START,
            f"Measured {day} on {machine.summary(results['machine'])}",
            "",
            summary,
            "",
            "Per-workload tables: run `python benchmarks/run.py` "
            "([benchmarks/README.md](benchmarks/README.md)).",
            README_END,
        ]
    )
    README.write_text(pattern.sub(lambda _: block, text))
    print("updated the benchmark table in README.md", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
