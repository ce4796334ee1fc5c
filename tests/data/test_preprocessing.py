"""Standardize: statistics from the training split only, applied unchanged."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import Standardize, standardize
from chainrule.errors import ShapeError


def test_statistics_are_per_feature_over_samples() -> None:
    train = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]])
    scaler = Standardize().fit(train)
    np.testing.assert_allclose(scaler.mean, [3.0, 30.0])
    # Population standard deviation (ddof=0): sqrt(8/3) and sqrt(1400/3).
    np.testing.assert_allclose(scaler.std, [np.sqrt(8 / 3), np.sqrt(1400 / 3)])
    scaled = scaler.transform(train)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-15)
    np.testing.assert_allclose(scaled.std(axis=0), 1)


def test_the_test_split_is_scaled_with_training_statistics() -> None:
    train = np.array([[0.0], [2.0]])  # mean 1, std 1
    test = np.array([[5.0], [7.0]])
    train_scaled, test_scaled = standardize(train, test)
    assert train_scaled.ravel().tolist() == [-1.0, 1.0]
    assert test_scaled.ravel().tolist() == [4.0, 6.0]  # not [-1, 1]: no leakage


def test_a_constant_feature_becomes_zero_not_nan() -> None:
    train = np.array([[0.0, 1.0], [0.0, 3.0]])
    scaler = Standardize().fit(train)
    assert scaler.std.tolist() == [1.0, 1.0]
    assert scaler.transform(train)[:, 0].tolist() == [0.0, 0.0]
    assert scaler.transform(np.array([[2.0, 2.0]])).tolist() == [[2.0, 0.0]]


def test_inverse_transform_undoes_transform() -> None:
    x = np.random.default_rng(0).standard_normal((6, 3)) * 5 + 2
    scaler = Standardize().fit(x)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.fit_transform(x)), x)


def test_images_are_scaled_per_pixel() -> None:
    images = np.random.default_rng(0).integers(0, 256, (10, 4, 4)).astype(np.uint8)
    scaled = Standardize().fit_transform(images)
    assert scaled.shape == (10, 4, 4) and scaled.dtype == np.float64
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-12)


def test_float32_stays_float32() -> None:
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    scaler = Standardize().fit(x)
    assert scaler.mean.dtype == np.float32 and scaler.transform(x).dtype == np.float32


def test_tensors_give_tensors_with_gradients() -> None:
    scaler = Standardize().fit(np.array([[0.0], [4.0]]))  # mean 2, std 2
    x = cr.tensor([[6.0]], requires_grad=True)
    y = scaler.transform(x)
    assert isinstance(y, cr.Tensor) and y.item() == 2.0
    y.sum().backward()
    assert x.grad.item() == 0.5


def test_errors() -> None:
    with pytest.raises(RuntimeError, match="transform before fit"):
        Standardize().transform(np.zeros((2, 2)))
    scaler = Standardize().fit(np.zeros((3, 4)))
    with pytest.raises(
        ShapeError, match=r"fitted on samples of shape \(4,\), got .* \(5,\)"
    ):
        scaler.transform(np.zeros((3, 5)))
    with pytest.raises(ShapeError, match="at least one sample"):
        Standardize().fit(np.zeros((0, 4)))
    assert repr(scaler) == "Standardize(features=(4,))"
