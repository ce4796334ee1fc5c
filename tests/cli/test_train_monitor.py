"""``chainrule train --monitor`` end to end: files, strict JSON, verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chainrule.cli import main

PNG = b"\x89PNG\r\n\x1a\n"
FILES = ("gradient_health.json", "gradients_by_layer.png", "gradients_over_steps.png")


def train(capsys: Any, output: Path, *options: str) -> tuple[int, str, str]:
    argv = ["train", "--dataset", "iris", *options, "--output", str(output)]
    status = main([*argv, "--no-progress"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def strict_json(path: Path) -> Any:
    """Parse as every JSON reader would: NaN and Infinity are not JSON."""

    def refuse(token: str) -> None:
        raise AssertionError(f"{path.name} holds {token}, which is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def verdict_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("gradient health"))


def test_monitor_saves_its_records_and_plots_and_prints_a_verdict(
    capsys, tmp_path
) -> None:
    status, out, err = train(
        capsys,
        tmp_path,
        *("--hidden", "8", "--epochs", "2", "--clip-norm", "0.37", "--monitor"),
    )
    assert status == 0, err
    verdict = verdict_line(out)
    assert verdict.startswith("gradient health: healthy: no vanishing or exploding")
    assert out.splitlines()[-1].endswith(", ".join(FILES))
    for name in FILES[1:]:
        data = (tmp_path / name).read_bytes()
        assert data[:8] == PNG and len(data) > 10_000

    health = strict_json(tmp_path / "gradient_health.json")
    metrics = strict_json(tmp_path / "metrics.json")
    steps = len(health["steps"])
    assert steps == 2 * 2  # 120 training samples in batches of 64, 2 epochs
    assert [layer["layer"] for layer in health["layers"]] == ["0", "1", "2"]
    assert [layer["kind"] for layer in health["layers"]] == [
        "Linear",
        "ReLU",
        "Linear",
    ]
    assert len(health["records"]) == 3 * steps
    assert metrics["gradient_health"] == {
        "healthy": True,
        "verdict": health["verdict"],
    }
    # The clipping the monitor did is what the training history counts, and
    # the per-epoch gradient norm is the median of the monitor's step norms.
    clipped = sum(step["clip"]["clipped"] for step in health["steps"])
    assert 0 < clipped < steps  # so both counts are tested
    assert sum(metrics["history"]["clipped_steps"]) == clipped
    assert f"clipping acted in {clipped} of {steps} steps" in verdict
    totals = [step["total_grad_norm"] for step in health["steps"]]
    assert metrics["history"]["grad_norm"] == pytest.approx(
        [np.median(totals[:2]), np.median(totals[2:])], rel=1e-12
    )


def test_the_monitor_does_not_change_the_training(capsys, tmp_path) -> None:
    options = ("--hidden", "8,8", "--epochs", "3", "--clip-norm", "1.0", "--seed", "5")
    histories = []
    for name, extra in (("plain", ()), ("monitored", ("--monitor",))):
        status, _, err = train(capsys, tmp_path / name, *options, *extra)
        assert status == 0, err
        histories.append(strict_json(tmp_path / name / "metrics.json")["history"])
    assert histories[0] == histories[1]
    assert not (tmp_path / "plain" / "gradient_health.json").exists()


def test_a_deep_sigmoid_net_with_small_init_is_reported_vanishing(
    capsys, tmp_path
) -> None:
    status, out, _ = train(
        capsys,
        tmp_path,
        *("--hidden", "16,16,16,16,16,16", "--activation", "sigmoid"),
        *("--init", "small", "--epochs", "1", "--monitor"),
    )
    assert status == 0
    verdict = verdict_line(out)
    assert verdict.startswith(
        "gradient health: vanishing gradients (depth) from step 0, in 2 of 2 "
        "steps: '0' (Linear), '1' (Sigmoid), '2' (Linear) and "
    )
    health = strict_json(tmp_path / "gradient_health.json")
    (finding,) = health["findings"]
    assert finding["layers"][:3] == ["0", "1", "2"]
    assert not strict_json(tmp_path / "metrics.json")["gradient_health"]["healthy"]


def test_a_deep_relu_net_with_large_init_is_reported_exploding(
    capsys, tmp_path
) -> None:
    status, out, _ = train(
        capsys,
        tmp_path,
        *("--hidden", "64,64,64,64,64,64", "--init", "large", "--epochs", "1"),
        "--monitor",
    )
    assert status == 0
    assert verdict_line(out).startswith(
        "gradient health: exploding gradients (depth) from step 0"
    )
    (finding,) = strict_json(tmp_path / "gradient_health.json")["findings"]
    assert finding["layers"][0] == "0"


def test_a_saturated_tanh_net_is_not_called_healthy(capsys, tmp_path) -> None:
    status, out, _ = train(
        capsys,
        tmp_path,
        *("--hidden", "16,16,16,16,16,16", "--activation", "tanh"),
        *("--init", "large", "--epochs", "1", "--monitor"),
    )
    assert status == 0
    assert verdict_line(out).startswith(
        "gradient health: saturated units from step 0, in 2 of 2 steps: '3' (Tanh)"
    )
    (finding,) = strict_json(tmp_path / "gradient_health.json")["findings"]
    assert (finding["kind"], finding["cause"]) == ("saturation", "saturated")


def test_a_diverging_run_prints_the_verdict_and_saves_nothing(capsys, tmp_path) -> None:
    status, out, err = train(
        capsys,
        tmp_path,
        *("--hidden", "16", "--optimizer", "sgd", "--lr", "1e200", "--epochs", "1"),
        "--monitor",
    )
    assert status == 1, out
    assert "training diverged" in err, err
    # The non-finite step is recorded, so the verdict points at it.
    assert "exploding gradients (non-finite) from step 1" in verdict_line(out), out
    assert not (tmp_path / "model.safetensors").exists(), "a NaN model was saved"
