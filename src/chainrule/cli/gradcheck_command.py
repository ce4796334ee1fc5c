"""``chainrule gradcheck FILE.py:NAME --input-shape 4,3 ...``

Loads a user's operation (a ``Function`` subclass), module (a ``Module``
class or instance) or plain function, checks its backward on random float64
inputs and prints the report. Exit status: 0 passed, 1 a gradient is wrong
(or every mismatch sits at a kink, so nothing could be verified), 2 bad
usage.
"""

from __future__ import annotations

import argparse
import inspect
import math
import warnings
from typing import Any

import numpy as np

from chainrule.autograd.function import Function
from chainrule.cli.errors import UsageError
from chainrule.cli.loading import load_object
from chainrule.errors import GradientError
from chainrule.gradcheck import GradcheckWarning, gradcheck, gradgradcheck
from chainrule.tensor import Tensor


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "gradcheck",
        help="check a layer's backward against central differences",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="FILE.py:NAME", help="what to check")
    add_input_shape_option(parser, "e.g. 4,3", "'' or 'scalar' for a 0-d input")
    parser.add_argument("--fast", action="store_true", help="random-projection check")
    parser.add_argument(
        "--second-order", action="store_true", help="also run gradgradcheck"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the inputs")
    parser.add_argument("--eps", type=float, default=1e-6)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.set_defaults(run=run)


def add_input_shape_option(parser: Any, example: str, more: str) -> None:
    """``--input-shape SHAPE``, repeatable: one per input (also `graph`'s)."""
    parser.add_argument(
        "--input-shape",
        action="append",
        default=[],
        type=parse_shape,
        metavar="SHAPE",
        help=f"shape of one input, {example} (repeat for several inputs; {more})",
    )


def parse_shape(text: str) -> tuple[int, ...]:
    text = text.strip()
    if text in ("", "scalar", "()"):
        return ()
    parts = [part.strip() for part in text.strip("()").split(",")]
    if parts and not parts[-1]:
        parts.pop()  # a trailing comma, as in Python's (4,)
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a shape; write sizes separated by commas, e.g. 4,3"
        ) from None
    if any(n < 0 for n in shape):
        raise argparse.ArgumentTypeError(f"{text!r} has a negative size")
    return shape


def callable_from(obj: Any, name: str) -> Any:
    """What to call: Function.apply, a Module instance, or the function itself."""
    if inspect.isclass(obj) and issubclass(obj, Function):
        return obj.apply
    if inspect.isclass(obj):
        try:
            instance = obj()
        except TypeError as error:
            raise UsageError(
                f"{name} is a class whose constructor needs arguments ({error}); "
                "expose an instance or a function that builds one"
            ) from None
        if not callable(instance):
            raise UsageError(f"an instance of {name} is not callable")
        return instance
    if callable(obj):
        return obj
    raise UsageError(
        f"{name} is a {type(obj).__name__}, not something to check: give a "
        "Function subclass, a Module, or a function of tensors"
    )


def check_options(args: argparse.Namespace) -> None:
    if not (math.isfinite(args.eps) and args.eps > 0):
        raise UsageError("--eps must be a positive finite number (about 1e-6)")
    for name in ("atol", "rtol"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value >= 0):
            raise UsageError(f"--{name} must be a finite number >= 0")
    if args.seed < 0:
        raise UsageError("--seed must be a non-negative integer")


def run(args: argparse.Namespace) -> int:
    check_options(args)
    obj = load_object(args.target)
    name = args.target.rpartition(":")[2]
    fn = callable_from(obj, name)

    rng = np.random.default_rng(args.seed)
    inputs = tuple(
        Tensor(rng.standard_normal(shape), requires_grad=True)
        for shape in args.input_shape
    )
    if not inputs and not hasattr(fn, "named_parameters"):
        raise UsageError(
            "give the shape of each input with --input-shape (e.g. "
            "--input-shape 4,3); only a Module can be checked without inputs"
        )
    if hasattr(fn, "named_parameters"):
        for _, parameter in fn.named_parameters():
            parameter.data = parameter.data.astype(np.float64)

    shapes = ", ".join(str(s) for s in args.input_shape) or "none"
    print(
        f"checking {args.target} on float64 inputs of shape {shapes} (seed {args.seed})"
    )
    checks = [gradcheck] + ([gradgradcheck] if args.second_order else [])
    status = 0
    for check in checks:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", GradcheckWarning)
                result = check(
                    fn,
                    inputs,
                    eps=args.eps,
                    atol=args.atol,
                    rtol=args.rtol,
                    fast_mode=args.fast,
                    seed=args.seed,
                    raise_exception=False,
                )
        except GradientError as error:
            # backward itself broke its contract: that is a wrong gradient.
            print(f"FAIL: {error}")
            status = 1
            continue
        except Exception as error:
            if _raised_in_backward(error):
                print(f"FAIL: backward raised {_describe_error(error)}")
                status = 1
                continue
            hint = (
                "; give the shape of each input with --input-shape (e.g. "
                "--input-shape 4,3)"
                if not args.input_shape
                else ""
            )
            raise UsageError(
                f"calling {name} on inputs of shape {shapes} failed: "
                f"{_describe_error(error)}{hint}"
            ) from None
        print(result)
        if not result.passed:
            status = 1
    return status


def _raised_in_backward(error: BaseException) -> bool:
    # The engine notes which node's backward raised (autograd.engine).
    return any(".backward during" in note for note in getattr(error, "__notes__", []))


def _describe_error(error: BaseException) -> str:
    """``Type: message``, then the notes added on the way up, one per line."""
    notes = "".join(f"\n  {note}" for note in getattr(error, "__notes__", []))
    return f"{type(error).__name__}: {error}{notes}"
