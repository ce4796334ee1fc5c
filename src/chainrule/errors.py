"""Exceptions raised by chainrule.

Each class also subclasses the builtin a user would catch for the same mistake,
so ``except ValueError`` keeps working. Messages say what failed, show the
offending values (op, shapes, dtypes, argument) and say what to do.
"""

from __future__ import annotations


class ChainruleError(Exception):
    """Base class of every error chainrule raises on purpose."""


class ShapeError(ChainruleError, ValueError):
    """Shapes that cannot be combined: broadcasting, matmul, reshape, gradients."""


class ArgumentError(ChainruleError, ValueError):
    """An argument value an operation cannot take (not a shape problem)."""


class DTypeError(ChainruleError, TypeError):
    """A dtype that an operation or a gradient cannot take."""


class AxisError(ChainruleError, ValueError, IndexError):
    """An axis out of range for the tensor it is applied to."""


class IndexingError(ChainruleError, IndexError):
    """An index that does not fit its tensor: out of range, wrong mask, bad type."""


class BackwardError(ChainruleError, RuntimeError):
    """A backward pass that cannot run: freed graph, missing gradient, bad seed."""


class GradientError(ChainruleError, RuntimeError):
    """A backward rule returned something that is not a valid gradient."""


class NotDifferentiableError(ChainruleError, TypeError):
    """A NumPy function applied to a Tensor that chainrule cannot differentiate."""


class StateDictError(ChainruleError, RuntimeError):
    """A state dict that does not fit its module, optimizer or scheduler."""


class NonFiniteError(ChainruleError, RuntimeError):
    """A value that must be finite is not: the total gradient norm when clipping."""


class DataError(ChainruleError, ValueError):
    """A data file or dataset that cannot be read: bad format, missing key, sizes."""


class MissingColumnError(DataError):
    """A file has no column of the name asked for; ``columns`` lists its columns.

    The list lets a caller word its own remedy: the command line names its
    option (``--target``) where the library names its argument.
    """

    def __init__(self, message: str, columns: list[str]) -> None:
        super().__init__(message)
        self.columns = list(columns)


class MissingDependencyError(ChainruleError, ImportError):
    """An optional package a feature needs is not installed; says what to install."""


class CheckpointError(ChainruleError, ValueError):
    """A saved file that cannot be loaded: damaged, not chainrule's, or not a fit."""


class GraphDrawingError(ChainruleError, ValueError):
    """A computational graph that cannot be drawn as asked: format, size, records."""


class GraphTooLargeError(GraphDrawingError):
    """A graph too large to draw without Graphviz, even with repeats collapsed.

    ``problem`` says what is too large; ``detail`` is the graph's detail and
    ``png`` whether a PNG's size was the limit (an SVG would do). The
    message gives the ways out in Python; :meth:`advice` also in the
    command line's terms.
    """

    def __init__(self, problem: str, detail: str, png: bool) -> None:
        self.problem = problem
        self.detail = detail
        self.png = png
        super().__init__(self.advice())

    def advice(self, output: str | None = None, boxes: bool = True) -> str:
        """The message; with ``output`` (a file name), for ``chainrule graph``.

        ``boxes=False`` leaves out the advice to draw one box per layer (a
        plain function has no layers).
        """
        formats = (".svg or .dot" if self.png else ".dot").split(" or ")
        ways = []
        if self.detail == "full" and boxes:
            ways.append(
                "one box per layer with --detail module"
                if output is not None
                else "draw a model with detail='module'"
            )
        ways.append("install Graphviz (its `dot` program is used when found)")
        if output is not None:
            stem = output.rsplit(".", 1)[0]
            ways.append("write " + " or ".join(f"--output {stem}{f}" for f in formats))
        else:
            ways.append("save it as " + " or ".join(formats))
        return f"{self.problem}: {', '.join(ways[:-1])}, or {ways[-1]}"


class ArgnumsError(ChainruleError, ValueError, TypeError):
    """``argnums`` of a functional transform that name no positional argument."""


class TransformOutputError(ChainruleError, TypeError):
    """A function given to a functional transform returned what it cannot take:
    not a Tensor, an integer tensor, or no ``(output, aux)`` pair with
    ``has_aux=True``."""


class NonScalarOutputError(TransformOutputError, ValueError):
    """``grad`` (or ``hvp``) of a function whose output is not a scalar."""
