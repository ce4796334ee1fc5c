"""Vanishing and exploding gradients, measured layer by layer.

The source text (1.6.2) makes five claims about deep networks, and
:func:`gradient_flow` puts each to the test:

1. With Sigmoid or Tanh, every layer multiplies the data gradient on its way
   back by the activation's derivative (at most 1/4, at most 1), so the
   first layers get gradients orders of magnitude smaller than the last:
   the gradients vanish.
2. Weights that are too small make the gradients vanish too.
3. Weights that are too large make the data gradients grow layer by layer
   on their way back: the gradients explode.
4. ReLU passes the gradient unchanged where its input is positive; with an
   initialisation that keeps the values near magnitude 1 (Kaiming), the
   gradients reach the first layer at the size they had at the last.
5. Clipping the gradients' L2 norm bounds the update, so one step cannot
   blow the weights up.

The network is ``depth`` Linear layers (features -> width -> ... -> width ->
classes) with the activation between them and zero biases, trained with
plain SGD (no momentum, so an update is exactly ``lr`` times the gradient)
for a few steps on batches of the data. At the first step, before any
update, each layer k reports the norm of its **weight gradient** dL/dW_k
and of the **data gradient** at its output, dL/dz_k (z_k = W_k h + b_k).

Both are needed. The weight gradient is (data gradient) x (layer input):
when weights are uniformly too small or too large, the inputs shrink or
grow forwards as fast as the data gradients do backwards, and the weight
gradients come out about the same size in every layer -- all tiny, or all
huge. The data gradients show the trend the text describes.

The verdict of each row is computed from the ratio of its first layer's
data gradient norm to its last layer's (thresholds below), and the claim a
row supports follows from its verdict and setting.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule import nn, optim
from chainrule.experiments._common import (
    check_choices,
    check_count,
    check_data,
    check_positive,
    json_safe,
    markdown_table,
    number,
)
from chainrule.functional import cross_entropy
from chainrule.tensor import Tensor

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}
INITS = ("small", "xavier", "kaiming", "large")

# The verdict reads the data gradient's first/last ratio: below VANISHING
# (three orders of magnitude) is vanishing, above EXPLODING exploding, within
# HEALTHY healthy, and between them shrinking or growing.
# NOTE: the data gradient, not the weight gradient, because the weight
# gradient also carries the layer's input, which shrinks or grows forwards
# as fast as the data gradient does backwards when all weights are too small
# or too large (see the module docstring).
VANISHING = 1e-3
EXPLODING = 1e3
HEALTHY = (0.1, 10.0)
# Clipping supports claim 5 when, without it, the largest update was at least
# this many times the bound, or the loss stopped being finite.
CLIP_NEEDED = 100.0

CLAIMS = {
    "sigmoid/tanh vanish": "Sigmoid/Tanh: gradients vanish toward the first layers",
    "small weights vanish": "weights too small: gradients vanish",
    "large weights explode": "weights too large: gradients explode",
    "relu flows": "ReLU with Kaiming init: gradients reach the first layer",
    "clipping bounds": "clipping the L2 norm bounds the update, the loss stays finite",
}


@dataclass
class FlowRun:
    """One setting: per-step, per-layer gradient norms, losses and updates.

    ``weight_grad_norms[s][k]`` is the norm of layer k's weight gradient at
    step s (layer 0 is the first, next to the input); ``data_grad_norms``
    likewise for the data gradient at each layer's output. ``losses[s]`` is
    the loss on step s's batch before its update, ``update_norms[s]`` the
    L2 norm of the change of all parameters that step made. A run stops at
    the first loss that is not finite (``diverged_at``, 1-based).
    """

    activation: str
    init: str
    clip_norm: float | None
    lr: float
    weight_grad_norms: list[list[float]] = field(default_factory=list)
    data_grad_norms: list[list[float]] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    update_norms: list[float] = field(default_factory=list)
    diverged_at: int | None = None
    verdict: str = ""
    supports: str = ""

    @property
    def label(self) -> str:
        name = f"{self.activation}/{self.init}"
        return name if self.clip_norm is None else f"{name} + clip {self.clip_norm:g}"

    @property
    def first_step(self) -> list[float]:
        """Weight gradient norms of step 1, layer by layer (empty if none)."""
        return self.weight_grad_norms[0] if self.weight_grad_norms else []

    @property
    def weight_ratio(self) -> float:
        """First layer's weight gradient norm over the last's, at step 1."""
        return _ratio(self.first_step)

    @property
    def data_ratio(self) -> float:
        """First layer's data gradient norm over the last's, at step 1."""
        return _ratio(self.data_grad_norms[0] if self.data_grad_norms else [])

    @property
    def largest_weight_grad(self) -> float:
        return max(self.first_step, default=math.nan)

    @property
    def largest_update(self) -> float:
        return max(self.update_norms, default=math.nan)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "activation": self.activation,
            "init": self.init,
            "clip_norm": self.clip_norm,
            "weight_ratio": self.weight_ratio,
            "data_ratio": self.data_ratio,
            "largest_weight_grad": self.largest_weight_grad,
            "largest_update": self.largest_update,
            "diverged_at": self.diverged_at,
            "verdict": self.verdict,
            "supports": self.supports,
            "weight_grad_norms": self.weight_grad_norms,
            "data_grad_norms": self.data_grad_norms,
            "losses": self.losses,
            "update_norms": self.update_norms,
        }


@dataclass
class GradientFlowResult:
    """The runs of :func:`gradient_flow` and the settings that made them."""

    settings: dict[str, Any]
    runs: list[FlowRun]

    def claims(self) -> dict[str, list[str]]:
        """Each claim of the text -> the labels of the rows that support it."""
        found: dict[str, list[str]] = {claim: [] for claim in CLAIMS}
        for run in self.runs:
            if run.supports:
                found[run.supports].append(run.label)
        return found

    def table(self) -> str:
        header = [
            "setting",
            "dW first",
            "dW last",
            "dW first/last",
            "dz first/last",
            "loss step 1",
            "loss last",
            "largest update",
            "verdict",
            "supports",
        ]
        rows = [
            [
                run.label,
                number(run.first_step[0] if run.first_step else None),
                number(run.first_step[-1] if run.first_step else None),
                number(run.weight_ratio),
                number(run.data_ratio),
                number(run.losses[0]),
                number(run.losses[-1]),
                number(run.largest_update),
                run.verdict,
                run.supports or "-",
            ]
            for run in self.runs
        ]
        return markdown_table(header, rows)

    def not_shown(self) -> dict[str, list[FlowRun]]:
        """The half of "Sigmoid/Tanh vanish" that the runs do not bear out.

        Per activation (``"sigmoid"``, ``"tanh"``) run with the inits meant
        to keep values near magnitude 1 (Xavier, Kaiming), none of which
        vanished: those runs. (Tanh with Xavier or Kaiming init keeps its
        gradients over 20 layers; with small weights it vanishes, but that
        is the claim about small weights, and large weights are the claim
        about exploding.)
        """
        missing: dict[str, list[FlowRun]] = {}
        for activation in ("sigmoid", "tanh"):
            runs = [
                r
                for r in self.runs
                if r.activation == activation
                and r.init in ("xavier", "kaiming")
                and r.clip_norm is None
            ]
            if runs and not any(r.supports == "sigmoid/tanh vanish" for r in runs):
                missing[activation] = runs
        return missing

    def summary(self) -> str:
        """One line per claim: supported by which rows, or by none."""
        lines = []
        for claim, labels in self.claims().items():
            status = f"supported by {', '.join(labels)}" if labels else "NOT supported"
            if claim == "sigmoid/tanh vanish":
                status += self._halves()
            lines.append(f"- {CLAIMS[claim]}: {status}")
        return "\n".join(lines)

    def _halves(self) -> str:
        """Which of Sigmoid and Tanh the claim is not shown for, and why."""
        text = ""
        for activation, runs in self.not_shown().items():
            name = activation.capitalize()
            rows = ", ".join(f"{r.label} {r.verdict}" for r in runs)
            text += f"; NOT shown for {name}: {rows}"
            small = [
                r.label
                for r in self.runs
                if r.activation == activation
                and r.init == "small"
                and r.verdict == "vanishing"
            ]
            if small:
                text += (
                    f" ({name} vanished only with small weights, "
                    f"{', '.join(small)}: the claim about small weights)"
                )
        return text

    def to_json(self) -> dict[str, Any]:
        return json_safe(
            {
                "experiment": "vanishing",
                "settings": self.settings,
                "thresholds": {
                    "vanishing": VANISHING,
                    "exploding": EXPLODING,
                    "healthy": list(HEALTHY),
                    "clip_needed": CLIP_NEEDED,
                },
                "claims": {
                    claim: {"text": CLAIMS[claim], "rows": labels}
                    for claim, labels in self.claims().items()
                },
                "not_shown_for": {
                    activation: [r.label for r in runs]
                    for activation, runs in self.not_shown().items()
                },
                "runs": [run.as_dict() for run in self.runs],
            }
        )


def gradient_flow(
    activations: Sequence[str] = ("sigmoid", "tanh", "relu"),
    inits: Sequence[str] = INITS,
    depth: int = 20,
    width: int = 64,
    steps: int = 10,
    batch_size: int = 128,
    lr: float = 0.01,
    clip_norm: float | None = 1.0,
    seed: int = 0,
    data: tuple[np.ndarray, np.ndarray] | None = None,
) -> GradientFlowResult:
    """Train deep MLPs briefly and measure their gradients layer by layer.

    One run per activation and initialisation; with ``clip_norm``, every
    run with the ``"large"`` init is repeated with ``clip_grad_norm_``.
    Every run starts from the same seed and sees the same batches.

    Parameters
    ----------
    activations
        Any of ``"sigmoid"``, ``"tanh"``, ``"relu"``.
    inits
        Any of ``"small"`` (N(0, 0.01²)), ``"xavier"`` (``xavier_normal_``,
        gain 1: Glorot's variance 2 / (fan_in + fan_out)), ``"kaiming"``
        (``kaiming_normal_`` for ReLU: 2 / fan_in), ``"large"`` (N(0, 1)).
    depth, width
        The number of Linear layers (at least 2) and of hidden units.
    steps, batch_size, lr
        Plain SGD steps on batches of the data, and its learning rate.
    clip_norm
        The L2 bound of the clipped runs, or None for no clipped runs.
    seed
        Seeds the weights and the order of the samples.
    data
        ``(x, y)``: features and integer class labels; default: the digits
        dataset, standardised (needs scikit-learn).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> data = rng.standard_normal((32, 8)), rng.integers(0, 3, 32)
    >>> result = gradient_flow(
    ...     ["sigmoid", "relu"], ["kaiming"], depth=12, width=16, steps=1,
    ...     batch_size=32, clip_norm=None, data=data,
    ... )
    >>> for run in result.runs:
    ...     print(run.label, run.verdict, f"{run.data_ratio:.0e}")
    sigmoid/kaiming vanishing 2e-06
    relu/kaiming healthy 1e+00
    """
    where = "gradient_flow"
    check_choices(where, "activation", list(activations), list(ACTIVATIONS))
    check_choices(where, "init", list(inits), list(INITS))
    check_count(where, "depth", depth, least=2)
    for name, value in (("width", width), ("steps", steps), ("batch_size", batch_size)):
        check_count(where, name, value)
    check_positive(where, "lr", lr)
    if clip_norm is not None:
        check_positive(where, "clip_norm", clip_norm)
    x, y = check_data(where, data)

    batches = _batches(len(x), batch_size, steps, seed)
    classes = int(y.max()) + 1
    sizes = [x.shape[1], *[width] * (depth - 1), classes]
    runs = []
    for activation, init in itertools.product(activations, inits):
        clips: list[float | None] = [None]
        if init == "large" and clip_norm is not None:
            clips.append(clip_norm)
        for clip in clips:
            network = _network(sizes, activation, init, seed)
            run = FlowRun(activation, init, clip, lr)
            _train(run, network, x, y, batches)
            runs.append(run)

    for run in runs:
        unclipped = next(
            r
            for r in runs
            if r.clip_norm is None
            and (r.activation, r.init) == (run.activation, run.init)
        )
        run.verdict, run.supports = _judge(run, unclipped)

    settings = {
        "activations": list(activations),
        "inits": list(inits),
        "depth": depth,
        "width": width,
        "layer_sizes": sizes,
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "clip_norm": clip_norm,
        "seed": seed,
        "samples": len(x),
    }
    return GradientFlowResult(settings, runs)


def _batches(n: int, batch_size: int, steps: int, seed: int) -> list[np.ndarray]:
    """Row indices of each step's batch: a seeded shuffle, cycled."""
    order = np.random.default_rng(seed).permutation(n)
    order = np.resize(order, steps * min(batch_size, n))
    return np.split(order, steps)


def _network(
    sizes: list[int], activation: str, init: str, seed: int
) -> list[nn.Linear]:
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in itertools.pairwise(sizes):
        layer = nn.Linear(n_in, n_out, generator=rng)
        if init == "small":
            nn.init.normal_(layer.weight, std=0.01, generator=rng)
        elif init == "xavier":
            nn.init.xavier_normal_(layer.weight, generator=rng)
        elif init == "kaiming":
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=rng)
        else:
            nn.init.normal_(layer.weight, std=1.0, generator=rng)
        assert layer.bias is not None
        nn.init.zeros_(layer.bias)
        layers.append(layer)
    return layers


def _train(
    run: FlowRun,
    layers: list[nn.Linear],
    x: np.ndarray,
    y: np.ndarray,
    batches: list[np.ndarray],
) -> None:
    activation = ACTIVATIONS[run.activation]()
    params = [p for layer in layers for p in layer.parameters()]
    optimizer = optim.SGD(params, lr=run.lr)

    # NOTE: overflow is what the "large" runs are here to show, so NumPy's
    # overflow warnings are silenced; the numbers record it (inf, nan).
    with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for step, rows in enumerate(batches, start=1):
            optimizer.zero_grad()
            h = Tensor(x[rows])
            outputs = []
            for k, layer in enumerate(layers):
                z = layer(h)
                z.retain_grad()
                outputs.append(z)
                h = activation(z) if k < len(layers) - 1 else z
            loss = cross_entropy(h, Tensor(y[rows]))
            run.losses.append(loss.item())
            if not math.isfinite(run.losses[-1]):
                run.diverged_at = step
                return

            loss.backward()
            run.weight_grad_norms.append([_norm(layer.weight.grad) for layer in layers])
            run.data_grad_norms.append([_norm(z.grad) for z in outputs])
            before = [p.data.copy() for p in params]
            if run.clip_norm is not None:
                nn.utils.clip_grad_norm_(params, run.clip_norm)
            optimizer.step()
            run.update_norms.append(
                math.sqrt(
                    sum(
                        float(np.sum((p.data - old) ** 2))
                        for p, old in zip(params, before, strict=True)
                    )
                )
            )


def _judge(run: FlowRun, unclipped: FlowRun) -> tuple[str, str]:
    """The verdict on a run, from its numbers, and the claim it supports."""
    if run.clip_norm is not None:
        return _judge_clipping(run, unclipped)

    ratio = run.data_ratio
    norms = run.first_step + (run.data_grad_norms[0] if run.data_grad_norms else [])
    # NOTE: no gradient at all (the loss overflowed at step 1) or a norm
    # that overflowed counts as exploding; a ratio 0/0 (nothing reaches
    # either end) as vanishing.
    overflowed = not norms or not all(math.isfinite(v) for v in norms)
    if overflowed or ratio > EXPLODING:
        verdict = "exploding"
    elif math.isnan(ratio) or ratio < VANISHING:
        verdict = "vanishing"
    elif HEALTHY[0] <= ratio <= HEALTHY[1]:
        verdict = "healthy"
    else:
        verdict = "shrinking" if ratio < HEALTHY[0] else "growing"

    if verdict == "vanishing":
        if run.activation in ("sigmoid", "tanh") and run.init != "small":
            return verdict, "sigmoid/tanh vanish"
        return verdict, "small weights vanish"
    if verdict == "exploding" and run.init == "large":
        return verdict, "large weights explode"
    # NOTE: only Kaiming is the init fitted to ReLU; another healthy ReLU
    # run (Xavier in a shallow network) is not what the claim says.
    if verdict == "healthy" and run.activation == "relu" and run.init == "kaiming":
        return verdict, "relu flows"
    return verdict, ""


def _judge_clipping(run: FlowRun, unclipped: FlowRun) -> tuple[str, str]:
    assert run.clip_norm is not None
    bound = run.lr * run.clip_norm
    # NOTE: clip_grad_norm_ scales to max_norm / (norm + 1e-6), a hair under
    # the bound; the tolerance only absorbs rounding.
    bounded = run.diverged_at is None and all(
        u <= bound * (1 + 1e-9) for u in run.update_norms
    )
    if not bounded:
        return "not bounded", ""
    needed = (
        unclipped.diverged_at is not None
        or not unclipped.largest_update <= CLIP_NEEDED * bound
    )
    return "bounded", "clipping bounds" if needed else ""


def _norm(grad: Tensor | None) -> float:
    if grad is None:
        return 0.0
    return float(np.linalg.norm(grad.data))


def _ratio(norms: list[float]) -> float:
    if not norms:
        return math.nan
    first, last = norms[0], norms[-1]
    if last == 0:
        return math.inf if first > 0 else math.nan
    return first / last
