"""Data for training: datasets, splits, batches, scaling and file loaders.

As ``torch.utils.data``: a ``Dataset`` has ``len`` and ``[i]``;
``TensorDataset(x, y)`` pairs rows; ``DataLoader`` gives batches of Tensors,
shuffled reproducibly with ``seed=``. Splits are seeded too, and
``Standardize`` scales features with statistics of the training split only.
Built-in datasets come from scikit-learn (``load_dataset("digits")``, an
optional dependency); ``load_csv``, ``load_npz`` and ``load_idx`` read your
own files. Nothing here downloads anything.

>>> import numpy as np
>>> import chainrule as cr
>>> x = np.arange(40.0).reshape(20, 2)
>>> y = np.arange(20) % 2
>>> x_train, x_test, y_train, y_test = cr.data.train_test_split(
...     x, y, test_size=0.25, seed=0
... )
>>> x_train, x_test = cr.data.standardize(x_train, x_test)
>>> train = cr.data.TensorDataset(x_train, y_train)
>>> loader = cr.data.DataLoader(train, batch_size=4, shuffle=True, seed=0)
>>> len(loader)
4
>>> for xb, yb in loader:
...     pass
>>> xb.shape, yb.dtype
((3, 2), dtype('int64'))
"""

from chainrule.data.builtin import load_dataset
from chainrule.data.dataset import (
    Dataset,
    LabelledDataset,
    Subset,
    TensorDataset,
    default_collate,
)
from chainrule.data.files import load_csv, load_npz
from chainrule.data.idx import load_idx, read_idx
from chainrule.data.loader import DataLoader
from chainrule.data.preprocessing import Standardize, standardize
from chainrule.data.split import random_split, train_test_split

__all__ = [
    "DataLoader",
    "Dataset",
    "LabelledDataset",
    "Standardize",
    "Subset",
    "TensorDataset",
    "default_collate",
    "load_csv",
    "load_dataset",
    "load_idx",
    "load_npz",
    "random_split",
    "read_idx",
    "standardize",
    "train_test_split",
]
