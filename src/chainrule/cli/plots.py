"""PNG plots for the command line, drawn with matplotlib (an optional extra)."""

from __future__ import annotations

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
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))

    loss_axes.plot(epochs, history.train_loss, label="train")
    loss_axes.plot(epochs, history.test_loss, label="test")
    loss_axes.set(xlabel="epoch", ylabel="cross-entropy", title="loss", yscale="log")
    loss_axes.legend()

    accuracy_axes.plot(epochs, history.train_accuracy, label="train")
    accuracy_axes.plot(epochs, history.test_accuracy, label="test")
    accuracy_axes.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    accuracy_axes.legend()

    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
