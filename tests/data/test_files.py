"""load_csv and load_npz: what they read, and errors naming file, line, column, key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import LabelledDataset, load_csv, load_npz
from chainrule.errors import DataError, DTypeError

IRIS_LIKE = """\
sepal_length,sepal_width,species
5.1,3.5,setosa
7.0,3.2,versicolor
6.3,3.3,virginica
4.9,3.0,setosa
"""


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- load_csv: what it reads -------------------------------------------------------


def test_string_target_becomes_sorted_classes(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, IRIS_LIKE), target="species")
    assert isinstance(data, LabelledDataset)
    assert data.x.dtype == np.float64
    np.testing.assert_array_equal(
        data.x, [[5.1, 3.5], [7.0, 3.2], [6.3, 3.3], [4.9, 3.0]]
    )
    assert data.class_names == ("setosa", "versicolor", "virginica")
    assert data.y.dtype == np.int64
    assert data.y.tolist() == [0, 1, 2, 0]
    assert data.feature_names == ("sepal_length", "sepal_width")
    assert data.name == "data.csv" and "species" in data.description


def test_class_numbers_do_not_depend_on_row_order(tmp_path: Path) -> None:
    lines = IRIS_LIKE.splitlines()
    reordered = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"
    data = load_csv(write(tmp_path, reordered), target="species")
    assert data.class_names == ("setosa", "versicolor", "virginica")
    assert data.y.tolist() == [0, 2, 1, 0]


def test_target_by_index_anywhere(tmp_path: Path) -> None:
    text = "a,label,b\n1,x,2\n3,y,4\n"
    by_index = load_csv(write(tmp_path, text), target=1)
    by_negative = load_csv(write(tmp_path, text), target=-2)
    by_name = load_csv(write(tmp_path, text), target="label")
    for data in (by_index, by_negative, by_name):
        np.testing.assert_array_equal(data.x, [[1, 2], [3, 4]])
        assert data.feature_names == ("a", "b")
        assert data.y.tolist() == [0, 1]


def test_whole_number_target_gives_int_labels(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, "f,class\n0.5,2\n1.5,0\n2.5,1.0\n"), target=-1)
    assert data.y.dtype == np.int64 and data.y.tolist() == [2, 0, 1]
    assert data.class_names is None


def test_fractional_target_stays_float(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, "f,price\n1,2.5\n2,3\n"), target="price")
    assert data.y.dtype == np.float64 and data.y.tolist() == [2.5, 3.0]
    assert data.class_names is None


def test_y_dtype_float_keeps_a_whole_number_regression_target(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, "f,rooms\n1,2\n2,3\n"), target=-1, y_dtype=float)
    assert data.y.dtype == np.float64 and data.y.tolist() == [2.0, 3.0]


def test_y_dtype_int_refuses_a_fraction_naming_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "f,class\n1,2\n2,0.5\n")
    with pytest.raises(DataError) as error:
        load_csv(path, target="class", y_dtype=np.int64)
    message = str(error.value)
    assert f"{path}, line 3, target column 'class': '0.5' is not a whole" in message
    assert "float y_dtype" in message, message


def test_y_dtype_must_hold_the_labels(tmp_path: Path) -> None:
    names = write(tmp_path, "f,kind\n1,cat\n2,dog\n", name="names.csv")
    with pytest.raises(DTypeError, match="holds class names") as error:
        load_csv(names, target="kind", y_dtype=np.float32)
    assert "'kind'" in str(error.value)
    assert load_csv(names, target="kind", y_dtype=np.int32).y.dtype == np.int32

    big = write(tmp_path, "f,code\n1,300\n", name="big.csv")
    with pytest.raises(DataError, match="'300' does not fit y_dtype=int8"):
        load_csv(big, target="code", y_dtype=np.int8)
    with pytest.raises(DTypeError, match=r"signed integer dtype .* or a float"):
        load_csv(big, target="code", y_dtype=np.uint8)


def test_feature_dtype_follows_dtype_and_the_default(tmp_path: Path) -> None:
    path = write(tmp_path, IRIS_LIKE)
    assert load_csv(path, target="species", dtype=np.float32).x.dtype == np.float32
    cr.set_default_dtype(np.float32)
    try:
        assert load_csv(path, target="species").x.dtype == np.float32
    finally:
        cr.set_default_dtype(np.float64)
    with pytest.raises(DTypeError, match="float dtype, got int64"):
        load_csv(path, target="species", dtype=np.int64)


def test_quotes_delimiters_whitespace_bom_and_blank_lines(tmp_path: Path) -> None:
    text = '\ufeff"width" ; "name"\n\n 1.5 ; "a;b"\n\n2;c\n\n'
    data = load_csv(write(tmp_path, text), target="name", delimiter=";")
    assert data.feature_names == ("width",)
    assert data.x.ravel().tolist() == [1.5, 2.0]
    assert data.class_names == ("a;b", "c")


def test_nan_and_inf_are_numbers(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, "a,y\nnan,0\n-inf,1\n"), target="y")
    assert np.isnan(data.x[0, 0]) and data.x[1, 0] == -np.inf


def test_a_target_only_file_has_no_features(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, "y\ncat\ndog\n"), target="y")
    assert data.x.shape == (2, 0) and data.feature_names == ()


# --- load_csv: errors ---------------------------------------------------------------


def test_non_numeric_feature_names_file_line_and_column(tmp_path: Path) -> None:
    # The blank line counts: the bad value is on line 4 of the file.
    path = write(tmp_path, "a,b,y\n1,2,x\n\n3,abc,y\n")
    with pytest.raises(DataError) as error:
        load_csv(path, target="y")
    message = str(error.value)
    assert f"{path}, line 4, column 'b' (index 1)" in message
    assert "'abc', not a number" in message
    assert "numeric" in message and "target column" in message


def test_an_empty_feature_value_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,y\n1,2,x\n3,,y\n")
    with pytest.raises(DataError) as error:
        load_csv(path, target="y")
    assert f"{path}, line 3, column 'b' (index 1): the value is empty" in str(
        error.value
    )


def test_an_empty_target_value_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "a,y\n1,x\n2, \n")
    with pytest.raises(DataError) as error:
        load_csv(path, target="y")
    assert f"{path}, line 3, target column 'y' (index 1)" in str(error.value)
    assert "empty" in str(error.value)


def test_a_missing_target_column_lists_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path, IRIS_LIKE)
    with pytest.raises(DataError) as error:
        load_csv(path, target="label")
    message = str(error.value)
    assert f"{path} has no column 'label'" in message
    assert "'sepal_length', 'sepal_width', 'species'" in message


def test_a_target_index_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, IRIS_LIKE)
    with pytest.raises(DataError) as error:
        load_csv(path, target=3)
    message = str(error.value)
    assert "target=3 is out of range" in message and "3 columns" in message
    assert str(path) in message and "use 0 to 2" in message


@pytest.mark.parametrize("target", ["y", "a", 1])
def test_duplicate_column_names_are_refused(tmp_path: Path, target: object) -> None:
    # Read anyway, a name would stand for one of two columns: which one is a
    # guess, whether the name is the target or a feature.
    path = write(tmp_path, "y,a,b,a\n1,2,3,4\n")
    with pytest.raises(DataError) as error:
        load_csv(path, target=target)  # type: ignore[arg-type]
    message = str(error.value)
    assert f"{path} has 2 columns named 'a' (indexes 1 and 3)" in message, message
    assert "rename" in message, f"no remedy in: {message}"


def test_an_idx_file_is_reported_as_binary_not_read_as_a_header(
    tmp_path: Path,
) -> None:
    # MNIST's label files start 00 00 08 01: valid UTF-8, so only the zero
    # bytes tell that this is no text.
    path = tmp_path / "labels.idx1-ubyte"
    path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    with pytest.raises(DataError) as error:
        load_csv(path, target=0)
    message = str(error.value)
    assert f"{path} is not a CSV file: it holds binary data" in message, message
    assert "\x00" not in message, f"raw bytes shown as a column name: {message}"


@pytest.mark.parametrize("target", [1.0, None, True])
def test_target_must_be_a_name_or_an_index(tmp_path: Path, target: object) -> None:
    with pytest.raises(TypeError, match=r"column name .* or index"):
        load_csv(write(tmp_path, IRIS_LIKE), target=target)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "\n\n", "  \n"])
def test_an_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DataError) as error:
        load_csv(path, target="y")
    assert f"{path} is empty" in str(error.value)
    assert "header row" in str(error.value)


def test_a_header_without_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,y\n")
    with pytest.raises(DataError) as error:
        load_csv(path, target="y")
    assert f"{path} has a header ('a', 'b', 'y') but no data rows" in str(error.value)


@pytest.mark.parametrize(("row", "fields"), [("1,2", 2), ("1,2,x,4", 4)])
def test_ragged_rows_are_named(tmp_path: Path, row: str, fields: int) -> None:
    path = write(tmp_path, f"a,b,y\n1,2,x\n{row}\n")
    with pytest.raises(DataError) as error:
        load_csv(path, target="y")
    message = str(error.value)
    assert f"{path}, line 3: {fields} fields" in message
    assert "header has 3 columns" in message


def test_a_binary_file_is_not_csv(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(DataError, match="binary data") as error:
        load_csv(path, target=0)
    assert str(path) in str(error.value)


def test_text_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.write_bytes("größe,y\n1,a\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8 text") as error:
        load_csv(path, target="y")
    assert str(path) in str(error.value)


def test_a_missing_csv_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_csv(tmp_path / "absent.csv", target="y")


# --- load_npz -------------------------------------------------------------------------


def test_npz_round_trip(tmp_path: Path) -> None:
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.array([0, 2, 1, 2], np.int32)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    data = load_npz(tmp_path / "d.npz")
    np.testing.assert_array_equal(data.x, x)
    assert data.x.dtype == np.float32
    assert data.y.dtype == np.int64 and data.y.tolist() == [0, 2, 1, 2]
    assert data.class_names is None and data.name == "d.npz"


def test_npz_other_keys_and_dtype(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", images=np.ones((2, 2, 2), np.uint8), t=[1.5, 2.5])
    data = load_npz(tmp_path / "d.npz", x_key="images", y_key="t", dtype=np.float64)
    assert data.x.dtype == np.float64 and data.x.shape == (2, 2, 2)
    assert data.y.dtype == np.float64


def test_npz_whole_number_float_labels_become_int64_as_from_csv(
    tmp_path: Path,
) -> None:
    # Labels saved from a float array (a torch float tensor, pandas): classes.
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((3, 2)), y=np.array([2.0, 0.0, 1.0]))
    data = load_npz(path)
    assert data.y.dtype == np.int64 and data.y.tolist() == [2, 0, 1]
    csv_path = write(tmp_path, "a,b,y\n0,0,2.0\n0,0,0\n0,0,1\n")
    assert load_csv(csv_path, target="y").y.dtype == data.y.dtype

    bools = tmp_path / "b.npz"
    np.savez(bools, x=np.zeros((2, 1)), y=np.array([True, False]))
    assert load_npz(bools).y.dtype == np.int64


def test_npz_float_labels_that_are_not_classes_stay_float(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    one_hot = np.eye(3)[[0, 2, 1]]
    np.savez(path, x=np.zeros((3, 2)), y=one_hot, t=np.array([0.5, 1.0, np.nan]))
    assert load_npz(path).y.dtype == np.float64  # class probabilities
    assert load_npz(path, y_key="t").y.dtype == np.float64


def test_npz_y_dtype_decides(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((2, 2)), y=np.array([3.0, 4.0]), t=[[1.0], [0.25]])
    assert load_npz(path, y_dtype=np.float32).y.dtype == np.float32
    with pytest.raises(DataError) as error:
        load_npz(path, y_key="t", y_dtype=np.int64)
    message = str(error.value)
    assert f"{path}: t[1, 0] = 0.25 is not a whole number" in message, message


def test_npz_string_labels_become_classes(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((3, 1)), y=np.array(["dog", "cat", "dog"]))
    data = load_npz(tmp_path / "d.npz")
    assert data.class_names == ("cat", "dog") and data.y.tolist() == [1, 0, 1]


def test_npz_missing_key_lists_the_keys(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, features=np.zeros((2, 1)), y=np.zeros(2))
    with pytest.raises(DataError) as error:
        load_npz(path)
    message = str(error.value)
    assert f"{path} has no array 'x'" in message
    assert "'features', 'y'" in message and "x_key=" in message

    with pytest.raises(DataError, match="y_key="):
        load_npz(path, x_key="features", y_key="labels")


_UNPICKLED: list[str] = []


def _record_unpickling() -> str:
    _UNPICKLED.append("code ran")
    return "payload"


class Payload:
    """An object whose unpickling would run _record_unpickling."""

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return _record_unpickling, ()


def test_npz_refuses_pickled_objects_without_running_them(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.zeros((1, 1)), y=np.array([Payload()], dtype=object))
    with pytest.raises(DataError) as error:
        load_npz(path)
    message = str(error.value)
    assert "'y'" in message and str(path) in message
    assert "dtype=object" in message and "unpickling" in message
    assert _UNPICKLED == []


def test_npz_lengths_must_match(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((3, 2)), y=np.zeros(4))
    with pytest.raises(DataError) as error:
        load_npz(path)
    message = str(error.value)
    assert str(path) in message
    assert "'x' has shape (3, 2)" in message and "'y' has shape (4,)" in message


def test_npz_features_must_be_numeric(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, x=np.array(["a", "b"]), y=np.zeros(2))
    with pytest.raises(DataError, match="'x' have dtype <U1") as error:
        load_npz(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"x,y\n1,2\n", "it holds text (is it a CSV file?)"),
        (b"", "it is empty"),
        (b"\x89PNG\r\n\x1a\n\0\0", "it starts with the bytes"),
        (b"PK\x03\x04cut off", "it starts as a zip file, but cannot be read"),
    ],
    ids=["csv", "empty", "png", "damaged zip"],
)
def test_npz_refuses_files_that_are_not_archives_never_suggesting_pickle(
    tmp_path: Path, content: bytes, what: str
) -> None:
    # np.load takes such a file for a pickle and suggests allow_pickle=.
    for name in ("data.npz", "data.csv"):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(DataError) as error:
            load_npz(path)
        message = str(error.value)
        assert f"{path} is not an .npz file (NumPy's zip of arrays)" in message
        assert what in message, message
        assert "pickle" not in message, message


def test_npz_refuses_a_single_array_file(tmp_path: Path) -> None:
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([None, 1], dtype=object), allow_pickle=True)
    for path in (single, objects):
        with pytest.raises(DataError, match="single array") as error:
            load_npz(path)
        assert str(path) in str(error.value)
        assert "allow_pickle" not in str(error.value)


def test_a_missing_npz_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_npz(tmp_path / "absent.npz")
