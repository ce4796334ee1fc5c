"""The networks the command line builds: an MLP described by a small JSON-able spec.

The spec is saved beside the weights, so ``evaluate`` and ``predict`` rebuild
exactly the network that was trained.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from chainrule import nn
from chainrule.cli.errors import UsageError

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
}

# Initialisation schemes, each with the gain for the chosen activation.
INITS = ("default", "xavier", "kaiming", "small", "large")


@dataclass(frozen=True)
class MLPSpec:
    """in_features -> hidden... -> out_features, one activation between layers."""

    in_features: int
    hidden: tuple[int, ...]
    out_features: int
    activation: str = "relu"
    init: str = "default"

    def to_json(self) -> dict[str, Any]:
        spec = asdict(self)
        spec["hidden"] = list(self.hidden)
        return spec

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> MLPSpec:
        return cls(
            in_features=int(spec["in_features"]),
            hidden=tuple(int(n) for n in spec["hidden"]),
            out_features=int(spec["out_features"]),
            activation=str(spec["activation"]),
            init=str(spec.get("init", "default")),
        )


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"128,64"`` -> (128, 64); ``""`` or ``"none"`` -> no hidden layer."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(
            f"--hidden {text!r}: give layer sizes separated by commas, e.g. 128,64"
        ) from None
    if any(n < 1 for n in sizes):
        raise UsageError(f"--hidden {text!r}: every layer needs at least 1 unit")
    return sizes


def build_mlp(spec: MLPSpec, generator: np.random.Generator) -> nn.Sequential:
    """The network of ``spec``, initialised with ``spec.init`` from ``generator``."""
    if spec.activation not in ACTIVATIONS:
        raise UsageError(
            f"unknown activation {spec.activation!r}; choose one of "
            + ", ".join(sorted(ACTIVATIONS))
        )
    if spec.init not in INITS:
        raise UsageError(
            f"unknown init {spec.init!r}; choose one of {', '.join(INITS)}"
        )

    sizes = [spec.in_features, *spec.hidden, spec.out_features]
    layers: list[nn.Module] = []
    for k, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        linear = nn.Linear(n_in, n_out, generator=generator)
        _initialise(linear, spec.init, spec.activation, generator)
        layers.append(linear)
        if k < len(sizes) - 2:
            layers.append(ACTIVATIONS[spec.activation]())
    return nn.Sequential(*layers)


def _initialise(
    linear: nn.Linear, scheme: str, activation: str, generator: np.random.Generator
) -> None:
    # NOTE: "default" keeps PyTorch's Linear init. The named schemes follow
    # the source text's advice (keep each layer's values near magnitude 1):
    # xavier and kaiming with the gain of the activation; "small" and
    # "large" are there to show vanishing and exploding gradients.
    if scheme == "default":
        return
    # NOTE: the layers keep their default parameters (calculate_gain takes
    # the same alpha for ELU), so only LeakyReLU's slope is passed on.
    param = nn.LeakyReLU().negative_slope if activation == "leaky_relu" else None
    if scheme == "xavier":
        gain = nn.init.calculate_gain(activation, param)
        nn.init.xavier_uniform_(linear.weight, gain=gain, generator=generator)
    elif scheme == "kaiming":
        nn.init.kaiming_uniform_(
            linear.weight, a=param or 0.0, nonlinearity=activation, generator=generator
        )
    elif scheme == "small":
        nn.init.normal_(linear.weight, std=0.01, generator=generator)
    elif scheme == "large":
        nn.init.normal_(linear.weight, std=1.0, generator=generator)
    if linear.bias is not None:
        nn.init.zeros_(linear.bias)
