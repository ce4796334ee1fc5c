"""``chainrule train``, ``evaluate`` and ``predict`` end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from chainrule import nn
from chainrule.cli import build_parser, main
from chainrule.cli.training import Settings, make_optimizer


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def reported_accuracy(out: str) -> float:
    line = next(line for line in out.splitlines() if line.startswith("test accuracy"))
    return float(line.split()[2])


def test_default_run_reaches_97_percent_and_writes_its_files(capsys, tmp_path) -> None:
    status, out, err = run(capsys, "train", "--output", str(tmp_path), "--no-progress")
    assert status == 0, err

    assert {p.name for p in tmp_path.iterdir()} >= {
        "model.safetensors",
        "model.json",
        "metrics.json",
        "curves.png",
    }
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    accuracy = reported_accuracy(out)
    assert accuracy == pytest.approx(metrics["test_accuracy"], abs=5e-5)
    assert accuracy >= 0.97
    assert metrics["data"] == "digits"
    assert (
        len(metrics["history"]["test_accuracy"]) == metrics["settings"]["epochs"] == 30
    )
    assert metrics["samples"] == {"train": 1437, "test": 360}
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    status, out, _ = run(capsys, "evaluate", str(tmp_path), "--json")
    assert status == 0
    assert json.loads(out)["accuracy"] == pytest.approx(metrics["test_accuracy"])


def test_same_seed_same_numbers_and_another_seed_differs(capsys, tmp_path) -> None:
    histories = []
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        folder = tmp_path / name
        status, _, _ = run(
            capsys,
            "train",
            "--epochs",
            "3",
            "--seed",
            seed,
            "--output",
            str(folder),
            "--no-progress",
        )
        assert status == 0
        histories.append(json.loads((folder / "metrics.json").read_text())["history"])
    assert histories[0] == histories[1]
    assert histories[0] != histories[2]


def test_progress_bars_go_to_stderr_and_results_to_stdout(capsys, tmp_path) -> None:
    # `chainrule train > log` keeps the results, not the bars' redraws.
    status, out, err = run(capsys, "train", "--epochs", "2", "--output", str(tmp_path))
    assert status == 0
    assert "epoch 1/2" in err and "epoch 2/2" in err, f"no progress bars in: {err}"
    assert "loss=" in err and "acc=" in err and "test_acc=" in err
    assert "epoch 1/2" not in out, f"progress bars on stdout: {out}"
    assert out.splitlines()[0].startswith("training MLP 64-256-128-10")
    assert reported_accuracy(out) > 0.8


def test_options_reach_the_model_and_the_optimizer(capsys, tmp_path) -> None:
    status, _, _ = run(
        capsys,
        "train",
        "--dataset",
        "iris",
        "--hidden",
        "16",
        "--activation",
        "tanh",
        "--init",
        "xavier",
        "--optimizer",
        "sgd",
        "--lr",
        "0.05",
        "--epochs",
        "20",
        "--batch-size",
        "16",
        "--weight-decay",
        "1e-4",
        "--clip-norm",
        "1.0",
        "--output",
        str(tmp_path),
        "--no-progress",
    )
    assert status == 0
    description = json.loads((tmp_path / "model.json").read_text())
    assert description["spec"] == {
        "in_features": 4,
        "hidden": [16],
        "out_features": 3,
        "activation": "tanh",
        "init": "xavier",
    }
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["settings"]["optimizer"] == "sgd"
    assert metrics["settings"]["clip_norm"] == 1.0
    assert all(np.isfinite(metrics["history"]["grad_norm"]))
    assert metrics["test_accuracy"] > 0.8


def write_csv(path: Path, rows: list[list[object]]) -> None:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def blobs(n: int, seed: int) -> list[list[object]]:
    rng = np.random.default_rng(seed)
    rows: list[list[object]] = [["a", "b", "kind"]]
    for k in range(n):
        label = ["left", "right"][k % 2]
        centre = -2.0 if label == "left" else 2.0
        rows.append([centre + rng.normal(), rng.normal(), label])
    return rows


def test_training_evaluating_and_predicting_on_a_csv_file(capsys, tmp_path) -> None:
    data = tmp_path / "blobs.csv"
    write_csv(data, blobs(200, 0))
    run_dir = tmp_path / "run"
    status, out, err = run(
        capsys,
        "train",
        "--data",
        str(data),
        "--target",
        "kind",
        "--epochs",
        "10",
        "--output",
        str(run_dir),
        "--no-progress",
    )
    assert status == 0, err
    assert reported_accuracy(out) > 0.95

    fresh = tmp_path / "fresh.csv"
    write_csv(fresh, blobs(20, 1))
    status, out, _ = run(
        capsys, "evaluate", str(run_dir), "--data", str(fresh), "--target", "kind"
    )
    assert status == 0 and "accuracy" in out

    status, out, _ = run(capsys, "predict", str(run_dir), "--data", str(fresh))
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[0] == "row,prediction,probability"
    predictions = [line.split(",")[1] for line in lines[1:]]
    assert predictions == [row[2] for row in blobs(20, 1)[1:]]

    out_file = tmp_path / "predictions.csv"
    status, _, _ = run(
        capsys, "predict", str(run_dir), "--data", str(fresh), "--output", str(out_file)
    )
    assert status == 0 and out_file.read_text().count("\n") == 21


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "0"], "--epochs must be at least 1"),
        (["--test-size", "1.5"], "--test-size"),
        (["--hidden", "a,b"], "--hidden"),
        (["--lr", "-1"], "--lr must be a positive"),
        (["--lr", "inf"], "--lr must be a positive finite"),
        (["--weight-decay", "nan"], "--weight-decay"),
        (["--seed", "-1"], "--seed"),
        (["--data", "missing.csv"], "--target"),
        (["--data", "missing.csv", "--target", "y"], "missing.csv"),
        (["--target", "y"], "--target only applies"),
        (["--dataset", "iris", "--data", "x.csv", "--target", "y"], "not both"),
        (["--optimizer", "sgd", "--momentum", "1"], "--momentum must be in [0, 1)"),
        (
            ["--momentum", "0.5"],
            "--momentum applies to --optimizer sgd and rmsprop, not adam",
        ),
        (
            ["--optimizer", "adamw", "--momentum", "0.9"],
            "--momentum applies to --optimizer sgd and rmsprop, not adamw",
        ),
    ],
)
def test_bad_options_exit_2_with_a_message(capsys, tmp_path, argv, message) -> None:
    status, _, err = run(
        capsys, "train", *argv, "--output", str(tmp_path), "--no-progress"
    )
    assert status == 2
    assert message in err
    assert "Traceback" not in err


def test_bad_csv_files_exit_2_naming_the_problem(capsys, tmp_path) -> None:
    data = tmp_path / "bad.csv"
    write_csv(data, [["a", "b", "kind"], [1.0, "oops", "x"], [2.0, 3.0, "y"]])
    status, _, err = run(
        capsys,
        "train",
        "--data",
        str(data),
        "--target",
        "kind",
        "--no-progress",
        "--output",
        str(tmp_path / "r"),
    )
    assert status == 2
    assert "oops" in err and "line" in err

    status, _, err = run(
        capsys,
        "train",
        "--data",
        str(data),
        "--target",
        "nope",
        "--no-progress",
        "--output",
        str(tmp_path / "r"),
    )
    assert status == 2
    assert "nope" in err

    regression = tmp_path / "regression.csv"
    write_csv(regression, [["a", "y"], [1.0, 0.5], [2.0, 1.5], [3.0, 2.25]])
    status, _, err = run(
        capsys,
        "train",
        "--data",
        str(regression),
        "--target",
        "y",
        "--no-progress",
        "--output",
        str(tmp_path / "r"),
    )
    assert status == 2
    assert "classifies" in err


def test_evaluate_and_predict_need_a_trained_model(capsys, tmp_path) -> None:
    status, _, err = run(capsys, "evaluate", str(tmp_path))
    assert status == 2 and "model.json is missing" in err
    (tmp_path / "model.json").write_text("{not json")
    status, _, err = run(capsys, "predict", str(tmp_path), "--data", "x.csv")
    assert status == 2 and "not a model description" in err


def iris_rows(with_label: bool) -> list[list[object]]:
    from chainrule.data import load_dataset

    iris = load_dataset("iris")
    names = list(iris.feature_names)
    rows: list[list[object]] = [[*names, "species"] if with_label else names]
    for x, y in zip(iris.x[::10], iris.y[::10], strict=True):
        label = [iris.class_names[y]] if with_label else []
        rows.append([*x.tolist(), *label])
    return rows


def test_predict_ignores_a_label_column_it_is_told_of_and_says_so(
    capsys, tmp_path
) -> None:
    folder = tmp_path / "iris"
    status, _, err = run(
        capsys,
        "train",
        *("--dataset", "iris", "--epochs", "5", "--no-progress"),
        *("--output", str(folder)),
    )
    assert status == 0, err
    features = tmp_path / "x.csv"
    write_csv(features, iris_rows(with_label=False))
    status, expected, _ = run(capsys, "predict", str(folder), "--data", str(features))
    assert status == 0

    labelled = tmp_path / "labelled.csv"
    write_csv(labelled, iris_rows(with_label=True))
    status, _, err = run(
        capsys, "evaluate", str(folder), "--data", str(labelled), "--target", "species"
    )
    assert status == 0, f"evaluate refused the labelled file: {err}"

    status, out, err = run(capsys, "predict", str(folder), "--data", str(labelled))
    assert status == 2, out
    assert "--target species" in err, f"no hint at --target: {err}"

    status, out, err = run(
        capsys, "predict", str(folder), "--data", str(labelled), "--target", "species"
    )
    assert status == 0, f"predict refused the labelled file: {err}"
    assert out == expected, "the label column changed the predictions"
    assert "ignoring the label column 'species'" in err, err

    status, _, err = run(
        capsys, "predict", str(folder), "--data", str(features), "--target", "kind"
    )
    assert status == 2 and "no column 'kind'" in err, err


@pytest.mark.parametrize(
    ("optimizer", "given", "used"),
    [
        ("sgd", None, 0.9),
        ("sgd", "0.5", 0.5),
        ("rmsprop", None, 0.0),
        ("rmsprop", "0.5", 0.5),
        ("adam", None, None),
    ],
)
def test_momentum_reaches_the_optimizers_that_take_one(
    capsys, tmp_path, optimizer, given, used
) -> None:
    momentum = [] if given is None else ["--momentum", given]
    status, _, err = run(
        capsys,
        *("train", "--dataset", "iris", "--hidden", "4", "--epochs", "1"),
        *("--optimizer", optimizer, *momentum, "--no-progress"),
        *("--output", str(tmp_path / "run")),
    )
    assert status == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["settings"]["momentum"] == used
    if used is not None:
        settings = Settings(optimizer=optimizer, momentum=used)
        made = make_optimizer(nn.Linear(2, 1), settings)
        assert made.param_groups[0]["momentum"] == used


def train_options() -> list[str]:
    """Every option of ``chainrule train``, as its parser knows them."""
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.choices and "train" in a.choices]
    train = commands.choices["train"]
    return [
        option
        for action in train._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]


def test_the_readme_lists_every_train_option() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    options = train_options()
    assert "--momentum" in options and "--no-progress" in options
    missing = [option for option in options if f"`{option}" not in readme]
    assert not missing, f"README.md does not list the train options {missing}"
