"""Every recorded quantity against PyTorch float64, on a net with all three kinds.

The hand-worked tests (test_gradient_monitor.py) use weights chosen for
arithmetic; this one takes random weights large enough that some tanh and
sigmoid units saturate and some ReLU units die, trains with Adam and clips,
and recomputes each number from PyTorch's own forward, backward and step.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import functional as F
from chainrule import nn, optim
from chainrule.monitor import SATURATION, GradientMonitor

SIZES = [(5, 6), (6, 6), (6, 6), (6, 3)]
SHARES = [("1", "saturated"), ("3", "dead"), ("5", "saturated")]
ACTIVATIONS = [
    (nn.Tanh, torch.tanh),
    (nn.ReLU, torch.relu),
    (nn.Sigmoid, torch.sigmoid),
]


def case(
    seed: int,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
    """Weights (large: some units saturate), a batch of 7 and labels."""
    rng = np.random.default_rng(seed)
    start = [
        (2.0 * rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out))
        for n_in, n_out in SIZES
    ]
    # A negative bias before the ReLU, so that some of its units are dead.
    start[1] = (start[1][0], start[1][1] - 3.0)
    return start, rng.standard_normal((7, 5)), rng.integers(0, 3, 7)


def ours(start: list[tuple[np.ndarray, np.ndarray]]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for k, (w, b) in enumerate(start):
        linear = nn.Linear(w.shape[1], w.shape[0])
        linear.weight.data[...] = w
        linear.bias.data[...] = b
        layers.append(linear)
        if k < len(ACTIVATIONS):
            layers.append(ACTIVATIONS[k][0]())
    return nn.Sequential(*layers)


def torch_step(
    start: list[tuple[np.ndarray, np.ndarray]],
    x: np.ndarray,
    y: np.ndarray,
    max_norm: float,
) -> dict[str, dict[str, float]]:
    """Per layer path, the monitor's quantities computed from PyTorch."""
    params = [
        (torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
        for w, b in start
    ]
    outputs: dict[str, torch.Tensor] = {}
    h = torch.tensor(x)
    for k, (w, b) in enumerate(params):
        h = h @ w.T + b
        h.retain_grad()
        outputs[str(2 * k)] = h
        if k < len(ACTIVATIONS):
            h = ACTIVATIONS[k][1](h)
            h.retain_grad()
            outputs[str(2 * k + 1)] = h
    torch.nn.functional.cross_entropy(h, torch.tensor(y)).backward()

    flat = [p for pair in params for p in pair]
    grads = {
        str(2 * k): float(torch.sqrt(w.grad.square().sum() + b.grad.square().sum()))
        for k, (w, b) in enumerate(params)
    }
    before = [p.detach().clone() for p in flat]
    torch.nn.utils.clip_grad_norm_(flat, max_norm)
    optimizer = torch.optim.Adam(flat, lr=0.05)
    optimizer.step()

    result: dict[str, dict[str, float]] = {}
    for path, out in outputs.items():
        row = {"data_grad_norm": float(out.grad.norm())}
        k = int(path)
        if k % 2 == 0:
            w_old, b_old = before[k], before[k + 1]
            w_new, b_new = params[k // 2]
            with torch.no_grad():
                delta = (w_new - w_old).square().sum() + (b_new - b_old).square().sum()
                size = w_old.square().sum() + b_old.square().sum()
            row["weight_grad_norm"] = grads[path]
            row["update_ratio"] = float(torch.sqrt(delta / size))
        else:
            value = out.detach()
            if k == 3:  # ReLU: units that are 0 for every sample
                row["dead"] = float((value == 0).all(dim=0).double().mean())
            elif k == 1:
                row["saturated"] = float((value.abs() > SATURATION).double().mean())
            else:
                outside = (value > SATURATION) | (value < 1 - SATURATION)
                row["saturated"] = float(outside.double().mean())
        result[path] = row
    return result


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_quantity_matches_pytorch_float64(seed: int) -> None:
    start, x, y = case(seed)
    max_norm = 0.5
    expected = torch_step(start, x, y, max_norm)

    model = ours(start)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    # warn=False: the case has saturated and dead units on purpose.
    with GradientMonitor(model, warn=False) as monitor:
        F.cross_entropy(model(cr.tensor(x)), cr.tensor(y)).backward()
        record = monitor.step(optimizer, max_norm=max_norm)

    assert record.clip is not None and record.clip.clipped  # Adam saw clipped grads
    rows = {row.layer: row for row in record.layers}
    assert list(rows) == [str(k) for k in range(7)]
    for path, values in expected.items():
        for field, value in values.items():
            got = getattr(rows[path], field)
            assert got == pytest.approx(value, rel=1e-10, abs=1e-300), (path, field)
    # Fields that do not apply stay empty.
    assert rows["0"].saturated is None and rows["0"].dead is None
    assert rows["1"].weight_grad_norm is None and rows["1"].update_ratio is None
    assert rows["3"].saturated is None and rows["5"].dead is None


def test_the_torch_case_exercises_saturation_and_dead_units() -> None:
    # So that the comparison above cannot pass with every fraction 0 (or 1).
    fractions = []
    for seed in (0, 1, 2):
        expected = torch_step(*case(seed), max_norm=0.5)
        fractions.append(
            [expected[layer][field] for layer, field in SHARES],
        )
    shares = np.array(fractions)
    assert ((shares > 0) & (shares < 1)).all(), shares
