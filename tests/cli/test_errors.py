"""How the command line words the OSErrors it reports."""

from __future__ import annotations

import errno

import pytest

from chainrule.cli.errors import os_error_message


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            FileNotFoundError(errno.ENOENT, "No such file", "a.csv"),
            "no such file: a.csv",
        ),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "d"), "d is a directory"),
        (
            PermissionError(errno.EACCES, "Permission denied", "p.csv"),
            "cannot use p.csv: permission denied",
        ),
        (OSError("disk on fire"), "disk on fire"),
    ],
)
def test_os_errors_read_without_errno(error: OSError, message: str) -> None:
    text = os_error_message(error)
    assert text.startswith(message), f"{error!r} worded as {text!r}"
    assert "Errno" not in text, f"{error!r} worded as {text!r}"
