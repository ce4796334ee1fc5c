"""Constructors and the dtype rules they follow."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import ArgumentError, DTypeError, ShapeError


@pytest.fixture
def float32_default():
    cr.set_default_dtype(np.float32)
    yield
    cr.set_default_dtype(np.float64)


def test_tensor_copies_its_data() -> None:
    data = np.ones(3)
    t = cr.tensor(data, requires_grad=True)
    t.data += 1
    np.testing.assert_array_equal(data, [1.0, 1.0, 1.0])


def test_from_numpy_shares_memory() -> None:
    data = np.ones(3)
    t = cr.from_numpy(data)
    t.data += 1
    np.testing.assert_array_equal(data, [2.0, 2.0, 2.0])
    with pytest.raises(TypeError, match=r"cr.tensor\(\)"):
        cr.from_numpy([1.0])


@pytest.mark.parametrize(
    ("data", "dtype"),
    [
        (np.ones(2, np.float32), np.float32),
        (np.ones(2, np.float16), np.float16),
        (np.arange(3, dtype=np.int32), np.int32),
        ([1.0, 2.0], np.float64),
        (1.5, np.float64),
        ([1, 2], np.int64),
        (3, np.int64),
        ([True], np.bool_),
        (np.float32(1.0), np.float32),
    ],
)
def test_dtype_of_tensor_from_data(data, dtype) -> None:
    assert cr.tensor(data).dtype == dtype


def test_default_dtype_applies_to_lists_scalars_and_constructors(
    float32_default,
) -> None:
    assert cr.get_default_dtype() == np.float32
    assert cr.tensor([1.0, 2.0]).dtype == np.float32
    assert cr.tensor(2.5).dtype == np.float32
    assert cr.zeros(2).dtype == np.float32
    assert cr.randn(2).dtype == np.float32
    # Arrays still keep their own dtype.
    assert cr.tensor(np.ones(2)).dtype == np.float64


def test_set_default_dtype_refuses_non_float() -> None:
    with pytest.raises(DTypeError, match=r"int64.*float"):
        cr.set_default_dtype(np.int64)


def test_explicit_dtype_wins() -> None:
    assert cr.tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert cr.zeros(2, dtype=np.float16).dtype == np.float16


def test_ragged_lists_are_refused_clearly() -> None:
    with pytest.raises((DTypeError, ValueError)):
        cr.tensor([[1.0, 2.0], [3.0]])


def test_zeros_ones_full_eye_shapes_and_values() -> None:
    assert cr.zeros(2, 3).shape == (2, 3)
    assert cr.zeros((2, 3)).shape == (2, 3)
    assert cr.ones(4).data.sum() == 4.0
    full = cr.full((2, 2), 7.0)
    np.testing.assert_array_equal(full.data, np.full((2, 2), 7.0))
    assert cr.full(3, 2).dtype == np.int64
    np.testing.assert_array_equal(cr.eye(3).data, np.eye(3))
    assert cr.eye(2, 3).shape == (2, 3)


def test_like_constructors_follow_shape_and_dtype() -> None:
    x = cr.tensor(np.ones((2, 3), np.float32))
    assert cr.zeros_like(x).shape == (2, 3)
    assert cr.zeros_like(x).dtype == np.float32
    assert cr.ones_like(x, dtype=np.float64).dtype == np.float64
    assert cr.ones_like(np.zeros(4)).shape == (4,)


def test_arange_dtypes() -> None:
    assert cr.arange(5).dtype == np.int64
    np.testing.assert_array_equal(cr.arange(2, 5).data, [2, 3, 4])
    assert cr.arange(0.0, 1.0, 0.25).dtype == np.float64
    assert cr.arange(3, dtype=np.float32).dtype == np.float32


def test_random_constructors_are_reproducible_with_a_generator() -> None:
    a = cr.randn(3, 4, generator=np.random.default_rng(7))
    b = cr.randn(3, 4, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.data, b.data)
    u = cr.rand(1000, generator=np.random.default_rng(1))
    assert u.data.min() >= 0.0 and u.data.max() < 1.0


def test_manual_seed_makes_default_stream_reproducible() -> None:
    cr.manual_seed(3)
    first = cr.randn(5).data
    cr.manual_seed(3)
    np.testing.assert_array_equal(cr.randn(5).data, first)


def test_constructors_can_require_grad() -> None:
    w = cr.randn(2, 2, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    with pytest.raises(DTypeError):
        cr.arange(3, requires_grad=True)


def test_generator_must_be_a_numpy_generator() -> None:
    with pytest.raises(TypeError, match=r"default_rng\(0\)"):
        cr.randn(2, generator=0)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: cr.zeros(-1), ShapeError, r"zeros: a shape has no negative sizes"),
        (lambda: cr.ones(2, "a"), ShapeError, r"ones: the shape must be whole"),
        (lambda: cr.zeros(2.5), ShapeError, r"zeros: the shape must be whole"),
        (lambda: cr.eye(-1), ShapeError, r"eye: a shape has no negative"),
        (lambda: cr.randn(2, -1), ShapeError, r"randn: a shape has no negative"),
        (lambda: cr.rand("a"), ShapeError, r"rand: the shape must be whole"),
        (lambda: cr.full(-2, 1.0), ShapeError, r"full: a shape has no negative"),
        (lambda: cr.arange(0, 1, 0), ArgumentError, r"arange: step is 0"),
        (
            lambda: cr.tensor(np.array([1.0, 2.0], dtype=object)),
            DTypeError,
            r"dtype object: NumPy sees Python objects",
        ),
        (
            lambda: cr.full((2,), cr.tensor(1.0, requires_grad=True)),
            TypeError,
            r"full: fill_value is a Tensor that requires grad.*cr\.ones",
        ),
    ],
)
def test_bad_arguments_to_constructors_are_named(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_numpy_integers_are_sizes_too() -> None:
    assert cr.zeros(np.int64(2), 3).shape == (2, 3)
    assert cr.full(np.int32(2), 0.5).shape == (2,)
