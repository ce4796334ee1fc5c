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


def test_plots_name_layers_by_type_and_mark_the_flagged_ones(
    tmp_path, monkeypatch
) -> None:
    import warnings

    from chainrule.monitor import plots

    figures = []
    make = plots.figure

    def keep(width: float, height: float) -> object:
        figures.append(make(width, height))
        return figures[-1]

    monkeypatch.setattr(plots, "figure", keep)
    rng = np.random.default_rng(0)
    layers: list[nn.Module] = []
    for _ in range(6):
        linear = nn.Linear(8, 8, generator=rng)
        nn.init.normal_(linear.weight, std=0.05, generator=rng)
        layers += [linear, nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(8, 1, generator=rng))
    with warnings.catch_warnings(), GradientMonitor(model) as monitor:
        warnings.simplefilter("ignore")
        (model(cr.tensor(rng.standard_normal((16, 8)))) ** 2).mean().backward()
        monitor.step()
    (finding,) = monitor.findings
    monitor.plot_by_layer(tmp_path / "depth.png")
    monitor.plot_over_steps(tmp_path / "steps.png")

    depth, steps = figures
    assert (
        depth.get_suptitle()
        == "gradient norm per layer: vanishing gradients (depth) from step 0"
    )
    ticks = depth.axes[0].get_xticklabels()
    assert [t.get_text() for t in ticks[:3]] == ["0 Linear", "1 Sigmoid", "2 Linear"]
    red = [t.get_text().split()[0] for t in ticks if t.get_color() == plots.FLAGGED]
    assert red == list(finding.layers) and "12" not in red
    (legend,) = steps.legends
    assert [t.get_text() for t in legend.get_texts()][-1] == "12 Linear"
    assert "flagged" in legend.get_title().get_text()
