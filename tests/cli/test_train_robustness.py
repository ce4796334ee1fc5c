"""The command line with awkward data and options: right answers or clear errors."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def train_csv(capsys, data: Path, output: Path, *options: str) -> tuple[int, str, str]:
    """Train quietly on a CSV whose label column is called `label`."""
    return run(
        capsys,
        "train",
        "--data",
        str(data),
        "--target",
        "label",
        "--no-progress",
        "--output",
        str(output),
        *options,
    )


def three_blobs(n: int, seed: int, labels=("a", "b", "c")) -> list[list[object]]:
    rng = np.random.default_rng(seed)
    rows: list[list[object]] = [["f1", "f2", "label"]]
    centres = {labels[0]: (-3.0, 0.0), labels[1]: (3.0, 0.0), labels[2]: (0.0, 3.0)}
    for k in range(n):
        label = labels[k % 3]
        cx, cy = centres[label]
        rows.append([cx + 0.3 * rng.normal(), cy + 0.3 * rng.normal(), label])
    return rows


@pytest.fixture
def trained(capsys, tmp_path) -> Path:
    data = write_csv(tmp_path / "train.csv", three_blobs(150, 0))
    folder = tmp_path / "run"
    status, _, err = run(
        capsys,
        "train",
        "--data",
        str(data),
        "--target",
        "label",
        "--epochs",
        "15",
        "--output",
        str(folder),
        "--no-progress",
    )
    assert status == 0, err
    return folder


def test_evaluate_matches_labels_by_name_not_by_number(
    capsys, tmp_path, trained
) -> None:
    # Only classes b and c: a file-local numbering would call them 0 and 1.
    rows = [r for r in three_blobs(60, 1) if r[2] != "a"]
    subset = write_csv(tmp_path / "bc.csv", rows)
    status, out, _ = run(
        capsys,
        "evaluate",
        str(trained),
        "--data",
        str(subset),
        "--target",
        "label",
        "--json",
    )
    assert status == 0
    assert json.loads(out)["accuracy"] > 0.95


def test_evaluate_refuses_labels_the_model_never_saw(capsys, tmp_path, trained) -> None:
    unseen = write_csv(tmp_path / "xyz.csv", three_blobs(30, 2, labels=("x", "y", "z")))
    status, _, err = run(
        capsys, "evaluate", str(trained), "--data", str(unseen), "--target", "label"
    )
    assert status == 2
    assert "not trained on: x, y, z" in err


def test_evaluate_without_data_rebuilds_the_test_split_of_a_csv_run(
    capsys, trained
) -> None:
    metrics = json.loads((trained / "metrics.json").read_text())
    status, out, _ = run(capsys, "evaluate", str(trained), "--json")
    assert status == 0
    result = json.loads(out)
    assert result["samples"] == metrics["samples"]["test"]
    assert result["accuracy"] == pytest.approx(metrics["test_accuracy"])


def test_predict_matches_columns_by_name(capsys, tmp_path, trained) -> None:
    rows = three_blobs(9, 3)
    reordered = [[r[1], r[0]] for r in rows]  # f2, f1 and no label column
    status, out, _ = run(
        capsys,
        "predict",
        str(trained),
        "--data",
        str(write_csv(tmp_path / "r.csv", reordered)),
    )
    assert status == 0
    predicted = [line.split(",")[1] for line in out.strip().splitlines()[1:]]
    assert predicted == [r[2] for r in rows[1:]]


def test_predict_refuses_unknown_columns(capsys, tmp_path, trained) -> None:
    renamed = write_csv(tmp_path / "c.csv", [["c0", "c1"], [1.0, 2.0]])
    status, _, err = run(capsys, "predict", str(trained), "--data", str(renamed))
    assert status == 2
    assert "lacks the feature column(s) f1, f2" in err


@pytest.mark.parametrize("bad", ["nan", "inf", "1e400"])
def test_non_finite_features_are_refused_naming_row_and_column(
    capsys, tmp_path, bad
) -> None:
    rows = three_blobs(30, 4)
    rows[5][1] = bad
    data = write_csv(tmp_path / "bad.csv", rows)
    status, _, err = train_csv(capsys, data, str(tmp_path / "o"))
    assert status == 2
    assert "row 5" in err and "'f2'" in err


@pytest.mark.parametrize(
    ("labels", "classes"), [((1, 2, 3), 3), ((-1, 1, 1), 2), ((1000, 2000, 1000), 2)]
)
def test_integer_labels_become_classes_by_value(
    capsys, tmp_path, labels, classes
) -> None:
    rows = three_blobs(60, 5, labels=labels)
    data = write_csv(tmp_path / "ints.csv", rows)
    folder = tmp_path / "o"
    status, _, err = train_csv(capsys, data, str(folder), "--epochs", "3")
    assert status == 0, err
    description = json.loads((folder / "model.json").read_text())
    assert description["spec"]["out_features"] == classes
    assert description["class_names"] == sorted({str(v) for v in labels}, key=int)


def test_gradient_norm_is_recorded_without_clipping_and_json_is_strict(
    capsys, tmp_path
) -> None:
    status, _, _ = run(
        capsys,
        "train",
        "--dataset",
        "iris",
        "--epochs",
        "3",
        "--no-progress",
        "--output",
        str(tmp_path),
    )
    assert status == 0
    text = (tmp_path / "metrics.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    norms = json.loads(text)["history"]["grad_norm"]
    assert len(norms) == 3 and all(n > 0 for n in norms)


def test_a_training_part_missing_a_class_is_refused(capsys, tmp_path) -> None:
    status, _, err = run(
        capsys,
        "train",
        "--dataset",
        "iris",
        "--test-size",
        "0.99",
        "--no-progress",
        "--output",
        str(tmp_path),
    )
    assert status == 2
    assert "--test-size" in err


def test_a_csv_without_features_is_refused(capsys, tmp_path) -> None:
    data = write_csv(tmp_path / "only.csv", [["label"], ["a"], ["b"], ["a"], ["b"]])
    status, _, err = train_csv(capsys, data, str(tmp_path / "o"))
    assert status == 2
    assert "no feature columns" in err


def test_output_problems_are_found_before_training(capsys, tmp_path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    for output in (a_file, a_file / "below"):
        status, out, err = run(
            capsys, "train", "--output", str(output), "--no-progress"
        )
        assert status == 2
        assert "training" not in out
        assert "Traceback" not in err


def test_interrupt_gives_a_message_not_a_traceback_and_leaves_nothing(
    capsys, monkeypatch, tmp_path
) -> None:
    from chainrule.cli import train_command

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_command, "fit", interrupted)
    output = tmp_path / "new" / "run"
    status, _, err = run(capsys, "train", "--no-progress", "--output", str(output))
    assert status == 130
    assert "interrupted" in err
    left = list(tmp_path.iterdir())
    assert left == [], f"an interrupted run left {left} behind"


def test_predict_refuses_files_it_cannot_read(capsys, tmp_path, trained) -> None:
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x80garbage")
    npy = tmp_path / "x.npy"
    np.save(npy, np.ones((2, 2)))
    strings = tmp_path / "s.npz"
    np.savez(strings, x=np.array([["a", "b"]]))
    for path, message in (
        (binary, "UTF-8"),
        (npy, ".csv"),
        (strings, "2-D array of numbers"),
    ):
        status, _, err = run(capsys, "predict", str(trained), "--data", str(path))
        assert status == 2, path
        assert message in err


def test_predict_will_not_overwrite_its_input(capsys, tmp_path, trained) -> None:
    data = write_csv(tmp_path / "in.csv", [["f1", "f2"], [1.0, 2.0]])
    status, _, err = run(
        capsys, "predict", str(trained), "--data", str(data), "--output", str(data)
    )
    assert status == 2
    assert "overwritten" in err
    nested = tmp_path / "new" / "dir" / "p.csv"
    status, _, _ = run(
        capsys, "predict", str(trained), "--data", str(data), "--output", str(nested)
    )
    assert status == 0 and nested.exists()


@pytest.mark.parametrize(
    "option", [["--atol", "-1"], ["--eps", "0"], ["--eps", "nan"], ["--rtol", "inf"]]
)
def test_gradcheck_refuses_bad_tolerances(capsys, option) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    status, _, err = run(
        capsys,
        "gradcheck",
        f"{examples}/custom_layer.py:Swish",
        "--input-shape",
        "3",
        *option,
    )
    assert status == 2
    assert option[0] in err


def test_gradcheck_of_a_backward_that_breaks_its_contract_exits_1(
    capsys, tmp_path
) -> None:
    layer = tmp_path / "bad_shape.py"
    layer.write_text(
        "import numpy as np\nimport chainrule as cr\n\n"
        "class Bad(cr.Function):\n"
        "    def forward(self, x):\n        return x * 2\n\n"
        "    def backward(self, grad):\n        return np.ones((7, 7))\n"
    )
    status, out, err = run(capsys, "gradcheck", f"{layer}:Bad", "--input-shape", "3")
    assert status == 1
    assert "FAIL" in out and "shape (7, 7)" in out
    assert "Traceback" not in err


def test_duplicate_column_names_are_refused_naming_column_and_file(
    capsys, tmp_path, trained
) -> None:
    # Two columns named f1: read by name, both would have been the last one.
    rows = [["f1", "f2", "f1", "label"], [1.0, 2.0, 3.0, "a"], [4.0, 5.0, 6.0, "b"]]
    data = write_csv(tmp_path / "twice.csv", rows)
    status, _, err = train_csv(capsys, data, tmp_path / "o")
    assert status == 2, f"train accepted duplicate columns: {err}"
    assert f"{data} has 2 columns named 'f1'" in err, err

    features = write_csv(tmp_path / "twice_x.csv", [row[:3] for row in rows])
    status, out, err = run(capsys, "predict", str(trained), "--data", str(features))
    assert status == 2, f"predict accepted duplicate columns and printed {out}"
    assert f"{features} has 2 columns named 'f1'" in err, err


def test_a_binary_data_file_is_named_as_such(capsys, tmp_path, trained) -> None:
    idx = tmp_path / "train-labels-idx1-ubyte"  # MNIST's name: no suffix to go by
    idx.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    status, _, err = train_csv(capsys, idx, tmp_path / "o")
    assert status == 2
    assert "binary data" in err, f"not reported as binary: {err}"
    assert "\x00" not in err, f"raw bytes printed: {err!r}"
    status, _, err = run(capsys, "predict", str(trained), "--data", str(idx))
    assert status == 2
    assert "binary data" in err, f"not reported as binary: {err}"


def test_messages_name_the_command_line_options_not_library_arguments(
    capsys, tmp_path
) -> None:
    data = write_csv(tmp_path / "d.csv", three_blobs(30, 6))
    status, _, err = run(
        capsys,
        "train",
        *("--data", str(data), "--target", "kind"),
        *("--no-progress", "--output", str(tmp_path / "o")),
    )
    assert status == 2
    assert "--target NAME" in err and "'label'" in err, err
    assert "target=" not in err and "index" not in err, f"library wording: {err}"

    rows = three_blobs(30, 6)
    rows[3][0] = "oops"
    bad = write_csv(tmp_path / "bad.csv", rows)
    status, _, err = train_csv(capsys, bad, tmp_path / "o")
    assert status == 2 and "'oops'" in err
    assert "target=" not in err and "load_csv" not in err, f"library wording: {err}"


@pytest.mark.parametrize("command", ["train", "evaluate", "predict"])
def test_missing_files_and_folders_given_as_data_read_plainly(
    capsys, tmp_path, trained, command
) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    for path, message in (
        (tmp_path / "absent.csv", f"no such file: {tmp_path / 'absent.csv'}"),
        (folder, f"{folder} is a directory, not a CSV"),
    ):
        argv = {
            "train": ["train", "--no-progress", "--output", str(tmp_path / "o")],
            "evaluate": ["evaluate", str(trained)],
            "predict": ["predict", str(trained)],
        }[command]
        target = [] if command == "predict" else ["--target", "label"]
        status, _, err = run(capsys, *argv, "--data", str(path), *target)
        assert status == 2
        assert message in err, err
        assert "Errno" not in err, f"raw OSError text: {err}"


@pytest.mark.parametrize("label", ["a", 7])
def test_a_single_class_is_refused_before_training(capsys, tmp_path, label) -> None:
    rows = [[r[0], r[1], label] for r in three_blobs(30, 7)]
    rows[0][2] = "label"
    data = write_csv(tmp_path / "one.csv", rows)
    status, out, err = train_csv(capsys, data, tmp_path / "o")
    assert status == 2, f"one class trained anyway: {out}"
    assert f"only one class ({str(label)!r})" in err, err
    assert "at least 2 classes" in err, err
    assert "training" not in out, "the message came after training"


LOSS_AT_STEP_2 = "the training loss is nan at epoch 1, step 2"


@pytest.mark.parametrize(
    ("options", "what"),
    [
        (["--lr", "1e300"], LOSS_AT_STEP_2),
        (["--lr", "1e300", "--clip-norm", "1.0"], LOSS_AT_STEP_2),
        (["--lr", "1e300", "--monitor"], LOSS_AT_STEP_2),
        (["--lr", "1e200", "--optimizer", "sgd"], LOSS_AT_STEP_2),
        # One step per epoch: only the test loss can show the broken weights.
        (
            ["--lr", "1e300", "--batch-size", "200"],
            "the test loss is nan after epoch 1",
        ),
    ],
)
def test_a_diverging_run_stops_with_advice_and_saves_no_model(
    capsys, tmp_path, options, what
) -> None:
    folder = tmp_path / "o"
    status, out, err = run(
        capsys,
        "train",
        *("--dataset", "iris", "--epochs", "3", *options),
        *("--no-progress", "--output", str(folder)),
    )
    assert status == 1, f"a diverging run exited with {status}: {out}"
    assert f"training diverged: {what}" in err, err
    assert "smaller --lr" in err and "--clip-norm" in err, f"no advice: {err}"
    assert "Warning" not in err and "Traceback" not in err, err
    assert not (folder / "model.safetensors").exists(), "a NaN model was saved"
    assert "test accuracy" not in out, f"reported as a result: {out}"


def test_predict_says_it_ignores_the_training_label_column(
    capsys, tmp_path, trained
) -> None:
    data = write_csv(tmp_path / "labelled.csv", three_blobs(9, 8))
    status, out, err = run(capsys, "predict", str(trained), "--data", str(data))
    assert status == 0, err
    assert "ignoring the label column 'label'" in err, err
    assert out.count("\n") == 10, out


def test_evaluate_refuses_to_rebuild_the_split_from_a_changed_file(
    capsys, tmp_path
) -> None:
    data = write_csv(tmp_path / "train.csv", three_blobs(60, 9))
    folder = tmp_path / "run"
    status, _, err = train_csv(capsys, data, folder, "--epochs", "2")
    assert status == 0, err
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    assert json.loads((folder / "model.json").read_text())["data_sha256"] == digest
    assert json.loads((folder / "metrics.json").read_text())["data_sha256"] == digest

    rows = three_blobs(60, 9)
    rows[1], rows[2] = rows[2], rows[1]  # same rows, another order: another split
    write_csv(data, rows)
    status, out, err = run(capsys, "evaluate", str(folder))
    assert status == 2, f"evaluated on a changed file: {out}"
    assert f"{data} has changed since the model was trained" in err, err
    assert "--data" in err, f"no remedy: {err}"
    status, _, err = run(
        capsys, "evaluate", str(folder), "--data", str(data), "--target", "label"
    )
    assert status == 0, err


def test_evaluate_refuses_a_csv_run_without_a_checksum(capsys, trained) -> None:
    # A run recorded before checksums were: both files lack the field.
    from chainrule.cli import artifacts
    from chainrule.cli.models import MLPSpec

    model, record = artifacts.load_model(trained)
    info = {
        k: v
        for k, v in record.items()
        if k not in ("format", "version", "spec", "data_sha256")
    }
    artifacts.save_model(trained, model, MLPSpec.from_json(record["spec"]), info)
    status, out, err = run(capsys, "evaluate", str(trained))
    assert status == 2, f"evaluated without a checksum: {out}"
    assert "records no checksum" in err, err
