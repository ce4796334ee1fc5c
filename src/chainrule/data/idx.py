"""IDX files, the format of MNIST: ``read_idx`` and ``load_idx``.

An IDX file is a header and then the values, big-endian, in C order::

    bytes 0-1   zero
    byte  2     type code: 08 uint8, 09 int8, 0B int16, 0C int32,
                0D float32, 0E float64
    byte  3     number of dimensions, d
    then        d sizes, each a big-endian uint32
    then        the values

MNIST's image files start with ``00 00 08 03`` (uint8, 3 dimensions:
count x 28 x 28) and its label files with ``00 00 08 01``. Files compressed
with gzip (``.gz``, as MNIST is distributed) are recognised by their first
bytes and decompressed. Nothing is downloaded: point these at files you have.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.data.dataset import LabelledDataset
from chainrule.errors import DataError

PathLike = str | os.PathLike[str]

_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: PathLike) -> np.ndarray:
    """The array stored in an IDX file (gzip-compressed or not).

    The result has the file's shape and its dtype in native byte order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chainrule.data import read_idx
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels.idx1-ubyte"
    >>> _ = path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(path)
    array([7, 2, 1], dtype=uint8)
    """
    path = Path(path)
    raw = _contents(path)
    if len(raw) < 4:
        raise DataError(
            f"read_idx: {path} is truncated: {len(raw)} bytes, fewer than the "
            "4 bytes of an IDX magic number"
        )
    code, ndim = raw[2], raw[3]
    if raw[0] != 0 or raw[1] != 0 or code not in _TYPES or ndim == 0:
        raise DataError(
            f"read_idx: {path} starts with magic number 0x{raw[:4].hex()}, "
            "which is not an IDX file's: an IDX file starts with two zero "
            "bytes, a type code (08 uint8, 09 int8, 0B int16, 0C int32, 0D "
            "float32, 0E float64) and at least 1 dimension, e.g. 0x00000803 "
            "for MNIST images and 0x00000801 for MNIST labels"
        )

    start = 4 + 4 * ndim
    if len(raw) < start:
        raise DataError(
            f"read_idx: {path} is truncated: its magic number declares {ndim} "
            f"dimensions, whose sizes need a {start}-byte header, but the "
            f"file has {len(raw)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:start])
    dtype = _TYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(raw) - start
    if found != expected:
        state = "truncated" if found < expected else "longer than its header says"
        raise DataError(
            f"read_idx: {path} is {state}: its header declares shape {shape} "
            f"of {dtype.newbyteorder('=')}, {expected} bytes after the "
            f"{start}-byte header, but {found} bytes follow; get a fresh copy "
            "of the file"
        )
    values = np.frombuffer(raw, dtype, count=math.prod(shape), offset=start)
    return values.reshape(shape).astype(dtype.newbyteorder("="))


def load_idx(
    images_path: PathLike, labels_path: PathLike, dtype: Any = None
) -> LabelledDataset:
    """Images and labels from a pair of IDX files, such as MNIST's.

    For MNIST, ``load_idx("train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz")`` gives ``x`` of shape (60000, 28, 28),
    uint8 pixels 0-255 as stored, and ``y`` of int64 digits. The images are
    returned raw: scale them (``x / 255.0``) or use :class:`Standardize`.

    Parameters
    ----------
    images_path
        The IDX file of samples (any number of dimensions; the first counts
        the samples).
    labels_path
        The IDX file of labels: 1-D, integer, one per sample.
    dtype
        Convert the images to this dtype; default: keep the stored one.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chainrule.data import load_idx
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> header = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2])
    >>> _ = (folder / "images").write_bytes(header + bytes([0, 255, 9, 9]))
    >>> _ = (folder / "labels").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 2, 5, 3]))
    >>> digits = load_idx(folder / "images", folder / "labels")
    >>> digits.x.shape, digits.y.tolist()
    ((2, 1, 2), [5, 3])
    """
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataError(
            f"load_idx: {labels_path} should hold labels (1-D integers, magic "
            f"number 0x00000801) but holds {labels.dtype} of shape "
            f"{labels.shape}; are the images and labels paths swapped?"
        )
    if len(images) != len(labels):
        raise DataError(
            f"load_idx: {images_path} has {len(images)} samples but "
            f"{labels_path} has {len(labels)} labels; pass files that belong "
            "together (train images with train labels, test with test)"
        )

    x = images if dtype is None else images.astype(dtype)
    return LabelledDataset(
        x,
        labels.astype(np.int64),
        name=Path(images_path).name,
        description=(
            f"{len(labels)} samples of shape {images.shape[1:]} "
            f"({images.dtype}) from {images_path}, labels from {labels_path}"
        ),
    )


def _contents(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(
            f"read_idx: {path} is a damaged or truncated gzip file ({error}); "
            "get a fresh copy of the file"
        ) from None
