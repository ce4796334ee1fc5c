"""Specs of the activation functions."""

from __future__ import annotations

import torch

import chainrule as cr
from tests.ops.harness import OpSpec

SPECS = [
    OpSpec("tanh", cr.tanh, torch.tanh),
]
