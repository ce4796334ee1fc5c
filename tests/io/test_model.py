"""io.save_model / io.load_model and cr.save / cr.load: round trips and arguments."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import ArgumentError, CheckpointError, DTypeError
from tests.io.files import Counter, assert_same, mlp, split_file


class Net(nn.Module):
    """An MLP with a custom module inside, as a user would nest them."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.body = mlp(seed, dtype=np.float32)
        self.gate = Counter(2, rng)

    def forward(self, x: Any) -> Any:
        return self.gate(self.body(x))


def test_round_trip_restores_every_weight_and_buffer(tmp_path: Path) -> None:
    path = tmp_path / "net.safetensors"
    model, other = Net(seed=0), Net(seed=1)
    model(cr.tensor(np.ones((4, 3), dtype=np.float32)))  # calls = 1
    model.gate.cache = cr.ones(2)  # not persistent: stays out of the file

    cr.io.save_model(model, path)
    assert cr.io.load_model(other, path) == {}

    assert_same(other.state_dict(), model.state_dict())
    assert other.state_dict()["gate.calls"] == 1
    np.testing.assert_array_equal(other.gate.cache.data, np.zeros(2))
    x = cr.tensor(np.random.default_rng(5).standard_normal((6, 3)).astype(np.float32))
    np.testing.assert_array_equal(other(x).data, model(x).data)


def test_dtypes_are_kept_exactly(tmp_path: Path) -> None:
    path = tmp_path / "net.safetensors"
    cr.io.save_model(Net(seed=0), path)

    dtypes = {key: value.dtype for key, value in cr.load(path).items()}
    assert dtypes["body.0.weight"] == np.float32
    assert dtypes["gate.scale"] == np.float32
    assert dtypes["gate.calls"] == np.int64
    assert dtypes["gate.mask"] == np.bool_
    header, _ = split_file(path)
    assert header["body.0.weight"]["dtype"] == "F32"


def test_loading_keeps_the_parameter_objects(tmp_path: Path) -> None:
    # An optimizer made before loading must go on updating the loaded weights.
    path = tmp_path / "model.safetensors"
    cr.io.save_model(mlp(seed=0), path)
    model = mlp(seed=1)
    before = list(model.parameters())

    cr.io.load_model(model, path)

    assert all(a is b for a, b in zip(before, model.parameters(), strict=True))


def test_metadata_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    metadata = {
        "epoch": 12,
        "loss": np.float32(0.25),  # NumPy scalars become Python numbers
        "steps": np.int64(3000),
        "layers": (3, 5, 2),  # tuples become lists
        "name": "mlp ünïcode",
        "history": [{"lr": 0.1, "ok": True, "note": None}],
        "diverged": float("nan"),
    }
    cr.io.save_model(mlp(), path, metadata)

    loaded = cr.io.load_model(mlp(), path)
    assert math.isnan(loaded.pop("diverged"))
    assert loaded == {
        "epoch": 12,
        "loss": 0.25,
        "steps": 3000,
        "layers": [3, 5, 2],
        "name": "mlp ünïcode",
        "history": [{"lr": 0.1, "ok": True, "note": None}],
    }
    assert type(loaded["steps"]) is int


def test_header_names_the_format_and_versions(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    cr.io.save_model(mlp(), path, {"epoch": 1})

    header, _ = split_file(path)
    entries = header["__metadata__"]
    assert entries["chainrule.format"] == "state_dict"
    assert entries["chainrule.format_version"] == "1"
    assert entries["chainrule.version"] == cr.__version__
    assert entries["chainrule.metadata"] == '{"epoch":1}'
    assert len(entries["chainrule.sha256"]) == 64
    # The array names are the state dict's, as PyTorch tools expect.
    assert sorted(k for k in header if k != "__metadata__") == sorted(
        mlp().state_dict()
    )


def test_special_shapes_and_empty_models(tmp_path: Path) -> None:
    path = tmp_path / "arrays.safetensors"
    state = {
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 3)),
        "column": np.arange(6.0).reshape(3, 2)[:, 1],  # not contiguous
        "big_endian": np.arange(3, dtype=">f8"),
    }
    cr.save(state, path)
    loaded = cr.load(path)

    assert loaded["scalar"].shape == () and loaded["scalar"] == 2.5
    assert loaded["empty"].shape == (0, 3)
    np.testing.assert_array_equal(loaded["column"], [1.0, 3.0, 5.0])
    np.testing.assert_array_equal(loaded["big_endian"], [0.0, 1.0, 2.0])
    assert loaded["big_endian"].dtype == np.float64

    cr.io.save_model(nn.ReLU(), path)  # a model without weights
    assert cr.io.load_model(nn.ReLU(), path) == {}


def test_save_and_load_follow_the_pytorch_habit(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    model, other = mlp(seed=0), mlp(seed=1)

    cr.save(model.state_dict(), path)
    other.load_state_dict(cr.load(path))
    assert_same(other.state_dict(), model.state_dict())

    cr.save(model, str(path))  # a Module saves its state dict; str paths work
    loaded = cr.load(path)
    assert_same(loaded, model.state_dict())
    loaded["0.weight"][0, 0] = 7.0  # the arrays are the caller's to change

    tensors = {"w": cr.tensor([1.0, 2.0], requires_grad=True)}
    cr.save(tensors, path)
    np.testing.assert_array_equal(cr.load(path)["w"], [1.0, 2.0])


def test_load_model_reads_the_weights_of_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.safetensors"
    model = mlp(seed=0)
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    cr.io.save_checkpoint(path, model, optimizer, metadata={"epoch": 4})

    other = mlp(seed=1)
    assert cr.io.load_model(other, path) == {"epoch": 4}
    assert_same(other.state_dict(), model.state_dict())
    assert_same(cr.load(path), model.state_dict())


def test_strict_false_loads_the_names_in_both(tmp_path: Path) -> None:
    # Fine-tuning: the saved body goes into a model with a new head.
    path = tmp_path / "body.safetensors"
    body = mlp(seed=0)
    cr.io.save_model(body, path)
    other = mlp(seed=1)
    model = nn.Sequential(other[0], nn.Tanh(), other[2], nn.Linear(4, 9))
    head = model[3].weight.data.copy()

    cr.io.load_model(model, path, strict=False)

    for key in ("0.weight", "0.bias", "2.weight", "2.bias"):
        np.testing.assert_array_equal(model.state_dict()[key], body.state_dict()[key])
    np.testing.assert_array_equal(model[3].weight.data, head)


def test_torch_reads_the_file_as_its_own_state_dict(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    path = tmp_path / "model.safetensors"
    model = mlp(seed=0)
    cr.io.save_model(model, path)

    twin = torch.nn.Sequential(
        torch.nn.Linear(3, 5),
        torch.nn.Tanh(),
        torch.nn.Linear(5, 4),
        torch.nn.ReLU(),
        torch.nn.Linear(4, 2),
    ).double()
    twin.load_state_dict(safetensors_torch.load_file(path))

    x = np.random.default_rng(3).standard_normal((5, 3))
    expected = twin(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(cr.tensor(x)).data, expected, rtol=1e-12)


# --- arguments that cannot be saved --------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "where", "hint"),
    [
        ({"w": np.ones(3)}, "metadata['w'] is a ndarray", ".tolist()"),
        ({"run": {"seed": object()}}, "metadata['run']['seed'] is a object", "JSON"),
        ({"steps": [1, {2: "b"}]}, "metadata['steps'][1] has the key 2", "'2'"),
        ({"f": print}, "metadata['f'] is a builtin_function_or_method", "JSON"),
    ],
    ids=["array", "object", "int key", "function"],
)
def test_metadata_json_cannot_hold_is_refused(
    tmp_path: Path, metadata: dict[str, Any], where: str, hint: str
) -> None:
    path = tmp_path / "model.safetensors"
    with pytest.raises(TypeError) as info:
        cr.io.save_model(mlp(), path, metadata)
    assert f"save_model: {where}" in str(info.value)
    assert hint in str(info.value)
    assert not path.exists()


def test_metadata_must_be_a_dict(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="metadata must be a dict, got list"):
        cr.io.save_model(mlp(), tmp_path / "m.safetensors", [1, 2])


def test_unstorable_dtype_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "arrays.safetensors"
    with pytest.raises(DTypeError, match=r"'z' has dtype complex128.*float32"):
        cr.save({"z": np.zeros(2, dtype=complex)}, path)
    with pytest.raises(DTypeError, match="'names' has dtype object"):
        cr.save({"names": np.array(["a", None], dtype=object)}, path)
    assert not path.exists()


def test_wrong_arguments_say_what_to_pass(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    model = mlp()
    with pytest.raises(TypeError, match=r"the model comes first: save_model\(model"):
        cr.io.save_model(path, model)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"expected a Module.*cr.save and cr.load"):
        cr.io.load_model({"w": 1}, path)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="save_checkpoint"):
        cr.save(cr.optim.SGD(model.parameters()), path)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="names must be strings, got 0"):
        cr.save({0: np.ones(2)}, path)  # type: ignore[dict-item]
    with pytest.raises(ArgumentError, match="'__metadata__', which safetensors"):
        cr.save({"__metadata__": np.ones(2)}, path)
    assert not path.exists()


def test_load_of_a_directory_or_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="load_model: there is no file"):
        cr.io.load_model(mlp(), tmp_path / "nothing.safetensors")
    with pytest.raises(IsADirectoryError, match=r"cr.load: .* is a directory"):
        cr.load(tmp_path)
    with pytest.raises(CheckpointError):  # also a ValueError
        cr.load(__file__)
