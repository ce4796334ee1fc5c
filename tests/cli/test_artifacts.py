"""A run folder's two model files must belong together, and be whole."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chainrule.cli import main


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
    """The messages of evaluate and predict on ``folder``; both must exit 2."""
    data = folder.parent / "rows.csv"
    names = json.loads((folder / "model.json").read_text())["feature_names"]
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
