"""The errors the command line turns into a message and an exit status."""

from chainrule.errors import ChainruleError


class UsageError(ChainruleError, ValueError):
    """Bad options, or a file or name that cannot be used as asked."""


class JobFailed(ChainruleError, RuntimeError):
    """The job ran but could not give a result (exit status 1): a diverged run."""


def os_error_message(error: OSError) -> str:
    """An OSError in words, without Python's ``[Errno N]`` prefix."""
    if error.filename is None or error.strerror is None:
        return str(error)
    if isinstance(error, FileNotFoundError):
        from pathlib import Path

        parent = Path(error.filename).parent
        if not parent.exists():
            return f"no such folder: {parent} (for {error.filename})"
        return f"no such file: {error.filename}"
    if isinstance(error, IsADirectoryError):
        return f"{error.filename} is a directory, not a file"
    return f"cannot use {error.filename}: {error.strerror.lower()}"
