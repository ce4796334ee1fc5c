"""PNG plots for the command line, drawn with matplotlib (an optional extra)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chainrule.cli.errors import UsageError

if TYPE_CHECKING:
    from chainrule.experiments import (
        ActivationCurves,
        GradientFlowResult,
        GradientTimingResult,
    )


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend (no screen needed)."""
    try:
        import matplotlib
    except ImportError:
        raise UsageError(
            'plots need matplotlib: pip install "chainrule[train]"'
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def training_curves(history: Any, path: Path, title: str = "") -> None:
    """Loss and accuracy per epoch, train and test, side by side."""
    plt = pyplot()
    epochs = range(1, len(history.train_loss) + 1)
    # NOTE: markers, so that a run of one or two epochs still shows points.
    style = {"marker": "o", "markersize": 3}
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))

    loss_axes.plot(epochs, history.train_loss, label="train", **style)
    loss_axes.plot(epochs, history.test_loss, label="test", **style)
    loss_axes.set(xlabel="epoch", ylabel="cross-entropy", title="loss", yscale="log")
    if not all(math.isfinite(v) for v in [*history.train_loss, *history.test_loss]):
        loss_axes.text(
            0.5,
            0.5,
            "loss is not finite (nan/inf):\nlower --lr or use --clip-norm",
            transform=loss_axes.transAxes,
            ha="center",
            va="center",
            color="red",
        )
    loss_axes.legend()

    accuracy_axes.plot(epochs, history.train_accuracy, label="train", **style)
    accuracy_axes.plot(epochs, history.test_accuracy, label="test", **style)
    accuracy_axes.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    accuracy_axes.legend()

    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def gradient_flow(result: GradientFlowResult, path: Path) -> None:
    """Per-layer weight and data gradient norms at step 1, and the clipped updates."""
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    figure, (weights, data, updates) = plt.subplots(1, 3, figsize=(17, 5.5))
    colors = {"sigmoid": "tab:blue", "tanh": "tab:orange", "relu": "tab:green"}
    styles = {"small": ":", "xavier": "--", "kaiming": "-", "large": "-."}

    for run in result.runs:
        if run.clip_norm is not None or not run.weight_grad_norms:
            continue
        layers = range(1, len(run.first_step) + 1)
        style = {
            "color": colors.get(run.activation),
            "linestyle": styles.get(run.init),
            "label": f"{run.label} ({run.verdict})",
        }
        weights.plot(layers, run.first_step, **style)
        data.plot(layers, run.data_grad_norms[0], **style)
    weights.set(
        xlabel="layer (1 = next to the input)",
        ylabel="norm of dL/dW (step 1)",
        title="weight gradient per layer",
        yscale="log",
    )
    data.set(
        xlabel="layer (1 = next to the input)",
        ylabel="norm of dL/dz (step 1)",
        title="data gradient at each layer's output",
        yscale="log",
    )
    for axes in (weights, data):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
    data.legend(fontsize=7, loc="best", ncol=2)

    for run in result.runs:
        if run.init != "large" or not run.update_norms:
            continue
        steps = np.arange(1, len(run.update_norms) + 1)
        norms = np.asarray(run.update_norms, dtype=float)
        finite = np.isfinite(norms)
        clipped = run.clip_norm is not None
        line = updates.plot(
            steps[finite],
            norms[finite],
            marker="o" if clipped else "s",
            markersize=4 if clipped else 5,
            color=colors.get(run.activation),
            linestyle="-" if clipped else "-.",
            label=run.label,
        )[0]
        if run.diverged_at is not None and finite.any():
            updates.plot(
                steps[finite][-1:],
                norms[finite][-1:],
                marker="X",
                markersize=12,
                linestyle="none",
                color=line.get_color(),
            )
    clip = result.settings.get("clip_norm")
    if clip is not None:
        bound = result.settings["lr"] * clip
        updates.axhline(bound, color="gray", linewidth=0.8, label="lr x clip norm")
        updates.annotate(
            "every clipped run lies on this bound",
            (result.settings["steps"], bound),
            xytext=(0, -14),
            textcoords="offset points",
            ha="right",
            fontsize=8,
            color="gray",
        )
        highest = max(
            (
                u
                for run in result.runs
                if run.init == "large"
                for u in run.update_norms
                if math.isfinite(u)
            ),
            default=bound,
        )
        updates.set_ylim(bound / 10, max(highest, bound) * 10)
    updates.xaxis.set_major_locator(MaxNLocator(integer=True))
    updates.set(
        xlabel="SGD step",
        ylabel="norm of the update",
        title="large init: updates with and without clipping\n"
        "(X: last finite update; the run overflowed after it)",
        yscale="log",
    )
    updates.grid(alpha=0.3)
    updates.legend(fontsize=7)

    settings = result.settings
    figure.suptitle(
        f"{settings['depth']} Linear layers of width {settings['width']}, "
        f"gradients at step 1 (seed {settings['seed']})"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def activation_derivatives(curves: ActivationCurves, path: Path) -> None:
    """The activations and their autograd derivatives; sigmoid'(0), relu's jump.

    Smooth derivatives and derivatives with a jump at 0 get separate panels,
    so that ReLU's and Leaky ReLU's steps are not hidden behind the others.
    """
    plt = pyplot()
    smooth = [n for n, key in curves.key_values.items() if abs(key["jump"]) <= 1e-6]
    jumping = [n for n in curves.key_values if n not in smooth]
    panels = 1 + bool(smooth) + bool(jumping)
    figure, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 4.8), squeeze=False)
    functions, *rest = axes[0]
    smooth_axes = rest.pop(0) if smooth else None
    jump_axes = rest.pop(0) if jumping else None

    colors = {}
    for name, values in curves.values.items():
        colors[name] = functions.plot(curves.x, values, label=name)[0].get_color()
    functions.set(xlabel="x", ylabel="f(x)", title="activation functions")

    if smooth_axes is not None:
        for name in smooth:
            smooth_axes.plot(
                curves.x, curves.derivatives[name], color=colors[name], label=f"{name}'"
            )
        if "sigmoid" in smooth:
            value = curves.key_values["sigmoid"]["0"]
            smooth_axes.plot([0], [value], "o", color="black", zorder=3)
            smooth_axes.annotate(
                f"sigmoid'(0) = {value:g} = 1/4",
                (0, value),
                xytext=(-130, -30),
                textcoords="offset points",
                arrowprops={"arrowstyle": "->"},
                fontsize=9,
            )
        smooth_axes.set(
            xlabel="x", ylabel="f'(x)", title="smooth derivatives, by backward"
        )

    if jump_axes is not None:
        for k, name in enumerate(jumping):
            key = curves.key_values[name]
            slope = np.array(curves.derivatives[name], dtype=float)
            # NOTE: a line through the grid would draw the jump as a steep
            # slope; break it at 0, join the two sides with a dotted line and
            # mark the value autograd gives (filled) and the other limit (open).
            slope[curves.x == 0] = np.nan
            color = colors[name]
            # Leaky ReLU's right half coincides with ReLU's: draw later
            # curves thinner and dashed so both stay visible.
            jump_axes.plot(
                curves.x,
                slope,
                color=color,
                linewidth=3 - 1.2 * min(k, 1),
                linestyle="-" if k == 0 else "--",
                label=f"{name}'",
            )
            jump_axes.plot([0, 0], [key["0-"], key["0+"]], ":", color=color)
            other = key["0+"] if key["0"] == key["0-"] else key["0-"]
            jump_axes.plot([0], [other], "o", mfc="white", color=color, zorder=3)
            jump_axes.plot([0], [key["0"]], "o", color=color, zorder=3)
            jump_axes.annotate(
                f"{name}'(0) = {key['0']:g} (jump {key['0-']:g} → {key['0+']:g})",
                (0, key["0"]),
                xytext=(14, 20 + 22 * k),
                textcoords="offset points",
                arrowprops={"arrowstyle": "->", "color": color},
                fontsize=9,
            )
        jump_axes.set(
            xlabel="x",
            ylabel="f'(x)",
            title="derivatives with a jump at 0, by backward",
        )

    for panel in axes[0]:
        panel.grid(alpha=0.3)
        panel.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def gradient_timing(result: GradientTimingResult, path: Path) -> None:
    """Seconds per gradient against the number of weights, log-log."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 5))
    weights = [r.weights for r in result.rows]
    axes.plot(
        weights,
        [r.analytical_seconds for r in result.rows],
        "o-",
        label="analytical: one forward + one backward",
    )
    measured = [r for r in result.rows if r.numerical_seconds is not None]
    axes.plot(
        [r.weights for r in measured],
        [r.numerical_seconds for r in measured],
        "s-",
        label="numerical: 2 forward passes per weight",
    )
    if measured:
        # A line of slope 1 through the first numerical point, for reference.
        start = measured[0]
        assert start.numerical_seconds is not None
        ends = np.array([weights[0], weights[-1]], dtype=float)
        axes.plot(
            ends,
            start.numerical_seconds * ends / start.weights,
            color="gray",
            linestyle=":",
            label="linear in the number of weights",
        )
    skipped = [r for r in result.rows if r.numerical_seconds is None]
    if skipped:
        axes.text(
            0.98,
            0.02,
            "numerical skipped (time budget): "
            + ", ".join(f"{r.weights} weights" for r in skipped),
            transform=axes.transAxes,
            ha="right",
            va="bottom",
            fontsize=7,
            color="gray",
        )
    slopes = result.slopes()
    title = "time of one gradient"
    if slopes["numerical"] is not None and slopes["analytical"] is not None:
        title += (
            f"\nfitted exponents: numerical {slopes['numerical']:.2f}, "
            f"analytical {slopes['analytical']:.2f}"
        )
    axes.set(
        xlabel="number of weights",
        ylabel="seconds",
        title=title,
        xscale="log",
        yscale="log",
    )
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
