"""The one error the command line turns into a message and exit status 2."""

from chainrule.errors import ChainruleError


class UsageError(ChainruleError, ValueError):
    """Bad options, or a file or name that cannot be used as asked."""
