"""W6: resident memory, after import and over 500 W3 training steps.

Both are measured in fresh child processes (this file run as a script), so
that nothing the runner itself loaded (PyTorch, say) counts:

- **import**: the resident set size (RSS) after ``import numpy`` and after
  ``import numpy, chainrule``, alternated a few times; the cost of chainrule
  is the median of the per-pair differences. Target: ≤ 15 MB.
- **training**: a child builds W3's chainrule model (float64) and runs 500
  SGD steps, reading its RSS after each. Memory is flat when the median of
  the last 100 readings is within max(3 MB, 3%) of the median of the first
  100: a leak (a graph kept alive, a cache that grows) would add the same
  amount every step, while the allocator's warm-up shows in the first
  readings and then stops.

RSS comes from ``/proc/self/statm`` where there is one (Linux), otherwise
from ``resource``'s peak RSS, which can only grow (so it shows a leak but
hides memory that was given back). Standard library only at the top: the
import child must load nothing but what it measures.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from common import Context, Target, child_environment, markdown_table

NAME = "W6"
HERE = Path(__file__).resolve().parent
IMPORT_LIMIT_MB = 15.0
FLAT_MB = 3.0
FLAT_FRACTION = 0.03
# (steps, window, import repeats) of a full run and of --quick
FULL = (500, 100, 5)
QUICK = (60, 20, 2)


def rss_mb() -> float:
    """This process's resident set size in MB (10^6 bytes)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # NOTE: ru_maxrss is in kilobytes on Linux, in bytes on macOS.
        return peak / 1e6 if sys.platform == "darwin" else peak / 1e3


# --- the child processes ----------------------------------------------------------


def child_import(modules: list[str]) -> dict[str, Any]:
    before = len(sys.modules)
    for module in modules:
        __import__(module)
    return {"rss_mb": rss_mb(), "modules_loaded": len(sys.modules) - before}


def child_steps(steps: int) -> dict[str, Any]:
    import w3_wide_mlp
    from mlp import ChainruleMLP, make_problem

    spec = w3_wide_mlp.spec("float64")
    model = ChainruleMLP(spec, make_problem(spec))
    readings = [rss_mb()]
    for _ in range(steps):
        model.step()
        readings.append(rss_mb())
    return {"rss_mb": readings}


def child(command: list[str]) -> dict[str, Any]:
    """Run ``w6_memory.py <command>`` in a fresh interpreter; its JSON answer."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *command],
        capture_output=True,
        text=True,
        env=child_environment(),
        check=False,
    )
    assert done.returncode == 0, f"W6 child {command} failed:\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the workload ---------------------------------------------------------------------


def run(ctx: Context) -> dict[str, Any]:
    steps, window, repeats = QUICK if ctx.quick else FULL
    imports = measure_imports(repeats)
    training = measure_training(steps, window)
    targets = [
        Target(
            NAME,
            "RSS added by import chainrule",
            IMPORT_LIMIT_MB,
            imports["chainrule_adds_mb"],
            "MB",
        ),
        Target(
            NAME,
            f"RSS growth over {steps} W3 steps",
            training["limit_mb"],
            training["growth_mb"],
            "MB",
        ),
    ]
    return {
        "description": "resident memory (RSS)",
        "import": imports,
        "training": training,
        "targets": [t.as_dict() for t in targets],
    }


def measure_imports(repeats: int) -> dict[str, Any]:
    # NOTE: numpy and numpy + chainrule alternate, so a drift of the machine
    # (page cache, another process) touches both sides of each difference.
    readings: dict[str, list[Any]] = {"python": [], "numpy": [], "chainrule": []}
    for _ in range(repeats):
        readings["python"].append(child(["import"]))
        readings["numpy"].append(child(["import", "numpy"]))
        readings["chainrule"].append(child(["import", "numpy", "chainrule"]))
    rss = {k: [r["rss_mb"] for r in v] for k, v in readings.items()}
    return {
        "rss_mb": {name: statistics.median(values) for name, values in rss.items()},
        "chainrule_adds_mb": statistics.median(
            c - n for c, n in zip(rss["chainrule"], rss["numpy"], strict=True)
        ),
        "modules_loaded_by_chainrule": readings["chainrule"][0]["modules_loaded"]
        - readings["numpy"][0]["modules_loaded"],
        "readings_mb": rss,
    }


def measure_training(steps: int, window: int) -> dict[str, Any]:
    readings = child(["steps", str(steps)])["rss_mb"]
    first = statistics.median(readings[1 : window + 1])
    last = statistics.median(readings[-window:])
    return {
        "steps": steps,
        "window": window,
        "before_mb": readings[0],
        "first_mb": first,
        "last_mb": last,
        "peak_mb": max(readings),
        "growth_mb": last - first,
        "limit_mb": max(FLAT_MB, FLAT_FRACTION * first),
        "readings_mb": readings,
    }


def table(result: dict[str, Any]) -> str:
    imports, training = result["import"], result["training"]
    import_target, flat_target = (Target.from_dict(t) for t in result["targets"])
    rss = imports["rss_mb"]
    window = training["window"]
    rows = [
        ("python, nothing imported", f"{rss['python']:.1f}", "", "", ""),
        ("import numpy", f"{rss['numpy']:.1f}", "", "", ""),
        (
            "import numpy, chainrule",
            f"{rss['chainrule']:.1f}",
            f"+{imports['chainrule_adds_mb']:.1f} MB "
            f"({imports['modules_loaded_by_chainrule']} modules)",
            import_target.shown_limit(),
            import_target.mark(),
        ),
        ("W3 model built, before step 1", f"{training['before_mb']:.1f}", "", "", ""),
        (f"median over steps 1-{window}", f"{training['first_mb']:.1f}", "", "", ""),
        (
            f"median over the last {window} of {training['steps']} steps",
            f"{training['last_mb']:.1f}",
            f"{training['growth_mb']:+.1f} MB",
            flat_target.shown_limit(),
            flat_target.mark(),
        ),
        ("peak over the steps", f"{training['peak_mb']:.1f}", "", "", ""),
    ]
    return "\n".join(
        [
            f"### {NAME}: {result['description']}, in fresh processes",
            "",
            markdown_table(("reading", "RSS MB", "added", "target", "met"), rows),
            "",
            f"Flat means the growth stays within max({FLAT_MB:g} MB, "
            f"{FLAT_FRACTION:.0%} of the first median). MB = 10^6 bytes.",
        ]
    )


if __name__ == "__main__":
    what, *rest = sys.argv[1:]
    answer = child_import(rest) if what == "import" else child_steps(int(rest[0]))
    print(json.dumps(answer))
