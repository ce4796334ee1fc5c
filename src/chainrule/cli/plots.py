"""PNG plots for the command line, drawn with matplotlib (an optional extra)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from chainrule.cli.errors import UsageError


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
