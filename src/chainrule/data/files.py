"""Loading your own data files: ``load_csv`` and ``load_npz``.

Errors name the file and, for a CSV, the line and the column, so a bad value
can be found and fixed in the file.

Labels follow one rule in both (docs/conventions.md): class labels are
int64. Whole numbers (``2``, ``2.0``) in a 1-D target are class labels;
a target with a fraction stays float, for regression; ``y_dtype=`` says
which instead of the values.
"""

from __future__ import annotations

import codecs
import csv
import os
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.data.dataset import LabelledDataset
from chainrule.dtypes import get_default_dtype
from chainrule.errors import DataError, DTypeError, MissingColumnError

PathLike = str | os.PathLike[str]


def load_csv(
    path: PathLike,
    *,
    target: str | int,
    delimiter: str = ",",
    dtype: Any = None,
    y_dtype: Any = None,
) -> LabelledDataset:
    """Load a CSV file with a header row: the target column and numeric features.

    Every column but ``target`` is a feature and must hold numbers, and the
    header must name each column once (columns are matched by name, so a
    name found twice is refused). A numeric target gives int64 labels when
    every value is a whole number (float values otherwise, e.g. for
    regression), unless ``y_dtype`` says otherwise; any other target is read
    as class names, numbered in sorted order: label ``k`` is
    ``class_names[k]``.

    Parameters
    ----------
    path
        The file, UTF-8 text (a byte-order mark is fine; a binary file,
        such as an IDX file, is refused). Blank lines are skipped and spaces
        around values ignored; quoted fields may hold the delimiter.
    target
        The target column: its name in the header, or its index (negative
        counts from the end).
    delimiter
        The field separator.
    dtype
        Float dtype of the features; default: the default dtype (float64).
    y_dtype
        The labels' dtype, whatever the values look like: a signed integer
        dtype for class labels (a value that is not a whole number is
        refused), or a float dtype for a regression target (whole numbers
        too). Default: int64 for whole numbers, else ``dtype``.

    Returns
    -------
    LabelledDataset
        ``x`` (rows x features), ``y``, ``feature_names`` (the header without
        the target) and ``class_names`` (None for a numeric target).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chainrule.data import load_csv
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "pets.csv"
    >>> _ = path.write_text("weight,height,kind\\n4.0,25,cat\\n30,60,dog\\n")
    >>> pets = load_csv(path, target="kind")
    >>> pets.x.tolist(), pets.y.tolist(), pets.class_names
    ([[4.0, 25.0], [30.0, 60.0]], [0, 1], ('cat', 'dog'))
    """
    path = Path(path)
    dtype = _float_dtype("load_csv", dtype)
    label_dtype = _label_dtype("load_csv", y_dtype)
    header, rows, lines = read_rows(path, delimiter)
    column = _target_column(path, header, target)

    features = [i for i in range(len(header)) if i != column]
    x = parse_features(path, header, rows, lines, features, dtype)
    y, class_names = _parse_target(
        path, header[column], rows, lines, column, dtype, label_dtype
    )
    return LabelledDataset(
        x,
        y,
        name=path.name,
        description=(
            f"{len(rows)} rows of {path}; target column {header[column]!r}, "
            f"features: the other {len(features)} columns"
        ),
        feature_names=[header[i] for i in features],
        class_names=class_names,
    )


def read_rows(
    path: Path, delimiter: str = ","
) -> tuple[list[str], list[list[str]], list[int]]:
    """The header, the data rows and their line numbers, of a CSV text file.

    Shared by :func:`load_csv` and ``chainrule predict``: refuses binary
    files, text that is not UTF-8, duplicate column names and rows whose
    length differs from the header's.
    """
    _check_text(path)
    header: list[str] | None = None
    rows, lines = [], []
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file, delimiter=delimiter, skipinitialspace=True)
        try:
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if header is None:
                    header = [name.strip() for name in row]
                    _check_header(path, header)
                    continue
                if len(row) != len(header):
                    raise DataError(
                        f"load_csv: {path}, line {reader.line_num}: "
                        f"{len(row)} fields, but the header has {len(header)} "
                        f"columns ({_listed(header)}); every row needs one "
                        "value per column"
                    )
                rows.append(row)
                lines.append(reader.line_num)
        except UnicodeDecodeError as error:
            raise DataError(
                f"load_csv: {path} is not UTF-8 text ({error}); is it a CSV file?"
            ) from None
        except csv.Error as error:
            raise DataError(
                f"load_csv: {path}, line {reader.line_num}: {error}"
            ) from None

    if header is None:
        raise DataError(
            f"load_csv: {path} is empty; expected a header row naming the "
            "columns, then one row per sample"
        )
    if not rows:
        raise DataError(
            f"load_csv: {path} has a header ({_listed(header)}) but no data rows"
        )
    return header, rows, lines


def _check_text(path: Path) -> None:
    # NOTE: a zero byte in the first block is git's test for binary data.
    # It is what tells an IDX file (00 00 08 03 ...) from text: its bytes
    # are valid UTF-8, and would be read as a header of control characters.
    with open(path, "rb") as file:
        start = file.read(8192)
    zero = start.find(b"\0")
    if zero >= 0:
        raise DataError(
            f"load_csv: {path} is not a CSV file: it holds binary data (a zero "
            f"byte at offset {zero}), as IDX, NPZ and image files do; a CSV "
            "file is UTF-8 text (a text file saved as UTF-16 has zero bytes "
            "too: save it as UTF-8)"
        )


def _check_header(path: Path, header: list[str]) -> None:
    counts = Counter(header)
    for name in header:
        if counts[name] > 1:
            # NOTE: refused rather than read: by name, one of the columns
            # would silently stand for all of them.
            places = [str(i) for i, other in enumerate(header) if other == name]
            raise DataError(
                f"load_csv: {path} has {len(places)} columns named {name!r} "
                f"(indexes {' and '.join(places)}); columns are found by "
                "name, so each needs its own: rename all but one"
            )


def _target_column(path: Path, header: list[str], target: Any) -> int:
    if isinstance(target, str):
        if target.strip() not in header:
            raise MissingColumnError(
                f"load_csv: {path} has no column {target!r}; its columns are "
                f"{_listed(header)}. Pass target= one of these names, or a "
                "column index",
                header,
            )
        return header.index(target.strip())
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise TypeError(
            "load_csv: target must be a column name (str) or index (int), "
            f"got {type(target).__name__} {target!r}"
        )
    n = len(header)
    if not -n <= target < n:
        raise DataError(
            f"load_csv: target={target} is out of range: {path} has {n} "
            f"columns ({_listed(header)}); use 0 to {n - 1}, or a name"
        )
    return int(target) % n


def parse_features(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    lines: list[int],
    features: list[int],
    dtype: np.dtype[Any],
) -> np.ndarray:
    """The ``features`` columns of ``rows`` as numbers; errors name line and column."""
    values = []
    for row, line in zip(rows, lines, strict=True):
        try:
            values.append([float(row[i]) for i in features])
        except ValueError:
            raise _not_a_number(path, line, header, row, features) from None
    return (
        np.array(values, dtype=np.float64)
        .reshape(len(rows), len(features))
        .astype(dtype)
    )


def _parse_target(
    path: Path,
    name: str,
    rows: list[list[str]],
    lines: list[int],
    column: int,
    dtype: np.dtype[Any],
    y_dtype: np.dtype[Any] | None,
) -> tuple[np.ndarray, list[str] | None]:
    texts = [row[column].strip() for row in rows]
    for text, line in zip(texts, lines, strict=True):
        if not text:
            raise DataError(
                f"load_csv: {path}, line {line}, target column {name!r} "
                f"(index {column}): the value is empty; fill it in or drop "
                "the row"
            )
    try:
        numbers = [float(text) for text in texts]
    except ValueError:
        # NOTE: sorted, so the numbering does not depend on the row order.
        class_names = sorted(set(texts))
        _check_classes("load_csv", f"{path}, target column {name!r}", y_dtype)
        index = {c: k for k, c in enumerate(class_names)}
        labels = np.array([index[t] for t in texts], dtype=np.int64)
        return labels.astype(y_dtype or np.int64), class_names

    def where(k: int) -> str:
        return f"{path}, line {lines[k]}, target column {name!r}: {texts[k]!r}"

    y = _labels(np.array(numbers), y_dtype, "load_csv", where)
    return (y.astype(dtype) if y.dtype.kind == "f" and y_dtype is None else y), None


def _not_a_number(
    path: Path, line: int, header: list[str], row: list[str], features: list[int]
) -> DataError:
    for i in features:
        try:
            float(row[i])
        except ValueError:
            text = row[i]
            problem = "is empty" if not text.strip() else f"is {text!r}, not a number"
            return DataError(
                f"load_csv: {path}, line {line}, column {header[i]!r} (index "
                f"{i}): the value {problem}; feature columns must be numeric "
                "(fill in or drop the row, encode the column as numbers, or "
                "make it the target column)"
            )
    raise AssertionError("a feature value failed to parse but none is bad")


def load_npz(
    path: PathLike,
    x_key: str = "x",
    y_key: str = "y",
    dtype: Any = None,
    y_dtype: Any = None,
) -> LabelledDataset:
    """Load features and labels from a NumPy ``.npz`` archive (``np.savez``).

    Arrays holding Python objects are refused: loading them means unpickling,
    which can run any code the file's author put in it. So is a file that is
    not an .npz archive (a CSV or .npy file), by its first bytes: NumPy
    would read it as a pickle.

    Parameters
    ----------
    path
        The archive.
    x_key, y_key
        The names of the feature and label arrays in the archive.
    dtype
        Convert the features to this dtype; default: keep the stored dtype.
    y_dtype
        The labels' dtype, whatever the values look like: a signed integer
        dtype for class labels (a value that is not a whole number is
        refused), or a float dtype for a regression target. Default: int64
        for integer and bool labels and for 1-D float labels that are all
        whole numbers; other float labels (fractions, one-hot rows) as
        stored.

    Returns
    -------
    LabelledDataset
        ``x`` as stored and ``y`` as ``y_dtype`` says (string labels become
        classes numbered in sorted order, named in ``class_names``).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from chainrule.data import load_npz
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "data.npz"
    >>> np.savez(path, x=np.zeros((3, 2)), y=np.array([0, 1, 1]))
    >>> data = load_npz(path)
    >>> data.x.shape, data.y.tolist()
    ((3, 2), [0, 1, 1])
    """
    path = Path(path)
    label_dtype = _label_dtype("load_npz", y_dtype)
    with open_npz(path) as archive:
        x = _array(archive, path, x_key, "x_key")
        y = _array(archive, path, y_key, "y_key")
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise DataError(
            f"load_npz: {path}: {x_key!r} has shape {x.shape} and {y_key!r} "
            f"has shape {y.shape}; they need the same length along the first "
            "axis (one entry per sample)"
        )
    if x.dtype.kind not in "biuf":
        raise DataError(
            f"load_npz: {path}: features {x_key!r} have dtype {x.dtype}; "
            "features must be numeric"
        )

    class_names = None
    if y.dtype.kind in "US":
        _check_classes("load_npz", f"{path}, array {y_key!r}", label_dtype)
        names, y = np.unique(y, return_inverse=True)
        class_names = [str(c) for c in names]
    if y.dtype.kind in "biuf":
        labels = y

        def where(k: int) -> str:
            index = np.unravel_index(k, labels.shape)
            return f"{path}: {y_key}[{', '.join(map(str, index))}] = {labels[index]}"

        y = _labels(y, label_dtype, "load_npz", where)
    return LabelledDataset(
        x if dtype is None else x.astype(dtype),
        y,
        name=path.name,
        description=(
            f"arrays {x_key!r} {x.shape} {x.dtype} and {y_key!r} {y.shape} of {path}"
        ),
        class_names=class_names,
    )


# A zip file starts with a local file header, or (empty) its end record.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"


def open_npz(path: Path) -> Any:
    """The NumPy archive at ``path`` (an ``NpzFile``), once its first bytes say
    it is one; also ``chainrule predict``'s way in.

    NOTE: np.load takes a file that is neither a zip nor an .npy file for a
    pickle, and its error suggests allow_pickle=True: but unpickling can run
    any code put into the file. Such a file is refused by its first bytes,
    and no error of NumPy's that mentions pickling is passed on.
    """
    save = "save one with np.savez(path, x=features, y=labels)"
    not_npz = f"load_npz: {path} is not an .npz file (NumPy's zip of arrays)"
    try:
        with open(path, "rb") as file:
            start = file.read(512)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise DataError(f"{not_npz}: {error.strerror}") from None
    if start.startswith(_NPY_MAGIC):
        raise DataError(
            f"load_npz: {path} holds a single array (an .npy file), not an "
            ".npz archive of named arrays; save both with "
            "np.savez(path, x=features, y=labels)"
        )
    if not start.startswith(_ZIP_MAGIC):
        raise DataError(f"{not_npz}: {_what_it_is(start)}; {save}")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        detail = "" if "pickle" in str(error) else f" ({error})"
        raise DataError(
            f"{not_npz}: it starts as a zip file, but cannot be read as one"
            f"{detail}, so it is damaged or cut off; {save}"
        ) from None


def _what_it_is(start: bytes) -> str:
    """What a file that is no zip seems to be, from its first bytes."""
    if not start:
        return "it is empty"
    try:
        # NOTE: incremental, so a character cut at the end of the block is
        # not taken for bad UTF-8.
        text = codecs.getincrementaldecoder("utf-8")().decode(start)
    except UnicodeDecodeError:
        text = "\0"
    if "\0" in text:
        return f"it starts with the bytes {start[:8]!r}"
    return "it holds text (is it a CSV file?)"


def _array(archive: Any, path: Path, key: str, argument: str) -> np.ndarray:
    if key not in archive.files:
        raise DataError(
            f"load_npz: {path} has no array {key!r}; its arrays are "
            f"{_listed(archive.files)}. Pass {argument}= one of these names"
        )
    try:
        array: np.ndarray = archive[key]
    except ValueError as error:
        if "pickle" not in str(error):
            raise DataError(f"load_npz: {path}, array {key!r}: {error}") from None
        raise DataError(
            f"load_npz: array {key!r} in {path} holds Python objects "
            "(dtype=object), which load only by unpickling, and unpickling "
            "can run any code put into the file; chainrule refuses it. "
            f"Re-save it with a numeric dtype, e.g. np.savez(path, {key}="
            "array.astype(np.float64))"
        ) from None
    return array


def _label_dtype(where: str, y_dtype: Any) -> np.dtype[Any] | None:
    if y_dtype is None:
        return None
    resolved = np.dtype(y_dtype)
    if resolved.kind not in "if":
        raise DTypeError(
            f"{where}: y_dtype must be a signed integer dtype (class labels) or "
            f"a float dtype (a regression target), got {resolved}"
        )
    return resolved


def _check_classes(where: str, target: str, y_dtype: np.dtype[Any] | None) -> None:
    if y_dtype is not None and y_dtype.kind != "i":
        raise DTypeError(
            f"{where}: {target} holds class names, which become integer labels; "
            f"y_dtype={y_dtype} cannot hold them (give an integer dtype, or None)"
        )


def _labels(
    y: np.ndarray,
    y_dtype: np.dtype[Any] | None,
    who: str,
    where: Callable[[int], str],
) -> np.ndarray:
    """Numeric labels as ``y_dtype``; by default int64 where they are classes.

    ``where(k)`` names the k-th value (in C order) in an error.
    """
    if y.dtype.kind in "biu":
        y = y.astype(np.int64)
    # NOTE: only a 1-D target is taken for class labels by its values: a 2-D
    # one of whole numbers is more likely one-hot rows (class probabilities,
    # which stay float) than several targets of classes.
    if y.dtype.kind == "i":
        whole = np.ones(y.shape, dtype=bool)
    else:
        whole = np.isfinite(y) & (y == np.trunc(y))
    if y_dtype is None:
        classes = y.dtype.kind == "i" or (y.ndim == 1 and bool(whole.all()))
        return y.astype(np.int64) if classes else y
    if y_dtype.kind == "f":
        return y.astype(y_dtype)

    if not whole.all():
        k = int(np.flatnonzero(~whole.ravel())[0])
        raise DataError(
            f"{who}: {where(k)} is not a whole number, so it cannot be a class "
            f"label (y_dtype={y_dtype}); for a regression target give a float "
            "y_dtype, or None"
        )
    limits = np.iinfo(y_dtype)
    outside = (y < limits.min) | (y > limits.max)
    if outside.any():
        k = int(np.flatnonzero(outside.ravel())[0])
        raise DataError(
            f"{who}: {where(k)} does not fit y_dtype={y_dtype} "
            f"({limits.min} to {limits.max}); give a wider integer dtype"
        )
    return y.astype(y_dtype)


def _float_dtype(where: str, dtype: Any) -> np.dtype[Any]:
    resolved = get_default_dtype() if dtype is None else np.dtype(dtype)
    if resolved.kind != "f":
        raise DTypeError(f"{where}: dtype must be a float dtype, got {resolved}")
    return resolved


def _listed(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)
