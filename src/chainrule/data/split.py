"""Splitting data at random: ``random_split`` and ``train_test_split``.

Both draw from a ``numpy.random.Generator``: ``seed=`` makes a new one, so
the same seed always gives the same split; ``generator=`` uses yours;
with neither, ``cr.default_generator()`` (seeded by ``cr.manual_seed``).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule.data._random import resolve
from chainrule.data.dataset import Dataset, Subset
from chainrule.errors import ArgumentError, ShapeError
from chainrule.tensor import Tensor, as_array


def random_split(
    dataset: Any,
    lengths: Sequence[float],
    *,
    generator: np.random.Generator | None = None,
    seed: int | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping ``Subset``s.

    Parameters
    ----------
    dataset
        Any dataset (an object with ``len`` and ``[i]``).
    lengths
        The sizes of the parts, ints adding up to ``len(dataset)``, or
        fractions adding up to 1. Fractions are turned into sizes as close
        to them as possible: each part gets ``floor(fraction * n)`` and the
        samples left over go one each to the parts with the largest
        remainders (earlier parts first on ties).
    generator, seed
        Where the random order comes from (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.data import TensorDataset, random_split
    >>> data = TensorDataset(np.arange(10))
    >>> train, val = random_split(data, [0.8, 0.2], seed=0)
    >>> len(train), len(val)
    (8, 2)
    >>> sorted(np.concatenate([train.indices, val.indices]).tolist())
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    """
    n = len(dataset)
    sizes = _part_sizes(n, list(lengths))
    rng = resolve("random_split", seed, generator)

    order = rng.permutation(n)
    cuts = np.cumsum(sizes)[:-1]
    return [Subset(dataset, part) for part in np.split(order, cuts)]


def train_test_split(
    *data: Any,
    test_size: float = 0.2,
    seed: int | None = None,
    generator: np.random.Generator | None = None,
    stratify: Any = None,
) -> tuple[Any, ...]:
    """Split a dataset, or arrays of samples, into a training and a test part.

    Parameters
    ----------
    *data
        One dataset, giving ``(train, test)`` Subsets; or arrays/tensors of
        one length (``x, y``), giving each split in turn, as scikit-learn:
        ``x_train, x_test, y_train, y_test``. Arrays (and lists) give NumPy
        arrays; Tensors give Tensors, indexed with the differentiable
        ``x[indices]``.
    test_size
        A fraction in (0, 1) of the samples, rounded up to a whole sample, or
        a number of samples. Both parts must keep at least one sample.
    seed, generator
        Where the random order comes from (see the module docstring).
    stratify
        Class labels, one per sample: each class is then split in the same
        proportion, so the classes keep their shares in both parts (up to
        rounding). Every class needs at least 2 samples.

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.data import train_test_split
    >>> x, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    >>> x_train, x_test, y_train, y_test = train_test_split(
    ...     x, y, test_size=0.2, seed=0, stratify=y
    ... )
    >>> x_train.shape, x_test.shape, sorted(y_test.tolist())
    ((8, 2), (2, 2), [0, 1])
    """
    n = _common_length(data)
    n_test = _test_count(n, test_size)
    rng = resolve("train_test_split", seed, generator)

    if stratify is None:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        train, test = _stratified(as_array(stratify), n, n_test, rng)

    if len(data) == 1 and isinstance(data[0], Dataset):
        return Subset(data[0], train), Subset(data[0], test)
    parts: list[Any] = []
    for array in data:
        source = array if isinstance(array, Tensor) else np.asarray(array)
        parts += [source[train], source[test]]
    return tuple(parts)


def _part_sizes(n: int, lengths: list[Any]) -> list[int]:
    if not lengths:
        raise ArgumentError("random_split: lengths is empty; pass e.g. [0.8, 0.2]")
    for length in lengths:
        if isinstance(length, bool) or not isinstance(length, numbers.Real):
            raise TypeError(f"random_split: lengths must be numbers, got {length!r}")
        if length < 0:
            raise ArgumentError(
                f"random_split: lengths must not be negative, got {lengths}"
            )

    if all(isinstance(length, numbers.Integral) for length in lengths):
        if sum(lengths) != n:
            raise ArgumentError(
                f"random_split: lengths {lengths} add up to {sum(lengths)}, but "
                f"the dataset has {n} samples; make them add up to {n}, or "
                "pass fractions that add up to 1 (e.g. [0.8, 0.2])"
            )
        return [int(length) for length in lengths]

    total = math.fsum(lengths)
    if abs(total - 1) > 1e-9:
        raise ArgumentError(
            f"random_split: fractions {lengths} add up to {total}, not 1; pass "
            f"fractions that add up to 1, or ints that add up to {n}"
        )
    sizes = _largest_remainder([n * float(f) for f in lengths], n)
    for k, size in enumerate(sizes):
        if size == 0:
            warnings.warn(
                f"random_split: part {k} (fraction {lengths[k]}) of {n} "
                "samples is empty",
                stacklevel=3,
            )
    return sizes


def _largest_remainder(quotas: list[float], total: int) -> list[int]:
    """Whole numbers adding up to ``total``, each as close to its quota as can be."""
    # NOTE: rounding to 9 decimals first keeps float noise from moving a
    # sample: 0.29 * 100 is 28.999999999999996, which must count as 29.
    exact = [round(q, 9) for q in quotas]
    sizes = [math.floor(q) for q in exact]
    left = total - sum(sizes)
    by_remainder = sorted(range(len(exact)), key=lambda k: (sizes[k] - exact[k], k))
    for k in by_remainder[:left]:
        sizes[k] += 1
    return sizes


def _common_length(data: tuple[Any, ...]) -> int:
    if not data:
        raise ArgumentError(
            "train_test_split: nothing to split; pass one dataset, or arrays "
            "such as x, y"
        )
    if any(isinstance(d, Dataset) for d in data) and len(data) > 1:
        raise ArgumentError(
            "train_test_split: pass one dataset, or arrays (x, y, ...), not "
            "a dataset together with other data"
        )
    lengths = []
    for k, item in enumerate(data):
        if isinstance(item, Dataset):
            lengths.append(len(item))
            continue
        shape = item.shape if isinstance(item, (Tensor, np.ndarray)) else np.shape(item)
        if not shape:
            raise ShapeError(
                f"train_test_split: argument {k} is 0-d; arrays need a first "
                "axis with one entry per sample"
            )
        lengths.append(shape[0])
    if len(set(lengths)) > 1:
        raise ShapeError(
            "train_test_split: the arrays must have the same length (one "
            f"entry per sample), got lengths {', '.join(map(str, lengths))}"
        )
    return lengths[0]


def _test_count(n: int, test_size: Any) -> int:
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(
            "train_test_split: test_size must be a fraction or a number of "
            f"samples, got {test_size!r}"
        )
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
        if not 1 <= n_test <= n - 1:
            raise ArgumentError(
                f"train_test_split: test_size={n_test} samples must leave at "
                f"least one sample in each part; with {n} samples use 1 to "
                f"{n - 1}, or a fraction in (0, 1)"
            )
        return n_test
    fraction = float(test_size)
    if not 0 < fraction < 1:
        raise ArgumentError(
            f"train_test_split: test_size={test_size} is a float, so it must "
            "be a fraction in (0, 1); pass an int for a number of samples"
        )
    n_test = math.ceil(round(fraction * n, 9))
    if n_test >= n:
        raise ArgumentError(
            f"train_test_split: test_size={test_size} of {n} samples leaves "
            "no sample for training; use a smaller test_size or more data"
        )
    return n_test


def _stratified(
    labels: np.ndarray, n: int, n_test: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    if labels.shape != (n,):
        raise ShapeError(
            f"train_test_split: stratify must hold one label per sample, "
            f"shape ({n},), got shape {labels.shape}"
        )
    classes, members_of, counts = np.unique(
        labels, return_inverse=True, return_counts=True
    )
    if counts.min() < 2:
        rare = classes[counts.argmin()].item()
        raise ArgumentError(
            f"train_test_split: stratify: class {rare!r} has only 1 sample; "
            "stratifying needs at least 2 per class (merge rare classes, or "
            "drop stratify=)"
        )

    # NOTE: each class gives the same share of its samples to the test part;
    # the share's rounding is settled across classes by largest remainder,
    # so the test part has exactly n_test samples.
    takes = _largest_remainder([c * n_test / n for c in counts], n_test)
    train, test = [], []
    for k, take in enumerate(takes):
        members = rng.permutation(np.flatnonzero(members_of == k))
        test.append(members[:take])
        train.append(members[take:])
    train_order = rng.permutation(np.concatenate(train))
    test_order = rng.permutation(np.concatenate(test))
    return train_order, test_order
