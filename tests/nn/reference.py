"""Checking a chainrule module against the same PyTorch module, weights copied in.

The PyTorch twin is built with the same architecture in float64; the weights
travel through ``state_dict()`` (whose keys therefore must match PyTorch's),
then both run forward and backward with the same input and upstream gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import chainrule as cr
from chainrule import nn


def copy_weights(model: nn.Module, twin: torch.nn.Module) -> torch.nn.Module:
    """Load the chainrule model's weights into its PyTorch twin (in float64)."""
    twin.double()
    state = {key: torch.from_numpy(value) for key, value in model.state_dict().items()}
    twin.load_state_dict(state, strict=True)
    return twin


def check_against_torch(
    model: nn.Module,
    twin: torch.nn.Module,
    x: np.ndarray,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> None:
    """Output, data gradient and every weight gradient agree with PyTorch."""
    copy_weights(model, twin)
    x_cr = cr.tensor(x, requires_grad=True)
    x_torch = torch.tensor(x, requires_grad=True)

    y = model(x_cr)
    y_torch = twin(x_torch)
    np.testing.assert_allclose(y.data, y_torch.detach().numpy(), rtol, atol)

    upstream = np.random.default_rng(7).standard_normal(y.shape)
    y.backward(upstream)
    y_torch.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(x_cr.grad.data, x_torch.grad.numpy(), rtol, atol)

    torch_params = dict(twin.named_parameters())
    assert [name for name, _ in model.named_parameters()] == list(torch_params)
    for name, param in model.named_parameters():
        expected = torch_params[name].grad
        assert param.grad is not None, f"{name} got no weight gradient"
        np.testing.assert_allclose(
            param.grad.data, expected.numpy(), rtol, atol, err_msg=name
        )


def torch_tensor(value: Any) -> torch.Tensor:
    return torch.tensor(np.asarray(value, dtype=np.float64))
