"""Files that cannot be loaded: each gives a CheckpointError naming the file and
the problem, and leaves the model, optimizer and scheduler exactly as they were."""

from __future__ import annotations

import json
import pickle
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save_file

import chainrule as cr
from chainrule import nn, optim
from chainrule.errors import CheckpointError, MissingDependencyError
from chainrule.io._format import KEY_DIGEST, digest
from tests.io.files import (
    assert_same,
    edit_entries,
    join_file,
    mlp,
    snapshot,
    split_file,
    trained,
)


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoint.safetensors"
    cr.io.save_checkpoint(path, *trained(seed=0), metadata={"epoch": 2})
    return path


def load_unchanged(path: Path, match: str) -> CheckpointError:
    """Load ``path`` into a trained run; it must fail and change nothing."""
    run = trained(seed=7)
    before = snapshot(*run)
    with pytest.raises(CheckpointError) as info:
        cr.io.load_checkpoint(path, *run)
    message = str(info.value)
    assert match in message, message
    assert_same(snapshot(*run), before)
    return info.value


def test_a_missing_file_is_a_file_not_found_error(tmp_path: Path) -> None:
    path = tmp_path / "epoch-3.safetensors"
    run = trained(seed=7)
    before = snapshot(*run)

    with pytest.raises(FileNotFoundError) as info:
        cr.io.load_checkpoint(path, *run)

    assert str(info.value) == f"load_checkpoint: there is no file {str(path)!r}"
    assert_same(snapshot(*run), before)


# --- damaged bytes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keep", "match"),
    [
        (0, "0 bytes long, too short for a safetensors file"),
        (5, "5 bytes long, too short"),
        (40, "not a safetensors file, or cut off: its first 8 bytes announce"),
        (-1, "safetensors cannot read it"),
        (-200, "safetensors cannot read it"),
    ],
    ids=["empty", "in the length", "in the header", "last byte", "in the arrays"],
)
def test_a_cut_off_file(checkpoint: Path, keep: int, match: str) -> None:
    data = checkpoint.read_bytes()
    checkpoint.write_bytes(data[:keep])

    error = load_unchanged(checkpoint, match)
    assert str(checkpoint) in str(error)
    with pytest.raises(CheckpointError, match=r"too short|cut off|cannot read"):
        cr.io.load_model(mlp(), checkpoint)


def test_changed_array_bytes_fail_the_checksum(checkpoint: Path) -> None:
    data = bytearray(checkpoint.read_bytes())
    data[-20] ^= 0x01  # one bit of one optimizer moment
    checkpoint.write_bytes(bytes(data))

    error = load_unchanged(checkpoint, "do not match the checksum saved with them")
    assert f"{checkpoint}: the file is damaged" in str(error)
    assert "Nothing was loaded; load an earlier copy" in str(error)


def test_every_single_bit_flip_is_caught(tmp_path: Path) -> None:
    # Bit rot anywhere in a small checkpoint, one byte at a time: the length,
    # the header's JSON, its padding, the entries, the arrays.
    path = tmp_path / "small.safetensors"
    model = nn.Linear(2, 1, generator=np.random.default_rng(0))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(cr.ones(1, 2)).sum().backward()
    optimizer.step()
    cr.io.save_checkpoint(path, model, optimizer, metadata={"epoch": 1})
    data = path.read_bytes()
    other = nn.Linear(2, 1)
    other_optimizer = optim.SGD(other.parameters(), lr=0.1, momentum=0.9)
    before = snapshot(other, other_optimizer)

    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0x01
        path.write_bytes(bytes(damaged))
        with pytest.raises(CheckpointError, match=re.escape(str(path))):
            cr.io.load_checkpoint(path, other, other_optimizer)
    assert_same(snapshot(other, other_optimizer), before)


def test_garbage_and_other_formats(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    model = mlp()
    before = model.state_dict()

    path.write_bytes(np.random.default_rng(0).bytes(1000))
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        cr.io.load_model(model, path)
    path.write_text("just some text, long enough to have eight bytes\n")
    with pytest.raises(CheckpointError, match=r"never pickle or \.npz"):
        cr.io.load_model(model, path)
    np.savez(tmp_path / "model.npz", **before)
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        cr.io.load_model(model, tmp_path / "model.npz")
    assert_same(model.state_dict(), before)


class Payload:
    """Unpickling this would create a directory: proof that code ran."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, ...]:
        import os

        return (os.mkdir, (str(self.target),))


def test_a_pickle_is_refused_without_being_run(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    ran = tmp_path / "code-ran"
    path.write_bytes(pickle.dumps({"0.weight": Payload(ran)}))

    with pytest.raises(CheckpointError, match="not a safetensors file"):
        cr.io.load_model(mlp(), path)
    with pytest.raises(CheckpointError):
        cr.load(path)
    assert not ran.exists()


def test_header_that_is_not_json(checkpoint: Path) -> None:
    data = checkpoint.read_bytes()
    checkpoint.write_bytes(data[:8] + b"{'chainrule'" + data[20:])

    load_unchanged(
        checkpoint,
        "its safetensors header is not valid JSON (line 1, column 2: Expecting "
        "property name enclosed in double quotes)",
    )


@pytest.mark.parametrize("entry", ["metadata", "optimizer", "scheduler"], ids=str)
def test_entry_that_is_not_json(checkpoint: Path, entry: str) -> None:
    edit_entries(checkpoint, **{entry: '{"epoch": 2,\n "lr": [0.1, }'})

    error = load_unchanged(checkpoint, f"the header entry 'chainrule.{entry}'")
    message = str(error)
    assert message.startswith(f"{checkpoint}: ")
    assert "is not valid JSON (line 2, column 14: Expecting value)" in message


def test_an_edited_entry_fails_the_checksum(checkpoint: Path) -> None:
    edit_entries(checkpoint, metadata='{"epoch": 20}')

    load_unchanged(checkpoint, "do not match the checksum")


# --- not a chainrule file, or a newer one -------------------------------------------


def test_a_safetensors_file_from_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    save_file(mlp().state_dict(), path, metadata={"format": "pt"})

    error = load_unchanged(path, "not a file saved by chainrule")
    assert "has no 'chainrule.format' entry" in str(error)
    assert "safetensors.numpy.load_file(path)" in str(error)
    with pytest.raises(CheckpointError, match="not a file saved by chainrule"):
        cr.load(path)


def test_a_foreign_file_without_metadata_is_not_called_damaged(
    tmp_path: Path,
) -> None:
    path = tmp_path / "model.safetensors"
    save_file(mlp().state_dict(), path)
    load_unchanged(path, "not a file saved by chainrule")


@pytest.mark.parametrize(
    ("name", "renamed"),
    [
        ("__metadata__", "holding chainrule's metadata"),
        ("chainrule.format", "holds chainrule's entries"),
    ],
    ids=["__metadata__", "format"],
)
def test_a_flipped_bit_in_a_key_is_damage_not_a_foreign_file(
    checkpoint: Path, name: str, renamed: str
) -> None:
    # Every flip of every bit of the key: the JSON either breaks or still
    # parses with a key of another name, which must not pass for a file
    # from elsewhere.
    data = checkpoint.read_bytes()
    start = data.index(f'"{name}"'.encode()) + 1
    messages = set()
    for position in range(start, start + len(name)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[position] ^= 1 << bit
            checkpoint.write_bytes(bytes(flipped))
            error = load_unchanged(checkpoint, f"{checkpoint}: the file is damaged")
            assert "not a file saved by chainrule" not in str(error)
            messages.add(str(error).split(": the file is damaged: ")[1])
    assert any(renamed in message for message in messages), messages


def test_a_renamed_entry_is_damage(checkpoint: Path) -> None:
    header, body = split_file(checkpoint)
    entries = header["__metadata__"]
    entries["chainrule.fornat"] = entries.pop("chainrule.format")
    join_file(checkpoint, header, body)
    error = load_unchanged(checkpoint, "the file is damaged: its header holds")
    assert "but no 'chainrule.format'" in str(error)

    header["__netadata__"] = header.pop("__metadata__")
    join_file(checkpoint, header, body)
    load_unchanged(checkpoint, "an entry '__netadata__' holding chainrule's metadata")

    header["__netadata__"] = {"note": "not ours"}
    join_file(checkpoint, header, body)
    load_unchanged(checkpoint, "entry '__netadata__' is neither an array nor")


def test_a_missing_format_version(checkpoint: Path) -> None:
    edit_entries(checkpoint, format_version=None)
    load_unchanged(checkpoint, "the file is damaged: its format version '' is not")


def test_a_future_format_version(checkpoint: Path) -> None:
    edit_entries(checkpoint, format_version="2", version="9.0.0")

    error = load_unchanged(
        checkpoint, "has format version 2, written by chainrule 9.0.0"
    )
    assert "this chainrule reads format version 1 and older" in str(error)
    assert "pip install -U chainrule" in str(error)


def test_an_unknown_kind(checkpoint: Path) -> None:
    edit_entries(checkpoint, format="dataset")
    load_unchanged(checkpoint, "it is of an unknown kind 'dataset'")


def test_a_state_dict_is_not_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    cr.io.save_model(trained(seed=0)[0], path)

    error = load_unchanged(path, "holds a state dict (saved by save_model or cr.save)")
    assert "cr.io.load_model(model, path)" in str(error)


def test_an_array_name_a_checkpoint_does_not_use(checkpoint: Path) -> None:
    header, body = split_file(checkpoint)
    header["extra.w"] = header.pop("model.0.weight")
    join_file(checkpoint, header, body)
    _rehash(checkpoint)

    load_unchanged(checkpoint, "it holds an array named 'extra.w'")


# --- files that do not fit ------------------------------------------------------------


def test_another_architecture_lists_every_difference(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    cr.io.save_model(mlp(), path)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 7), nn.Linear(7, 2))
    before = model.state_dict()

    with pytest.raises(CheckpointError) as info:
        cr.io.load_model(model, path)

    assert str(info.value) == (
        f"load_model: {path} does not fit this Sequential; nothing was loaded.\n"
        "  missing keys: '3.weight', '3.bias'\n"
        "  unexpected keys: '4.bias', '4.weight'\n"
        "  shape mismatch for '2.weight': the model has shape (7, 5), the file "
        "(4, 5)\n"
        "  shape mismatch for '2.bias': the model has shape (7,), the file (4,)\n"
        "Was it saved from another architecture? Compare the names and shapes "
        "with model.state_dict(); strict=False loads the names present in both"
    )
    assert_same(model.state_dict(), before)
    with pytest.raises(CheckpointError, match=r"'2.weight': the model has shape"):
        cr.io.load_model(model, path, strict=False)  # shapes must still fit


def test_another_architecture_in_a_checkpoint(checkpoint: Path) -> None:
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    optimizer = optim.Adam(model.parameters())
    before = snapshot(model, optimizer)

    with pytest.raises(CheckpointError) as info:
        cr.io.load_checkpoint(checkpoint, model, optimizer)

    message = str(info.value)
    assert message.startswith(f"load_checkpoint: {checkpoint} does not fit")
    assert "unexpected keys: '4.bias', '4.weight'" in message
    assert "shape mismatch for '2.weight': the model has shape (2, 5)" in message
    assert "strict=False" not in message  # load_checkpoint has no such option
    assert_same(snapshot(model, optimizer), before)


def test_another_dtype(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    cr.io.save_model(mlp(dtype=np.float64), path)
    model = mlp(dtype=np.float32)
    before = model.state_dict()

    with pytest.raises(CheckpointError) as info:
        cr.io.load_model(model, path)

    message = str(info.value)
    assert "dtype mismatch for '0.weight': the model has float32, the file float64" in (
        message
    )
    assert message.count("dtype mismatch") == 6
    assert message.endswith(
        "Build the model in the saved dtype (e.g. nn.Linear(..., "
        "dtype=np.float32), or cr.set_default_dtype before building it)"
    )
    assert_same(model.state_dict(), before)


def test_another_optimizer_type(checkpoint: Path) -> None:
    model, _, _ = trained(seed=7)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = snapshot(model, optimizer)

    with pytest.raises(
        CheckpointError,
        match=r"was saved with optimizer type Adam, but optimizer= is of type "
        r"SGD; build the optimizer as the saved run did \(optim.Adam;",
    ):
        cr.io.load_checkpoint(checkpoint, model, optimizer)
    assert_same(snapshot(model, optimizer), before)


def test_other_parameter_groups(checkpoint: Path) -> None:
    model, _, _ = trained(seed=7)
    optimizer = optim.Adam(
        [
            {"params": [model[0].weight, model[0].bias]},
            {"params": [p for name, p in model.named_parameters() if name[0] != "0"]},
        ]
    )
    before = snapshot(model, optimizer)

    with pytest.raises(CheckpointError) as info:
        cr.io.load_checkpoint(checkpoint, model, optimizer)
    message = str(info.value)
    assert "the optimizer state in" in message
    assert "the state dict has 1 parameter group(s), this optimizer 2" in message
    assert_same(snapshot(model, optimizer), before)


def test_another_scheduler_type(checkpoint: Path) -> None:
    model, optimizer, _ = trained(seed=7)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    before = snapshot(model, optimizer, scheduler)

    with pytest.raises(
        CheckpointError,
        match="saved with scheduler type StepLR, but scheduler= is of type Cos",
    ):
        cr.io.load_checkpoint(checkpoint, model, optimizer, scheduler)
    assert_same(snapshot(model, optimizer, scheduler), before)


def test_a_bad_scheduler_state_leaves_the_optimizer_unchanged(checkpoint: Path) -> None:
    # The optimizer state fits and would load; the scheduler's does not.
    # Nothing is loaded, not even the optimizer (nor the model).
    header, body = split_file(checkpoint)
    entries = header["__metadata__"]
    state = json.loads(entries["chainrule.scheduler"])
    state["state"]["gamma"] = -1.0
    entries["chainrule.scheduler"] = json.dumps(state)
    join_file(checkpoint, header, body)
    _rehash(checkpoint)

    error = load_unchanged(checkpoint, "the scheduler state in")
    assert "StepLR: gamma must be >= 0, got -1.0" in str(error)
    assert "the model, optimizer and scheduler are unchanged" in str(error)


def test_a_bad_optimizer_state_leaves_the_model_unchanged(checkpoint: Path) -> None:
    header, body = split_file(checkpoint)
    entries = header["__metadata__"]
    state = json.loads(entries["chainrule.optimizer"])
    state["param_groups"][0]["lr"] = -0.5
    entries["chainrule.optimizer"] = json.dumps(state)
    join_file(checkpoint, header, body)
    _rehash(checkpoint)

    error = load_unchanged(checkpoint, "the optimizer state in")
    assert "lr must be >= 0, got -0.5" in str(error)


def test_optimizer_state_of_another_dtype(checkpoint: Path) -> None:
    header, body = split_file(checkpoint)
    start, end = header["optimizer.0.exp_avg"]["data_offsets"]
    values = np.frombuffer(body[start:end], dtype=np.float64).astype(np.float32)
    header["optimizer.0.exp_avg"] = {
        "dtype": "F32",
        "shape": header["optimizer.0.exp_avg"]["shape"],
        "data_offsets": [start, start + values.nbytes],
    }
    for key, info in header.items():  # close the gap the smaller array leaves
        if key != "__metadata__" and info["data_offsets"][0] > start:
            info["data_offsets"] = [o - values.nbytes for o in info["data_offsets"]]
    body = body[:start] + values.tobytes() + body[end:]
    join_file(checkpoint, header, body)
    _rehash(checkpoint)

    load_unchanged(
        checkpoint,
        "dtype mismatch for state 'exp_avg' of weight 0: the weight has "
        "float64, the file float32",
    )


def test_missing_safetensors_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, checkpoint: Path
) -> None:
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)

    with pytest.raises(MissingDependencyError, match=r'pip install "chainrule\[io\]"'):
        cr.io.load_model(mlp(), checkpoint)
    with pytest.raises(ImportError, match="safetensors package, which is not"):
        cr.save({}, checkpoint.parent / "new.safetensors")


def _rehash(path: Path) -> None:
    """Recompute the checksum after a deliberate edit, as a forger would."""
    header, body = split_file(path)
    arrays = load_arrays(path.read_bytes())
    header["__metadata__"][KEY_DIGEST] = digest(arrays, header["__metadata__"])
    join_file(path, header, body)
