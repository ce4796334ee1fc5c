"""Writing a file so that a crash never leaves it half-written.

The new contents go to a temporary file in the same directory, which is
flushed to disk and then renamed over the destination. A rename within one
file system is atomic: a reader (or a restarted training run) sees either the
old file, whole, or the new one, whole. A crash before the rename leaves the
old file as it was, plus at worst a hidden ``.NAME.*.tmp`` file.

Replacing a file keeps what the user set on it, as writing into it would:
its permission bits (a private 0600 file stays private), and a symbolic link
stays a link, the file it points to getting the new contents. Its owner and
group are the writer's (only a privileged process could keep them).
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
    # NOTE: through a link, the file it points to is replaced; renaming onto
    # the link itself would turn it into a regular file.
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
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

    name = os.path.basename(target)
    temp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    existing = _permissions(target)
    # NOTE: a new file gets 0o666 less the umask, as any new file does
    # (tempfile.mkstemp would make it private). A replacement starts no more
    # open to others than the file it replaces, so the new contents of a
    # private file are never readable by others.
    create = 0o666 if existing is None else existing | 0o600
    os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, create))
    try:
        mode = os.stat(temp).st_mode & 0o777 if existing is None else existing
        write(temp)
        _flush_to_disk(temp)
        # NOTE: set once written: a read-only mode would stop the writer, and
        # the writer may replace the file rather than write into it
        # (safetensors 0.8 renames its own private temporary file over it).
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise
    _flush_directory(directory)


def _permissions(path: str) -> int | None:
    """The permission bits of the file at ``path``; None if there is none."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return None


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
