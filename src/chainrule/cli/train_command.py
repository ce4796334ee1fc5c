"""``chainrule train``: train an MLP classifier and leave a model and plots behind.

With no options it trains on the digits dataset (1,797 handwritten digits,
8x8 pixels) with a seeded, stratified train/test split, shows a progress bar
per epoch (on standard error), prints the test accuracy (on standard
output), and writes into the output folder:

    model.safetensors, model.json   the weights, and what is needed to rebuild
                                    and feed the network (architecture,
                                    standardisation, class names, the data
                                    and split it was trained on)
    metrics.json                    settings, per-epoch loss, accuracy and
                                    gradient norm, final test accuracy, time
    curves.png                      loss and accuracy per epoch, train and test

With --monitor it also records gradient health per layer and step
(chainrule.monitor; docs/gradient_health.md), prints a one-line verdict and
writes:

    gradient_health.json            every record, the findings, the verdict
    gradients_by_layer.png          gradient norms against depth
    gradients_over_steps.png        gradient norms and update ratios per step

Each run gets a new folder, runs/run-N, and runs/latest links to the newest,
unless --output DIR names one: a new or empty folder, or one holding an
earlier run, which --overwrite replaces as a whole (a folder holding other
files is refused). The run is written beside its folder and moved in when
complete, so a failed, diverged or interrupted run leaves nothing behind.

The same options and seed give the same numbers.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.cli import artifacts, plots
from chainrule.cli.dependencies import require
from chainrule.cli.errors import UsageError
from chainrule.cli.examples import (
    BUILTIN,
    Examples,
    encode,
    file_sha256,
    load_examples,
)
from chainrule.cli.models import ACTIVATIONS, INITS, MLPSpec, build_mlp, parse_hidden
from chainrule.cli.run_folder import RunFolder, point_latest
from chainrule.cli.training import (
    MOMENTUM,
    OPTIMIZERS,
    Settings,
    TrainingDiverged,
    fit,
)
from chainrule.data import Standardize, train_test_split
from chainrule.errors import MissingDependencyError
from chainrule.monitor import GradientMonitor


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
    data.add_argument(
        "--target", metavar="NAME", help="the name of the label column of --data"
    )
    data.add_argument(
        "--test-size",
        type=float,
        default=0.2,
        help="share of samples held out (default: 0.2)",
    )

    model = parser.add_argument_group("model")
    model.add_argument(
        "--hidden", default="256,128", help="hidden layer sizes (default: 256,128)"
    )
    model.add_argument(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default="relu",
        help="(default: relu)",
    )
    model.add_argument(
        "--init", choices=INITS, default="kaiming", help="(default: kaiming)"
    )

    training = parser.add_argument_group("training")
    training.add_argument(
        "--optimizer", choices=OPTIMIZERS, default="adam", help="(default: adam)"
    )
    training.add_argument(
        "--lr", type=float, default=2e-3, help="learning rate (default: 0.002)"
    )
    training.add_argument("--epochs", type=int, default=30, help="(default: 30)")
    training.add_argument("--batch-size", type=int, default=64, help="(default: 64)")
    training.add_argument(
        "--weight-decay",
        type=float,
        default=None,
        help="(default: 0, and 0.01 for adamw as in PyTorch)",
    )
    training.add_argument(
        "--momentum",
        type=float,
        default=None,
        help="for --optimizer sgd (default: 0.9) and rmsprop (default: 0)",
    )
    training.add_argument(
        "--clip-norm",
        type=float,
        default=None,
        help="clip the gradient's total L2 norm",
    )
    training.add_argument("--seed", type=int, default=0, help="(default: 0)")

    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder, new or empty, or holding an earlier run to replace "
        "with --overwrite (default: a new runs/run-N, with runs/latest linked "
        "to it)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the earlier run in --output, as a whole",
    )
    parser.add_argument(
        "--monitor",
        action="store_true",
        help="record gradient health per layer and step; save its plots and "
        "records beside the model and print a verdict",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_options(args)
    require(*needed_packages(args))
    folder = RunFolder(args.output, args.overwrite)
    with folder as staging:
        written = train_into(staging, args)
        output = folder.publish()

    print(f"wrote {output}/: {', '.join(written)}")
    if args.output is None:
        print(point_latest(output))
    return 0


def needed_packages(args: argparse.Namespace) -> list[str]:
    """The optional packages this run will use: saving, plots, data, progress."""
    modules = ["safetensors", "matplotlib"]
    if args.data is None:
        modules.append("sklearn")
    if not args.no_progress:
        modules.append("tqdm")
    return modules


def train_into(output: Path, args: argparse.Namespace) -> list[str]:
    """Train as ``args`` say, print the results, save the run into ``output``.

    Returns the names of the files written.
    """
    started = time.perf_counter()

    examples = load_examples(args.dataset, args.data, args.target)
    data_sha256 = None if args.data is None else file_sha256(args.data)
    classes = examples.classes
    if len(classes) < 2:
        raise UsageError(
            f"{examples.source} has only one class ({classes[0]!r}) in its "
            f"column {args.target!r}; a classifier needs at least 2 classes: "
            "is --target the label column?"
        )
    y = encode(examples.labels, classes, examples.source)
    x_train, x_test, y_train, y_test = split(examples, y, args.test_size, args.seed)
    scaler = Standardize().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

    spec = MLPSpec(
        in_features=x_train.shape[1],
        hidden=parse_hidden(args.hidden),
        out_features=len(classes),
        activation=args.activation,
        init=args.init,
    )
    try:
        network = build_mlp(spec, np.random.default_rng(args.seed))
    except MemoryError:
        raise UsageError(
            f"not enough memory for a network of --hidden {args.hidden}"
        ) from None
    settings = Settings(
        optimizer=args.optimizer,
        lr=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        weight_decay=weight_decay(args),
        momentum=momentum(args),
        clip_norm=args.clip_norm,
        seed=args.seed,
    )
    print(
        f"training {describe(spec)} on {examples.source}: {len(x_train)} train / "
        f"{len(x_test)} test samples, {len(classes)} classes (seed {args.seed})",
        flush=True,
    )
    # NOTE: warn=False: the command prints the monitor's verdict instead of
    # Python warnings in the middle of the progress bars.
    monitor = GradientMonitor(network, warn=False) if args.monitor else None
    try:
        history = fit(
            network,
            (x_train, y_train),
            (x_test, y_test),
            settings,
            progress=None if args.no_progress else progress_bar(),
            monitor=monitor,
        )
    except TrainingDiverged:
        if monitor is not None:
            print(f"gradient health: {monitor.verdict()}")
        raise
    seconds = time.perf_counter() - started

    artifacts.save_model(
        output,
        network,
        spec,
        {
            "dataset": examples.source if args.data is None else None,
            "data": None if args.data is None else str(Path(args.data).resolve()),
            "data_sha256": data_sha256,
            "target": args.target,
            "feature_names": examples.feature_names,
            "class_names": classes,
            "standardize": {
                "mean": np.asarray(scaler.mean).tolist(),
                "std": np.asarray(scaler.std).tolist(),
            },
            "split": {"seed": args.seed, "test_size": args.test_size},
        },
    )
    metrics = {
        "data": examples.source,
        "data_sha256": data_sha256,
        "settings": {
            **vars(settings),
            "hidden": list(spec.hidden),
            "activation": spec.activation,
            "init": spec.init,
        },
        "samples": {"train": len(x_train), "test": len(x_test)},
        "history": history.as_dict(),
        "test_accuracy": history.test_accuracy[-1],
        "test_loss": finite_or_none(history.test_loss[-1]),
        "seconds": seconds,
    }
    if monitor is not None:
        metrics["gradient_health"] = {
            "healthy": monitor.healthy,
            "verdict": monitor.verdict(),
        }
    (output / "metrics.json").write_text(
        json.dumps(metrics, indent=2, allow_nan=False) + "\n"
    )
    plots.training_curves(
        history, output / "curves.png", title=f"{describe(spec)} on {examples.source}"
    )
    written = ["model.safetensors", "model.json", "metrics.json", "curves.png"]
    if monitor is not None:
        written += save_monitor(monitor, output)

    print(
        f"test accuracy {history.test_accuracy[-1]:.4f} "
        f"(loss {history.test_loss[-1]:.4f}) after {settings.epochs} epochs, "
        f"{seconds:.1f} s"
    )
    if monitor is not None:
        print(f"gradient health: {monitor.verdict()}")
    return written


def save_monitor(monitor: GradientMonitor, output: Path) -> list[str]:
    """The monitor's records and plots, beside the model; returns the file names."""
    names = [
        "gradient_health.json",
        "gradients_by_layer.png",
        "gradients_over_steps.png",
    ]
    monitor.to_json(output / names[0])
    try:
        monitor.plot_by_layer(output / names[1])
        monitor.plot_over_steps(output / names[2])
    except MissingDependencyError as error:
        raise UsageError(str(error)) from None
    return names


def check_options(args: argparse.Namespace) -> None:
    if args.data is not None and args.dataset is not None:
        raise UsageError("give either --dataset or --data, not both")
    if args.data is not None and args.target is None:
        raise UsageError("--data needs --target NAME (the name of the label column)")
    if args.data is None and args.target is not None:
        raise UsageError("--target only applies to --data FILE")
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 < args.test_size < 1:
        raise UsageError("--test-size must be a fraction between 0 and 1, e.g. 0.2")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise UsageError("--lr must be a positive finite number")
    if args.weight_decay is not None and not (
        math.isfinite(args.weight_decay) and args.weight_decay >= 0
    ):
        raise UsageError("--weight-decay must be a finite number >= 0")
    if args.momentum is not None:
        if args.optimizer not in MOMENTUM:
            raise UsageError(
                f"--momentum applies to --optimizer sgd and rmsprop, not "
                f"{args.optimizer}, whose betas play its part; leave it out, or "
                "choose sgd or rmsprop"
            )
        if not (math.isfinite(args.momentum) and 0 <= args.momentum < 1):
            raise UsageError("--momentum must be in [0, 1)")
    if args.clip_norm is not None and not (
        math.isfinite(args.clip_norm) and args.clip_norm > 0
    ):
        raise UsageError("--clip-norm must be a positive finite number")
    if args.seed < 0:
        raise UsageError("--seed must be a non-negative integer")
    if args.output is not None and args.output.name in ("", ".", ".."):
        raise UsageError("--output needs a folder name, e.g. runs/mine")
    if args.overwrite and args.output is None:
        raise UsageError(
            "--overwrite applies to --output DIR (without --output every run "
            "gets a new folder)"
        )
    parse_hidden(args.hidden)


def split(
    examples: Examples, y: np.ndarray, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    try:
        x_train, x_test, y_train, y_test = train_test_split(
            examples.x, y, test_size=test_size, seed=seed, stratify=y
        )
    except ValueError as error:
        raise UsageError(f"cannot split {examples.source}: {error}") from None
    missing = sorted(set(range(len(examples.classes))) - set(y_train.tolist()))
    if missing:
        names = ", ".join(examples.classes[k] for k in missing)
        raise UsageError(
            f"with --test-size {test_size} the training part has no example of "
            f"class {names}; use a smaller --test-size"
        )
    return x_train, x_test, y_train, y_test


def momentum(args: argparse.Namespace) -> float | None:
    """--momentum, or the optimizer's default; None for one that takes none."""
    if args.momentum is not None:
        return float(args.momentum)
    return MOMENTUM.get(args.optimizer)


def weight_decay(args: argparse.Namespace) -> float:
    if args.weight_decay is not None:
        return float(args.weight_decay)
    return 0.01 if args.optimizer == "adamw" else 0.0


def finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


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
            total=total,
            desc=description,
            leave=True,
            file=sys.stderr,
            ncols=100,
            mininterval=0.5,
        )

    return make
