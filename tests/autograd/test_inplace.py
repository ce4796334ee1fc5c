"""In-place writes to arrays the graph saved: backward refuses, gradients untouched."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import inplace
from chainrule.errors import BackwardError


def test_a_constant_changed_in_place_after_forward_is_caught() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0, 4.0])
    y = x * c
    c *= 10  # the graph multiplied by [3, 4]; backward would use [30, 40]
    with pytest.raises(BackwardError, match=r"Multiply: saved value 1.*in place"):
        y.sum().backward()
    assert x.grad is None


def test_a_weight_updated_before_backward_is_caught() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    z = (w * w).sum()
    with cr.no_grad():
        w -= 1.0
    with pytest.raises(BackwardError, match="Call backward\\(\\) before"):
        z.backward()


def test_an_optimizer_step_before_backward_is_caught() -> None:
    layer = cr.nn.Linear(3, 2)
    optimizer = cr.optim.SGD(layer.parameters(), lr=0.1)
    first = layer(cr.ones(4, 3)).sum()
    first.backward(retain_graph=True)
    optimizer.step()
    with pytest.raises(BackwardError, match="Linear"):
        first.backward()


def test_a_write_through_a_view_counts_for_the_whole_array() -> None:
    a = cr.tensor(np.arange(4.0))
    x = cr.tensor(np.ones(3), requires_grad=True)
    y = (x * a[1:]).sum()
    view = a[:2]
    view *= 2  # overlaps the saved a[1:] at a[1]
    with pytest.raises(BackwardError):
        y.backward()


def test_writes_before_the_forward_and_after_the_backward_are_fine() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        with cr.no_grad():
            w *= 0.5  # before this step's forward: the graph saw the new values
        loss = (w * w).sum()
        loss.backward()
        np.testing.assert_allclose(w.grad.data, 2 * w.data)
        w.grad = None

    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Tanh(), cr.nn.Linear(4, 1))
    optimizer = cr.optim.Adam(model.parameters())
    for _ in range(3):
        optimizer.zero_grad()
        model(cr.ones(5, 3)).sum().backward()
        optimizer.step()


def test_the_table_of_writes_stays_small_and_keeps_the_newest() -> None:
    arrays = [np.zeros(1) for _ in range(2 * inplace._LIMIT)]
    for array in arrays:
        inplace.note_write(array)
    assert len(inplace.writes.last) <= inplace._LIMIT
    assert inplace.writes.last[id(arrays[-1])] == inplace.writes.count
