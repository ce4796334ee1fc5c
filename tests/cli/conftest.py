"""What several command-line tests share: a small trained run and rows for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainrule.cli import main
from chainrule.data import load_dataset


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory) -> Path:
    """A short iris run (a hidden layer of 8, 2 epochs): read it, do not change it."""
    folder = tmp_path_factory.mktemp("iris") / "run"
    argv = ["train", "--dataset", "iris", "--hidden", "8", "--epochs", "2"]
    assert main([*argv, "--no-progress", "--output", str(folder)]) == 0
    return folder


@pytest.fixture
def iris_rows(tmp_path) -> Path:
    """Two rows of iris features, with a header: input for predict."""
    path = tmp_path / "in.csv"
    header = ",".join(load_dataset("iris").feature_names or ())
    path.write_text(f"{header}\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    return path
