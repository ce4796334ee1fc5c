"""The monitor's plots are PNG files; without matplotlib, a clear error."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.errors import MissingDependencyError
from chainrule.monitor import GradientMonitor

PNG = b"\x89PNG\r\n\x1a\n"


def monitored(steps: int) -> GradientMonitor:
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(4, 8, generator=rng), nn.Tanh(), nn.Linear(8, 1, generator=rng)
    )
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    x = cr.tensor(rng.standard_normal((16, 4)))
    with GradientMonitor(model) as monitor:
        for _ in range(steps):
            optimizer.zero_grad()
            (model(x) ** 2).mean().backward()
            monitor.step(optimizer)
    return monitor


def test_plots_are_png_files(tmp_path) -> None:
    monitor = monitored(12)
    by_layer = monitor.plot_by_layer(tmp_path / "depth.png")
    over_steps = monitor.plot_over_steps(tmp_path / "steps.png")
    chosen = monitor.plot_by_layer(tmp_path / "two.png", steps=[0, 11])
    for path in (by_layer, over_steps, chosen):
        data = path.read_bytes()
        assert data[:8] == PNG and len(data) > 5000


def test_plots_of_a_monitor_with_no_steps_still_write_files(tmp_path) -> None:
    monitor = monitored(0)
    assert monitor.plot_by_layer(tmp_path / "a.png").read_bytes()[:8] == PNG
    assert monitor.plot_over_steps(tmp_path / "b.png").read_bytes()[:8] == PNG


def test_without_matplotlib_the_error_says_what_to_install(
    tmp_path, monkeypatch
) -> None:
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(
        MissingDependencyError, match=r'pip install "chainrule\[train\]"'
    ):
        monitored(1).plot_by_layer(tmp_path / "x.png")
