"""Saving is atomic: a failure at any point leaves the previous file whole."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy

import chainrule as cr
from chainrule.io import _atomic
from tests.io.files import assert_same, mlp, snapshot, trained


def fail_halfway(arrays: dict[str, Any], filename: str, **kwargs: Any) -> None:
    """A writer that dies mid-file, as on a full disk or a killed process."""
    data = safetensors.numpy.save(arrays, kwargs.get("metadata"))
    with open(filename, "wb") as file:
        file.write(data[: len(data) // 2])
    raise OSError(28, "No space left on device")


def test_a_failed_save_keeps_the_previous_checkpoint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "checkpoint.safetensors"
    old = trained(seed=0)
    cr.io.save_checkpoint(path, *old, metadata={"epoch": 1})
    saved = path.read_bytes()

    monkeypatch.setattr(safetensors.numpy, "save_file", fail_halfway)
    with pytest.raises(OSError, match="No space left on device"):
        cr.io.save_checkpoint(path, *trained(seed=1), metadata={"epoch": 2})
    monkeypatch.undo()

    assert path.read_bytes() == saved
    assert os.listdir(tmp_path) == ["checkpoint.safetensors"]  # no temporary left
    run = trained(seed=5)
    assert cr.io.load_checkpoint(path, *run) == {"epoch": 1}
    for a, b in zip(snapshot(*run), snapshot(*old), strict=True):
        assert_same(a, b)


@pytest.mark.parametrize("failure", ["fsync", "replace", "interrupt"])
def test_a_failure_after_writing_keeps_the_previous_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, failure: str
) -> None:
    path = tmp_path / "model.safetensors"
    model = mlp(seed=0)
    cr.io.save_model(model, path)
    saved = path.read_bytes()

    def fail(*args: Any, **kwargs: Any) -> None:
        if failure == "interrupt":
            raise KeyboardInterrupt  # Ctrl-C while saving
        raise OSError(5, "Input/output error")

    target = {"fsync": "_flush_to_disk", "replace": "os.replace"}.get(failure)
    if target == "os.replace":
        monkeypatch.setattr(_atomic.os, "replace", fail)
    elif target:
        monkeypatch.setattr(_atomic, target, fail)
    else:
        monkeypatch.setattr(safetensors.numpy, "save_file", fail)
    with pytest.raises((OSError, KeyboardInterrupt)):
        cr.io.save_model(mlp(seed=1), path)
    monkeypatch.undo()

    assert path.read_bytes() == saved
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_a_failed_first_save_leaves_no_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(safetensors.numpy, "save_file", fail_halfway)
    with pytest.raises(OSError):
        cr.io.save_model(mlp(), tmp_path / "model.safetensors")
    assert os.listdir(tmp_path) == []


def test_unsavable_values_are_refused_before_any_file_is_made(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    cr.io.save_model(mlp(), path, {"epoch": 1})
    saved = path.read_bytes()

    with pytest.raises(TypeError):
        cr.io.save_model(mlp(), path, {"epoch": np.ones(2)})
    with pytest.raises(TypeError):
        cr.save({"w": np.array([object()])}, path)

    assert path.read_bytes() == saved
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_the_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    umask = os.umask(0o022)
    try:
        cr.io.save_model(mlp(), path)
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_destinations_that_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"directory .* does not exist"):
        cr.io.save_model(mlp(), tmp_path / "runs" / "model.safetensors")
    with pytest.raises(IsADirectoryError, match="give the name of the file"):
        cr.io.save_checkpoint(tmp_path, mlp())
    assert os.listdir(tmp_path) == []


def test_replacing_a_file_keeps_its_permission_bits(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    cr.io.save_model(mlp(seed=0), path)
    path.chmod(0o600)  # private, as a user may make a model
    umask = os.umask(0o022)
    try:
        cr.io.save_model(mlp(seed=1), path)
    finally:
        os.umask(umask)
    mode = path.stat().st_mode & 0o777
    assert mode == 0o600, f"the private file became {oct(mode)}"


def test_a_read_only_file_is_replaced_and_stays_read_only(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    cr.io.save_model(mlp(seed=0), path)
    path.chmod(0o444)
    cr.io.save_model(mlp(seed=1), path)
    assert path.stat().st_mode & 0o777 == 0o444
    model = mlp(seed=2)
    cr.io.load_model(model, path)
    assert_same(snapshot(model), snapshot(mlp(seed=1)))


def test_saving_through_a_link_writes_the_file_it_points_to(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "model-v2.safetensors"
    cr.io.save_model(mlp(seed=0), target)
    link = tmp_path / "model.safetensors"
    link.symlink_to(target)

    cr.io.save_model(mlp(seed=1), link)

    assert link.is_symlink(), "the link was replaced by a regular file"
    assert link.resolve() == target.resolve()
    model = mlp(seed=2)
    cr.io.load_model(model, target)
    assert_same(snapshot(model), snapshot(mlp(seed=1)))
    assert sorted(os.listdir(tmp_path / "store")) == ["model-v2.safetensors"]
