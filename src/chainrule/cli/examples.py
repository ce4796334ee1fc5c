"""Labelled examples for the command line: load, check and encode them.

Labels are handled by *name* (a string per row) from the file to the model:
``train`` numbers the classes it saw, records their names, and ``evaluate``
maps a file's labels through those names, so class k always means the same
thing, whatever order or subset of classes a later file holds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chainrule.cli.errors import UsageError, os_error_message
from chainrule.data import load_csv, load_dataset
from chainrule.errors import ChainruleError, MissingColumnError

BUILTIN = ("digits", "iris", "wine", "breast_cancer")


@dataclass
class Examples:
    """Rows of features with a class name per row."""

    x: np.ndarray
    labels: np.ndarray  # str per row
    classes: list[str]  # every class name, in the order the dataset gives
    feature_names: list[str]
    source: str


def load_examples(
    dataset: str | None, path: Path | None, target: str | None
) -> Examples:
    """A built-in dataset by name, or a CSV file with its label column."""
    try:
        if path is not None:
            check_data_file(path, "CSV")
            table = load_csv(path, target=target if target is not None else "")
            source = str(path)
        else:
            table = load_dataset(dataset or "digits")
            source = dataset or "digits"
    except MissingColumnError as error:
        raise UsageError(
            f"{path} has no column {target!r}; give --target NAME, one of its "
            f"columns: {', '.join(map(repr, error.columns))}"
        ) from None
    except ChainruleError as error:
        raise data_error(error) from None
    except OSError as error:
        raise UsageError(os_error_message(error)) from None

    x = np.asarray(table.x, dtype=np.float64)
    feature_names = [str(n) for n in (table.feature_names or range(x.shape[1]))]
    if x.ndim != 2 or x.shape[1] == 0:
        raise UsageError(f"{source} has no feature columns besides the target")
    check_finite(x, feature_names, source)

    y = np.asarray(table.y)
    if table.class_names is not None:
        classes = [str(c) for c in table.class_names]
        labels = np.array(classes, dtype=object)[y]
    elif y.dtype.kind in "iu":
        values = sorted(set(y.tolist()))
        classes = [str(v) for v in values]
        labels = np.array([str(v) for v in y.tolist()], dtype=object)
    else:
        raise UsageError(
            f"the target column {target!r} of {source} holds non-integer numbers; "
            "chainrule train classifies (give a column of class labels; see "
            "examples/csv_regression.py for regression with the library)"
        )
    return Examples(x, labels, classes, feature_names, source)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex: what train records of its CSV."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_data_file(path: Path, kind: str) -> None:
    """Refuse a missing path, or a folder, given as a data file, in plain words."""
    if path.is_dir():
        raise UsageError(f"{path} is a directory, not a {kind} file")
    if not path.exists():
        raise UsageError(f"no such file: {path}")


def data_error(error: ChainruleError) -> UsageError:
    """A library error about a data file, worded for the command line."""
    # NOTE: library messages start with the function's name ("load_csv: "),
    # which the command line's user never called.
    return UsageError(str(error).removeprefix("load_csv: ").removeprefix("load_npz: "))


def encode(labels: np.ndarray, classes: list[str], source: str) -> np.ndarray:
    """Class numbers for ``labels`` under the model's ``classes``."""
    index = {name: k for k, name in enumerate(classes)}
    unknown = sorted({str(label) for label in labels} - index.keys())
    if unknown:
        raise UsageError(
            f"{source} has labels the model was not trained on: "
            f"{', '.join(unknown[:10])}; it knows {', '.join(classes)}"
        )
    return np.array([index[str(label)] for label in labels], dtype=np.int64)


def check_finite(x: np.ndarray, feature_names: list[str], source: str) -> None:
    """Refuse nan and inf features, naming the first bad row and column."""
    bad = ~np.isfinite(x)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise UsageError(
            f"{source}: row {row + 1} (after the header), column "
            f"{feature_names[column]!r} holds {x[row, column]}; features must be "
            f"finite numbers ({int(bad.sum())} such values in all)"
        )
