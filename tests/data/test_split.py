"""random_split and train_test_split: disjoint, covering, reproducible, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule.data import Subset, TensorDataset, random_split, train_test_split
from chainrule.errors import ArgumentError, ShapeError


def indices_of(parts: list[Subset]) -> list[list[int]]:
    return [part.indices.tolist() for part in parts]


def assert_partition(parts: list[list[int]], n: int) -> None:
    joined = [i for part in parts for i in part]
    assert sorted(joined) == list(range(n))  # covering, and disjoint


# --- random_split ------------------------------------------------------------------


@given(
    sizes=st.lists(st.integers(0, 20), min_size=1, max_size=5),
    seed=st.integers(0, 2**32),
)
def test_random_split_lengths_partition_the_dataset(
    sizes: list[int], seed: int
) -> None:
    data = TensorDataset(np.arange(sum(sizes)))
    parts = random_split(data, sizes, seed=seed)
    assert [len(p) for p in parts] == sizes
    assert_partition(indices_of(parts), sum(sizes))
    assert all(p.dataset is data for p in parts)


@pytest.mark.filterwarnings("ignore:random_split:UserWarning")
@given(
    n=st.integers(0, 200),
    weights=st.lists(st.integers(1, 10), min_size=1, max_size=5),
)
def test_random_split_fractions_give_the_nearest_sizes(
    n: int, weights: list[int]
) -> None:
    fractions = [w / sum(weights) for w in weights]
    parts = random_split(list(range(n)), fractions, seed=0)
    sizes = [len(p) for p in parts]
    assert sum(sizes) == n
    # Largest remainder: every size is its quota rounded down or up.
    for size, fraction in zip(sizes, fractions, strict=True):
        assert math.floor(fraction * n + 1e-9) <= size <= math.ceil(fraction * n - 1e-9)
    assert_partition(indices_of(parts), n)


@pytest.mark.parametrize(
    ("n", "fractions", "sizes"),
    [
        # Float noise: 0.29 * 100 is 28.999999999999996. PyTorch gives [72, 28].
        (100, [0.71, 0.29], [71, 29]),
        # Leftovers go to the largest remainders. PyTorch (round-robin) gives
        # [6, 2, 1].
        (9, [0.6, 0.2, 0.2], [5, 2, 2]),
        # Ties go to the earlier part, as in PyTorch.
        (7, [0.5, 0.3, 0.2], [4, 2, 1]),
        (10, [0.25, 0.25, 0.5], [3, 2, 5]),
    ],
)
def test_random_split_fraction_rounding(
    n: int, fractions: list[float], sizes: list[int]
) -> None:
    assert [len(p) for p in random_split(range(n), fractions, seed=0)] == sizes


def test_random_split_is_reproducible_per_seed() -> None:
    data = list(range(50))
    first = indices_of(random_split(data, [0.5, 0.5], seed=7))
    assert indices_of(random_split(data, [0.5, 0.5], seed=7)) == first
    assert indices_of(random_split(data, [0.5, 0.5], seed=8)) != first
    from_generator = random_split(data, [0.5, 0.5], generator=np.random.default_rng(7))
    assert indices_of(from_generator) == first


def test_random_split_uses_the_default_generator() -> None:
    cr.manual_seed(3)
    first = indices_of(random_split(range(30), [10, 20]))
    cr.manual_seed(3)
    assert indices_of(random_split(range(30), [10, 20])) == first


def test_random_split_parts_index_the_dataset() -> None:
    data = TensorDataset(np.arange(10) * 10)
    train, _ = random_split(data, [6, 4], seed=0)
    (value,) = train[0]
    assert value.item() == 10 * train.indices[0]


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        ([6, 3], r"lengths \[6, 3\] add up to 9, but the dataset has 10 samples"),
        ([0.5, 0.6], r"fractions \[0.5, 0.6\] add up to 1.1, not 1"),
        ([0.5, -0.5, 1.0], "must not be negative"),
        ([12, -2], "must not be negative"),
        ([], "lengths is empty"),
    ],
)
def test_random_split_errors(lengths: list[float], message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        random_split(range(10), lengths)


def test_random_split_refuses_non_numbers() -> None:
    with pytest.raises(TypeError, match="must be numbers, got '5'"):
        random_split(range(10), ["5", "5"])  # type: ignore[list-item]


def test_random_split_warns_about_an_empty_part() -> None:
    with pytest.warns(UserWarning, match=r"part 1 \(fraction 0.01\) of 10 samples"):
        parts = random_split(range(10), [0.99, 0.01], seed=0)
    assert [len(p) for p in parts] == [10, 0]


def test_seed_and_generator_are_checked() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ArgumentError, match="both seed=1 and a generator"):
        random_split(range(4), [2, 2], seed=1, generator=rng)
    with pytest.raises(ArgumentError, match="non-negative int, got -1"):
        random_split(range(4), [2, 2], seed=-1)
    with pytest.raises(ArgumentError, match=r"non-negative int, got 1\.5"):
        train_test_split(range(4), seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pass seed=0"):
        random_split(range(4), [2, 2], generator=0)  # type: ignore[arg-type]


# --- train_test_split -----------------------------------------------------------------


def test_arrays_split_in_scikit_learn_order_and_stay_paired() -> None:
    x = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    x_train, x_test, y_train, y_test = train_test_split(x, y, seed=0)
    assert x_train.shape == (8, 2) and x_test.shape == (2, 2)
    np.testing.assert_array_equal(x_train[:, 0], 2 * y_train)
    np.testing.assert_array_equal(x_test[:, 0], 2 * y_test)
    assert_partition([y_train.tolist(), y_test.tolist()], 10)


@given(
    n=st.integers(2, 300),
    test_size=st.floats(0.01, 0.99),
    seed=st.integers(0, 2**32),
)
def test_fraction_test_size_rounds_up(n: int, test_size: float, seed: int) -> None:
    expected = math.ceil(round(test_size * n, 9))
    if expected >= n:
        with pytest.raises(ArgumentError, match="leaves no sample for training"):
            train_test_split(np.arange(n), test_size=test_size, seed=seed)
        return
    train, test = train_test_split(np.arange(n), test_size=test_size, seed=seed)
    assert len(test) == expected and len(train) == n - expected
    assert_partition([train.tolist(), test.tolist()], n)


@pytest.mark.parametrize(
    ("n", "test_size", "n_test"),
    [
        (10, 0.2, 2),
        (10, 0.25, 3),
        (10, 0.7, 7),
        (150, 0.3, 45),
        (7, 0.1, 1),
        (10, 3, 3),
    ],
)
def test_test_sizes(n: int, test_size: float, n_test: int) -> None:
    _, test = train_test_split(np.arange(n), test_size=test_size, seed=0)
    assert len(test) == n_test


def test_a_dataset_splits_into_subsets() -> None:
    data = TensorDataset(np.arange(30.0), np.arange(30))
    train, test = train_test_split(data, test_size=0.3, seed=1)
    assert isinstance(train, Subset) and isinstance(test, Subset)
    assert train.dataset is data and (len(train), len(test)) == (21, 9)
    assert_partition([train.indices.tolist(), test.indices.tolist()], 30)


def test_tensors_split_into_tensors_that_keep_gradients() -> None:
    x = cr.tensor(np.arange(6.0), requires_grad=True)
    x_train, x_test = train_test_split(x, test_size=2, seed=0)
    assert isinstance(x_train, cr.Tensor) and isinstance(x_test, cr.Tensor)
    (x_train.sum() + 10 * x_test.sum()).backward()
    grad = x.grad.data
    assert sorted(grad.tolist()) == [1, 1, 1, 1, 10, 10]
    np.testing.assert_array_equal(np.flatnonzero(grad == 10), np.sort(x_test.data))


def test_lists_split_into_arrays() -> None:
    train, _ = train_test_split([[1, 2], [3, 4], [5, 6]], test_size=1, seed=0)
    assert isinstance(train, np.ndarray) and train.shape == (2, 2)


def test_train_test_split_is_reproducible_per_seed() -> None:
    x = np.arange(100)
    first = train_test_split(x, seed=5)
    again = train_test_split(x, seed=5)
    other = train_test_split(x, seed=6)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first[1].tolist() != other[1].tolist()


def test_stratify_keeps_class_shares_exactly_when_they_divide() -> None:
    y = np.array([0] * 60 + [1] * 40)
    _, _, y_train, y_test = train_test_split(
        np.arange(100), y, test_size=0.25, seed=0, stratify=y
    )
    assert np.bincount(y_test).tolist() == [15, 10]
    assert np.bincount(y_train).tolist() == [45, 30]


def test_stratify_settles_rounding_by_largest_remainder() -> None:
    # Quotas 7*0.2 = 1.4, 5*0.2 = 1.0, 3*0.2 = 0.6 of n_test = 3: the spare
    # sample goes to the class with remainder 0.6.
    y = np.array(["a"] * 7 + ["b"] * 5 + ["c"] * 3)
    _, y_test = train_test_split(y, test_size=0.2, seed=0, stratify=y)
    assert sorted(y_test.tolist()) == ["a", "b", "c"]


@given(
    counts=st.lists(st.integers(2, 30), min_size=1, max_size=6),
    test_size=st.floats(0.05, 0.6),
    seed=st.integers(0, 2**32),
)
def test_stratify_gives_each_class_its_share(
    counts: list[int], test_size: float, seed: int
) -> None:
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    n_test = math.ceil(round(test_size * n, 9))
    idx_train, idx_test = train_test_split(
        np.arange(n), test_size=test_size, seed=seed, stratify=y
    )
    assert len(idx_test) == n_test
    assert_partition([idx_train.tolist(), idx_test.tolist()], n)
    per_class = np.bincount(y[idx_test], minlength=len(counts))
    for count, taken in zip(counts, per_class, strict=True):
        quota = count * n_test / n
        assert math.floor(quota) <= taken <= math.ceil(quota)


def test_stratify_works_on_a_dataset_with_tensor_labels() -> None:
    y = np.array([0, 1] * 10)
    data = TensorDataset(np.zeros((20, 2)), y)
    _, test = train_test_split(data, test_size=0.5, seed=0, stratify=cr.tensor(y))
    assert np.bincount(y[test.indices]).tolist() == [5, 5]


def test_stratify_errors() -> None:
    y = np.array([0, 0, 1, 1, 2])
    with pytest.raises(ArgumentError, match="class 2 has only 1 sample"):
        train_test_split(np.arange(5), test_size=2, stratify=y)
    with pytest.raises(ShapeError, match=r"shape \(5,\), got shape \(4,\)"):
        train_test_split(np.arange(5), test_size=2, stratify=y[:4])


@pytest.mark.parametrize(
    ("test_size", "message"),
    [
        (0, "test_size=0 samples must leave at least one sample in each part"),
        (10, "with 10 samples use 1 to 9"),
        (0.0, r"test_size=0.0 is a float, so it must be a fraction in \(0, 1\)"),
        (1.0, "must be a fraction"),
        (1.5, "must be a fraction"),
        (0.96, "test_size=0.96 of 10 samples leaves no sample for training"),
    ],
)
def test_test_size_errors(test_size: float, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        train_test_split(np.arange(10), test_size=test_size)


def test_train_test_split_argument_errors() -> None:
    with pytest.raises(TypeError, match="test_size must be a fraction"):
        train_test_split(np.arange(10), test_size=True)
    with pytest.raises(ArgumentError, match="nothing to split"):
        train_test_split()
    with pytest.raises(ArgumentError, match="not a dataset together"):
        train_test_split(TensorDataset(np.arange(3)), np.arange(3))
    with pytest.raises(ShapeError, match="got lengths 10, 9"):
        train_test_split(np.arange(10), np.arange(9))
    with pytest.raises(ShapeError, match="argument 1 is 0-d"):
        train_test_split(np.arange(10), np.float64(3))
