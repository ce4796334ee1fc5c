"""Utilities for training modules: gradient clipping, where PyTorch has it.

The functions live in :mod:`chainrule.optim.clip`; see there.
"""

from chainrule.optim.clip import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
