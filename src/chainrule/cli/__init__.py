"""The ``chainrule`` command line: one module per subcommand.

The library stays quiet; the command line prints reports and sets exit
status: 0 success, 1 the check or job found a problem, 2 bad usage (a
message says what was wrong, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata

from chainrule.cli import (
    evaluate_command,
    experiment_command,
    gradcheck_command,
    graph_command,
    predict_command,
    train_command,
)
from chainrule.cli.errors import JobFailed, UsageError, os_error_message


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Reverse-mode automatic differentiation on NumPy.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train_command.register(commands)
    evaluate_command.register(commands)
    predict_command.register(commands)
    gradcheck_command.register(commands)
    graph_command.register(commands)
    experiment_command.register(commands)
    return parser


def version() -> str:
    """The installed distribution's version, else the package's ``__version__``.

    The package's own number covers a source tree run without installing
    it (``PYTHONPATH=src``).
    """
    try:
        return metadata.version("chainrule")
    except metadata.PackageNotFoundError:
        import chainrule

        return str(getattr(chainrule, "__version__", "unknown"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as error:
        print(f"chainrule {args.command}: error: {error}", file=sys.stderr)
        return 2
    except JobFailed as failure:
        print(f"chainrule {args.command}: {failure}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"chainrule {args.command}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(
            f"chainrule {args.command}: error: out of memory (smaller sizes?)",
            file=sys.stderr,
        )
        return 2
    except OSError as error:
        print(
            f"chainrule {args.command}: error: {os_error_message(error)}",
            file=sys.stderr,
        )
        return 2


__all__ = ["build_parser", "main", "version"]
