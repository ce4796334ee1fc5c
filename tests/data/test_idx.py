"""read_idx and load_idx: the IDX header, gzip, sizes, and every error."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import LabelledDataset, load_idx, read_idx
from chainrule.errors import DataError
from tests.data.idx_writer import TYPE_CODES, idx_bytes, write_idx


def test_reads_a_hand_written_label_file(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_bytes(bytes([0, 0, 0x08, 1, 0, 0, 0, 4, 5, 0, 4, 1]))
    labels = read_idx(path)
    assert labels.dtype == np.uint8
    assert labels.tolist() == [5, 0, 4, 1]


def test_multi_byte_values_are_big_endian(tmp_path: Path) -> None:
    path = tmp_path / "shorts"
    # 0x0102 = 258 and 0xFFFE = -2 as big-endian int16.
    path.write_bytes(bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 1, 2, 0xFF, 0xFE]))
    assert read_idx(path).tolist() == [258, -2]


def test_sizes_are_big_endian_uint32(tmp_path: Path) -> None:
    path = tmp_path / "wide"
    # One row of 256 + 1 = 257 bytes.
    path.write_bytes(bytes([0, 0, 0x08, 2, 0, 0, 0, 1, 0, 0, 1, 1]) + bytes(257))
    assert read_idx(path).shape == (1, 257)


@pytest.mark.parametrize("dtype", list(TYPE_CODES), ids=str)
def test_every_type_code_round_trips(tmp_path: Path, dtype: np.dtype) -> None:
    rng = np.random.default_rng(0)
    if dtype.kind == "f":
        array = rng.standard_normal((3, 4, 2)).astype(dtype)
    else:
        info = np.iinfo(dtype)
        array = rng.integers(info.min, info.max, (3, 4, 2), endpoint=True)
        array = array.astype(dtype)
    result = read_idx(write_idx(tmp_path / "a.idx", array))
    assert result.dtype == dtype and result.dtype.isnative
    np.testing.assert_array_equal(result, array)
    assert result.flags.writeable


def test_gzip_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    named = write_idx(tmp_path / "images.idx3-ubyte.gz", array, compress=True)
    unnamed = write_idx(tmp_path / "images.bin", array, compress=True)
    np.testing.assert_array_equal(read_idx(named), array)
    np.testing.assert_array_equal(read_idx(unnamed), array)


def test_an_empty_array_reads(tmp_path: Path) -> None:
    array = np.zeros((0, 28, 28), np.uint8)
    assert read_idx(write_idx(tmp_path / "empty", array)).shape == (0, 28, 28)


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "magic"),
    [
        (b"hello world", "0x68656c6c"),  # text
        (bytes([0, 0, 0x07, 1, 0, 0, 0, 0]), "0x00000701"),  # unknown type code
        (bytes([0, 1, 0x08, 1, 0, 0, 0, 0]), "0x00010801"),  # nonzero second byte
        (bytes([0, 0, 0x08, 0]), "0x00000800"),  # no dimensions
    ],
)
def test_a_wrong_magic_number_is_named(
    tmp_path: Path, content: bytes, magic: str
) -> None:
    path = tmp_path / "not-idx"
    path.write_bytes(content)
    with pytest.raises(DataError) as error:
        read_idx(path)
    message = str(error.value)
    assert str(path) in message
    assert f"magic number {magic}" in message
    assert "0x00000803" in message  # says what a right one looks like


def test_a_file_shorter_than_the_magic_number(tmp_path: Path) -> None:
    path = tmp_path / "tiny"
    path.write_bytes(bytes([0, 0]))
    with pytest.raises(DataError, match="truncated: 2 bytes") as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_a_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "header"
    path.write_bytes(bytes([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0]))
    with pytest.raises(DataError) as error:
        read_idx(path)
    message = str(error.value)
    assert str(path) in message and "truncated" in message
    assert "3 dimensions" in message and "16-byte header" in message
    assert "10 bytes" in message


def test_truncated_data_says_how_many_bytes_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "images"
    path.write_bytes(idx_bytes(np.zeros((10, 2, 2), np.uint8))[:-5])
    with pytest.raises(DataError) as error:
        read_idx(path)
    message = str(error.value)
    assert f"{path} is truncated" in message
    assert "(10, 2, 2)" in message
    assert "40 bytes" in message and "but 35 bytes follow" in message


def test_extra_bytes_after_the_data(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.zeros(3, np.int32)) + b"\x00")
    with pytest.raises(DataError, match="longer than its header says") as error:
        read_idx(path)
    assert "12 bytes" in str(error.value) and "13 bytes follow" in str(error.value)


def test_a_truncated_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((5, 3), np.uint8)))[:-10])
    with pytest.raises(DataError, match="damaged or truncated gzip") as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nothing-here")


# --- load_idx ----------------------------------------------------------------------


def mnist_like(tmp_path: Path, n: int = 6, compress: bool = False) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    suffix = ".gz" if compress else ""
    return (
        write_idx(tmp_path / f"images-idx3-ubyte{suffix}", images, compress),
        write_idx(tmp_path / f"labels-idx1-ubyte{suffix}", labels, compress),
    )


@pytest.mark.parametrize("compress", [False, True])
def test_load_idx_pairs_images_and_labels(tmp_path: Path, compress: bool) -> None:
    images_path, labels_path = mnist_like(tmp_path, compress=compress)
    data = load_idx(images_path, labels_path)
    assert isinstance(data, LabelledDataset)
    assert data.x.shape == (6, 28, 28) and data.x.dtype == np.uint8
    assert data.y.shape == (6,) and data.y.dtype == np.int64
    np.testing.assert_array_equal(data.x, read_idx(images_path))
    np.testing.assert_array_equal(data.y, read_idx(labels_path))
    assert data.name == images_path.name
    x, y = data[2]
    np.testing.assert_array_equal(x.data, data.x[2])
    assert y.item() == data.y[2]


def test_load_idx_converts_the_images_on_request(tmp_path: Path) -> None:
    data = load_idx(*mnist_like(tmp_path), dtype=np.float32)
    assert data.x.dtype == np.float32 and data.x.max() <= 255


def test_load_idx_refuses_counts_that_differ(tmp_path: Path) -> None:
    images_path, _ = mnist_like(tmp_path, n=6)
    labels_path = write_idx(tmp_path / "few-labels", np.zeros(5, np.uint8))
    with pytest.raises(DataError) as error:
        load_idx(images_path, labels_path)
    message = str(error.value)
    assert str(images_path) in message and "6 samples" in message
    assert str(labels_path) in message and "5 labels" in message


def test_load_idx_notices_swapped_paths(tmp_path: Path) -> None:
    images_path, labels_path = mnist_like(tmp_path)
    with pytest.raises(DataError, match="swapped") as error:
        load_idx(labels_path, images_path)
    assert str(images_path) in str(error.value)
    assert "(6, 28, 28)" in str(error.value)


def test_load_idx_refuses_float_labels(tmp_path: Path) -> None:
    images_path, _ = mnist_like(tmp_path)
    labels_path = write_idx(tmp_path / "float-labels", np.zeros(6, np.float32))
    with pytest.raises(DataError, match="1-D integers") as error:
        load_idx(images_path, labels_path)
    assert "float32" in str(error.value)
