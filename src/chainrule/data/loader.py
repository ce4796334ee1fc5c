"""``DataLoader``: a dataset in batches, shuffled reproducibly."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from chainrule.creation import default_generator
from chainrule.data._random import check_seed
from chainrule.data.dataset import Dataset, default_collate
from chainrule.errors import ArgumentError


class DataLoader:
    """Iterates over a dataset in batches, in order or shuffled.

    Each batch stacks ``batch_size`` samples along a new first axis: a
    ``TensorDataset(x, y)`` gives tuples ``(x_batch, y_batch)`` of Tensors.
    Batches of a ``TensorDataset`` (or a ``Subset`` of one) are taken by
    indexing its arrays once per batch, with no loop over the samples.
    Batches are copies: changing one never changes the dataset.

    Parameters
    ----------
    dataset
        A :class:`Dataset`, or any object with ``len`` and ``[i]`` (a list
        of samples, say).
    batch_size
        Samples per batch (>= 1). The last batch is smaller when the size
        does not divide the dataset, unless ``drop_last``.
    shuffle
        Visit the samples in a new random order every epoch (every time
        iteration starts).
    drop_last
        Skip the last, incomplete batch.
    generator
        The ``numpy.random.Generator`` the orders are drawn from.
    seed
        Make a generator from this int instead: a loader made with the same
        seed visits the samples in the same order in every epoch 1, 2, 3, ...
        Without ``seed`` or ``generator`` the orders come from
        ``cr.default_generator()`` (seeded by ``cr.manual_seed``).
    collate_fn
        A function from a list of samples to a batch; default
        :func:`default_collate`. With it, samples are fetched one by one.
    num_workers
        0, PyTorch's default: batches are loaded in the main process. More
        raises NotImplementedError, since chainrule has no worker processes.
    pin_memory
        False. Accepted so PyTorch code runs; True warns that it does
        nothing (pinned memory speeds up copies to a GPU, and chainrule
        runs on the CPU), as PyTorch does on a machine without one.

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.data import DataLoader, TensorDataset
    >>> data = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
    >>> loader = DataLoader(data, batch_size=2, shuffle=True, seed=0)
    >>> len(loader)
    3
    >>> [y.tolist() for x, y in loader]
    [[2, 4], [3, 0], [1]]
    >>> [y.tolist() for x, y in loader]  # the next epoch: a new order
    [[4, 1], [2, 0], [3]]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        *,
        generator: np.random.Generator | None = None,
        seed: int | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                "DataLoader: dataset must have __len__ and __getitem__ (a "
                "Dataset, a TensorDataset or a list of samples), got "
                f"{type(dataset).__name__}"
            )
        self.batch_size = _batch_size(batch_size)
        check_seed("DataLoader", seed, generator)
        _check_workers(num_workers, pin_memory)
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(
                "DataLoader: collate_fn must be a function from a list of "
                f"samples to a batch, got {type(collate_fn).__name__}"
            )

        self.dataset = dataset
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.num_workers = 0
        self.pin_memory = bool(pin_memory)
        self._generator = (
            np.random.default_rng(int(seed)) if seed is not None else generator
        )

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        # NOTE: the order is drawn when iteration starts, one permutation per
        # epoch from the loader's generator, so a seeded loader repeats its
        # whole sequence of epochs.
        if self.shuffle:
            rng = self._generator
            order = (rng if rng is not None else default_generator()).permutation(n)
        else:
            order = np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        return self._batches(order, stop)

    def _batches(self, order: np.ndarray, stop: int) -> Iterator[Any]:
        for start in range(0, stop, self.batch_size):
            yield self._fetch(order[start : start + self.batch_size])

    def _fetch(self, indices: np.ndarray) -> Any:
        if self.collate_fn is None and isinstance(self.dataset, Dataset):
            return self.dataset.get_batch(indices)
        collate = self.collate_fn or default_collate
        return collate([self.dataset[int(i)] for i in indices])

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )


def _batch_size(value: Any) -> int:
    if value is None:
        raise TypeError(
            "DataLoader: batch_size=None (no batching) is not supported; "
            "index the dataset directly for single samples, or pass "
            "batch_size=1"
        )
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"DataLoader: batch_size must be an int, got {type(value).__name__} "
            f"{value!r}"
        )
    if value < 1:
        raise ArgumentError(f"DataLoader: batch_size must be at least 1, got {value}")
    return int(value)


def _check_workers(num_workers: Any, pin_memory: Any) -> None:
    if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)):
        raise TypeError(
            f"DataLoader: num_workers must be an int, got "
            f"{type(num_workers).__name__} {num_workers!r}"
        )
    if num_workers < 0:
        raise ArgumentError(
            f"DataLoader: num_workers must be 0 or more, got {num_workers}"
        )
    if num_workers > 0:
        raise NotImplementedError(
            f"DataLoader: num_workers={num_workers} is not supported: chainrule "
            "loads batches in the main process only (no worker processes); "
            "pass num_workers=0. A TensorDataset's batch is one indexing of "
            "its arrays, so loading is rarely what takes the time"
        )
    if pin_memory:
        warnings.warn(
            "DataLoader: pin_memory=True does nothing: pinned memory speeds up "
            "copies to a GPU, and chainrule runs on NumPy on the CPU; drop it",
            stacklevel=3,
        )
