"""``chainrule experiment NAME`` end to end, on small settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainrule.cli import experiment_command, main

PNG = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def written(folder: Path, name: str) -> dict:
    assert (folder / f"{name}.png").read_bytes().startswith(PNG)
    return json.loads((folder / f"{name}.json").read_text())


def test_vanishing_small(capsys, tmp_path) -> None:
    status, out, err = run(
        capsys,
        "experiment",
        "vanishing",
        "--depth",
        "6",
        "--width",
        "16",
        "--steps",
        "2",
        "--batch-size",
        "64",
        "--activations",
        "sigmoid,relu",
        "--inits",
        "small,kaiming,large",
        "--output",
        str(tmp_path),
    )
    assert status == 0, err
    assert "| setting" in out
    assert "relu/large + clip 1" in out
    assert "The source text's claims:" in out
    record = written(tmp_path, "vanishing")
    assert record["settings"]["layer_sizes"] == [64, 16, 16, 16, 16, 16, 10]
    labels = [r["label"] for r in record["runs"]]
    assert labels == [
        "sigmoid/small",
        "sigmoid/kaiming",
        "sigmoid/large",
        "sigmoid/large + clip 1",
        "relu/small",
        "relu/kaiming",
        "relu/large",
        "relu/large + clip 1",
    ]
    assert all(len(r["weight_grad_norms"][0]) == 6 for r in record["runs"])
    assert record["runs"][0]["verdict"] == "vanishing"


def test_vanishing_without_clipping(capsys, tmp_path) -> None:
    status, out, _ = run(
        capsys,
        "experiment",
        "vanishing",
        "--depth",
        "3",
        "--width",
        "4",
        "--steps",
        "1",
        "--activations",
        "tanh",
        "--inits",
        "large",
        "--no-clip",
        "--output",
        str(tmp_path),
    )
    assert status == 0
    assert "clip" not in out.split("\n\n")[1]  # the table
    assert [r["clip_norm"] for r in written(tmp_path, "vanishing")["runs"]] == [None]


def test_activations_small(capsys, tmp_path) -> None:
    status, out, err = run(
        capsys,
        "experiment",
        "activations",
        "--functions",
        "sigmoid,relu",
        "--points",
        "101",
        "--output",
        str(tmp_path),
    )
    assert status == 0, err
    assert "sigmoid'(0) = 0.25" in out
    assert "relu' jumps at x = 0 from 0 to 1" in out
    record = written(tmp_path, "activations")
    assert record["key_values"]["sigmoid"]["0"] == 0.25
    assert len(record["x"]) == 101


def test_numerical_gradient_small(capsys, tmp_path) -> None:
    status, out, err = run(
        capsys,
        "experiment",
        "numerical-gradient",
        "--widths",
        "1,2,3",
        "--batch-size",
        "16",
        "--repeats",
        "1",
        "--output",
        str(tmp_path),
    )
    assert status == 0, err
    assert "| width" in out
    assert "time ~ weights^p" in out
    record = written(tmp_path, "numerical-gradient")
    assert [r["weights"] for r in record["rows"]] == [85, 160, 235]
    assert all(r["max_abs_difference"] < 1e-7 for r in record["rows"])


def test_numerical_gradient_reports_skipped_sizes(capsys, tmp_path) -> None:
    status, out, _ = run(
        capsys,
        "experiment",
        "numerical-gradient",
        "--widths",
        "1,2",
        "--repeats",
        "1",
        "--max-seconds",
        "1e-9",
        "--output",
        str(tmp_path),
    )
    assert status == 0
    assert "width 1: numerical gradient skipped (estimated" in out
    assert "time ~ weights^p" not in out
    assert written(tmp_path, "numerical-gradient")["slopes"]["numerical"] is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["vanishing", "--depth", "1"], "--depth must be at least 2, got 1"),
        (["vanishing", "--steps", "0"], "--steps must be at least 1"),
        (["vanishing", "--lr", "0"], "--lr must be positive"),
        (["vanishing", "--clip-norm", "-1"], "--clip-norm must be positive"),
        (["vanishing", "--activations", "relu,swish"], "unknown 'swish'"),
        (["vanishing", "--inits", ","], "--inits is empty"),
        (["activations", "--points", "100"], "--points must be odd"),
        (["activations", "--limit", "-2"], "--limit must be positive"),
        (["activations", "--limit", "inf"], "--limit must be finite, got inf"),
        (["vanishing", "--lr", "inf"], "--lr must be finite, got inf"),
        (["activations", "--functions", "cube"], "choose from sigmoid"),
        (["numerical-gradient", "--widths", "4,2"], "widths must increase"),
        (["numerical-gradient", "--widths", "1,x"], "separated by commas"),
        (["numerical-gradient", "--widths", "0"], "positive integers"),
        (["numerical-gradient", "--eps", "0"], "--eps must be positive"),
        (["numerical-gradient", "--repeats", "0"], "--repeats must be at least 1"),
    ],
)
def test_bad_options_exit_2_with_a_message(capsys, tmp_path, argv, message) -> None:
    status, _, err = run(capsys, "experiment", *argv, "--output", str(tmp_path))
    assert status == 2
    assert message in err
    assert err.startswith("chainrule experiment: error:")
    assert "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing written


QUICK = {
    "vanishing": ["--depth", "2", "--width", "4", "--steps", "1", "--no-clip"],
    "activations": ["--points", "11"],
    "numerical-gradient": ["--widths", "1", "--max-seconds", "1"],
}


@pytest.mark.parametrize("name", sorted(QUICK))
def test_an_output_that_is_a_file_is_refused_before_running(
    capsys, monkeypatch, tmp_path, name
) -> None:
    def ran(**options: object) -> None:
        raise AssertionError(f"{name} ran before its --output was checked")

    for function in ("gradient_flow", "activation_derivatives", "gradient_timing"):
        monkeypatch.setattr(experiment_command.experiments, function, ran)
    blocker = tmp_path / "taken"
    blocker.write_text("mine\n")

    argv = ["experiment", name, *QUICK[name]]
    status, out, err = run(capsys, *argv, "--output", str(blocker))
    assert status == 2
    assert f"--output {blocker} is a file, not a folder" in err, err
    assert out == ""

    status, out, err = run(capsys, *argv, "--output", str(blocker / "sub"))
    assert status == 2
    assert f"{blocker} is a file, so no folder can be made in it" in err, err
    assert blocker.read_text() == "mine\n"


def test_a_folder_in_place_of_a_result_file_is_refused_before_running(
    capsys, tmp_path
) -> None:
    (tmp_path / "activations.png").mkdir()
    status, out, err = run(
        capsys,
        "experiment",
        "activations",
        *QUICK["activations"],
        "--output",
        str(tmp_path),
    )
    assert status == 2
    assert f"{tmp_path / 'activations.png'} is a folder" in err, err
    assert out == ""


def test_a_folder_made_for_a_run_that_fails_is_removed(capsys, tmp_path) -> None:
    # The library refuses the widths after the folder was made for it.
    folder = tmp_path / "new" / "runs"
    argv = ["numerical-gradient", "--widths", "4,2", "--output", str(folder)]
    status, _, err = run(capsys, "experiment", *argv)
    assert status == 2 and "widths must increase" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "argv",
    [
        ["experiment"],
        ["experiment", "nonsense"],
        ["experiment", "vanishing", "--depth", "x"],
    ],
)
def test_argparse_errors_exit_2(capsys, argv) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_a_second_run_keeps_the_first_ones_results_unless_told(
    capsys, tmp_path
) -> None:
    argv = ["experiment", "activations", "--points", "11", "--output", str(tmp_path)]
    assert run(capsys, *argv)[0] == 0
    first = (tmp_path / "activations.json").read_text()

    status, out, err = run(capsys, *argv[:3], "13", *argv[4:])
    assert status == 2 and out == ""
    assert "activations.json holds the results of an earlier run" in err
    assert "--overwrite" in err
    assert (tmp_path / "activations.json").read_text() == first

    status, _, err = run(capsys, *argv[:3], "13", *argv[4:], "--overwrite")
    assert status == 0, err
    assert len(json.loads((tmp_path / "activations.json").read_text())["x"]) == 13
