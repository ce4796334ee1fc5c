"""Where train writes: a new folder per run, replaced only whole, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainrule.cli import main

QUICK = ("--hidden", "8", "--epochs", "1", "--no-progress")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def train(capsys, *options: str) -> tuple[int, str, str]:
    return run(capsys, "train", "--dataset", "iris", *QUICK, *options)


def seed_of(folder: Path) -> int:
    return json.loads((folder / "model.json").read_text())["split"]["seed"]


def everything_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_the_default_output_is_a_new_folder_per_run(
    capsys, tmp_path, monkeypatch
) -> None:
    # The README's main job, run twice on a fresh clone: both runs kept.
    monkeypatch.chdir(tmp_path)
    for seed in ("1", "2"):
        status, out, err = train(capsys, "--seed", seed)
        assert status == 0, err
        assert f"wrote runs/run-{seed}/" in out, out
    assert seed_of(tmp_path / "runs/run-1") == 1, "the first run was overwritten"
    assert seed_of(tmp_path / "runs/run-2") == 2
    latest = tmp_path / "runs/latest"
    assert latest.is_symlink() and latest.resolve() == tmp_path / "runs/run-2"
    assert "runs/latest -> run-2" in out, out

    status, out, err = run(capsys, "evaluate", "runs/latest")
    assert status == 0, err
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "latest",
        "run-1",
        "run-2",
    ], "something else was left in runs/"


def test_a_folder_holding_a_run_is_refused_without_overwrite(capsys, tmp_path) -> None:
    folder = tmp_path / "mine"
    assert train(capsys, "--seed", "1", "--output", str(folder))[0] == 0
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    status, out, err = train(capsys, "--seed", "2", "--output", str(folder))
    assert status == 2, f"an earlier run was overwritten silently: {out}"
    assert f"--output {folder} already holds a run" in err, err
    assert "--overwrite" in err, f"no remedy: {err}"
    assert "training" not in out, "refused only after training"
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert after == before, "the earlier run was changed"


def test_overwrite_replaces_the_whole_run_stale_files_included(
    capsys, tmp_path
) -> None:
    folder = tmp_path / "mine"
    status, _, err = train(capsys, "--monitor", "--output", str(folder))
    assert status == 0, err
    assert (folder / "gradient_health.json").exists()

    status, _, err = train(
        capsys, "--seed", "2", "--output", str(folder), "--overwrite"
    )
    assert status == 0, err
    assert seed_of(folder) == 2
    assert everything_in(folder) == [
        "curves.png",
        "metrics.json",
        "model.json",
        "model.safetensors",
    ], "files of the earlier --monitor run stayed beside the new model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"], "leftovers"


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_a_folder_with_files_train_did_not_write_is_refused(
    capsys, tmp_path, overwrite
) -> None:
    folder = tmp_path / "mine"
    assert train(capsys, "--output", str(folder))[0] == 0
    (folder / "predictions.csv").write_text("row,prediction\n")

    status, out, err = train(capsys, "--output", str(folder), *overwrite)
    assert status == 2, f"trained into a folder of other files: {out}"
    assert "predictions.csv" in err and "did not write" in err, err
    assert (folder / "predictions.csv").read_text() == "row,prediction\n"
    assert (folder / "model.json").exists()


def test_an_existing_empty_folder_takes_the_run(capsys, tmp_path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    status, _, err = train(capsys, "--output", str(folder))
    assert status == 0, err
    assert (folder / "model.json").exists()


@pytest.mark.parametrize(
    "failure",
    [
        ["--data", "missing.csv", "--target", "y"],
        ["--dataset", "iris", "--lr", "1e300"],
    ],
)
def test_a_failed_run_leaves_no_folder_behind(
    capsys, tmp_path, monkeypatch, failure
) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, _ = run(capsys, "train", *QUICK, *failure, "--output", "new/deeper/run")
    assert status in (1, 2)
    status, _, _ = run(capsys, "train", *QUICK, *failure)
    assert status in (1, 2)
    left = everything_in(tmp_path)
    assert left == [], f"a failed run left {left} behind"


def test_a_latest_folder_from_before_is_left_alone(
    capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    old = tmp_path / "runs/latest"
    old.mkdir(parents=True)
    (old / "model.json").write_text("{}")
    status, out, err = train(capsys)
    assert status == 0, err
    assert (old / "model.json").read_text() == "{}", "an earlier run was replaced"
    assert not old.is_symlink()
    assert "runs/latest is a folder" in out + err, out + err
    assert (tmp_path / "runs/run-1/model.json").exists()


def test_without_links_the_run_is_kept_and_the_user_told(
    capsys, tmp_path, monkeypatch
) -> None:
    import os

    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted", "runs/latest")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "symlink", no_links)
    status, out, err = train(capsys)
    assert status == 0, err
    assert "could not point runs/latest at run-1" in out, out
    assert (tmp_path / "runs/run-1/model.json").exists()
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["run-1"]


def test_overwrite_needs_an_output_and_a_link_is_not_one(capsys, tmp_path) -> None:
    status, _, err = train(capsys, "--overwrite")
    assert status == 2 and "--overwrite applies to --output DIR" in err, err

    real = tmp_path / "real"
    assert train(capsys, "--output", str(real))[0] == 0
    link = tmp_path / "link"
    link.symlink_to(real)
    status, _, err = train(capsys, "--output", str(link), "--overwrite")
    assert status == 2 and "is a link" in err, err
    assert link.is_symlink() and (real / "model.json").exists()
