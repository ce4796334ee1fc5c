"""Small built-in datasets, read from the copies scikit-learn ships.

scikit-learn is an optional dependency (``pip install "chainrule[data]"``),
imported only when a built-in dataset is loaded; nothing is downloaded.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np

from chainrule.data.dataset import LabelledDataset
from chainrule.dtypes import get_default_dtype
from chainrule.errors import ArgumentError, DTypeError, MissingDependencyError

# name -> (scikit-learn loader, what it is)
_BUILTIN = {
    "breast_cancer": ("load_breast_cancer", "569 tumours x 30 features, 2 classes"),
    "digits": ("load_digits", "1797 handwritten digits, 8x8 pixels = 64, 10 classes"),
    "iris": ("load_iris", "150 flowers x 4 measurements, 3 species"),
    "wine": ("load_wine", "178 wines x 13 chemical measurements, 3 cultivars"),
}


def load_dataset(name: str, dtype: Any = None) -> LabelledDataset:
    """Load a small classification dataset that ships with scikit-learn.

    ======================  =======  ========  =======
    name                    samples  features  classes
    ======================  =======  ========  =======
    ``"digits"``            1797     64        10
    ``"iris"``              150      4         3
    ``"wine"``              178      13        3
    ``"breast_cancer"``     569      30        2
    ======================  =======  ========  =======

    Features are returned raw (unscaled): scale them with
    :class:`Standardize` fitted on the training split only. ``digits`` has
    one row of 64 pixel values (0-16) per image; ``x.reshape(-1, 8, 8)``
    gives the images.

    Parameters
    ----------
    name
        One of the names above.
    dtype
        Float dtype of the features; default: the default dtype (float64).

    Returns
    -------
    LabelledDataset
        ``x`` (samples x features, float), ``y`` (int64 classes),
        ``feature_names``, ``class_names`` and ``description``.

    Examples
    --------
    >>> from chainrule.data import load_dataset
    >>> iris = load_dataset("iris")
    >>> iris.x.shape, iris.y.dtype, iris.class_names
    ((150, 4), dtype('int64'), ('setosa', 'versicolor', 'virginica'))
    """
    if name not in _BUILTIN:
        listed = "; ".join(f"{n!r} ({about})" for n, (_, about) in _BUILTIN.items())
        raise ArgumentError(
            f"load_dataset: no built-in dataset {name!r}; the built-in ones "
            f"are {listed}. For your own files use load_csv, load_npz, or "
            "load_idx (IDX files such as MNIST's)"
        )
    dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise DTypeError(
            f"load_dataset: dtype must be a float dtype, got {dtype}; the "
            "labels are always int64"
        )

    loader, _ = _BUILTIN[name]
    bunch = getattr(_sklearn_datasets(name), loader)()
    feature_names = getattr(bunch, "feature_names", None)
    return LabelledDataset(
        np.asarray(bunch.data, dtype=dtype),
        np.asarray(bunch.target, dtype=np.int64),
        name=name,
        description=str(bunch.DESCR),
        feature_names=None
        if feature_names is None
        else [str(f) for f in feature_names],
        class_names=[str(c) for c in bunch.target_names],
    )


def _sklearn_datasets(name: str) -> ModuleType:
    try:
        return importlib.import_module("sklearn.datasets")
    except ImportError as error:
        raise MissingDependencyError(
            f"load_dataset({name!r}) needs scikit-learn, which ships the "
            "built-in datasets, and it is not installed. Install it with: "
            'pip install scikit-learn   (or: pip install "chainrule[data]")'
        ) from error
