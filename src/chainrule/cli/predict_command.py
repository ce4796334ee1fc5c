"""``chainrule predict RUN --data FILE``: class predictions for the rows of a file.

FILE is a CSV file with a header row and the model's features (a column named
as the training target, if present, is ignored), or an NPZ file with an array
``x``. One line per row goes to standard output, or to ``--output FILE`` as CSV:
the row number, the predicted class name and its probability.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.cli import artifacts
from chainrule.cli.errors import UsageError
from chainrule.cli.training import predict_proba


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "predict",
        help="predict classes with a trained model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "folder", type=Path, metavar="RUN", help="output folder of `train`"
    )
    parser.add_argument("--data", type=Path, required=True, metavar="FILE")
    parser.add_argument("--output", type=Path, default=None, help="write CSV here")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    model, record = artifacts.load_model(args.folder)
    x = read_features(args.data, record)
    probabilities = predict_proba(model, artifacts.standardized(record, x))
    classes = record.get("class_names") or [
        str(k) for k in range(probabilities.shape[1])
    ]
    best = probabilities.argmax(axis=1)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", "prediction", "probability"])
    for row, (k, p) in enumerate(zip(best, probabilities.max(axis=1), strict=True)):
        writer.writerow([row, classes[k], f"{p:.6f}"])
    if args.output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        args.output.write_text(buffer.getvalue())
        print(f"wrote {len(best)} predictions to {args.output}")
    return 0


def read_features(path: Path, record: dict[str, Any]) -> np.ndarray:
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            if "x" not in archive:
                raise UsageError(
                    f"{path} has no array 'x' (it has: {', '.join(archive.files)})"
                )
            return np.asarray(archive["x"], dtype=np.float64)
    return read_csv_features(path, record)


def read_csv_features(path: Path, record: dict[str, Any]) -> np.ndarray:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    if not rows:
        raise UsageError(f"{path} is empty")
    header, body = rows[0], rows[1:]
    target = record.get("target")
    keep = [k for k, name in enumerate(header) if name.strip() != target]
    values = np.empty((len(body), len(keep)))
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise UsageError(
                f"{path}, line {line}: {len(row)} fields where the header has "
                f"{len(header)}"
            )
        for j, k in enumerate(keep):
            try:
                values[line - 2, j] = float(row[k])
            except ValueError:
                raise UsageError(
                    f"{path}, line {line}, column {header[k]!r}: {row[k]!r} is not "
                    "a number"
                ) from None
    return values
