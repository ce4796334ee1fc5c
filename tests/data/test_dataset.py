"""Dataset, TensorDataset, Subset, LabelledDataset and default_collate."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    Dataset,
    LabelledDataset,
    Subset,
    TensorDataset,
    default_collate,
)
from chainrule.errors import ArgumentError, IndexingError, ShapeError


def test_the_package_is_cr_data_and_imports_no_optional_dependency() -> None:
    assert cr.data.TensorDataset is TensorDataset
    code = "import sys, chainrule; print('sklearn' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --- Dataset ------------------------------------------------------------------------


def test_a_dataset_must_define_getitem_and_len() -> None:
    class OnlyLength(Dataset):
        def __len__(self) -> int:
            return 0

    with pytest.raises(TypeError, match="__getitem__"):
        OnlyLength()  # type: ignore[abstract]


class Letters(Dataset):
    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> tuple[str, np.ndarray]:
        return "abc"[i], np.array([i, 2 * i])


def test_a_dataset_iterates_its_samples_in_order() -> None:
    assert [letter for letter, _ in Letters()] == ["a", "b", "c"]


def test_the_default_get_batch_collates_samples() -> None:
    letters, values = Letters().get_batch(np.array([2, 0]))
    assert letters == ["c", "a"]
    assert values.tolist() == [[2, 4], [0, 0]]


# --- TensorDataset -------------------------------------------------------------------


def test_samples_are_rows_of_every_tensor() -> None:
    x = np.arange(12.0).reshape(4, 3)
    y = np.array([3, 1, 4, 1])
    data = TensorDataset(x, cr.tensor(y), [[0.5], [1.5], [2.5], [3.5]])
    assert len(data) == 4
    row, label, extra = data[1]
    assert row.tolist() == [3.0, 4.0, 5.0] and label.item() == 1
    assert extra.tolist() == [1.5] and extra.dtype == np.float64
    assert [t.shape for t in data[-1]] == [(3,), (), (1,)]
    assert all(isinstance(t, cr.Tensor) for t in data.tensors)


def test_arrays_are_shared_but_samples_are_copies() -> None:
    x = np.zeros((2, 2))
    data = TensorDataset(x)
    x[0, 0] = 7.0
    (row,) = data[0]
    assert row.data[0] == 7.0  # the dataset was not copied
    row -= 1.0
    assert x[0, 0] == 7.0  # but a sample is a copy


def test_get_batch_indexes_every_tensor_at_once() -> None:
    data = TensorDataset(np.arange(5.0), np.arange(5) * 10)
    x, y = data.get_batch(np.array([4, 0, 4]))
    assert x.tolist() == [4.0, 0.0, 4.0] and y.tolist() == [40, 0, 40]


def test_lengths_must_match_and_are_named() -> None:
    with pytest.raises(ShapeError, match="got lengths 100, 99;"):
        TensorDataset(np.zeros((100, 2)), np.zeros(99))


def test_tensor_dataset_errors() -> None:
    with pytest.raises(ArgumentError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ShapeError, match="tensor 1 is 0-d"):
        TensorDataset(np.zeros(3), np.float64(1))
    with pytest.raises(ArgumentError, match=r"tensor 0 requires grad.*detach"):
        TensorDataset(cr.zeros(3, requires_grad=True))


@pytest.mark.parametrize("index", [3, -4])
def test_an_index_out_of_range(index: int) -> None:
    data = TensorDataset(np.zeros(3))
    with pytest.raises(IndexingError, match=f"index {index} is out of range for 3"):
        data[index]
    with pytest.raises(IndexError):  # what Python's iteration protocol expects
        data[index]


def test_an_index_into_an_empty_dataset() -> None:
    with pytest.raises(IndexingError, match="empty dataset"):
        TensorDataset(np.zeros((0, 2)))[0]


def test_tensor_dataset_repr() -> None:
    data = TensorDataset(np.zeros((3, 2), np.float32), np.arange(3))
    assert repr(data) == "TensorDataset(3 samples: (3, 2) float32, (3,) int64)"


# --- Subset -------------------------------------------------------------------------


def test_subset_maps_its_indices() -> None:
    data = TensorDataset(np.arange(10) * 10)
    subset = Subset(data, [7, -1, 0])
    assert subset.indices.tolist() == [7, 9, 0]
    assert len(subset) == 3
    assert [t.item() for (t,) in subset] == [70, 90, 0]
    assert subset[-1][0].item() == 0
    (batch,) = subset.get_batch(np.array([1, 2]))
    assert batch.tolist() == [90, 0]


def test_a_subset_of_a_plain_sequence() -> None:
    subset = Subset([(1.0, 0), (2.0, 1), (3.0, 0)], [2, 0])
    assert subset[0] == (3.0, 0)
    x, y = subset.get_batch(np.array([0, 1]))
    assert x.tolist() == [3.0, 1.0] and y.tolist() == [0, 0]


def test_an_empty_subset() -> None:
    assert len(Subset(TensorDataset(np.zeros(3)), [])) == 0


def test_subset_errors() -> None:
    data = TensorDataset(np.zeros(4))
    with pytest.raises(IndexingError, match=r"index 4 is out of range.*-4 to 3"):
        Subset(data, [0, 4])
    with pytest.raises(ArgumentError, match=r"np\.flatnonzero"):
        Subset(data, [True, False, True, False])
    with pytest.raises(ArgumentError, match="integers, got float64"):
        Subset(data, [0.0, 1.0])
    with pytest.raises(IndexingError, match="Subset: index 2 is out of range"):
        Subset(data, [0, 1])[2]


# --- LabelledDataset ------------------------------------------------------------------


def test_labelled_dataset_holds_arrays_and_names() -> None:
    data = LabelledDataset(
        np.zeros((3, 2)),
        [0, 1, 1],
        name="toy",
        feature_names=["a", "b"],
        class_names=["no", "yes"],
    )
    assert isinstance(data.x, np.ndarray) and data.y.tolist() == [0, 1, 1]
    assert data.feature_names == ("a", "b") and data.class_names == ("no", "yes")
    x, y = data[2]
    assert x.shape == (2,) and y.item() == 1
    assert repr(data) == (
        "LabelledDataset('toy': 3 samples, x (3, 2) float64, y (3,) int64, 2 classes)"
    )


def test_labelled_dataset_checks_names_against_data() -> None:
    with pytest.raises(ShapeError, match=r"3 feature names for x of shape \(2, 2\)"):
        LabelledDataset(np.zeros((2, 2)), [0, 1], feature_names=["a", "b", "c"])
    with pytest.raises(ArgumentError, match="labels must be integers 0 to 1"):
        LabelledDataset(np.zeros((2, 2)), [0, 2], class_names=["a", "b"])
    with pytest.raises(ShapeError, match="got lengths 2, 3"):
        LabelledDataset(np.zeros((2, 2)), [0, 1, 0])


# --- default_collate ------------------------------------------------------------


def test_collate_numbers_follow_the_dtype_rules() -> None:
    floats, ints, flags = default_collate([(0.5, 1, True), (1.5, 2, False)])
    assert floats.dtype == np.float64 and ints.dtype == np.int64
    assert flags.dtype == np.bool_


def test_collate_dicts_and_nested_tuples() -> None:
    batch = default_collate(
        [{"x": (np.zeros(2), 1), "name": "a"}, {"x": (np.ones(2), 2), "name": "b"}]
    )
    assert batch["name"] == ["a", "b"]
    x, y = batch["x"]
    assert x.tolist() == [[0, 0], [1, 1]] and y.tolist() == [1, 2]


def test_collate_keeps_gradients_of_tensors_that_require_grad() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([w, 3 * w])
    batch.sum().backward()
    assert batch.shape == (2, 2) and w.grad.tolist() == [4.0, 4.0]


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (
            [(1, 2), (1,)],
            "sample 0 of the batch has 2 fields but sample 1 is a tuple of 1 field;",
        ),
        ([(1, 2), 3], "sample 1 is of type int"),
        (
            [{"a": 1}, {"b": 1}],
            r"keys \['a'\] but sample 1 is a dict with keys \['b'\]",
        ),
        ([np.zeros(2), np.zeros(3)], r"shape \(2,\) in sample 0 .* \(3,\) in sample 1"),
    ],
)
def test_collate_errors_name_the_samples(samples: list[Any], message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        default_collate(samples)


def test_collate_of_nothing() -> None:
    with pytest.raises(ArgumentError, match="no samples"):
        default_collate([])
