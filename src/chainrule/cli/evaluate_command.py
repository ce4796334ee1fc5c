"""``chainrule evaluate RUN``: accuracy of a trained model on its test split or a file.

Without ``--data`` the model is evaluated on the test split it was trained
against (rebuilt from the dataset, seed and test size it recorded). With
``--data FILE --target COLUMN``, on every row of that CSV file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.cli import artifacts
from chainrule.cli.errors import UsageError
from chainrule.cli.training import evaluate
from chainrule.data import load_csv, load_dataset, train_test_split
from chainrule.errors import ChainruleError


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
    parser.add_argument("--target", metavar="COLUMN", help="the label column of --data")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    model, record = artifacts.load_model(args.folder)
    x, y, source = examples(args, record)
    loss, accuracy = evaluate(model, artifacts.standardized(record, x), y)
    result = {"source": source, "samples": len(y), "accuracy": accuracy, "loss": loss}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{source}: accuracy {accuracy:.4f}, loss {loss:.4f} on {len(y)} samples")
    return 0


def examples(
    args: argparse.Namespace, record: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, str]:
    if (args.data is None) != (args.target is None):
        raise UsageError("--data and --target go together")
    try:
        if args.data is not None:
            dataset = load_csv(args.data, target=args.target)
            return dataset.x, dataset.y, str(args.data)
        name = record.get("dataset")
        if record.get("target") is not None or name not in (
            "digits",
            "iris",
            "wine",
            "breast_cancer",
        ):
            raise UsageError(
                f"the model was trained on {name}; give --data FILE --target COLUMN "
                "to evaluate it"
            )
        dataset = load_dataset(name)
    except ChainruleError as error:
        if isinstance(error, UsageError):
            raise
        raise UsageError(str(error)) from None
    split = record["split"]
    _, x_test, _, y_test = train_test_split(
        dataset.x,
        dataset.y,
        test_size=split["test_size"],
        seed=split["seed"],
        stratify=dataset.y,
    )
    return x_test, y_test, f"{name} test split"
