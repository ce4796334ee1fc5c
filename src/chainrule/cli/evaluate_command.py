"""``chainrule evaluate RUN``: accuracy of a trained model on its test split or a file.

Without ``--data`` the model is evaluated on the test split it was trained
against, rebuilt from the dataset (or CSV file), seed and test size it
recorded; a CSV file that has changed since (its SHA-256, recorded by
train, differs) is refused. With ``--data FILE --target NAME``, on every
row of that CSV file; its labels are matched to the model's classes by
name.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.cli import artifacts
from chainrule.cli.dependencies import require
from chainrule.cli.errors import UsageError
from chainrule.cli.examples import encode, file_sha256, load_examples
from chainrule.cli.training import evaluate
from chainrule.data import train_test_split


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "evaluate",
        help="accuracy of a trained model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "folder", type=Path, metavar="RUN", help="output folder of `train`"
    )
    parser.add_argument(
        "--data", type=Path, metavar="FILE", help="a CSV file to evaluate on"
    )
    parser.add_argument(
        "--target", metavar="NAME", help="the name of the label column of --data"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    require("safetensors")
    model, record = artifacts.load_model(args.folder)
    x, y, source = labelled_rows(args, record)
    loss, accuracy = evaluate(model, artifacts.standardized(record, x), y)
    result = {"source": source, "samples": len(y), "accuracy": accuracy, "loss": loss}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{source}: accuracy {accuracy:.4f}, loss {loss:.4f} on {len(y)} samples")
    return 0


def check_unchanged(path: Path, sha256: str | None) -> None:
    """The recorded CSV file must be the one trained on, byte for byte.

    Its test split is rebuilt from its rows: a file with rows added, removed,
    edited or reordered would give another split, and an accuracy on rows
    the model may have trained on.
    """
    if not path.exists():
        raise UsageError(
            f"the model was trained on {path}, which no longer exists; give "
            "--data FILE --target NAME"
        )
    if sha256 is None:
        raise UsageError(
            f"the model records no checksum of {path}, so its test split cannot "
            "be trusted to be the one it was tested on; give --data FILE "
            "--target NAME, or train again"
        )
    if file_sha256(path) != sha256:
        raise UsageError(
            f"{path} has changed since the model was trained (its SHA-256 is "
            "not the one recorded), so its test split cannot be rebuilt; "
            "evaluate on a file with --data FILE --target NAME, or train again"
        )


def labelled_rows(
    args: argparse.Namespace, record: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, str]:
    classes = record["class_names"]
    if (args.data is None) != (args.target is None):
        raise UsageError("--data and --target go together")
    if args.data is not None:
        examples = load_examples(None, args.data, args.target)
        x = artifacts.features_in_model_order(
            examples.x, examples.feature_names, record, str(args.data)
        )
        return x, encode(examples.labels, classes, str(args.data)), str(args.data)

    recorded = record.get("data")
    if recorded is not None:
        check_unchanged(Path(recorded), record.get("data_sha256"))
    else:
        require("sklearn")
    examples = load_examples(
        record.get("dataset"),
        None if recorded is None else Path(recorded),
        record.get("target"),
    )
    y = encode(examples.labels, classes, examples.source)
    split = record["split"]
    _, x_test, _, y_test = train_test_split(
        examples.x, y, test_size=split["test_size"], seed=split["seed"], stratify=y
    )
    return x_test, y_test, f"{examples.source} test split"
