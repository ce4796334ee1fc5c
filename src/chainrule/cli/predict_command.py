"""``chainrule predict RUN --data FILE``: class predictions for the rows of a file.

FILE is a CSV file with a header row naming the model's features (in any
order), or an NPZ file with an array ``x`` whose columns are the features in
training order. A label column in the CSV file is ignored (and said to be):
the one named by ``--target NAME``, or else the one named as the target of
the training CSV file. Any other column that is not a feature is refused.
One line per
row goes to standard output, or to ``--output FILE`` as CSV: the row number,
the predicted class name and its probability.

--output takes a new file; an existing one is replaced only with
--overwrite, and never when it is the --data file (also through a link) or
a file of the run. The file is written whole or not at all.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.cli import artifacts
from chainrule.cli.dependencies import require
from chainrule.cli.errors import UsageError
from chainrule.cli.examples import check_data_file, check_finite, data_error
from chainrule.cli.run_folder import RUN_FILES
from chainrule.cli.training import predict_proba
from chainrule.data import files
from chainrule.errors import DataError
from chainrule.io._atomic import write_atomically


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
    parser.add_argument(
        "--target",
        metavar="NAME",
        help="a label column of --data to ignore (default: the training target)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="a new file for the predictions, as CSV (default: standard output)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing --output file (never the --data file or a "
        "file of the run)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.output is not None:
        check_output(args.output, args.data, args.folder, args.overwrite)
    elif args.overwrite:
        raise UsageError("--overwrite applies to --output FILE")
    require("safetensors")
    model, record = artifacts.load_model(args.folder)
    x = read_features(args.data, record, args.target)
    probabilities = predict_proba(model, artifacts.standardized(record, x))
    classes = record["class_names"]
    best = probabilities.argmax(axis=1)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", "prediction", "probability"])
    for row, (k, p) in enumerate(zip(best, probabilities.max(axis=1), strict=True)):
        writer.writerow([row, classes[k], f"{p:.6f}"])
    if args.output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        write_predictions(args.output, buffer.getvalue())
        print(f"wrote {len(best)} predictions to {args.output}")
    return 0


def check_output(output: Path, data: Path, folder: Path, overwrite: bool) -> None:
    """Refuse an --output that would destroy the input, the run or a file unasked.

    Files are compared with ``os.path.samefile``, which also sees a hard or
    symbolic link to them under another name.
    """
    if output.is_dir():
        raise UsageError(f"--output {output} is a folder; give a file name")
    if output.exists() and data.exists() and os.path.samefile(output, data):
        raise UsageError(
            f"--output {output} is the --data file {data} (the same file, "
            "maybe through a link); it would be overwritten: give another file"
        )
    owned = run_file(output, folder)
    if owned is not None:
        raise UsageError(
            f"--output {output} is the run's own {owned.name} (in "
            f"{owned.parent}), which predictions must not replace; give "
            "another file"
        )
    if output.exists() and not overwrite:
        raise UsageError(
            f"--output {output} already exists; give a new file name, or "
            "--overwrite to replace it"
        )


def run_file(output: Path, folder: Path) -> Path | None:
    """The file of the run in ``folder`` that ``output`` is, if it is one."""
    if folder.is_file():  # RUN/model.json, as load_model takes it
        folder = folder.parent
    for name in sorted(RUN_FILES):
        path = folder / name
        if output.exists() and path.exists() and os.path.samefile(output, path):
            return path
        if output.resolve() == path.resolve():  # not written yet: still the run's
            return path
    return None


def write_predictions(output: Path, text: str) -> None:
    """``text`` into ``output``, atomically: a failure leaves no half-written file."""
    output.parent.mkdir(parents=True, exist_ok=True)

    def write(temp: str) -> None:
        Path(temp).write_text(text)

    write_atomically(str(output), write, "predict")


def read_features(path: Path, record: dict[str, Any], target: str | None) -> np.ndarray:
    check_data_file(path, "CSV or NPZ")
    if path.suffix == ".npz":
        x = read_npz(path)
        names = [f"column {k}" for k in range(x.shape[1] if x.ndim == 2 else 0)]
        check_finite(x, names, str(path))
        return x
    if path.suffix not in (".csv", ".txt", ""):
        raise UsageError(f"{path}: give a .csv file with a header row, or a .npz file")
    return read_csv(path, record, target)


def read_npz(path: Path) -> np.ndarray:
    try:
        with files.open_npz(path) as archive:
            if "x" not in archive:
                raise UsageError(
                    f"{path} has no array 'x' (it has: {', '.join(archive.files)})"
                )
            x = archive["x"]
    except DataError as error:
        raise data_error(error) from None
    except (OSError, ValueError):
        # NOTE: NumPy's own words would suggest allow_pickle for an array of
        # Python objects; unpickling can run code, so it is not repeated.
        raise UsageError(
            f"{path}: its array 'x' cannot be read as numbers (an array of "
            "Python objects, or damaged); save it with np.savez(path, x=x) "
            "from a numeric array"
        ) from None
    if x.dtype.kind not in "fiub" or x.ndim != 2:
        raise UsageError(
            f"{path}: 'x' must be a 2-D array of numbers, got {x.dtype} of "
            f"shape {x.shape}"
        )
    return x.astype(np.float64)


def read_csv(path: Path, record: dict[str, Any], target: str | None) -> np.ndarray:
    """The model's features from a CSV file, in training order.

    The label column (``target``, default the training target) is ignored;
    only the feature columns are parsed, as ``load_csv`` parses them.
    """
    label = target or record.get("target")
    try:
        header, rows, lines = files.read_rows(path)
    except DataError as error:
        raise data_error(error) from None
    if target is not None and target not in header:
        raise UsageError(
            f"{path} has no column {target!r} (--target); its columns are "
            f"{', '.join(map(repr, header))}"
        )
    if label in header:
        print(
            f"chainrule predict: ignoring the label column {label!r}", file=sys.stderr
        )

    kept = [k for k, name in enumerate(header) if name != label]
    positions = artifacts.feature_positions(
        [header[k] for k in kept], record, str(path), label_option="--target"
    )
    order = [kept[i] for i in positions]
    try:
        values = files.parse_features(
            path, header, rows, lines, order, np.dtype(np.float64)
        )
    except DataError as error:
        raise data_error(error) from None
    check_finite(values, [header[k] for k in order], str(path))
    return values
