"""``chainrule predict --output FILE``: nothing of the user's or the run's is lost."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli import main, predict_command


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def run_copy(iris_run, tmp_path) -> Path:
    return Path(shutil.copytree(iris_run, tmp_path / "run"))


def predict(capsys, folder: Path, data: Path, output: Path, *more: str):
    argv = ["predict", str(folder), "--data", str(data), "--output", str(output)]
    return run(capsys, *argv, *more)


def test_predictions_go_to_a_new_file(capsys, iris_run, iris_rows, tmp_path) -> None:
    output = tmp_path / "out" / "predictions.csv"
    status, out, err = predict(capsys, iris_run, iris_rows, output)
    assert status == 0, err
    assert output.read_text().splitlines()[0] == "row,prediction,probability"
    assert f"wrote 2 predictions to {output}" in out


def test_an_existing_file_is_replaced_only_with_overwrite(
    capsys, iris_run, iris_rows, tmp_path
) -> None:
    output = tmp_path / "notes.csv"
    output.write_text("my notes\n")

    status, _, err = predict(capsys, iris_run, iris_rows, output)
    assert status == 2
    assert f"--output {output} already exists" in err and "--overwrite" in err, err
    assert output.read_text() == "my notes\n"

    status, _, err = predict(capsys, iris_run, iris_rows, output, "--overwrite")
    assert status == 0, err
    assert output.read_text().startswith("row,prediction,probability\n")


@pytest.mark.parametrize("name", ["model.json", "model.safetensors", "curves.png"])
def test_a_file_of_the_run_is_refused_even_with_overwrite(
    capsys, run_copy, iris_rows, name
) -> None:
    target = run_copy / name
    before = target.read_bytes()
    for more in ((), ("--overwrite",)):
        status, _, err = predict(capsys, run_copy, iris_rows, target, *more)
        assert status == 2
        assert f"--output {target} is the run's own {name} (in {run_copy})" in err
        assert target.read_bytes() == before
    status, _, err = run(capsys, "evaluate", str(run_copy))
    assert status == 0, f"the run no longer loads: {err}"


def test_a_run_file_not_written_yet_is_still_the_runs(
    capsys, run_copy, iris_rows
) -> None:
    # --monitor's files belong to the run too, whether it has them or not.
    target = run_copy / "gradient_health.json"
    status, _, err = predict(capsys, run_copy, iris_rows, target)
    assert status == 2
    assert "is the run's own" in err, err
    assert not target.exists()


def test_a_link_to_a_run_file_is_refused(capsys, run_copy, iris_rows, tmp_path) -> None:
    hard = tmp_path / "model-copy.json"
    os.link(run_copy / "model.json", hard)
    soft = tmp_path / "model-link.json"
    soft.symlink_to(run_copy / "model.safetensors")
    for output in (hard, soft):
        status, _, err = predict(capsys, run_copy, iris_rows, output, "--overwrite")
        assert status == 2
        assert "is the run's own" in err, err
    status, _, err = run(capsys, "evaluate", str(run_copy))
    assert status == 0, f"the run no longer loads: {err}"


def test_the_input_is_never_overwritten_even_through_a_link(
    capsys, iris_run, iris_rows, tmp_path
) -> None:
    before = iris_rows.read_text()
    hard = tmp_path / "h.csv"
    os.link(iris_rows, hard)
    soft = tmp_path / "s.csv"
    soft.symlink_to(iris_rows)
    for output in (iris_rows, hard, soft):
        status, _, err = predict(capsys, iris_run, iris_rows, output, "--overwrite")
        assert status == 2
        assert f"--output {output} is the --data file {iris_rows}" in err, err
        assert iris_rows.read_text() == before


def test_overwrite_without_output_is_refused(capsys, iris_run, iris_rows) -> None:
    status, _, err = run(
        capsys, "predict", str(iris_run), "--data", str(iris_rows), "--overwrite"
    )
    assert status == 2
    assert "--overwrite applies to --output FILE" in err


def test_a_failed_write_leaves_the_old_file_whole(
    capsys, monkeypatch, iris_run, iris_rows, tmp_path
) -> None:
    output = tmp_path / "predictions.csv"
    output.write_text("earlier predictions\n")

    def full_disk(path: str, write, who: str) -> None:
        def half(temp: str) -> None:
            write(temp)
            raise OSError(28, "No space left on device", temp)

        real_write_atomically(path, half, who)

    real_write_atomically = predict_command.write_atomically
    monkeypatch.setattr(predict_command, "write_atomically", full_disk)
    status, _, err = predict(capsys, iris_run, iris_rows, output, "--overwrite")
    assert status == 2 and "no space left on device" in err, err
    assert output.read_text() == "earlier predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "predictions.csv"]


def test_an_npz_that_is_not_one_is_refused_without_pickle_advice(
    capsys, iris_run, tmp_path
) -> None:
    text = tmp_path / "rows.npz"
    text.write_text("a,b\n1,2\n")
    objects = tmp_path / "objects.npz"
    np.savez(objects, x=np.array([[None, 1]], dtype=object))
    for path, message in (
        (text, f"{text} is not an .npz file (NumPy's zip of arrays)"),
        (objects, "its array 'x' cannot be read as numbers"),
    ):
        status, _, err = run(capsys, "predict", str(iris_run), "--data", str(path))
        assert status == 2
        assert message in err, err
        assert "pickle" not in err, err
