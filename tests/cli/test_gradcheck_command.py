"""``chainrule gradcheck`` end to end, on the files in examples/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chainrule.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_correct_layer_passes_with_exit_status_0(capsys) -> None:
    status, out, _ = run(
        capsys, "gradcheck", f"{EXAMPLES}/custom_layer.py:Swish", "--input-shape", "4,3"
    )
    assert status == 0
    assert "gradcheck passed" in out


def test_fast_and_second_order_modes(capsys) -> None:
    status, out, _ = run(
        capsys,
        "gradcheck",
        f"{EXAMPLES}/custom_layer.py:swish",
        "--input-shape",
        "3",
        "--fast",
        "--second-order",
    )
    assert status == 0
    assert out.count("gradcheck passed") == 2


def test_broken_layer_fails_with_exit_1_and_a_diagnosis(capsys) -> None:
    status, out, _ = run(
        capsys,
        "gradcheck",
        f"{EXAMPLES}/broken_layer.py:scale_layer",
        "--input-shape",
        "5,3",
        "--input-shape",
        "3",
    )
    assert status == 1
    assert "FAIL  d(output)/d(input 1)" in out
    assert "summing over the broadcast axes" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["gradcheck", "missing.py:f", "--input-shape", "3"], "no such file"),
        (
            ["gradcheck", f"{EXAMPLES}/custom_layer.py", "--input-shape", "3"],
            "FILE.py:NAME",
        ),
        (
            ["gradcheck", f"{EXAMPLES}/custom_layer.py:Nope", "--input-shape", "3"],
            "defines no name 'Nope'",
        ),
        (["gradcheck", f"{EXAMPLES}/custom_layer.py:Swish"], "--input-shape"),
        (
            ["gradcheck", f"{EXAMPLES}/custom_layer.py:np", "--input-shape", "3"],
            "not something to check",
        ),
        (
            [
                "gradcheck",
                f"{EXAMPLES}/broken_layer.py:scale_layer",
                "--input-shape",
                "5,3",
            ],
            "missing 1 required",
        ),
        (
            ["gradcheck", f"{EXAMPLES}/../README.md:x", "--input-shape", "3"],
            "not a Python file",
        ),
    ],
)
def test_bad_usage_exits_2_with_a_message(capsys, argv, message) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert message in err
    assert "Traceback" not in err


def test_file_that_fails_to_import_is_named(capsys, tmp_path) -> None:
    broken = tmp_path / "syntax.py"
    broken.write_text("def f(:\n")
    status, _, err = run(capsys, "gradcheck", f"{broken}:f", "--input-shape", "3")
    assert status == 2
    assert "importing" in err and "SyntaxError" in err


def test_bad_shape_is_an_argparse_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["gradcheck", f"{EXAMPLES}/custom_layer.py:Swish", "--input-shape", "3,a"])
    assert exit_info.value.code == 2
    assert "is not a shape" in capsys.readouterr().err


def test_module_entry_point_runs_as_a_process() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "chainrule",
            "gradcheck",
            f"{EXAMPLES}/broken_layer.py:scale_layer",
            "--input-shape",
            "5,3",
            "--input-shape",
            "3",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "diagnosis" in result.stdout


USER_CODE = """
import numpy as np
import chainrule as cr


def forward_raises(x):
    raise RuntimeError("the layer is not ready")


class BackwardRaises(cr.Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        raise ValueError("shapes do not fit in my backward")


class BackwardNameError(cr.Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return undefined_name * grad
"""


@pytest.mark.parametrize(
    ("name", "status", "stream", "words"),
    [
        ("forward_raises", 2, "err", ["RuntimeError", "the layer is not ready"]),
        ("BackwardRaises", 1, "out", ["ValueError", "shapes do not fit"]),
        ("BackwardNameError", 1, "out", ["NameError", "undefined_name"]),
    ],
)
def test_errors_in_the_users_code_are_reported_whole(
    capsys, tmp_path, name, status, stream, words
) -> None:
    path = tmp_path / "user.py"
    path.write_text(USER_CODE)
    code, out, err = run(capsys, "gradcheck", f"{path}:{name}", "--input-shape", "3")
    text = {"out": out, "err": err}[stream]
    assert code == status
    assert all(word in text for word in words), text
    assert "Traceback" not in out + err


def test_a_file_that_exits_on_import_is_named(capsys, tmp_path) -> None:
    path = tmp_path / "exits.py"
    path.write_text("import sys\nsys.exit(3)\n")
    status, _, err = run(capsys, "gradcheck", f"{path}:f", "--input-shape", "3")
    assert status == 2
    assert "sys.exit(3)" in err


@pytest.mark.parametrize("text", ["4,,3", ",3", "4,3,,"])
def test_an_empty_size_in_a_shape_is_refused(capsys, text) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["gradcheck", f"{EXAMPLES}/custom_layer.py:Swish", "--input-shape", text])
    assert exit_info.value.code == 2
    assert "is not a shape" in capsys.readouterr().err


def test_a_module_without_input_shapes_is_told_to_give_them(capsys, tmp_path) -> None:
    path = tmp_path / "net.py"
    path.write_text("import chainrule as cr\nlayer = cr.nn.Linear(3, 2)\n")
    status, _, err = run(capsys, "gradcheck", f"{path}:layer")
    assert status == 2
    assert "give the shape of each input with --input-shape" in err
