"""Feature scaling fitted on the training split only: ``Standardize``.

Why only on the training split: the test split stands for data the model
has never seen. A mean and standard deviation computed with test samples
carry information about them into training (test leakage), and the test
score then promises more than the model will deliver on new data. So the
statistics come from the training split and are applied, unchanged, to the
test split (and to every later input).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.dtypes import get_default_dtype
from chainrule.errors import ShapeError
from chainrule.tensor import as_array


class Standardize:
    """Shift and scale each feature to mean 0 and standard deviation 1.

    ``fit(x_train)`` computes each feature's mean and (population, ``ddof=0``)
    standard deviation over the samples (the first axis); ``transform(x)``
    returns ``(x - mean) / std``. Arrays give arrays; Tensors give Tensors,
    computed with differentiable ops. See the module docstring for why the
    statistics must come from the training split only.

    Attributes
    ----------
    mean, std
        Per-feature statistics, arrays of the shape of one sample; None
        before ``fit``. A feature that is constant in the training data has
        ``std`` 1 (see ``fit``).

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.data import Standardize
    >>> train = np.array([[1.0, 10.0], [3.0, 10.0]])
    >>> scaler = Standardize().fit(train)
    >>> scaler.transform(train)
    array([[-1.,  0.],
           [ 1.,  0.]])
    >>> scaler.transform(np.array([[5.0, 12.0]]))
    array([[3., 2.]])
    """

    mean: np.ndarray | None
    std: np.ndarray | None

    def __init__(self) -> None:
        self.mean = None
        self.std = None

    def fit(self, x: Any) -> Standardize:
        """Compute the per-feature mean and std of ``x``; returns ``self``."""
        data = as_array(x)
        if data.ndim == 0 or len(data) == 0:
            raise ShapeError(
                f"Standardize.fit: needs at least one sample, got shape "
                f"{data.shape}; pass the training features, one row per sample"
            )
        if data.dtype.kind != "f":
            data = data.astype(get_default_dtype())

        std = data.std(axis=0)
        # NOTE: a feature constant over the training data (digits' border
        # pixels are always 0) has std 0; dividing by it would give nan or
        # inf. Its scale is 1 instead, as in scikit-learn: the feature becomes
        # 0 in training, and later inputs keep their offset from the constant.
        self.mean = data.mean(axis=0)
        self.std = np.where(std > 0, std, np.ones_like(std))
        return self

    def transform(self, x: Any) -> Any:
        """``(x - mean) / std`` with the statistics from ``fit``."""
        mean, std = self._fitted("transform", x)
        return (x - mean) / std

    def fit_transform(self, x: Any) -> Any:
        """``fit(x)`` then ``transform(x)``: for the training split."""
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Any) -> Any:
        """``x * std + mean``: back to the original units."""
        mean, std = self._fitted("inverse_transform", x)
        return x * std + mean

    def _fitted(self, method: str, x: Any) -> tuple[np.ndarray, np.ndarray]:
        if self.mean is None or self.std is None:
            raise RuntimeError(
                f"Standardize.{method} before fit: call fit(x_train) first"
            )
        sample = np.shape(as_array(x))[1:]
        if sample != self.mean.shape:
            raise ShapeError(
                f"Standardize.{method}: fitted on samples of shape "
                f"{self.mean.shape}, got samples of shape {sample} (input "
                f"shape {np.shape(as_array(x))}); pass data with the training "
                "split's features"
            )
        return self.mean, self.std

    def __repr__(self) -> str:
        fitted = "unfitted" if self.mean is None else f"features={self.mean.shape}"
        return f"Standardize({fitted})"


def standardize(train: Any, test: Any) -> tuple[Any, Any]:
    """Standardize ``train`` and ``test`` with statistics of ``train`` only.

    Shorthand for ``s = Standardize().fit(train)`` and
    ``(s.transform(train), s.transform(test))``; keep a ``Standardize`` when
    later inputs need the same scaling.

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.data import standardize
    >>> train, test = standardize(np.array([[0.0], [2.0]]), np.array([[4.0]]))
    >>> train.ravel().tolist(), test.ravel().tolist()
    ([-1.0, 1.0], [3.0])
    """
    scaler = Standardize().fit(train)
    return scaler.transform(train), scaler.transform(test)
