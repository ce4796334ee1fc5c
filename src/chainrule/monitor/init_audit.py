"""``audit_init``: does the initialisation keep values near magnitude 1?

The source text's rule for initialisation: the values reaching the next
layer should have absolute values near 1, since weights too large make the
data gradients explode on their way back and weights too small make them
vanish. The audit pushes one batch through the model and, for each layer
with a weight matrix, measures

- the **activation std**: the standard deviation of the layer's output (the
  values the next activation sees); target 1;
- the **data-gradient std**: that of the gradient with respect to the same
  output, after seeding the model's output with unit-variance noise (or
  with your loss); and its **gradient scale**, the data-gradient norm
  relative to the output's. The target is 1: Kaiming initialisation keeps
  exactly this per-sample norm through ReLU layers even where widths
  change, while the per-entry std then changes with the widths, so the
  scale, not the std, is judged.

A layer is far off when either is beyond ``tolerance`` (default 10, an
order of magnitude) from 1, or, before a Tanh or Sigmoid, when more than half
of that activation's outputs are saturated (the monitor's threshold: |tanh|
> 0.97, sigmoid outside [0.03, 0.97]), where its derivative nearly stops the
data gradient. The audit then suggests the scheme and gain for the
activation that follows the layer, past any normalisation layer between.

An input batch far from magnitude 1 is flagged on its own (standardise
it), and the layers are then judged on the batch standardised per
feature: every layer's output scales with its input, so on the raw batch
a good initialisation would look far off and be told to use what it has.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from chainrule.autograd.api import grad
from chainrule.autograd.grad_mode import enable_grad
from chainrule.monitor._format import layer_label, table
from chainrule.monitor.measures import SATURATION, STUCK, l2_norm, saturated
from chainrule.nn.activation import ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from chainrule.nn.module import Module
from chainrule.nn.normalization import BatchNorm1d, LayerNorm
from chainrule.tensor import Tensor

TOLERANCE = 10.0

_RELU_LIKE = (ReLU, GELU, ELU, Softplus)
_ACTIVATIONS = (*_RELU_LIKE, LeakyReLU, Tanh, Sigmoid)
# Looked through on the way from a layer to its activation.
_NORMALISATIONS = (BatchNorm1d, LayerNorm)


@dataclass(frozen=True)
class LayerAudit:
    """One layer's numbers and, when it is far off, what to change.

    ``activation`` is the class name of the activation module that runs
    right after the layer, or after the normalisation layers named in
    ``through`` (``"LayerNorm"``); None if another layer or nothing follows.
    ``grad_std`` and ``grad_scale`` are None if no gradient reached the
    layer's output. ``saturated`` is the fraction of a following Tanh or
    Sigmoid's outputs that are saturated (else None).
    """

    layer: str
    kind: str
    activation: str | None
    activation_std: float
    grad_std: float | None
    grad_scale: float | None
    saturated: float | None = None
    problem: str | None = None
    suggestion: str | None = None
    through: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class InitAudit:
    """The result of :func:`audit_init`: ``str()`` for people, fields for programs.

    ``standardised`` is True when the input was far off (``input_problem``)
    and the layers were therefore judged on the batch standardised per
    feature; ``input_std`` is the std of the batch as given.
    """

    layers: tuple[LayerAudit, ...]
    input_std: float
    batch_size: int
    tolerance: float
    seed: str
    input_problem: str | None = None
    standardised: bool = False

    @property
    def ok(self) -> bool:
        """True when no layer (and not the input) is far off."""
        return self.input_problem is None and all(a.ok for a in self.layers)

    @property
    def flagged(self) -> list[LayerAudit]:
        """The layers that are far off, each with its suggestion."""
        return [a for a in self.layers if not a.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in asdict(self).items() if k != "layers"},
            "layers": [asdict(a) for a in self.layers],
            "ok": self.ok,
        }

    def __str__(self) -> str:
        rows = [
            [
                a.layer or "(model)",
                a.kind,
                a.activation or "-",
                _fmt(a.activation_std),
                _fmt(a.grad_std),
                _fmt(a.grad_scale),
                "-" if a.saturated is None else f"{100 * a.saturated:.0f}%",
                "ok" if a.ok else "far off",
            ]
            for a in self.layers
        ]
        headers = [
            "layer",
            "type",
            "then",
            "out std",
            "grad std",
            "grad scale",
            "saturated",
            "",
        ]
        judged = (
            " (layers judged on the batch standardised per feature)"
            if self.standardised
            else ""
        )
        lines = [
            f"initialisation audit: one batch of {self.batch_size}, input std "
            f"{_fmt(self.input_std)}{judged}, data gradients seeded by "
            f"{self.seed}; target about 1, far off beyond a factor of "
            f"{self.tolerance:g}",
            table(headers, rows, "lllrrrrl"),
        ]
        if self.ok:
            lines.append("every layer keeps values near magnitude 1: nothing to change")
            return "\n".join(lines)
        lines.append("suggestions:")
        if self.input_problem:
            lines.append(f"  input: {self.input_problem}")
        for a in self.flagged:
            lines.append(
                f"  {layer_label(a.layer, a.kind)}: {a.problem}; use {a.suggestion}"
            )
        return "\n".join(lines)


def audit_init(
    model: Module,
    batch: Any,
    loss: Any = None,
    *,
    tolerance: float = TOLERANCE,
    generator: np.random.Generator | None = None,
) -> InitAudit:
    """Push one batch through ``model`` and judge each layer's scale.

    Nothing in the model changes: no ``.grad`` is written (the gradients are
    taken with ``autograd.grad``) and buffers (batch-norm statistics) are
    restored. The model runs in its current mode (``train()``/``eval()``).

    Parameters
    ----------
    model
        The network, freshly initialised.
    batch
        Its input: a Tensor or array, the first axis the batch (use a
        realistic batch, standardised as in training, of a few dozen
        samples or more).
    loss
        ``loss(output) -> scalar Tensor`` to backpropagate, e.g.
        ``lambda out: F.cross_entropy(out, labels)``. Default: seed the
        output's gradient with standard normal noise, so that the output's
        data gradient has std 1 and the target for every layer is 1.
    tolerance
        A value is far off when it is below ``1/tolerance`` or above
        ``tolerance`` (default 10).
    generator
        For the noise seed; default ``np.random.default_rng(0)``.

    Returns
    -------
    InitAudit
        Per layer: activation std, data-gradient std and scale, and a
        suggestion where far off; ``print()`` it for a table.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> from chainrule.monitor import audit_init
    >>> rng = np.random.default_rng(0)
    >>> model = nn.Sequential(*[m for _ in range(4)
    ...                         for m in (nn.Linear(32, 32, generator=rng), nn.ReLU())])
    >>> for layer in model[::2]:
    ...     _ = nn.init.normal_(layer.weight, std=0.01, generator=rng)
    >>> audit = audit_init(model, rng.standard_normal((64, 32)))
    >>> audit.ok, audit.flagged[0].suggestion.split(" (")[0]
    (False, 'nn.init.kaiming_uniform_(weight, nonlinearity="relu")')
    """
    if not isinstance(model, Module):
        raise TypeError(
            f"audit_init: expected an nn.Module, got {type(model).__name__}"
        )
    if not tolerance > 1:
        raise ValueError(f"audit_init: tolerance must be above 1, got {tolerance}")
    x = batch if isinstance(batch, Tensor) else Tensor(np.asarray(batch))
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(
            f"audit_init: the batch must have samples along its first axis, got "
            f"shape {x.shape}"
        )
    rng = generator if generator is not None else np.random.default_rng(0)

    input_std = float(np.std(x.data))
    input_problem = None
    judged = x
    if _far(input_std, tolerance):
        input_problem = (
            f"the batch has std {_fmt(input_std)}: standardise the inputs "
            "(cr.data.Standardize) so the first layer sees values near 1"
        )
        if x.dtype.kind == "f":
            judged = _standardised(x)

    calls, output = _run(model, judged)
    if not isinstance(output, Tensor):
        raise TypeError(
            f"audit_init: the model returned a {type(output).__name__}; the audit "
            "needs a model whose output is one Tensor"
        )
    grads, seed = _data_gradients(calls, output, loss, rng)

    output_norm = grads.get(id(output))
    audits = []
    for k, (path, module, out) in enumerate(calls):
        weight = module._parameters.get("weight")
        if weight is None or weight.ndim < 2 or _seen(calls, k):
            continue
        place = _activation_after(calls, k)
        after: Module | None = None
        through = ""
        if place is not None:
            after = calls[place][1]
            through = ", ".join(type(m).__name__ for _, m, _ in calls[k + 1 : place])
        g = grads.get(id(out))
        grad_std = None if g is None else float(np.std(g))
        scale = None
        if g is not None and output_norm is not None and _norm(output_norm) > 0:
            scale = _norm(g) / _norm(output_norm)
        act_std = float(np.std(out.data))
        share = None
        if isinstance(after, (Tanh, Sigmoid)):
            kind = "tanh" if isinstance(after, Tanh) else "sigmoid"
            assert place is not None  # an activation was found
            count, size = saturated(kind, calls[place][2].data, SATURATION)
            share = count / size if size else None
        problem = _problem(act_std, scale, share, after, tolerance)
        audits.append(
            LayerAudit(
                layer=path,
                kind=type(module).__name__,
                activation=None if after is None else type(after).__name__,
                activation_std=act_std,
                grad_std=grad_std,
                grad_scale=scale,
                saturated=share,
                problem=problem,
                suggestion=None
                if problem is None
                else _suggestion(module, after, through),
                through=through or None,
            )
        )

    return InitAudit(
        tuple(audits),
        input_std,
        len(x),
        tolerance,
        seed,
        input_problem,
        standardised=judged is not x,
    )


def _standardised(x: Tensor) -> Tensor:
    """The batch with each feature at mean 0 and std 1 (a constant one at 0)."""
    mean = x.data.mean(axis=0)
    std = x.data.std(axis=0)
    # NOTE: a feature constant over the batch would divide by 0; it is only
    # centred.
    return Tensor((x.data - mean) / np.where(std > 0, std, 1.0))


def _run(model: Module, x: Tensor) -> tuple[list[tuple[str, Module, Tensor]], Any]:
    """Forward once, recording every layer's output in call order."""
    calls: list[tuple[str, Module, Tensor]] = []
    handles = []
    for path, module in model.named_modules():
        leaf = not any(True for _ in module.children())
        if leaf or any(p is not None for p in module._parameters.values()):

            def hook(m: Module, inputs: Any, out: Any, path: str = path) -> None:
                if isinstance(out, Tensor):
                    calls.append((path, m, out))

            handles.append(module.register_forward_hook(hook))
    buffers = {name: b.data.copy() for name, b in model.named_buffers()}
    try:
        with enable_grad():
            output = model(x)
    finally:
        for handle in handles:
            handle.remove()
        for name, b in model.named_buffers():
            b.data[...] = buffers[name]
    return calls, output


def _data_gradients(
    calls: list[tuple[str, Module, Tensor]],
    output: Tensor,
    loss: Any,
    rng: np.random.Generator,
) -> tuple[dict[int, np.ndarray], str]:
    """The data gradient at each recorded output (by id) and the seed's name."""
    if loss is None:
        root = output
        seed: Any = Tensor(rng.standard_normal(output.shape).astype(output.dtype))
        described = "standard normal noise at the output"
    else:
        root = loss(output)
        if not isinstance(root, Tensor) or root.size != 1:
            raise ValueError(
                "audit_init: loss(output) must return a one-element Tensor (a "
                "scalar loss)"
            )
        seed = None
        described = "the given loss"
    if not root.requires_grad:
        return {}, described

    wanted: dict[int, Tensor] = {}
    for _, _, out in calls:
        if out.requires_grad:
            wanted.setdefault(id(out), out)
    wanted.setdefault(id(output), output)
    tensors = list(wanted.values())
    grads = grad(root, tensors, grad_outputs=seed, allow_unused=True)
    return {
        id(t): g.data for t, g in zip(tensors, grads, strict=True) if g is not None
    }, described


def _seen(calls: list[tuple[str, Module, Tensor]], k: int) -> bool:
    """Whether the module of call ``k`` was already called before (shared)."""
    return any(m is calls[k][1] for _, m, _ in calls[:k])


def _activation_after(calls: list[tuple[str, Module, Tensor]], k: int) -> int | None:
    """Which call is the activation run right after call ``k``, if any.

    Normalisation layers in between are looked through: in Linear ->
    LayerNorm -> ReLU the ReLU is what the Linear's init is for.
    """
    for place in range(k + 1, len(calls)):
        module = calls[place][1]
        if isinstance(module, _ACTIVATIONS):
            return place
        if not isinstance(module, _NORMALISATIONS):
            return None
    return None


def _problem(
    act_std: float,
    scale: float | None,
    share: float | None,
    after: Any,
    tolerance: float,
) -> str | None:
    problems = []
    if _far(act_std, tolerance):
        trend = "shrink" if act_std < 1 else "grow"
        problems.append(f"values {trend} (output std {_fmt(act_std)})")
    if scale is not None and _far(scale, tolerance):
        trend = "vanish" if scale < 1 else "explode"
        problems.append(
            f"data gradients {trend} ({_fmt(scale)} times the output's norm)"
        )
    if share is not None and share > STUCK:
        problems.append(
            f"{100 * share:.0f}% of the {type(after).__name__}'s outputs are saturated"
        )
    return "; ".join(problems) or None


def _suggestion(module: Module, after: Any, through: str = "") -> str:
    caveat = ""
    if isinstance(after, LeakyReLU):
        slope = after.negative_slope
        gain = math.sqrt(2.0 / (1 + slope**2))
        text = (
            f'nn.init.kaiming_uniform_(weight, a={slope:g}, nonlinearity="leaky_relu")'
            f" (gain {gain:.3g}, for the LeakyReLU after it)"
        )
    elif isinstance(after, ReLU):
        text = (
            'nn.init.kaiming_uniform_(weight, nonlinearity="relu") '
            "(gain √2, for the ReLU after it)"
        )
    elif isinstance(after, _RELU_LIKE):
        text = (
            'nn.init.kaiming_uniform_(weight, nonlinearity="relu") '
            f"(gain √2; {type(after).__name__} is close to ReLU)"
        )
    elif isinstance(after, Tanh):
        text = (
            "nn.init.xavier_uniform_(weight, gain=5/3) (the gain for the Tanh after it)"
        )
    elif isinstance(after, Sigmoid):
        text = "nn.init.xavier_uniform_(weight) (gain 1, for the Sigmoid after it)"
        caveat = (
            "; but sigmoid'(x) <= 1/4 shrinks data gradients at every layer "
            "whatever the initialisation, so consider ReLU with kaiming_uniform_"
        )
    else:
        text = "nn.init.xavier_uniform_(weight) (gain 1, no activation after it)"
    if through:
        text = text[:-1] + f", past the {through})"
    if module._parameters.get("bias") is not None:
        text += ", and nn.init.zeros_(bias)"
    return text + caveat


def _far(value: float, tolerance: float) -> bool:
    return not 1 / tolerance <= value <= tolerance


def _norm(array: np.ndarray) -> float:
    return l2_norm([array])


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"
