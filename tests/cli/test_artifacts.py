"""A run folder's two model files must belong together, and be whole."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chainrule.cli import main
from chainrule.data import load_dataset


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Two short iris runs of the same architecture, seeds 0 and 1."""
    root = tmp_path_factory.mktemp("runs")
    folders = {}
    for seed in ("0", "1"):
        folder = root / f"seed{seed}"
        status = main(
            [
                *("train", "--dataset", "iris", "--hidden", "8", "--epochs", "2"),
                *("--seed", seed, "--no-progress", "--output", str(folder)),
            ]
        )
        assert status == 0
        folders[seed] = folder
    return folders


@pytest.fixture
def folder(runs, tmp_path) -> Path:
    """A copy of the seed-0 run, to damage."""
    return Path(shutil.copytree(runs["0"], tmp_path / "run"))


def refused(capsys, folder: Path) -> list[str]:
    """The messages of evaluate and predict on ``folder`` (an iris run); both
    must exit 2."""
    data = folder.parent / "rows.csv"
    names = load_dataset("iris").feature_names
    data.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    messages = []
    for argv in (
        ["evaluate", str(folder)],
        ["predict", str(folder), "--data", str(data)],
    ):
        status, out, err = run(capsys, *argv)
        assert status == 2, f"{argv[0]} used the files and printed: {out}"
        assert "Traceback" not in err
        messages.append(err)
    return messages


def test_an_untouched_run_folder_loads(capsys, folder) -> None:
    status, _, err = run(capsys, "evaluate", str(folder))
    assert status == 0, err


def test_weights_of_another_run_are_refused(capsys, runs, folder) -> None:
    # Same architecture, so the weights fit: only the record tells.
    shutil.copy(runs["1"] / "model.safetensors", folder / "model.safetensors")
    for err in refused(capsys, folder):
        assert "model.json and model.safetensors are not from the same run" in err
        assert "split.seed" in err and "standardize" in err, err
        assert "train again" in err, f"no remedy: {err}"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d["class_names"].reverse(), "class_names"),
        (lambda d: d["spec"].update(activation="tanh"), "spec.activation"),
        (lambda d: d.update(target="label"), "target"),
    ],
)
def test_an_edited_model_json_is_refused_naming_the_field(
    capsys, folder, edit, field
) -> None:
    path = folder / "model.json"
    description = json.loads(path.read_text())
    edit(description)
    path.write_text(json.dumps(description))
    for err in refused(capsys, folder):
        assert f"they differ in {field}" in err, err
        assert f"model.json has {field} =" in err, err


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_a_damaged_weights_file_is_refused(capsys, folder, damage) -> None:
    path = folder / "model.safetensors"
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    elif damage == "truncate":
        data = data[: len(data) - 100]
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    for err in refused(capsys, folder):
        assert f"cannot load the weights in {path}" in err, err


def test_a_missing_weights_file_is_refused(capsys, folder) -> None:
    (folder / "model.safetensors").unlink()
    for err in refused(capsys, folder):
        assert "model.safetensors" in err and "Errno" not in err, err


def forge(folder: Path, record: dict) -> None:
    """Save the weights again with ``record`` as their metadata: the two agree."""
    from chainrule import io
    from chainrule.cli import artifacts

    model, _ = artifacts.load_model(folder)
    io.save_model(model, folder / "model.safetensors", metadata=record)


def set_path(record: dict, path: str, value: object) -> None:
    """``record["a"]["b"][0] = value`` for the path ``"a.b.0"``."""
    *parents, last = path.split(".")
    for key in parents:
        record = record[int(key)] if key.isdigit() else record[key]
    record[int(last) if last.isdigit() else last] = value


# What a new user's trial hand-edited, then further ways to spoil the file.
MALFORMED = [
    ("split", None, "split must be an object, got null"),
    ("standardize.mean.0", "abc", "standardize.mean must be a list of 4 finite"),
    ("standardize.mean.0", None, "standardize.mean must be a list of 4 finite"),
    ("class_names", [1, 2], "class_names must be a list of 3 distinct strings"),
    ("spec.hidden", [-5], "spec.hidden must be a list of layer sizes"),
    ("data", 123, "data must be a string or null, got 123"),
    ("split.seed", "x", 'split.seed must be an integer >= 0, got "x"'),
    ("feature_names", None, "feature_names must be a list of 4 distinct strings"),
    ("spec", None, "spec must be an object, got null"),
    ("standardize", [], "standardize must be an object, got []"),
    ("spec.in_features", "4", 'spec.in_features must be an integer >= 1, got "4"'),
    ("spec.hidden", [8.5], "spec.hidden must be a list of layer sizes"),
    ("spec.activation", ["relu"], "spec.activation must be one of elu"),
    ("class_names", ["a", "a", "b"], "class_names must be a list of 3 distinct"),
    ("standardize.std.1", 0, "standardize.std must be positive"),
    ("split.test_size", 2, "split.test_size must be a fraction between 0 and 1"),
    ("dataset", "mnist", "dataset must be null or one of digits"),
    ("target", 7, "target must be a string or null, got 7"),
    ("dataset", None, "exactly one of dataset and data"),
]


@pytest.mark.parametrize("forged", [False, True], ids=["edited", "forged"])
@pytest.mark.parametrize(
    ("path", "value", "message"), MALFORMED, ids=[f"{p}={v}" for p, v, _ in MALFORMED]
)
def test_a_malformed_model_json_is_refused_naming_the_field(
    capsys, folder, path, value, message, forged
) -> None:
    # Forged: the weights file carries the same malformed record, so only
    # checking the fields themselves can tell.
    record = json.loads((folder / "model.json").read_text())
    set_path(record, path, value)
    if forged:
        forge(folder, record)
    (folder / "model.json").write_text(json.dumps(record))
    for err in refused(capsys, folder):
        assert f"{folder / 'model.json'} is not a model description: " in err, err
        assert message in err, err
        assert "train again" in err, f"no remedy: {err}"


@pytest.mark.parametrize("text", ["[1, 2]", '"model"', "{", ""])
def test_a_model_json_that_is_no_object_is_refused(capsys, folder, text) -> None:
    (folder / "model.json").write_text(text)
    for err in refused(capsys, folder):
        assert "model.json is not a model description" in err, err
