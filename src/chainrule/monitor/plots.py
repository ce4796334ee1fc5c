"""PNG plots of a monitor's records, drawn with matplotlib (an optional extra).

matplotlib is imported only here, when a plot is asked for, and used through
its object interface with the Agg renderer: no window, no pyplot state, so
plotting does not change the backend of a user's own session.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chainrule.errors import MissingDependencyError

if TYPE_CHECKING:
    from chainrule.monitor.gradient_monitor import GradientMonitor


def figure(width: float, height: float) -> Any:
    """A matplotlib Figure that renders with Agg."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingDependencyError(
            'the monitor\'s plots need matplotlib: pip install "chainrule[train]" '
            "(or pip install matplotlib)"
        ) from None
    fig = Figure(figsize=(width, height))
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
    fig = figure(11, 4.2)
    axes = fig.subplots(1, 2)
    for ax, field, title in (
        (axes[0], "data_grad_norm", "data gradient (w.r.t. the layer's output)"),
        (axes[1], "weight_grad_norm", "weight gradient"),
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
                color=_colour(k, len(chosen)),
                label=f"step {record.step}",
            )
        ax.set_yscale("log")
        ax.set_xticks(range(len(layers)))
        ax.set_xticklabels([layer or "(model)" for layer in layers], rotation=60)
        ax.set_xlabel("layer (depth)")
        ax.set_ylabel("L2 norm")
        ax.set_title(title)
        if chosen:
            ax.legend(fontsize="small")
    fig.suptitle("gradient norm per layer")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def over_steps(monitor: GradientMonitor, path: str | Path) -> Path:
    """Each layer's weight-gradient norm, data-gradient norm and update ratio
    against the step, on log scales."""
    path = Path(path)
    layers = monitor.layers
    steps = np.arange(len(monitor.steps))
    panels = [
        ("weight_grad_norm", "weight-gradient norm"),
        ("data_grad_norm", "data-gradient norm"),
        ("update_ratio", "update / weight"),
    ]
    fig = figure(15, 4.2)
    axes = fig.subplots(1, len(panels))
    for ax, (field, title) in zip(axes, panels, strict=True):
        drawn = 0
        for k, layer in enumerate(layers):
            y = _positive(list(monitor.series(field, layer)))
            if np.isnan(y).all():
                continue
            ax.plot(
                steps,
                y,
                color=_colour(k, len(layers)),
                label=layer or "(model)",
                linewidth=1,
            )
            drawn += 1
        if drawn:
            ax.set_yscale("log")
            ax.legend(fontsize="x-small", ncol=2 if drawn > 8 else 1)
        ax.set_xlabel("step")
        ax.set_title(title)
    fig.suptitle("gradient norms over the steps (one line per layer)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


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
