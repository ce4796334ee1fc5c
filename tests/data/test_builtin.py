"""load_dataset: shapes, dtypes and classes of the built-ins; no scikit-learn."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import LabelledDataset, load_dataset
from chainrule.errors import ArgumentError, DTypeError, MissingDependencyError

# name: (samples, features, samples per class, first class name, a phrase of
# the description) as published with each dataset (UCI machine learning
# repository).
FACTS = {
    "digits": (
        1797,
        64,
        [178, 182, 177, 183, 181, 182, 181, 179, 174, 180],
        "0",
        "handwritten digits",
    ),
    "iris": (150, 4, [50, 50, 50], "setosa", "Iris plants"),
    "wine": (178, 13, [59, 71, 48], "class_0", "Wine recognition"),
    "breast_cancer": (569, 30, [212, 357], "malignant", "Breast cancer"),
}


@pytest.mark.parametrize("name", list(FACTS))
def test_shapes_dtypes_and_classes(name: str) -> None:
    samples, features, per_class, first_class, phrase = FACTS[name]
    data = load_dataset(name)
    assert isinstance(data, LabelledDataset) and data.name == name
    assert data.x.shape == (samples, features) and data.x.dtype == np.float64
    assert data.y.shape == (samples,) and data.y.dtype == np.int64
    assert np.bincount(data.y).tolist() == per_class
    assert data.class_names is not None
    assert len(data.class_names) == len(per_class)
    assert data.class_names[0] == first_class
    assert data.feature_names is not None and len(data.feature_names) == features
    assert phrase in data.description
    assert len(data) == samples


def test_digits_are_raw_8x8_pixel_counts() -> None:
    digits = load_dataset("digits")
    assert digits.class_names == tuple("0123456789")
    pixels = digits.x
    assert pixels.min() == 0 and pixels.max() == 16
    np.testing.assert_array_equal(pixels, np.round(pixels))
    assert digits.x.reshape(-1, 8, 8).shape == (1797, 8, 8)


def test_iris_names() -> None:
    iris = load_dataset("iris")
    assert iris.class_names == ("setosa", "versicolor", "virginica")
    assert iris.feature_names == (
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
    )


def test_dtype_and_the_default_dtype() -> None:
    assert load_dataset("iris", dtype=np.float32).x.dtype == np.float32
    cr.set_default_dtype(np.float32)
    try:
        assert load_dataset("iris").x.dtype == np.float32
    finally:
        cr.set_default_dtype(np.float64)
    with pytest.raises(DTypeError, match="float dtype, got int32"):
        load_dataset("iris", dtype=np.int32)


def test_each_call_returns_fresh_arrays() -> None:
    first = load_dataset("iris")
    first.x[:] = 0
    assert load_dataset("iris").x.max() > 0


def test_an_unknown_name_lists_the_built_in_ones() -> None:
    with pytest.raises(ArgumentError) as error:
        load_dataset("mnist")
    message = str(error.value)
    assert "no built-in dataset 'mnist'" in message
    for name in FACTS:
        assert repr(name) in message
    assert "load_idx" in message


def test_missing_scikit_learn_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A None entry in sys.modules makes the import fail, as when not installed.
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(MissingDependencyError) as error:
        load_dataset("digits")
    assert isinstance(error.value, ImportError)
    message = str(error.value)
    assert "pip install scikit-learn" in message
    assert 'pip install "chainrule[data]"' in message
