"""``chainrule graph``: draw a model's computational graph to a file.

With no options it draws the network ``chainrule train`` builds by default
(digits: 64 inputs, hidden layers 256 and 128 with ReLU, 10 classes) on a
batch of 4, through the cross-entropy loss it is trained with, one box per
layer, into graph.png. The suffix of --output picks the format: .png,
.svg, or .dot (Graphviz text). --model draws your own model instead:

    chainrule graph --model my_model.py:Net --input-shape 4,64

NAME may be an nn.Module instance, a Module class built with no arguments,
or a function of tensors; the graph then ends at its output. Data nodes
are rectangles, weights circles, forward edges solid, backward edges dashed
(docs/graphs.md).
"""

from __future__ import annotations

import argparse
import inspect
import shutil
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from chainrule import functional as F
from chainrule.cli.dependencies import require
from chainrule.cli.errors import UsageError
from chainrule.cli.gradcheck_command import add_input_shape_option, callable_from
from chainrule.cli.loading import load_object
from chainrule.cli.models import MLPSpec, build_mlp
from chainrule.errors import (
    ChainruleError,
    GraphDrawingError,
    GraphTooLargeError,
    MissingDependencyError,
)
from chainrule.nn.module import Module
from chainrule.tensor import Tensor
from chainrule.viz import draw, graph
from chainrule.viz.render import MAX_NODES
from chainrule.viz.structure import Graph

# `chainrule train`'s defaults on the digits data.
DEFAULT_SPEC = MLPSpec(
    in_features=64,
    hidden=(256, 128),
    out_features=10,
    activation="relu",
    init="kaiming",
)
DEFAULT_BATCH = 4


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "graph",
        help="draw a model's computational graph (PNG, SVG or DOT)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("graph.png"),
        metavar="FILE",
        help="where to draw it: .png, .svg or .dot (default: graph.png)",
    )
    parser.add_argument(
        "--model",
        metavar="FILE.py:NAME",
        help="your model (default: the MLP of `chainrule train`)",
    )
    add_input_shape_option(
        parser, "e.g. 4,64", f"default for the train model: {DEFAULT_BATCH},64"
    )
    parser.add_argument(
        "--detail",
        choices=("module", "full"),
        default="module",
        help="one box per layer, or every op (default: module)",
    )
    parser.add_argument(
        "--grad-norms",
        action="store_true",
        help="label each backward edge with the norm of its gradient",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the inputs")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.output.suffix.lower() not in (".png", ".svg", ".dot"):
        raise UsageError(
            f"--output {args.output}: the suffix must be .png, .svg or .dot"
        )
    if args.seed < 0:
        raise UsageError("--seed must be a non-negative integer")
    if args.output.suffix.lower() != ".dot" and shutil.which("dot") is None:
        require(
            "networkx",
            "matplotlib",
            alternative="or install Graphviz, or draw to a .dot file",
        )
    rng = np.random.default_rng(args.seed)
    if args.model is None:
        drawing, what = _default_model(args, rng)
        layered = True
    else:
        drawing, what, layered = _user_model(args, rng)

    # NOTE: past the renderer's limit a picture is unreadable with Graphviz
    # too: its repeated layers go into one box whichever engine draws it.
    shown = drawing
    if args.output.suffix.lower() != ".dot" and len(drawing.nodes) > MAX_NODES:
        shown = drawing.collapse_repeats()
    try:
        shown.save(args.output)
    except MissingDependencyError as error:
        raise UsageError(f"{error}; or draw to a .dot file") from None
    except GraphTooLargeError as error:
        advice = error.advice(output=args.output.name, boxes=layered)
        raise UsageError(advice) from None
    except GraphDrawingError as error:
        raise UsageError(str(error)) from None
    summary = _summary(drawing)
    if shown is not drawing:
        summary += (
            "; runs of identical layers drawn as one box each, "
            f"{len(shown.nodes):,} nodes in all"
        )
    print(f"drew {what} ({summary}) to {args.output}")
    return 0


def _default_model(
    args: argparse.Namespace, rng: np.random.Generator
) -> tuple[Graph, str]:
    shapes = args.input_shape or [(DEFAULT_BATCH, DEFAULT_SPEC.in_features)]
    if len(shapes) != 1 or len(shapes[0]) != 2 or shapes[0][1] != 64:
        given = " ".join(f"--input-shape {','.join(map(str, s))}" for s in shapes)
        raise UsageError(
            f"{given}: the train model takes one input of shape BATCH,64 "
            "(e.g. --input-shape 8,64); give --model to draw another model"
        )
    ((batch, _),) = shapes
    if batch < 1:
        raise UsageError("--input-shape: the batch needs at least 1 row")
    model = build_mlp(DEFAULT_SPEC, rng)
    x = rng.standard_normal((batch, DEFAULT_SPEC.in_features))
    labels = Tensor(rng.integers(0, DEFAULT_SPEC.out_features, batch))

    def cross_entropy(logits: Tensor) -> Tensor:
        return F.cross_entropy(logits, labels)

    drawing = draw(
        model, x, loss=cross_entropy, detail=args.detail, grad_norms=args.grad_norms
    )
    return drawing, "the train model 64-256-128-10 and its loss"


def _user_model(
    args: argparse.Namespace, rng: np.random.Generator
) -> tuple[Graph, str, bool]:
    """The drawing, what it shows, and whether it has layers (a Module)."""
    obj = load_object(args.model)
    name = args.model.rpartition(":")[2]
    fn = callable_from(obj, name)
    if not args.input_shape:
        raise UsageError(
            "give the shape of each input with --input-shape (e.g. --input-shape "
            f"4,64) to draw {name}"
        )
    names = _argument_names(fn, len(args.input_shape))
    inputs = tuple(
        Tensor(rng.standard_normal(shape), requires_grad=True, name=input_name)
        for shape, input_name in zip(args.input_shape, names, strict=True)
    )
    shapes = ", ".join(str(s) for s in args.input_shape)
    try:
        if isinstance(fn, Module):
            drawing = draw(fn, inputs, detail=args.detail, grad_norms=args.grad_norms)
        else:
            # A plain function has no layers to box: every op is drawn.
            output = fn(*inputs)
            if not isinstance(output, Tensor):
                raise UsageError(
                    f"{name} returned a {type(output).__name__}, not a Tensor"
                )
            if output.name is None:
                output.name = "output"
            drawing = graph(output, detail="full", grad_norms=args.grad_norms)
    except UsageError:
        raise
    except (TypeError, ValueError, ChainruleError) as error:
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        raise UsageError(
            f"calling {name} on inputs of shape {shapes} failed: {detail}"
        ) from None
    return drawing, args.model, isinstance(fn, Module)


def _argument_names(fn: Any, count: int) -> list[str | None]:
    """The names of a plain function's first ``count`` positional parameters.

    They label its inputs in the drawing; a Module's inputs are named by
    ``draw`` (``input``, ``input 1``), and a ``*args`` gets none.
    """
    if isinstance(fn, Module):
        return [None] * count
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    positional = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )
    names: list[str | None] = [p.name for p in parameters if p.kind in positional]
    return (names + [None] * count)[:count]


def _summary(drawing: Graph) -> str:
    counts = Counter[str](node.kind for node in drawing.nodes)
    parts = []
    for kind, one, many in (
        ("module", "box", "boxes"),
        ("op", "op", "ops"),
        ("data", "data node", "data nodes"),
        ("weight", "weight", "weights"),
    ):
        count = counts[kind]
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts) + f"; {drawing.detail} detail"
