"""A command whose optional packages are missing says so before doing any work.

A None entry in ``sys.modules`` makes an import fail, as for a package that
is not installed (the state after ``pip install -e .`` without extras).
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from chainrule.cli import dependencies, graph_command, main

INSTALL = "pip install 'chainrule[train]'"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def uninstall(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def refused(capsys, needs: str, *argv: str) -> str:
    """Run ``argv``: exit 2 with a message naming ``needs``, and nothing done."""
    status, out, err = run(capsys, *argv)
    assert status == 2, f"{argv[0]} ran without {needs}: {out}"
    assert f"this command needs {needs}" in err, err
    assert INSTALL in err, err
    assert out == "", f"{argv[0]} worked before failing: {out}"
    return err


@pytest.mark.parametrize(
    ("module", "needs"),
    [
        ("safetensors", "safetensors (saving and loading the model)"),
        ("matplotlib", "matplotlib (the plots)"),
        ("sklearn", "scikit-learn (the built-in datasets)"),
    ],
)
def test_train_checks_before_training(
    capsys, monkeypatch, tmp_path, module, needs
) -> None:
    monkeypatch.chdir(tmp_path)
    uninstall(monkeypatch, module)
    refused(capsys, needs, "train", "--epochs", "1", "--no-progress")
    assert list(tmp_path.iterdir()) == [], "a refused run left files behind"


def test_train_needs_tqdm_only_for_progress_bars(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    # Also when found by find_spec, without a sys.modules entry.
    monkeypatch.delitem(sys.modules, "tqdm", raising=False)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *rest: None if name == "tqdm" else find_spec(name, *rest),
    )
    err = refused(capsys, "tqdm", "train", "--dataset", "iris", "--epochs", "1")
    assert "--no-progress" in err, err

    status, _, err = run(
        capsys, "train", "--dataset", "iris", "--epochs", "1", "--no-progress"
    )
    assert status == 0, err


def test_train_on_a_csv_file_does_not_need_scikit_learn(
    capsys, monkeypatch, tmp_path
) -> None:
    uninstall(monkeypatch, "sklearn", "sklearn.datasets")
    data = tmp_path / "two.csv"
    data.write_text("f,label\n" + "".join(f"{k},{k % 2}\n" for k in range(20)))
    status, _, err = run(
        capsys,
        *("train", "--data", str(data), "--target", "label", "--epochs", "1"),
        *("--no-progress", "--output", str(tmp_path / "run")),
    )
    assert status == 0, err


def test_several_missing_packages_are_named_together(
    capsys, monkeypatch, tmp_path
) -> None:
    monkeypatch.chdir(tmp_path)
    uninstall(monkeypatch, "safetensors", "matplotlib")
    refused(
        capsys,
        "safetensors (saving and loading the model) and matplotlib (the plots)",
        *("train", "--no-progress"),
    )


def test_evaluate_and_predict_need_safetensors(
    capsys, monkeypatch, iris_run, iris_rows
) -> None:
    uninstall(monkeypatch, "safetensors", "safetensors.numpy")
    needs = "safetensors (saving and loading the model)"
    refused(capsys, needs, "evaluate", str(iris_run))
    refused(capsys, needs, "predict", str(iris_run), "--data", str(iris_rows))


def test_evaluate_on_a_built_in_dataset_needs_scikit_learn(
    capsys, monkeypatch, iris_run, iris_rows
) -> None:
    uninstall(monkeypatch, "sklearn", "sklearn.datasets")
    refused(capsys, "scikit-learn", "evaluate", str(iris_run))
    status, _, err = run(
        capsys, "predict", str(iris_run), "--data", str(iris_rows)
    )  # its own file: no dataset needed
    assert status == 0, err


@pytest.mark.parametrize(
    ("argv", "module"),
    [
        (["activations", "--points", "5"], "matplotlib"),
        (["vanishing", "--depth", "2", "--steps", "1"], "matplotlib"),
        (["vanishing", "--depth", "2", "--steps", "1"], "sklearn"),
        (["numerical-gradient", "--widths", "1"], "sklearn"),
    ],
)
def test_experiments_check_before_running(
    capsys, monkeypatch, tmp_path, argv, module
) -> None:
    uninstall(monkeypatch, module)
    output = tmp_path / "out"
    refused(
        capsys,
        dependencies.PACKAGES[module],
        *("experiment", *argv, "--output", str(output)),
    )
    assert not output.exists()


def test_graph_without_graphviz_needs_networkx_and_matplotlib(
    capsys, monkeypatch, tmp_path
) -> None:
    monkeypatch.setattr(graph_command.shutil, "which", lambda name: None)  # no dot
    uninstall(monkeypatch, "networkx")
    err = refused(capsys, "networkx", "graph", "--output", str(tmp_path / "graph.png"))
    assert "Graphviz" in err and ".dot" in err, err

    dot = tmp_path / "graph.dot"
    status, _, err = run(capsys, "graph", "--output", str(dot))
    assert status == 0 and dot.exists(), err


def test_installed_finds_without_importing() -> None:
    assert dependencies.installed("numpy")
    assert not dependencies.installed("chainrule_no_such_package")
