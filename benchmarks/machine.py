"""What the numbers were measured on: CPU, cores, library versions, BLAS."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from typing import Any

import numpy as np

import chainrule


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            return subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return platform.processor() or platform.machine()


def numpy_blas() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (KeyError, TypeError):
        return "unknown"
    return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()


def torch_blas(torch: Any) -> str:
    match = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    return match.group(1) if match else "unknown"


def git_commit() -> str:
    """The checkout's commit, with "+changes" when the tree differs from it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if dirty else "")


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: above 0 means others want the CPU."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def describe(torch: Any, autograd: Any = None) -> dict[str, Any]:
    """Machine and library facts for the results file."""
    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": numpy_blas(),
        "chainrule": chainrule.__version__,
        "chainrule_path": os.path.dirname(chainrule.__file__),
        "chainrule_commit": git_commit(),
        "load_average_at_start": load_average(),
        "threads": {
            name: os.environ.get(name)
            for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        },
    }
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_blas"] = torch_blas(torch)
        info["torch_threads"] = torch.get_num_threads()
    if autograd is not None:
        info["autograd"] = package_version("autograd")
    return info


def package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def summary(info: dict[str, Any]) -> str:
    """One paragraph: what the numbers were measured on."""
    parts = [
        f"{info['cpu']}, {info['logical_cores']} logical cores, one BLAS thread, "
        f"{info['platform']}",
        f"Python {info['python']}, NumPy {info['numpy']} ({info['numpy_blas']})",
    ]
    if "torch" in info:
        parts.append(f"PyTorch {info['torch']} ({info['torch_blas']})")
    if "autograd" in info:
        parts.append(f"HIPS autograd {info['autograd']}")
    parts.append(f"chainrule {info['chainrule']} at {info['chainrule_commit']}")
    load = info.get("load_average_at_start")
    if load is not None:
        parts.append(f"load average at start {load[0]:.2f}")
    return "; ".join(parts) + "."
