"""PNG plots of a monitor's records, drawn with matplotlib (an optional extra).

matplotlib is imported only here, when a plot is asked for, and used through
its object interface with the Agg renderer: no window, no pyplot state, so
plotting does not change the backend of a user's own session.

Both plots name each layer by its module path and class (``2 Linear``),
title themselves with the monitor's state (healthy, or what was flagged),
and draw the layers a finding names in red.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chainrule.errors import MissingDependencyError
from chainrule.monitor import health

if TYPE_CHECKING:
    from chainrule.monitor.gradient_monitor import GradientMonitor

FLAGGED = "tab:red"


def figure(width: float, height: float) -> Any:
    """A matplotlib Figure that renders with Agg, laid out by constrained layout."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingDependencyError(
            'the monitor\'s plots need matplotlib: pip install "chainrule[train]" '
            "(or pip install matplotlib)"
        ) from None
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def by_layer(
    monitor: GradientMonitor, path: str | Path, steps: Iterable[int] | None = None
) -> Path:
    """Weight- and data-gradient norms against depth, one line per chosen step.

    Depth runs along the x axis (the order the layers first ran forward),
    the norm on a log scale: vanishing gradients fall towards the left,
    exploding ones rise. By default up to five steps, evenly spread from the
    first to the last.
    """
    path = Path(path)
    records = monitor.steps
    chosen = _spread(len(records)) if steps is None else list(steps)
    layers = monitor.layers
    flagged = _flagged(monitor)
    fig = figure(12, 4.6)
    axes = fig.subplots(1, 2)
    for ax, field, title in (
        (axes[0], "data_grad_norm", "data gradient (w.r.t. the layer's output)"),
        (axes[1], "weight_grad_norm", "weight gradient (the layer's parameters)"),
    ):
        for k, step in enumerate(chosen):
            record = records[step]
            values = {r.layer: getattr(r, field) for r in record.layers}
            y = _positive([values.get(layer) for layer in layers])
            # Layers without this value (no parameters) are skipped, so the
            # line joins the layers that have one.
            x = np.flatnonzero(~np.isnan(y))
            ax.plot(
                x,
                y[x],
                marker="o",
                markersize=4,
                color=_colour(k, len(chosen)),
                label=f"step {record.step}",
            )
        if ax.lines:
            ax.set_yscale("log")
        ax.set_xticks(range(len(layers)))
        ax.set_xticklabels(
            _labels(monitor, layers), rotation=60, ha="right", fontsize="small"
        )
        for tick, layer in zip(ax.get_xticklabels(), layers, strict=True):
            if layer in flagged:
                tick.set_color(FLAGGED)
        ax.set_xlabel("layer, by depth (first to run forward on the left)")
        ax.set_ylabel("L2 norm")
        ax.set_title(title, fontsize="medium")
        ax.grid(True, which="major", alpha=0.3)
    if axes[0].lines:
        fig.legend(
            handles=axes[0].lines,
            loc="outside right upper",
            fontsize="small",
            title="red layers: flagged" if flagged else None,
            title_fontsize="small",
        )
    fig.suptitle(f"gradient norm per layer: {_state(monitor)}")
    fig.savefig(path, dpi=100)
    return path


def over_steps(monitor: GradientMonitor, path: str | Path) -> Path:
    """Each layer's weight-gradient norm, data-gradient norm and update ratio
    against the step, on log scales; one legend for the three panels."""
    path = Path(path)
    layers = monitor.layers
    labels = dict(zip(layers, _labels(monitor, layers), strict=True))
    flagged = _flagged(monitor)
    steps = np.arange(len(monitor.steps))
    panels = [
        ("weight_grad_norm", "weight-gradient norm", "L2 norm"),
        ("data_grad_norm", "data-gradient norm", "L2 norm"),
        ("update_ratio", "update / weight", "‖ΔW‖ / ‖W‖"),
    ]
    fig = figure(16, 4.6)
    axes = fig.subplots(1, len(panels))
    handles: dict[str, Any] = {}
    for ax, (field, title, unit) in zip(axes, panels, strict=True):
        for k, layer in enumerate(layers):
            y = _positive(list(monitor.series(field, layer)))
            if np.isnan(y).all():
                continue
            (line,) = ax.plot(
                steps,
                y,
                color=_colour(k, len(layers)),
                linestyle="--" if layer in flagged else "-",
                linewidth=1,
                marker="o" if len(steps) < 20 else None,
                markersize=3,
            )
            handles.setdefault(layer, line)
        if ax.lines:
            ax.set_yscale("log")
        for finding in monitor.findings:
            if finding.step > 0:
                ax.axvline(finding.step, color=FLAGGED, linewidth=0.8, alpha=0.7)
        ax.set_xlabel("step")
        ax.set_ylabel(unit)
        ax.set_title(title, fontsize="medium")
        ax.grid(True, which="major", alpha=0.3)
    if handles:
        ordered = [layer for layer in layers if layer in handles]
        fig.legend(
            [handles[layer] for layer in ordered],
            [labels[layer] for layer in ordered],
            loc="outside right upper",
            fontsize="small",
            ncol=1 + len(ordered) // 24,
            title="layer" + (" (dashed: flagged)" if flagged else ""),
            title_fontsize="small",
        )
    fig.suptitle(f"gradient norms over the steps: {_state(monitor)}")
    fig.savefig(path, dpi=100)
    return path


def _labels(monitor: GradientMonitor, layers: list[str]) -> list[str]:
    kinds = {r.layer: r.kind for r in monitor.records}
    return [f"{layer or '(model)'} {kinds.get(layer, '')}".rstrip() for layer in layers]


def _flagged(monitor: GradientMonitor) -> set[str]:
    return {layer for finding in monitor.findings for layer in finding.layers}


def _state(monitor: GradientMonitor) -> str:
    """Healthy, or each finding's kind, cause and first step, in a few words."""
    if not monitor.steps:
        return "no steps recorded"
    if monitor.healthy:
        return f"healthy ({len(monitor.steps)} steps)"
    return "; ".join(
        f"{health.describe(f)} from step {f.step}" for f in monitor.findings
    )


def _spread(n: int, most: int = 5) -> list[int]:
    if n <= most:
        return list(range(n))
    return sorted({round(k * (n - 1) / (most - 1)) for k in range(most)})


def _positive(values: list[Any]) -> np.ndarray:
    # NOTE: a log axis cannot show 0, nan or inf; they are left out of the
    # line (the report and the JSON file keep them).
    y = np.array([np.nan if v is None else v for v in values], dtype=float)
    y[~np.isfinite(y) | (y <= 0)] = np.nan
    return y


def _colour(k: int, n: int) -> Any:
    from matplotlib import colormaps

    return colormaps["viridis"](k / max(n - 1, 1) * 0.9)
