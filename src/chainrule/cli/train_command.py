"""``chainrule train``: train an MLP classifier and leave a model and plots behind.

With no options it trains on the digits dataset (1,797 handwritten digits,
8x8 pixels) with a seeded, stratified train/test split, shows a progress bar
per epoch, prints the test accuracy, and writes into the output folder:

    model.safetensors, model.json   the weights, and what is needed to rebuild
                                    and feed the network (architecture,
                                    standardisation, class names, split)
    metrics.json                    settings, per-epoch loss and accuracy,
                                    final test accuracy, time taken
    curves.png                      loss and accuracy per epoch, train and test

The same options and seed give the same numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.cli import artifacts, plots
from chainrule.cli.errors import UsageError
from chainrule.cli.models import ACTIVATIONS, INITS, MLPSpec, build_mlp, parse_hidden
from chainrule.cli.training import OPTIMIZERS, Settings, fit
from chainrule.data import Standardize, load_csv, load_dataset, train_test_split
from chainrule.errors import ChainruleError, MissingDependencyError

BUILTIN = ("digits", "iris", "wine", "breast_cancer")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "train",
        help="train an MLP classifier on a built-in dataset or a CSV file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        choices=BUILTIN,
        default=None,
        help="a built-in dataset (default: digits)",
    )
    data.add_argument("--data", type=Path, metavar="FILE", help="your own CSV file")
    data.add_argument("--target", metavar="COLUMN", help="the label column of --data")
    data.add_argument(
        "--test-size",
        type=float,
        default=0.2,
        help="share of samples held out (default 0.2)",
    )

    model = parser.add_argument_group("model")
    model.add_argument(
        "--hidden", default="256,128", help="hidden layer sizes (default 256,128)"
    )
    model.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    model.add_argument("--init", choices=INITS, default="kaiming")

    training = parser.add_argument_group("training")
    training.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    training.add_argument("--lr", type=float, default=2e-3, help="learning rate")
    training.add_argument("--epochs", type=int, default=30)
    training.add_argument("--batch-size", type=int, default=64)
    training.add_argument("--weight-decay", type=float, default=0.0)
    training.add_argument(
        "--clip-norm", type=float, default=None, help="clip the gradient's L2 norm"
    )
    training.add_argument("--seed", type=int, default=0)

    parser.add_argument(
        "--output", type=Path, default=Path("runs/latest"), help="output folder"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_options(args)
    started = time.perf_counter()

    dataset = load_data(args)
    x_train, x_test, y_train, y_test = train_test_split(
        dataset.x,
        dataset.y,
        test_size=args.test_size,
        seed=args.seed,
        stratify=dataset.y,
    )
    scaler = Standardize().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

    n_classes = int(dataset.y.max()) + 1
    spec = MLPSpec(
        in_features=x_train.shape[1],
        hidden=parse_hidden(args.hidden),
        out_features=n_classes,
        activation=args.activation,
        init=args.init,
    )
    network = build_mlp(spec, np.random.default_rng(args.seed))
    settings = Settings(
        optimizer=args.optimizer,
        lr=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        weight_decay=args.weight_decay,
        clip_norm=args.clip_norm,
        seed=args.seed,
    )
    print(
        f"training {describe(spec)} on {dataset.name}: {len(x_train)} train / "
        f"{len(x_test)} test samples, {n_classes} classes (seed {args.seed})",
        flush=True,
    )
    history = fit(
        network,
        (x_train, y_train),
        (x_test, y_test),
        settings,
        progress=None if args.no_progress else progress_bar(),
    )
    seconds = time.perf_counter() - started

    output: Path = args.output
    output.mkdir(parents=True, exist_ok=True)
    artifacts.save_model(
        output,
        network,
        spec,
        {
            "dataset": dataset.name,
            "target": args.target,
            "feature_names": list(dataset.feature_names or []),
            "class_names": [str(c) for c in (dataset.class_names or range(n_classes))],
            "standardize": {
                "mean": np.asarray(scaler.mean).tolist(),
                "std": np.asarray(scaler.std).tolist(),
            },
            "split": {"seed": args.seed, "test_size": args.test_size},
        },
    )
    metrics = {
        "dataset": dataset.name,
        "settings": {**vars(settings), "hidden": list(spec.hidden)}
        | {"activation": spec.activation, "init": spec.init},
        "samples": {"train": len(x_train), "test": len(x_test)},
        "history": history.as_dict(),
        "test_accuracy": history.test_accuracy[-1],
        "test_loss": history.test_loss[-1],
        "seconds": seconds,
    }
    (output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    plots.training_curves(
        history, output / "curves.png", title=f"{describe(spec)} on {dataset.name}"
    )

    print(
        f"test accuracy {history.test_accuracy[-1]:.4f} "
        f"(loss {history.test_loss[-1]:.4f}) after {settings.epochs} epochs, "
        f"{seconds:.1f} s"
    )
    print(f"wrote {output}/: model.safetensors, model.json, metrics.json, curves.png")
    return 0


def check_options(args: argparse.Namespace) -> None:
    if args.data is not None and args.dataset is not None:
        raise UsageError("give either --dataset or --data, not both")
    if args.data is not None and args.target is None:
        raise UsageError("--data needs --target COLUMN (the column holding the labels)")
    if args.data is None and args.target is not None:
        raise UsageError("--target only applies to --data FILE")
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 < args.test_size < 1:
        raise UsageError("--test-size must be a fraction between 0 and 1, e.g. 0.2")
    if not args.lr > 0:
        raise UsageError("--lr must be positive")
    if args.weight_decay < 0:
        raise UsageError("--weight-decay cannot be negative")
    if args.clip_norm is not None and not args.clip_norm > 0:
        raise UsageError("--clip-norm must be positive")
    parse_hidden(args.hidden)


def load_data(args: argparse.Namespace) -> Any:
    try:
        if args.data is not None:
            dataset = load_csv(args.data, target=args.target)
        else:
            dataset = load_dataset(args.dataset or "digits")
    except MissingDependencyError as error:
        raise UsageError(str(error)) from None
    except (ChainruleError, OSError) as error:
        raise UsageError(str(error)) from None
    if dataset.y.dtype.kind not in "iu":
        raise UsageError(
            f"the target column {args.target!r} holds non-integer numbers; "
            "chainrule train classifies (give a column of class labels)"
        )
    if len(np.unique(dataset.y)) < 2:
        raise UsageError("the target column has a single class; nothing to learn")
    return dataset


def describe(spec: MLPSpec) -> str:
    sizes = "-".join(
        str(n) for n in (spec.in_features, *spec.hidden, spec.out_features)
    )
    return f"MLP {sizes} ({spec.activation}, {spec.init} init)"


def progress_bar() -> Any:
    try:
        from tqdm import tqdm
    except ImportError:
        raise UsageError(
            'progress bars need tqdm: pip install "chainrule[train]" '
            "(or pass --no-progress)"
        ) from None

    def make(total: int, description: str) -> Any:
        return tqdm(
            total=total, desc=description, leave=True, file=sys.stdout, ncols=100
        )

    return make
