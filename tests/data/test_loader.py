"""DataLoader: batch sizes and contents against PyTorch, seeded shuffling, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule.data import DataLoader, Dataset, Subset, TensorDataset
from chainrule.errors import ArgumentError, ShapeError


def numbered(n: int) -> TensorDataset:
    """Sample i is (row [i, -i] as float32, label i)."""
    i = np.arange(n)
    return TensorDataset(np.stack([i, -i], axis=1).astype(np.float32), i)


def epoch_labels(loader: DataLoader) -> list[list[int]]:
    return [y.tolist() for _, y in loader]


@given(
    n=st.integers(0, 40),
    batch_size=st.integers(1, 12),
    drop_last=st.booleans(),
)
def test_batches_match_torch_in_order(n: int, batch_size: int, drop_last: bool) -> None:
    data = numbered(n)
    loader = DataLoader(data, batch_size=batch_size, drop_last=drop_last)
    twin = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(
            torch.from_numpy(data.tensors[0].data),
            torch.from_numpy(data.tensors[1].data),
        ),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    batches = list(loader)
    expected = list(twin)
    assert len(loader) == len(twin) == len(batches) == len(expected)
    for (x, y), (x_torch, y_torch) in zip(batches, expected, strict=True):
        assert isinstance(x, cr.Tensor) and isinstance(y, cr.Tensor)
        np.testing.assert_array_equal(x.data, x_torch.numpy())
        np.testing.assert_array_equal(y.data, y_torch.numpy())


def test_batches_keep_dtypes_and_need_no_grad() -> None:
    x, y = next(iter(DataLoader(numbered(5), batch_size=2)))
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert not x.requires_grad and x.shape == (2, 2) and y.shape == (2,)


def test_the_last_batch_is_smaller_or_dropped() -> None:
    assert [len(y) for _, y in DataLoader(numbered(10), batch_size=4)] == [4, 4, 2]
    dropped = DataLoader(numbered(10), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(y) for _, y in dropped] == [4, 4]
    assert len(DataLoader(numbered(3), batch_size=4, drop_last=True)) == 0
    assert list(DataLoader(numbered(0), batch_size=4)) == []


@given(n=st.integers(1, 50), batch_size=st.integers(1, 10), seed=st.integers(0, 2**32))
def test_every_epoch_visits_every_sample_once(
    n: int, batch_size: int, seed: int
) -> None:
    loader = DataLoader(numbered(n), batch_size=batch_size, shuffle=True, seed=seed)
    for _ in range(3):
        batches = epoch_labels(loader)
        assert all(len(b) == batch_size for b in batches[:-1])
        assert sorted(i for b in batches for i in b) == list(range(n))


@given(n=st.integers(1, 50), batch_size=st.integers(1, 10), seed=st.integers(0, 2**32))
def test_drop_last_drops_only_the_remainder(n: int, batch_size: int, seed: int) -> None:
    loader = DataLoader(
        numbered(n), batch_size=batch_size, shuffle=True, drop_last=True, seed=seed
    )
    seen = [i for b in epoch_labels(loader) for i in b]
    assert len(seen) == len(set(seen)) == (n // batch_size) * batch_size


def test_a_seed_fixes_the_sequence_of_epochs() -> None:
    def three_epochs(seed: int) -> list[list[list[int]]]:
        loader = DataLoader(numbered(20), batch_size=6, shuffle=True, seed=seed)
        return [epoch_labels(loader) for _ in range(3)]

    first = three_epochs(0)
    assert three_epochs(0) == first
    assert three_epochs(1) != first
    # Each epoch has its own order.
    assert first[0] != first[1] != first[2]


def test_samples_stay_paired_when_shuffled() -> None:
    for x, y in DataLoader(numbered(30), batch_size=7, shuffle=True, seed=3):
        np.testing.assert_array_equal(x.data[:, 0], y.data)
        np.testing.assert_array_equal(x.data[:, 1], -y.data)


def test_generator_is_drawn_from_and_seed_matches_a_fresh_one() -> None:
    seeded = DataLoader(numbered(20), batch_size=5, shuffle=True, seed=4)
    with_rng = DataLoader(
        numbered(20), batch_size=5, shuffle=True, generator=np.random.default_rng(4)
    )
    assert [epoch_labels(seeded) for _ in range(2)] == [
        epoch_labels(with_rng) for _ in range(2)
    ]


def test_without_seed_the_default_generator_decides() -> None:
    loader = DataLoader(numbered(20), batch_size=5, shuffle=True)
    cr.manual_seed(11)
    first = epoch_labels(loader)
    cr.manual_seed(11)
    assert epoch_labels(loader) == first


def test_shuffle_off_ignores_the_seed() -> None:
    loader = DataLoader(numbered(5), batch_size=2, seed=9)
    assert epoch_labels(loader) == [[0, 1], [2, 3], [4]]


def test_batches_are_copies() -> None:
    data = numbered(4)
    before = data.tensors[0].data.copy()
    for x, _ in DataLoader(data, batch_size=2):
        x -= 100.0  # in place: tensors that need no grad are written into
    np.testing.assert_array_equal(data.tensors[0].data, before)


class NoItems(TensorDataset):
    """A TensorDataset whose samples cannot be fetched one by one."""

    def __getitem__(self, index: Any) -> Any:
        raise AssertionError("the loader fetched a single sample")


def test_tensor_datasets_and_their_subsets_are_batched_without_per_item_calls() -> None:
    data = NoItems(np.arange(10.0), np.arange(10))
    assert [y.tolist() for _, y in DataLoader(data, batch_size=4)] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]
    subset = Subset(Subset(data, [9, 8, 7, 6, 5]), [4, 0, 2])
    ((x, y),) = list(DataLoader(subset, batch_size=3))
    assert y.tolist() == [5, 9, 7] and x.tolist() == [5.0, 9.0, 7.0]


class Squares(Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return np.full(3, float(i)), i * i


def test_other_datasets_are_fetched_item_by_item_and_stacked() -> None:
    x, y = next(iter(DataLoader(Squares(5), batch_size=3)))
    assert x.shape == (3, 3) and x.dtype == np.float64
    assert y.tolist() == [0, 1, 4] and y.dtype == np.int64


def test_a_list_of_samples_is_a_dataset() -> None:
    samples = [(np.array([i, i]), float(i)) for i in range(4)]
    batches = list(DataLoader(samples, batch_size=2, shuffle=True, seed=0))
    assert [x.shape for x, _ in batches] == [(2, 2), (2, 2)]
    assert sorted(v for _, y in batches for v in y.tolist()) == [0.0, 1.0, 2.0, 3.0]


def test_collate_fn_receives_the_samples() -> None:
    received: list[int] = []

    def collate(samples: list[Any]) -> int:
        received.append(len(samples))
        return len(samples)

    assert list(DataLoader(numbered(5), batch_size=2, collate_fn=collate)) == [2, 2, 1]
    assert received == [2, 2, 1]


def test_a_collation_error_names_the_field_and_shapes() -> None:
    class Ragged(Squares):
        def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
            return np.zeros(i + 1), i

    with pytest.raises(
        ShapeError, match=r"field 0 .* \(1,\) in sample 0 .* \(2,\) in sample 1"
    ):
        list(DataLoader(Ragged(3), batch_size=3))


@pytest.mark.parametrize("batch_size", [0, -3])
def test_batch_size_below_one(batch_size: int) -> None:
    with pytest.raises(ArgumentError, match=f"at least 1, got {batch_size}"):
        DataLoader(numbered(3), batch_size=batch_size)


@pytest.mark.parametrize(
    ("batch_size", "message"),
    [(2.0, "must be an int, got float 2.0"), (True, "got bool"), (None, "None")],
)
def test_batch_size_must_be_an_int(batch_size: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        DataLoader(numbered(3), batch_size=batch_size)


def test_other_argument_errors() -> None:
    with pytest.raises(TypeError, match=r"__len__ and __getitem__.*got int"):
        DataLoader(5)
    with pytest.raises(ArgumentError, match="both seed=1 and a generator"):
        DataLoader(numbered(3), seed=1, generator=np.random.default_rng())
    with pytest.raises(TypeError, match="collate_fn must be a function"):
        DataLoader(numbered(3), collate_fn="stack")  # type: ignore[arg-type]


def test_repr() -> None:
    loader = DataLoader(numbered(3), batch_size=2, shuffle=True)
    assert repr(loader) == (
        "DataLoader(TensorDataset(3 samples: (3, 2) float32, (3,) int64), "
        "batch_size=2, shuffle=True, drop_last=False)"
    )


def test_main_process_loading_is_accepted_as_pytorch_spells_it() -> None:
    data = numbered(5)
    loader = DataLoader(data, batch_size=2, num_workers=0, pin_memory=False)
    twin = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(data.tensors[1].data)),
        batch_size=2,
        num_workers=0,
        pin_memory=False,
    )
    assert epoch_labels(loader) == [y.tolist() for (y,) in twin]
    assert (loader.num_workers, loader.pin_memory) == (0, False)


def test_worker_processes_are_a_named_gap() -> None:
    with pytest.raises(NotImplementedError, match=r"num_workers=2 .*main process"):
        DataLoader(numbered(4), num_workers=2)
    with pytest.raises(ArgumentError, match="num_workers must be 0 or more, got -1"):
        DataLoader(numbered(4), num_workers=-1)
    with pytest.raises(TypeError, match="num_workers must be an int, got float"):
        DataLoader(numbered(4), num_workers=1.0)  # type: ignore[arg-type]


def test_pin_memory_warns_that_it_does_nothing() -> None:
    with pytest.warns(UserWarning, match="pin_memory=True does nothing") as caught:
        loader = DataLoader(numbered(4), batch_size=4, pin_memory=True)
    assert caught[0].filename == __file__
    assert epoch_labels(loader) == [[0, 1, 2, 3]]
