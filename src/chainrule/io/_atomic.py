"""Writing a file so that a crash never leaves it half-written.

The new contents go to a temporary file in the same directory, which is
flushed to disk and then renamed over the destination. A rename within one
file system is atomic: a reader (or a restarted training run) sees either the
old file, whole, or the new one, whole. A crash before the rename leaves the
old file as it was, plus at worst a hidden ``.NAME.*.tmp`` file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable


def write_atomically(path: str, write: Callable[[str], None], who: str) -> None:
    """Call ``write(temp_path)`` on a new file beside ``path``, then move it there.

    If ``write`` (or anything before the rename) raises, the temporary file is
    removed and ``path`` is left untouched.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"{who}: {path!r} is a directory; give the name of the file to "
            f"write, e.g. {os.path.join(path, 'model.safetensors')!r}"
        )
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"{who}: cannot write {path!r}: the directory {directory!r} does "
            "not exist; create it first (os.makedirs(directory, exist_ok=True))"
        )

    name = os.path.basename(path)
    temp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    # NOTE: os.open with mode 0o666 lets the umask decide the permissions,
    # as for any new file; tempfile.mkstemp would make the result private.
    os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        mode = os.stat(temp).st_mode & 0o777
        write(temp)
        # NOTE: the writer may replace the file rather than write into it
        # (safetensors 0.8 renames its own private temporary file over it),
        # so the permissions are set again.
        os.chmod(temp, mode)
        _flush_to_disk(temp)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise
    _flush_directory(directory)


def _flush_to_disk(path: str) -> None:
    # Without fsync, a power cut soon after the rename can leave the new
    # name pointing at a file whose data never reached the disk.
    with open(path, "rb+") as file:
        os.fsync(file.fileno())


def _flush_directory(directory: str) -> None:
    """Make the rename itself durable, where the system allows it (POSIX)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a directory; there is nothing to flush
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
