"""Shared pieces of the io tests: models to save, raw file surgery, snapshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

import chainrule as cr
from chainrule import nn, optim


class Counter(nn.Module):
    """A custom module with a weight and buffers of several kinds.

    ``scale`` is a float32 weight, ``calls`` an int64 buffer, ``mask`` a bool
    buffer, ``cache`` a buffer that is not persistent (not saved).
    """

    def __init__(self, size: int, rng: np.random.Generator) -> None:
        super().__init__()
        self.scale = nn.Parameter(rng.standard_normal(size).astype(np.float32))
        self.register_buffer("calls", cr.tensor(np.array(0, dtype=np.int64)))
        self.register_buffer("mask", cr.tensor(rng.standard_normal(size) > 0))
        self.register_buffer("cache", cr.zeros(size), persistent=False)

    def forward(self, x: Any) -> Any:
        self.calls.data += 1
        return cr.where(self.mask, x * self.scale, x)


def mlp(seed: int = 0, dtype: Any = np.float64) -> nn.Sequential:
    """Linear layers and activations: the model most tests save."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Linear(3, 5, dtype=dtype, generator=rng),
        nn.Tanh(),
        nn.Linear(5, 4, dtype=dtype, generator=rng),
        nn.ReLU(),
        nn.Linear(4, 2, dtype=dtype, generator=rng),
    )


def trained(seed: int = 0) -> tuple[nn.Module, optim.Optimizer, Any]:
    """An MLP, an Adam and a StepLR that have taken two steps."""
    model = mlp(seed)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    x = cr.tensor(np.random.default_rng(seed + 1).standard_normal((8, 3)))
    for _ in range(2):
        optimizer.zero_grad()
        (model(x) ** 2).mean().backward()
        optimizer.step()
        scheduler.step()
    return model, optimizer, scheduler


# --- raw file surgery ----------------------------------------------------------------


def split_file(path: Path) -> tuple[dict[str, Any], bytes]:
    """A safetensors file's header (parsed) and the array bytes after it."""
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + size]), data[8 + size :]


def join_file(path: Path, header: dict[str, Any], body: bytes) -> None:
    """Write a safetensors file from a header and array bytes."""
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + body)


def edit_entries(path: Path, **changes: str | None) -> None:
    """Set header metadata entries (None removes one); the checksum is kept."""
    header, body = split_file(path)
    entries = header["__metadata__"]
    for key, value in changes.items():
        key = "chainrule." + key
        if value is None:
            entries.pop(key, None)
        else:
            entries[key] = value
    join_file(path, header, body)


# --- comparing states -----------------------------------------------------------------


def snapshot(*objects: Any) -> list[Any]:
    """Deep copies of the state dicts of models, optimizers and schedulers."""
    return [obj.state_dict() for obj in objects]


def assert_same(a: Any, b: Any) -> None:
    """Equal nested dicts/lists of arrays and plain values, dtypes included.

    The order of dict keys is not compared: a safetensors file keeps its own.
    """
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), (list(a), list(b))
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    else:
        assert type(a) is type(b) and a == b, (a, b)
