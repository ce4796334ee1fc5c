"""PNG plots for the command line, drawn with matplotlib (an optional extra)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.cli.errors import UsageError
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
    data.legend(fontsize=7, loc="best", ncol=2)

    for run in result.runs:
        if run.init != "large" or not run.update_norms:
            continue
        steps = np.arange(1, len(run.update_norms) + 1)
        norms = np.asarray(run.update_norms, dtype=float)
        finite = np.isfinite(norms)
        line = updates.plot(
            steps[finite],
            norms[finite],
            marker="o",
            color=colors.get(run.activation),
            linestyle="-" if run.clip_norm is not None else "-.",
            label=run.label,
        )[0]
        if run.diverged_at is not None:
            updates.plot(
                steps[finite][-1:],
                norms[finite][-1:],
                marker="X",
                markersize=12,
                color=line.get_color(),
            )
    clip = result.settings.get("clip_norm")
    if clip is not None:
        updates.axhline(
            result.settings["lr"] * clip,
            color="gray",
            linewidth=0.8,
            label="lr x clip norm",
        )
    updates.set(
        xlabel="SGD step",
        ylabel="norm of the update",
        title="large init: updates with and without clipping\n"
        "(X: the next loss was not finite)",
        yscale="log",
    )
    updates.legend(fontsize=7)

    settings = result.settings
    figure.suptitle(
        f"{settings['depth']} Linear layers of width {settings['width']} "
        f"(seed {settings['seed']})"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def activation_derivatives(curves: ActivationCurves, path: Path) -> None:
    """The activations and their autograd derivatives; sigmoid'(0), relu's jump."""
    plt = pyplot()
    figure, (functions, derivatives) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name, values in curves.values.items():
        line = functions.plot(curves.x, values, label=name)[0]
        slope = np.array(curves.derivatives[name], dtype=float)
        key = curves.key_values[name]
        jump = abs(key["jump"]) > 1e-6
        if jump:
            # NOTE: a line through the grid would draw the jump as a steep
            # slope; break it at 0 and mark both sides instead.
            slope[curves.x == 0] = np.nan
        derivatives.plot(curves.x, slope, color=line.get_color(), label=f"{name}'")
        if jump:
            other = key["0+"] if key["0"] == key["0-"] else key["0-"]
            derivatives.plot(
                [0], [other], "o", mfc="white", color=line.get_color(), zorder=3
            )
            derivatives.plot([0], [key["0"]], "o", color=line.get_color(), zorder=3)
            derivatives.annotate(
                f"{name}'(0) = {key['0']:g}",
                (0, key["0"]),
                xytext=(12, -14),
                textcoords="offset points",
                fontsize=8,
            )
    if "sigmoid" in curves.key_values:
        value = curves.key_values["sigmoid"]["0"]
        derivatives.plot([0], [value], "o", color="black", zorder=3)
        derivatives.annotate(
            f"sigmoid'(0) = {value:g} = 1/4",
            (0, value),
            xytext=(-120, 18),
            textcoords="offset points",
            arrowprops={"arrowstyle": "->"},
            fontsize=8,
        )
    functions.set(xlabel="x", ylabel="f(x)", title="activation functions")
    derivatives.set(
        xlabel="x", ylabel="f'(x)", title="derivatives, by chainrule's backward"
    )
    for axes in (functions, derivatives):
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
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
        label="analytical: one backward",
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
