"""Stepping a chainrule optimizer and PyTorch's on the same gradients.

Both start from the same weights; each step, both receive the same random
gradients (or none, for the weights listed in ``missing``), then take one
step. After every step the weights, and every state entry both keep under
the same name, must agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

import chainrule as cr
from chainrule import optim

SHAPES = [(3, 4), (4,), ()]

# Groups as (indices of the weights, options of the group).
Groups = Sequence[tuple[Sequence[int], dict[str, Any]]]


def grouped(params: list[Any], groups: Groups | None) -> Any:
    if groups is None:
        return params
    return [
        {"params": [params[i] for i in indices], **options}
        for indices, options in groups
    ]


def gradients(
    rng: np.random.Generator, shapes: Sequence[tuple[int, ...]], dtype: Any
) -> list[np.ndarray]:
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def check_against_torch(
    name: str,
    options: dict[str, Any],
    groups: Groups | None = None,
    dtype: Any = np.float64,
    steps: int = 6,
    missing: frozenset[tuple[int, int]] = frozenset(),
    shapes: Sequence[tuple[int, ...]] = SHAPES,
) -> optim.Optimizer:
    """``optim.<name>`` and ``torch.optim.<name>`` agree step by step.

    ``missing`` holds (step, weight index) pairs whose gradient is None.
    Returns the chainrule optimizer for further checks.
    """
    rng = np.random.default_rng(0)
    start = gradients(rng, shapes, dtype)
    ours = [cr.tensor(w, requires_grad=True) for w in start]
    theirs = [torch.tensor(w, requires_grad=True) for w in start]
    optimizer = getattr(optim, name)(grouped(ours, groups), **options)
    twin = getattr(torch.optim, name)(grouped(theirs, groups), **options)
    rtol, atol = (1e-10, 1e-12) if np.dtype(dtype) == np.float64 else (2e-5, 1e-6)

    for step in range(steps):
        for i, g in enumerate(gradients(rng, shapes, dtype)):
            skip = (step, i) in missing
            ours[i].grad = None if skip else cr.tensor(g)
            theirs[i].grad = None if skip else torch.tensor(g)
        optimizer.step()
        twin.step()

        for i, (w, w_torch) in enumerate(zip(ours, theirs, strict=True)):
            where = f"{name}({options}) step {step}, weight {i}"
            assert w.dtype == dtype, where
            expected = w_torch.detach().numpy()
            np.testing.assert_allclose(w.data, expected, rtol, atol, err_msg=where)
            check_state(optimizer.state.get(w, {}), twin.state[w_torch], where, dtype)
    return optimizer


def check_state(
    ours: dict[str, Any], theirs: dict[str, Any], where: str, dtype: Any
) -> None:
    """Entries under the same name agree; ours are arrays of the weight's dtype."""
    theirs = {k: v for k, v in theirs.items() if v is not None}
    assert set(ours) == set(theirs), f"{where}: state {set(ours)} vs {set(theirs)}"
    for key, value in ours.items():
        expected = theirs[key]
        if key == "step":
            assert value == int(expected), where
            continue
        assert value.dtype == dtype, f"{where}: {key} is {value.dtype}"
        rtol, atol = (1e-10, 1e-12) if value.dtype == np.float64 else (2e-5, 1e-6)
        np.testing.assert_allclose(
            value, expected.numpy(), rtol, atol, err_msg=f"{where}: {key}"
        )
