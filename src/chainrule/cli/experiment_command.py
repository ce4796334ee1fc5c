"""``chainrule experiment NAME``: the source text's claims about gradients, measured.

    vanishing            per-layer gradients of deep MLPs (Sigmoid, Tanh, ReLU x
                         small, Xavier, Kaiming, large init): vanishing,
                         exploding, healthy flow, and gradient clipping
    activations          the activations and their derivatives by autograd:
                         sigmoid'(0) = 1/4, relu's jump at 0
    numerical-gradient   time of numerical against analytical gradients as the
                         number of weights grows

Each prints a table and writes NAME.png and NAME.json into the output folder
(default runs/experiments). The same options give the same numbers (the
timings aside). See docs/experiments.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from chainrule import experiments
from chainrule.cli import plots
from chainrule.cli.dependencies import require
from chainrule.cli.errors import UsageError
from chainrule.errors import ArgumentError, MissingDependencyError

T = TypeVar("T")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "experiment",
        help="reproduce the source text's claims about gradients",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    names = parser.add_subparsers(dest="experiment", required=True, metavar="NAME")

    vanishing = names.add_parser(
        "vanishing",
        help="vanishing and exploding gradients, layer by layer",
        description=experiments.vanishing.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    vanishing.add_argument("--depth", type=int, default=20, help="Linear layers")
    vanishing.add_argument("--width", type=int, default=64, help="hidden units")
    vanishing.add_argument("--steps", type=int, default=10, help="SGD steps")
    vanishing.add_argument("--batch-size", type=int, default=128)
    vanishing.add_argument("--lr", type=float, default=0.01, help="learning rate")
    vanishing.add_argument(
        "--clip-norm",
        type=float,
        default=1.0,
        help="L2 bound of the clipped runs of the large init (default 1)",
    )
    vanishing.add_argument("--no-clip", action="store_true", help="no clipped runs")
    vanishing.add_argument(
        "--activations",
        default="sigmoid,tanh,relu",
        help="comma-separated, from sigmoid, tanh, relu",
    )
    vanishing.add_argument(
        "--inits",
        default="small,xavier,kaiming,large",
        help="comma-separated, from small, xavier, kaiming, large",
    )
    vanishing.add_argument("--seed", type=int, default=0)
    output_option(vanishing)
    vanishing.set_defaults(run=run_vanishing)

    activations = names.add_parser(
        "activations",
        help="activation functions and their derivatives, by autograd",
        description=experiments.activations.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    activations.add_argument(
        "--functions",
        default=",".join(experiments.activations.FUNCTIONS),
        help="comma-separated, from " + ", ".join(experiments.activations.FUNCTIONS),
    )
    activations.add_argument(
        "--limit", type=float, default=6.0, help="plot over [-limit, limit]"
    )
    activations.add_argument(
        "--points", type=int, default=1201, help="grid points (odd: 0 is on it)"
    )
    output_option(activations)
    activations.set_defaults(run=run_activations)

    timing = names.add_parser(
        "numerical-gradient",
        help="time of numerical against analytical gradients",
        description=experiments.numerical_gradient.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    timing.add_argument(
        "--widths",
        default="1,2,4,8,16,32,64,128",
        help="hidden widths of the MLPs 64 -> width -> 10 (85 to 9610 weights)",
    )
    timing.add_argument("--batch-size", type=int, default=64)
    timing.add_argument("--eps", type=float, default=1e-6, help="central step")
    timing.add_argument(
        "--max-seconds",
        type=float,
        default=60.0,
        help="budget for all numerical gradients; larger sizes are skipped",
    )
    timing.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="timings per analytical gradient; the fastest counts (default 5)",
    )
    timing.add_argument("--seed", type=int, default=0)
    output_option(timing)
    timing.set_defaults(run=run_timing)


def output_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("runs/experiments"),
        help="folder for the plot and the JSON (default runs/experiments)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace this experiment's plot and JSON from an earlier run",
    )


def run_vanishing(args: argparse.Namespace) -> int:
    activations = parse_names(
        args.activations, "--activations", experiments.vanishing.ACTIVATIONS
    )
    inits = parse_names(args.inits, "--inits", experiments.vanishing.INITS)
    for option in ("depth", "width", "steps", "batch_size"):
        at_least(args, option, 2 if option == "depth" else 1)
    positive(args, "lr")
    if not args.no_clip:
        positive(args, "clip_norm")
    require("sklearn", "matplotlib")
    check_output(args.output, "vanishing", args.overwrite)

    result = call(
        experiments.gradient_flow,
        args.output,
        activations=activations,
        inits=inits,
        depth=args.depth,
        width=args.width,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        clip_norm=None if args.no_clip else args.clip_norm,
        seed=args.seed,
    )
    settings = result.settings
    print(
        f"gradient norms of {settings['depth']}-layer MLPs "
        f"{'-'.join(map(str, settings['layer_sizes']))} at step 1, then "
        f"{settings['steps']} SGD steps (lr {settings['lr']:g}, batch "
        f"{settings['batch_size']}, seed {settings['seed']}) on digits"
    )
    print()
    print(result.table())
    print()
    print(
        "dW: weight gradient norm, dz: data gradient norm at the layer's output; "
        f"verdict: dz first/last < {experiments.vanishing.VANISHING:g} is "
        f"vanishing, > {experiments.vanishing.EXPLODING:g} (or overflow) exploding"
    )
    print("The source text's claims:")
    print(result.summary())
    write(args.output, "vanishing", result.to_json(), plots.gradient_flow, result)
    return 0


def run_activations(args: argparse.Namespace) -> int:
    functions = parse_names(
        args.functions, "--functions", experiments.activations.FUNCTIONS
    )
    positive(args, "limit")
    if args.points < 3 or args.points % 2 == 0:
        raise UsageError(
            f"--points must be odd and at least 3 (so that x = 0 is on the "
            f"grid), got {args.points}"
        )
    require("matplotlib")
    check_output(args.output, "activations", args.overwrite)

    curves = call(
        experiments.activation_derivatives,
        args.output,
        names=functions,
        limit=args.limit,
        points=args.points,
    )
    print(f"derivatives by chainrule's backward (0- and 0+: x = ∓{1e-9:g})")
    print()
    print(curves.table())
    print()
    for line in curves.findings():
        print(f"- {line}")
    write(
        args.output,
        "activations",
        curves.to_json(),
        plots.activation_derivatives,
        curves,
    )
    return 0


def run_timing(args: argparse.Namespace) -> int:
    widths = parse_list(args.widths, "--widths", int)
    if any(w < 1 for w in widths):
        raise UsageError(f"--widths must be positive integers, got {args.widths!r}")
    for option in ("batch_size", "repeats"):
        at_least(args, option, 1)
    positive(args, "eps")
    positive(args, "max_seconds", finite=False)  # inf: never skip a size
    require("sklearn", "matplotlib")
    check_output(args.output, "numerical-gradient", args.overwrite)

    result = call(
        experiments.gradient_timing,
        args.output,
        widths=widths,
        batch_size=args.batch_size,
        eps=args.eps,
        max_seconds=args.max_seconds,
        repeats=args.repeats,
        seed=args.seed,
    )
    settings = result.settings
    print(
        f"gradient of the cross-entropy of MLPs {settings['features']} -> width "
        f"-> {settings['classes']} (tanh) on {settings['samples']} digits; "
        f"numerical: central differences, eps {args.eps:g}; BLAS threads: "
        f"{settings['blas_threads']}"
    )
    print()
    print(result.table())
    print()
    for row in result.rows:
        if row.skipped:
            print(f"- width {row.width}: numerical gradient skipped ({row.skipped})")
    slopes = result.slopes()
    if slopes["numerical"] is not None and slopes["analytical"] is not None:
        print(
            f"time ~ weights^p: numerical p = {slopes['numerical']:.2f}, "
            f"analytical p = {slopes['analytical']:.2f}"
        )
    write(
        args.output,
        "numerical-gradient",
        result.to_json(),
        plots.gradient_timing,
        result,
    )
    return 0


def parse_list(text: str, option: str, kind: Callable[[str], T]) -> list[T]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise UsageError(f"{option} is empty; give values separated by commas")
    try:
        return [kind(part) for part in parts]
    except ValueError:
        raise UsageError(
            f"{option} {text!r}: give values separated by commas, e.g. 1,2,4"
        ) from None


def parse_names(text: str, option: str, allowed: Iterable[str]) -> list[str]:
    names = parse_list(text, option, str)
    choices = list(allowed)
    unknown = [name for name in names if name not in choices]
    if unknown:
        raise UsageError(
            f"{option}: unknown {', '.join(map(repr, unknown))}; choose from "
            + ", ".join(choices)
        )
    return names


def at_least(args: argparse.Namespace, name: str, least: int) -> None:
    if getattr(args, name) < least:
        raise UsageError(
            f"--{name.replace('_', '-')} must be at least {least}, got "
            f"{getattr(args, name)}"
        )


def positive(args: argparse.Namespace, name: str, finite: bool = True) -> None:
    value = getattr(args, name)
    option = f"--{name.replace('_', '-')}"
    if not value > 0:
        raise UsageError(f"{option} must be positive, got {value}")
    if finite and not math.isfinite(value):
        raise UsageError(f"{option} must be finite, got {value}")


def check_output(folder: Path, name: str, overwrite: bool) -> None:
    """Refuse an --output that cannot take NAME.json and NAME.png, before running.

    The folder may not exist yet, but where it would be made must be a
    folder, and neither file may be a folder. Results of an earlier run are
    kept unless ``overwrite``: they may hold other settings' numbers.
    """
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            f"--output {folder} is a file, not a folder; give a folder for the "
            "plot and the JSON"
        )
    existing = next(path for path in folder.parents if path.exists())
    if not existing.is_dir():
        raise UsageError(
            f"--output {folder}: {existing} is a file, so no folder can be made "
            "in it; give another folder"
        )
    for suffix in (".json", ".png"):
        path = folder / f"{name}{suffix}"
        if path.is_dir():
            raise UsageError(
                f"--output {folder}: {path} is a folder, so the experiment "
                "could not write its results there; give another folder"
            )
        if path.exists() and not overwrite:
            raise UsageError(
                f"{path} holds the results of an earlier run; pass --overwrite "
                "to replace them, or --output another folder"
            )


def call(experiment: Callable[..., T], folder: Path, **options: Any) -> T:
    """Make the output folder, then run an experiment.

    The folder comes first, so that one that cannot be made or written
    into fails before the work rather than after it; folders made for a
    run that then fails are removed again. The experiment's argument
    errors and missing extras are usage errors.
    """
    made = _make_folder(folder)
    try:
        return experiment(**options)
    except (ArgumentError, MissingDependencyError) as error:
        _remove_empty(made)
        raise UsageError(str(error)) from None
    except BaseException:
        _remove_empty(made)
        raise


def _make_folder(folder: Path) -> list[Path]:
    """Create ``folder`` and check it takes files; the folders it created."""
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        _remove_empty(made)
        raise UsageError(
            f"cannot create the output folder {folder}: {error}; choose "
            "another with --output"
        ) from None
    return made


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders (innermost first) that are still empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def write(
    folder: Path,
    name: str,
    record: dict[str, Any],
    draw: Callable[[Any, Path], None],
    result: Any,
) -> None:
    (folder / f"{name}.json").write_text(
        json.dumps(record, indent=2, allow_nan=False) + "\n"
    )
    draw(result, folder / f"{name}.png")
    print(f"wrote {folder / name}.png and {name}.json")
