"""``run.py --profile WORKLOAD``: where chainrule's time goes in one workload.

With py-spy installed (``pip install py-spy``) the workload's chainrule side
runs in a child process under py-spy, a sampling profiler: it reads the
child's stack from outside a few hundred times a second, so the code runs
undisturbed and the picture holds down to the line. Without it, cProfile
runs in this process; it adds a cost to every Python call and so
exaggerates small functions, but needs nothing installed.

Either way the profile goes to ``results/`` (py-spy's raw collapsed stacks,
which flamegraph tools read, or cProfile's ``.prof`` for ``pstats`` and
snakeviz), with a text summary beside it that is also printed.
"""

from __future__ import annotations

import collections
import cProfile
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import child_environment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOP = 25
# A py-spy frame: "function (path/to/file.py:123)".
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def py_spy() -> str | None:
    """The py-spy executable, beside this Python's or on the PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def loop(target: Any, seconds: float) -> int:
    """Call ``target`` for about ``seconds``; the calls made."""
    target()  # warm-up: first-call costs are not what we are after
    calls = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        target()
        calls += 1
    return calls


def profile(
    name: str,
    module: Any,
    ctx: Any,
    seconds: float,
    output_dir: Path,
    stamp: str,
    profiler: str = "auto",
) -> Path:
    """Profile chainrule's side of workload ``name``; the summary file.

    ``profiler`` is "py-spy", "cprofile" or "auto" (py-spy if installed).
    When py-spy fails (it needs to be allowed to read another process's
    memory, which some containers forbid), cProfile takes over.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    base = output_dir / f"profile-{name}-{stamp}"
    spy = None if profiler == "cprofile" else py_spy()
    with tempfile.TemporaryDirectory(prefix="chainrule-profile-") as folder:
        train_command = None
        if name == "train":
            train_command = module.profile_command(Path(folder) / "run", ctx.quick)
        result = None
        if spy is not None:
            result = with_py_spy(spy, name, seconds, base, train_command)
        if result is None:
            result = with_cprofile(module, ctx, seconds, base, train_command)
    tool, summary = result

    text = f"Profile of chainrule's side of {name} ({tool})\n\n{summary}"
    summary_file = base.with_name(base.name + "-summary.txt")
    summary_file.write_text(text)
    print(text)
    return summary_file


def with_py_spy(
    spy: str, name: str, seconds: float, base: Path, train_command: list[str] | None
) -> tuple[str, str] | None:
    """Sample a child process; (tool, summary), or None if py-spy failed."""
    command = train_command or [
        sys.executable,
        str(HERE / "run.py"),
        "--profile-child",
        name,
        "--profile-seconds",
        str(seconds),
    ]
    raw = base.with_suffix(".txt")
    record = [spy, "record", "--format", "raw", "--rate", "250", "-o", str(raw)]
    done = subprocess.run(
        [*record, "--", *command],
        capture_output=True,
        text=True,
        env=child_environment(),
        check=False,
    )
    if done.returncode != 0 or not raw.exists():
        print(
            f"py-spy failed ({done.stderr.strip()}); using cProfile instead",
            file=sys.stderr,
        )
        return None
    # Only the samples inside the timed loop, not the child's setup.
    # (py-spy names files relative to their sys.path entry.)
    inside = None if train_command else "loop (profiling.py:"
    return f"py-spy, raw collapsed stacks in {raw.name}", summarise_py_spy(raw, inside)


def with_cprofile(
    module: Any, ctx: Any, seconds: float, base: Path, train_command: list[str] | None
) -> tuple[str, str]:
    """Trace every call, here or in the train child; (tool, summary)."""
    stats_file = base.with_suffix(".prof")
    if train_command is not None:
        # train_command is [python, "-m", "chainrule", ...].
        cprofile = [sys.executable, "-m", "cProfile", "-o", str(stats_file)]
        subprocess.run(
            [*cprofile, "-m", *train_command[2:]],
            check=True,
            capture_output=True,
            env=child_environment(),
        )
    else:
        tracer = cProfile.Profile()
        target = module.profile_target(ctx)
        tracer.runcall(loop, target, seconds)
        tracer.dump_stats(stats_file)
    return f"cProfile, pstats file {stats_file.name}", summarise_cprofile(stats_file)


def short(path: str) -> str:
    """A path as py-spy gives it (relative to sys.path), or relative to the checkout."""
    if not Path(path).is_absolute():
        return path
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return "/".join(Path(path).parts[-3:])


def summarise_py_spy(raw: Path, inside: str | None) -> str:
    """Self and total time per function, and self time per line, from samples."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    lines: collections.Counter[str] = collections.Counter()
    samples = 0
    for entry in raw.read_text().splitlines():
        stack, _, count_text = entry.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        if inside is not None and inside not in stack:
            continue
        count = int(count_text)
        samples += count
        functions = []
        for frame in stack.split(";"):
            match = FRAME.match(frame)
            if match is None:
                functions.append(frame)
                continue
            functions.append(f"{match['function']} ({short(match['file'])})")
        leaf = FRAME.match(stack.split(";")[-1])
        if leaf is not None:
            lines[f"{short(leaf['file'])}:{leaf['line']} {leaf['function']}"] += count
        own[functions[-1]] += count
        for function in set(functions):
            total[function] += count
    if samples == 0:
        return "no samples (did the workload run?)"

    def block(title: str, counter: collections.Counter[str]) -> list[str]:
        rows = [f"{title} ({samples} samples)", "   share  samples  where"]
        rows += [
            f"  {count / samples:6.1%}  {count:7d}  {where}"
            for where, count in counter.most_common(TOP)
        ]
        return [*rows, ""]

    return "\n".join(
        block("Self time by function", own)
        + block("Total time by function (self and callees)", total)
        + block("Self time by line", lines)
    )


def summarise_cprofile(stats_file: Path) -> str:
    import io

    out = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=out)
    stats.sort_stats("tottime").print_stats(TOP)
    stats.sort_stats("cumulative").print_stats(TOP)
    return out.getvalue()
