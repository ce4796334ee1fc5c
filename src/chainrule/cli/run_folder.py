"""Where ``chainrule train`` writes a run: a folder that always holds one whole run.

- Without ``--output`` each run gets a new folder, ``runs/run-N`` (one more
  than the highest N there), and ``runs/latest`` is a link to the newest:
  running ``chainrule train`` again never replaces an earlier run.
- ``--output DIR`` must be new or empty, or hold an earlier run, which is
  replaced (as a whole) only with ``--overwrite``. A folder holding files
  train did not write is refused, so ``--overwrite`` never deletes them.
- The run is written into a hidden folder beside its destination and moved
  there when it is complete. A run that fails, diverges or is interrupted
  leaves nothing behind, not even the folders it created for it.

A crash in the middle of replacing a run can leave the old and the new run
in hidden ``.NAME.*`` folders beside it; nothing is deleted until the new
run is in place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
from pathlib import Path
from types import TracebackType

from chainrule.cli.errors import UsageError, os_error_message

# Every file train writes, --monitor's included.
RUN_FILES = frozenset(
    {
        "model.safetensors",
        "model.json",
        "metrics.json",
        "curves.png",
        "gradient_health.json",
        "gradients_by_layer.png",
        "gradients_over_steps.png",
    }
)
DEFAULT_ROOT = Path("runs")
LATEST = "latest"
_NUMBERED = re.compile(r"run-(\d+)")


class RunFolder:
    """The destination of one run; ``with RunFolder(...) as staging:`` writes it.

    Entering checks the destination and creates the hidden staging folder
    (so that a bad path is found before training); :meth:`publish` moves the
    finished run into place. Leaving the block without publishing (by an
    exception) removes the staging folder and any parent created for it.
    """

    def __init__(self, output: Path | None, overwrite: bool) -> None:
        self.output = output
        self.overwrite = overwrite
        self.parent = DEFAULT_ROOT if output is None else output.parent
        self.staging: Path | None = None
        self._created: list[Path] = []

    def __enter__(self) -> Path:
        if self.output is not None:
            check_destination(self.output, self.overwrite)
        ancestors = (self.parent, *self.parent.parents)
        self._created = [folder for folder in ancestors if not folder.exists()]
        name = "run" if self.output is None else self.output.name
        staging = self.parent / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            staging.mkdir()
        except OSError as error:
            self._remove_created()
            where = self.parent if self.output is None else f"--output {self.output}"
            raise UsageError(f"cannot write into {where}: {error.strerror}") from None
        self.staging = staging
        return staging

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.staging is None:  # published, or never created
            return
        shutil.rmtree(self.staging, ignore_errors=True)
        self._remove_created()

    def publish(self) -> Path:
        """Move the finished run into place; returns where it now is."""
        assert self.staging is not None, "publish() outside the with block"
        if self.output is None:
            destination = _move_to_next_number(self.staging, self.parent)
        else:
            # NOTE: checked again: files may have appeared during training.
            check_destination(self.output, self.overwrite)
            _replace(self.staging, self.output)
            destination = self.output
        self.staging = None
        return destination

    def _remove_created(self) -> None:
        for folder in self._created:  # deepest first
            try:
                folder.rmdir()
            except OSError:
                return


def check_destination(output: Path, overwrite: bool) -> None:
    """Refuse an --output that would lose a run or files train did not write."""
    if output.is_symlink():
        raise UsageError(
            f"--output {output} is a link; give the folder itself, or a new one"
        )
    if not output.exists():
        return
    if not output.is_dir():
        raise UsageError(f"--output {output} is a file, not a folder")
    names = sorted(p.name for p in output.iterdir())
    foreign = [name for name in names if name not in RUN_FILES]
    if foreign:
        raise UsageError(
            f"--output {output} holds files train did not write "
            f"({', '.join(foreign[:5])}{', ...' if len(foreign) > 5 else ''}); "
            "give a new or empty folder (--overwrite replaces only a run)"
        )
    if names and not overwrite:
        raise UsageError(
            f"--output {output} already holds a run ({', '.join(names)}); give a "
            "new folder, or --overwrite to replace that run"
        )


def point_latest(run: Path) -> str:
    """Make ``runs/latest`` a link to ``run``; returns what to tell the user."""
    latest = run.parent / LATEST
    if latest.exists() and not latest.is_symlink():
        return (
            f"{latest} is a folder, not the link train keeps to the newest run; "
            "left as it is (rename it to have it follow the runs)"
        )
    link = run.parent / f".{LATEST}.{secrets.token_hex(6)}.tmp"
    try:
        os.symlink(run.name, link, target_is_directory=True)
        os.replace(link, latest)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.remove(link)
        return f"could not point {latest} at {run.name}: {os_error_message(error)}"
    return f"{latest} -> {run.name}"


def _move_to_next_number(staging: Path, root: Path) -> Path:
    while True:
        numbers = [
            int(match.group(1))
            for entry in root.iterdir()
            if (match := _NUMBERED.fullmatch(entry.name))
        ]
        destination = root / f"run-{max(numbers, default=0) + 1}"
        try:
            staging.rename(destination)
            return destination
        except OSError as error:
            # NOTE: another run took the number first; take the next one.
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise


def _replace(staging: Path, output: Path) -> None:
    if not output.exists():
        staging.rename(output)
        return
    aside = output.parent / f".{output.name}.{secrets.token_hex(6)}.old"
    output.rename(aside)
    try:
        staging.rename(output)
    except BaseException:
        aside.rename(output)
        raise
    shutil.rmtree(aside)
