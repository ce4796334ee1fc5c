"""``chainrule predict --output FILE``: nothing of the user's or the run's is lost."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from chainrule.cli import main, predict_command


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("predict") / "run"
    argv = ["train", "--dataset", "iris", "--hidden", "8", "--epochs", "2"]
    assert main([*argv, "--no-progress", "--output", str(folder)]) == 0
    return folder


@pytest.fixture
def run_copy(trained, tmp_path) -> Path:
    return Path(shutil.copytree(trained, tmp_path / "run"))


@pytest.fixture
def rows(tmp_path) -> Path:
    path = tmp_path / "in.csv"
    header = "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)"
    path.write_text(f"{header}\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    return path


def predict(capsys, folder: Path, data: Path, output: Path, *more: str):
    argv = ["predict", str(folder), "--data", str(data), "--output", str(output)]
    return run(capsys, *argv, *more)


def test_predictions_go_to_a_new_file(capsys, trained, rows, tmp_path) -> None:
    output = tmp_path / "out" / "predictions.csv"
    status, out, err = predict(capsys, trained, rows, output)
    assert status == 0, err
    assert output.read_text().splitlines()[0] == "row,prediction,probability"
    assert f"wrote 2 predictions to {output}" in out


def test_an_existing_file_is_replaced_only_with_overwrite(
    capsys, trained, rows, tmp_path
) -> None:
    output = tmp_path / "notes.csv"
    output.write_text("my notes\n")

    status, _, err = predict(capsys, trained, rows, output)
    assert status == 2
    assert f"--output {output} already exists" in err and "--overwrite" in err, err
    assert output.read_text() == "my notes\n"

    status, _, err = predict(capsys, trained, rows, output, "--overwrite")
    assert status == 0, err
    assert output.read_text().startswith("row,prediction,probability\n")


@pytest.mark.parametrize("name", ["model.json", "model.safetensors", "curves.png"])
def test_a_file_of_the_run_is_refused_even_with_overwrite(
    capsys, run_copy, rows, name
) -> None:
    target = run_copy / name
    before = target.read_bytes()
    for more in ((), ("--overwrite",)):
        status, _, err = predict(capsys, run_copy, rows, target, *more)
        assert status == 2
        assert f"is {target}, a file of the run" in err, err
        assert target.read_bytes() == before
    status, _, err = run(capsys, "evaluate", str(run_copy))
    assert status == 0, f"the run no longer loads: {err}"


def test_a_run_file_not_written_yet_is_still_the_runs(capsys, run_copy, rows) -> None:
    # --monitor's files belong to the run too, whether it has them or not.
    target = run_copy / "gradient_health.json"
    status, _, err = predict(capsys, run_copy, rows, target)
    assert status == 2
    assert "a file of the run" in err, err
    assert not target.exists()


def test_a_link_to_a_run_file_is_refused(capsys, run_copy, rows, tmp_path) -> None:
    hard = tmp_path / "model-copy.json"
    os.link(run_copy / "model.json", hard)
    soft = tmp_path / "model-link.json"
    soft.symlink_to(run_copy / "model.safetensors")
    for output in (hard, soft):
        status, _, err = predict(capsys, run_copy, rows, output, "--overwrite")
        assert status == 2
        assert "a file of the run" in err, err
    status, _, err = run(capsys, "evaluate", str(run_copy))
    assert status == 0, f"the run no longer loads: {err}"


def test_the_input_is_never_overwritten_even_through_a_link(
    capsys, trained, rows, tmp_path
) -> None:
    before = rows.read_text()
    hard = tmp_path / "h.csv"
    os.link(rows, hard)
    soft = tmp_path / "s.csv"
    soft.symlink_to(rows)
    for output in (rows, hard, soft):
        status, _, err = predict(capsys, trained, rows, output, "--overwrite")
        assert status == 2
        assert f"--output {output} is the --data file {rows}" in err, err
        assert rows.read_text() == before


def test_overwrite_without_output_is_refused(capsys, trained, rows) -> None:
    status, _, err = run(
        capsys, "predict", str(trained), "--data", str(rows), "--overwrite"
    )
    assert status == 2
    assert "--overwrite applies to --output FILE" in err


def test_a_failed_write_leaves_the_old_file_whole(
    capsys, monkeypatch, trained, rows, tmp_path
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
    status, _, err = predict(capsys, trained, rows, output, "--overwrite")
    assert status == 2 and "no space left on device" in err, err
    assert output.read_text() == "earlier predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "predictions.csv"]
