"""``chainrule graph`` end to end: the default model, a user's model, bad usage."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib.image
import pytest

from chainrule.cli import main

PNG = b"\x89PNG\r\n\x1a\n"
SRC = Path(__file__).resolve().parents[2] / "src"

MODEL = textwrap.dedent(
    """
    import chainrule as cr
    from chainrule import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(6, 5), nn.Tanh())
            self.head = nn.Linear(5, 2)

        def forward(self, x):
            return self.head(self.encoder(x))

    net = Net()
    single = nn.Linear(6, 2)
    deep = nn.Sequential(*[m for _ in range(300) for m in (nn.Linear(6, 6), nn.Tanh())])
    funnel = nn.Sequential(*[nn.Linear(k + 6, k + 7) for k in range(300)])

    def narrowing(x):
        for _ in range(600):
            x = x[:, 1:] * 2.0
        return x.sum()

    def squash(x, y):
        return cr.tanh(x * y).sum()

    class NeedsArgs(nn.Module):
        def __init__(self, width):
            super().__init__()
    """
)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_model.py"
    path.write_text(MODEL)
    return path


def test_no_arguments_draws_the_train_model_to_graph_png(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "graph")
    assert status == 0, err
    assert "to graph.png" in out and "6 boxes" in out
    data = (tmp_path / "graph.png").read_bytes()
    assert data[:8] == PNG
    height, width, _ = matplotlib.image.imread(tmp_path / "graph.png").shape
    assert width > 1500 and height > 300


def test_full_detail_with_gradient_norms_as_dot(capsys, tmp_path: Path) -> None:
    path = tmp_path / "train.dot"
    status, out, _ = run(
        capsys, "graph", "--output", str(path), "--detail", "full", "--grad-norms"
    )
    assert status == 0
    dot = path.read_text()
    assert dot.count('label="Linear"') == 3 and 'label="ReLU"' in dot
    assert 'label="4.weight\\n(10, 128)"' in dot and "shape=circle" in dot
    assert "L2 norm" in dot and "full detail" in out


def test_a_users_module_by_file_and_name(capsys, tmp_path: Path, model_file) -> None:
    path = tmp_path / "net.svg"
    status, out, err = run(
        capsys,
        "graph",
        "--model",
        f"{model_file}:net",
        "--input-shape",
        "3,6",
        "--output",
        str(path),
    )
    assert status == 0, err
    assert path.read_text().lstrip().startswith("<?xml")
    assert "2 boxes" in out
    dot_path = tmp_path / "net.dot"
    assert (
        run(
            capsys,
            "graph",
            "--model",
            f"{model_file}:Net",
            "--input-shape",
            "3,6",
            "--output",
            str(dot_path),
        )[0]
        == 0
    )
    dot = dot_path.read_text()
    assert 'label="Sequential encoder"' in dot and 'label="Linear head"' in dot
    assert 'label="encoder.0.weight\\n(5, 6)"' in dot


def test_a_function_of_several_inputs_is_drawn_op_by_op(
    capsys, tmp_path: Path, model_file
) -> None:
    path = tmp_path / "f.dot"
    status, _, err = run(
        capsys,
        "graph",
        "--model",
        f"{model_file}:squash",
        "--input-shape",
        "2,3",
        "--input-shape",
        "3",
        "--output",
        str(path),
    )
    assert status == 0, err
    dot = path.read_text()
    assert 'label="Multiply"' in dot and 'label="Tanh"' in dot
    # The inputs carry the function's parameter names.
    assert 'label="x\\n(2, 3)"' in dot and 'label="y\\n(3,)"' in dot
    assert 'label="output\\n()"' in dot


def test_a_300_layer_model_draws_with_its_repeats_in_one_box(
    capsys, tmp_path: Path, model_file
) -> None:
    model = ["--model", f"{model_file}:deep", "--input-shape", "2,6"]
    status, out, err = run(capsys, "graph", *model, "--output", str(tmp_path / "d.png"))
    assert status == 0, err
    assert "(600 boxes, 601 data nodes, 600 weights; module detail; runs of " in out
    assert (tmp_path / "d.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize(
    ("name", "shape", "detail", "boxes"),
    [
        ("funnel", "2,6", "module", False),  # already one box per layer
        ("funnel", "2,6", "full", True),
        ("narrowing", "1,700", "module", False),  # a function has no layers
    ],
)
def test_a_graph_too_large_is_refused_in_the_command_lines_words(
    capsys, tmp_path: Path, model_file, name, shape, detail, boxes
) -> None:
    model = ["--model", f"{model_file}:{name}", "--input-shape", shape]
    output = ["--detail", detail, "--output", str(tmp_path / "big.png")]
    status, _, err = run(capsys, "graph", *model, *output)
    assert status == 2
    assert "too many to draw legibly without Graphviz" in err
    assert "install Graphviz" in err
    assert err.rstrip().endswith("or write --output big.dot")
    assert "detail='" not in err  # no Python syntax on the command line
    assert ("one box per layer with --detail module" in err) == boxes


def test_counts_are_singular_for_one(capsys, tmp_path: Path, model_file) -> None:
    model = ["--model", f"{model_file}:single", "--input-shape", "3,6"]
    status, out, err = run(capsys, "graph", *model, "--output", str(tmp_path / "1.dot"))
    assert status == 0, err
    assert "(1 box, 2 data nodes, 2 weights; module detail)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--output", "graph.jpg"], ".png, .svg or .dot"),
        (["--input-shape", "4,10"], "BATCH,64"),
        (["--input-shape", "0,64"], "at least 1 row"),
        (["--seed", "-1"], "non-negative"),
        (["--model", "missing.py:Net", "--input-shape", "2,6"], "no such file"),
        (["--model", "{file}"], "FILE.py:NAME"),
        (["--model", "{file}:Nope", "--input-shape", "2,6"], "defines no name 'Nope'"),
        (["--model", "{file}:net"], "--input-shape"),
        (["--model", "{file}:net", "--input-shape", "2,7"], "calling net on inputs"),
        (["--model", "{file}:NeedsArgs", "--input-shape", "2,6"], "needs arguments"),
        (["--output", "{missing_dir}/graph.png"], "no such folder"),
    ],
)
def test_bad_usage_exits_2_with_a_message(
    capsys, tmp_path: Path, model_file, argv, message
) -> None:
    argv = [a.format(file=model_file, missing_dir=tmp_path / "nowhere") for a in argv]
    if "--output" not in argv:
        argv += ["--output", str(tmp_path / "out.png")]
    status, _, err = run(capsys, "graph", *argv)
    assert status == 2
    assert message in err and "Traceback" not in err
    assert err.startswith("chainrule graph: error: ")


def test_argparse_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["graph", "--detail", "layers"])
    assert stop.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_the_installed_command_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "graph", "--output", "g.svg"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(SRC)},  # this tree's chainrule
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.svg").stat().st_size > 10_000
