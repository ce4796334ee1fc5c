"""Datasets: ``Dataset``, ``TensorDataset``, ``Subset`` and ``LabelledDataset``.

A dataset is anything with ``len(dataset)`` and ``dataset[i]`` (one sample,
usually a tuple such as ``(features, label)``), as in PyTorch. Datasets also
answer ``get_batch(indices)``: the samples at an array of indices, stacked into
one batch. The default fetches each sample and stacks them; ``TensorDataset``
indexes its arrays once, with no Python loop over the samples.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from chainrule.errors import ArgumentError, IndexingError, ShapeError
from chainrule.ops.shape import stack
from chainrule.tensor import Tensor, as_array


class Dataset(ABC):
    """A collection of samples, numbered ``0`` to ``len(dataset) - 1``.

    Subclass it and write ``__getitem__`` (return one sample, usually a tuple
    of arrays, tensors or numbers) and ``__len__``. Iterating over a dataset
    gives its samples in order; :class:`DataLoader` gives batches.

    Override :meth:`get_batch` when your data can fetch many samples at once
    faster than one by one.

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.data import Dataset
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, i):
    ...         return np.array([float(i)]), i * i
    >>> xb, yb = Squares().get_batch(np.array([1, 3]))
    >>> xb.shape, yb.tolist()
    ((2, 1), [1, 9])
    """

    @abstractmethod
    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must define __getitem__(index) returning a sample"
        )

    @abstractmethod
    def __len__(self) -> int:
        raise NotImplementedError(
            f"{type(self).__name__} must define __len__() returning its size"
        )

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]

    def get_batch(self, indices: np.ndarray) -> Any:
        """The samples at ``indices`` (an integer array), collated into one batch.

        The default calls ``self[i]`` for each index and stacks the samples
        with :func:`default_collate`.
        """
        return default_collate([self[int(i)] for i in indices])


class TensorDataset(Dataset):
    """Samples made of the rows of tensors that share their first axis.

    ``TensorDataset(x, y)[i]`` is ``(x[i], y[i])``, each a Tensor. Arrays keep
    their dtype and are not copied; the samples and batches handed out are
    copies, so changing a batch never changes the dataset.

    Parameters
    ----------
    *tensors
        Tensors, arrays or nested lists, all of the same length along the
        first axis (one entry per sample).

    Attributes
    ----------
    tensors
        The tensors, as given (arrays and lists wrapped into Tensors).

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.data import TensorDataset
    >>> data = TensorDataset(np.zeros((5, 3)), np.arange(5))
    >>> len(data)
    5
    >>> x, y = data[2]
    >>> x.shape, y.item()
    ((3,), 2)
    """

    tensors: tuple[Tensor, ...]

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ArgumentError(
                "TensorDataset: needs at least one tensor, e.g. TensorDataset(x, y)"
            )
        arrays = [_sample_array(k, t) for k, t in enumerate(tensors)]
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) > 1:
            raise ShapeError(
                "TensorDataset: the tensors must have the same length along "
                f"the first axis (one entry per sample), got lengths "
                f"{', '.join(map(str, lengths))}; give every tensor one row "
                "per sample"
            )

        self._arrays = tuple(arrays)
        self.tensors = tuple(
            t if isinstance(t, Tensor) else Tensor(a)
            for t, a in zip(tensors, arrays, strict=True)
        )

    def __len__(self) -> int:
        return len(self._arrays[0])

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            _check_index(type(self).__name__, int(index), len(self))
        return tuple(Tensor(np.array(a[index])) for a in self._arrays)

    def get_batch(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        """The rows at ``indices`` of every tensor, in one indexing step each."""
        # NOTE: integer-array indexing copies, so a batch never aliases the
        # dataset: an in-place update of a batch (t -= mean) stays in the batch.
        indices = np.asarray(indices, dtype=np.intp)
        return tuple(Tensor(a[indices]) for a in self._arrays)

    def __repr__(self) -> str:
        parts = ", ".join(f"{a.shape} {a.dtype}" for a in self._arrays)
        return f"{type(self).__name__}({len(self)} samples: {parts})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    ``Subset(data, [4, 0])[1]`` is ``data[0]``. Batches of a Subset of a
    ``TensorDataset`` are fetched in one indexing step, as from the dataset.

    Parameters
    ----------
    dataset
        Any dataset (an object with ``len`` and ``[i]``).
    indices
        Integer indices into ``dataset``; negative ones count from the end.

    Attributes
    ----------
    dataset
        The dataset, not copied.
    indices
        The indices, a 1-D integer array with negatives resolved.
    """

    dataset: Any
    indices: np.ndarray

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray) -> None:
        n = len(dataset)
        array = np.asarray(indices)
        if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            hint = (
                "; for a boolean mask pass np.flatnonzero(mask)"
                if array.dtype.kind == "b"
                else ""
            )
            raise ArgumentError(
                "Subset: indices must be a 1-D sequence of integers, got "
                f"{array.dtype} of shape {array.shape}{hint}"
            )
        array = array.astype(np.intp)
        outside = (array < -n) | (array >= n)
        if outside.any():
            raise IndexingError(
                f"Subset: index {array[outside][0]} is out of range for a "
                f"dataset of {n} samples; use indices from {-n} to {n - 1}"
            )

        self.dataset = dataset
        self.indices = np.where(array < 0, array + n, array)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            _check_index("Subset", int(index), len(self))
            return self.dataset[int(self.indices[index])]
        return self.dataset[self.indices[index]]

    def get_batch(self, indices: np.ndarray) -> Any:
        inner = self.indices[np.asarray(indices, dtype=np.intp)]
        if isinstance(self.dataset, Dataset):
            return self.dataset.get_batch(inner)
        return default_collate([self.dataset[int(i)] for i in inner])

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {len(self.dataset)} samples)"


class LabelledDataset(TensorDataset):
    """Features ``x`` and labels ``y``, with what is known about them.

    What the loaders return (``load_dataset``, ``load_csv``, ``load_npz``,
    ``load_idx``). It is a ``TensorDataset`` of ``(x, y)``, so it goes
    straight into a :class:`DataLoader` or a split.

    Attributes
    ----------
    x
        The features, a NumPy array with one row per sample.
    y
        The labels, a NumPy array of length ``len(x)``: integer classes
        ``0 .. len(class_names) - 1`` when ``class_names`` is given.
    name
        A short name (the built-in dataset's name, or the file name).
    description
        Where the data comes from and what it is.
    feature_names
        One name per feature (the columns of 2-D ``x``), or None.
    class_names
        ``class_names[k]`` is what label ``k`` stands for, or None when the
        labels are not classes or have no names.
    """

    x: np.ndarray
    y: np.ndarray

    def __init__(
        self,
        x: Any,
        y: Any,
        *,
        name: str = "",
        description: str = "",
        feature_names: Sequence[str] | None = None,
        class_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(x, y)
        self.x, self.y = self._arrays
        self.name = name
        self.description = description
        self.feature_names = None if feature_names is None else tuple(feature_names)
        self.class_names = None if class_names is None else tuple(class_names)

        if (
            self.feature_names is not None
            and self.x.ndim == 2
            and len(self.feature_names) != self.x.shape[1]
        ):
            raise ShapeError(
                f"LabelledDataset: {len(self.feature_names)} feature names for "
                f"x of shape {self.x.shape}; give one name per column"
            )
        if self.class_names is not None and len(self.y):
            k = len(self.class_names)
            if self.y.dtype.kind not in "iu" or self.y.min() < 0 or self.y.max() >= k:
                raise ArgumentError(
                    f"LabelledDataset: with {k} class names the labels must be "
                    f"integers 0 to {k - 1}, got {self.y.dtype} labels from "
                    f"{self.y.min()} to {self.y.max()}"
                )

    def __repr__(self) -> str:
        classes = (
            f", {len(self.class_names)} classes" if self.class_names is not None else ""
        )
        return (
            f"LabelledDataset({self.name!r}: {len(self)} samples, "
            f"x {self.x.shape} {self.x.dtype}, y {self.y.shape} {self.y.dtype}"
            f"{classes})"
        )


def default_collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples into one batch with a new first axis.

    Samples that are tuples or lists give a tuple, collated field by field;
    dicts give a dict, key by key; strings give a list; arrays, tensors and
    numbers give one Tensor (numbers take the dtype rules: floats the default
    dtype, ints int64). Tensors that require grad are joined with
    ``cr.stack``, so their gradients flow.

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.data import default_collate
    >>> x, y = default_collate([(np.zeros(3), 1), (np.ones(3), 0)])
    >>> x.shape, y.tolist()
    ((2, 3), [1, 0])
    """
    if len(samples) == 0:
        raise ArgumentError("default_collate: no samples to collate")
    return _collate(list(samples), "sample")


def _collate(values: list[Any], where: str) -> Any:
    first = values[0]
    if isinstance(first, str):
        return list(values)
    if isinstance(first, (tuple, list)):
        width = len(first)
        for k, value in enumerate(values):
            if not isinstance(value, (tuple, list)) or len(value) != width:
                raise ShapeError(
                    f"default_collate: {where} 0 of the batch has {width} "
                    f"fields but {where} {k} is {_describe(value)}; every "
                    "sample needs the same fields (or pass collate_fn=)"
                )
        return tuple(
            _collate([v[f] for v in values], f"field {f} of {where}")
            for f in range(width)
        )
    if isinstance(first, dict):
        keys = list(first)
        for k, value in enumerate(values):
            if not isinstance(value, dict) or set(value) != set(keys):
                raise ShapeError(
                    f"default_collate: {where} 0 of the batch has keys {keys} "
                    f"but {where} {k} is {_describe(value)}; every sample "
                    "needs the same keys (or pass collate_fn=)"
                )
        return {key: _collate([v[key] for v in values], repr(key)) for key in keys}
    return _stack(values, where)


def _stack(values: list[Any], where: str) -> Tensor:
    if any(isinstance(v, Tensor) and v.requires_grad for v in values):
        result: Tensor = stack(values)
        return result
    arrays = [as_array(v) for v in values]
    shape = arrays[0].shape
    for k, array in enumerate(arrays):
        if array.shape != shape:
            raise ShapeError(
                f"default_collate: cannot stack a batch: {where} has shape "
                f"{shape} in sample 0 of the batch but {array.shape} in sample "
                f"{k}; give every sample the same shape (pad or crop), or "
                "pass collate_fn="
            )
    return Tensor(np.stack(arrays))


def _describe(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        plural = "" if len(value) == 1 else "s"
        return f"a {type(value).__name__} of {len(value)} field{plural}"
    if isinstance(value, dict):
        return f"a dict with keys {list(value)}"
    return f"of type {type(value).__name__}"


def _sample_array(k: int, data: Any) -> np.ndarray:
    if isinstance(data, Tensor) and data.requires_grad:
        raise ArgumentError(
            f"TensorDataset: tensor {k} requires grad; a dataset holds data, "
            "and its batches would not be connected to the graph. Pass "
            "t.detach(), or index the tensor itself to keep gradients"
        )
    array = as_array(data)
    if array.ndim == 0:
        raise ShapeError(
            f"TensorDataset: tensor {k} is 0-d; every tensor needs a first "
            "axis with one entry per sample"
        )
    return array


def _check_index(owner: str, index: int, n: int) -> None:
    if n == 0:
        raise IndexingError(f"{owner}: index {index} into an empty dataset")
    if not -n <= index < n:
        raise IndexingError(
            f"{owner}: index {index} is out of range for {n} samples; use "
            f"0 to {n - 1} (or negative indices from the end)"
        )
