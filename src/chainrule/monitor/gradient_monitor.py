"""``GradientMonitor``: gradient health of a model, per layer and per step.

It watches through hooks, so the model's code does not change:

- a forward hook on each layer measures its output (saturated Sigmoid/Tanh
  units, dead ReLU units) and registers a tensor hook on that output, which
  receives the **data gradient**, the gradient of the loss with respect to
  the output, during backward;
- ``monitor.step(optimizer)``, called instead of ``optimizer.step()``, reads
  the **weight gradients** (before clipping, which it can do too), lets the
  optimizer step and measures how far each layer's weights moved (the
  update-to-weight ratio), then files the step's records and checks them.

A training loop with the monitor::

    with GradientMonitor(model) as monitor:
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            monitor.step(optimizer)
    print(monitor.report())
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from chainrule.autograd.hooks import RemovableHandle
from chainrule.monitor import health
from chainrule.monitor._format import (
    layer_label,
    names,
    number,
    percent,
    table,
)
from chainrule.monitor.measures import (
    DEAD_BATCH,
    EXPLODING,
    SATURATION,
    STUCK,
    VANISHING,
    dead,
    l2_norm,
    saturated,
)
from chainrule.monitor.records import FIELDS, Finding, LayerRecord, StepRecord
from chainrule.nn.activation import ReLU, Sigmoid, Tanh
from chainrule.nn.module import Module
from chainrule.optim.clip import ClipReport, clip_grad_norm_
from chainrule.tensor import Tensor

_ACTIVATIONS: tuple[tuple[type[Module], str], ...] = (
    (Sigmoid, "sigmoid"),
    (Tanh, "tanh"),
    (ReLU, "relu"),
)


class _Pending:
    """What one layer's forward and backward passes gave during this step."""

    __slots__ = ("dead", "entries", "grad_norms", "saturated", "units")

    def __init__(self) -> None:
        self.grad_norms: list[float] = []
        self.saturated = self.entries = 0
        self.dead = self.units = 0


class GradientMonitor:
    """Record gradient health per layer and step; warn on vanishing or exploding
    gradients and on layers whose units are mostly saturated or dead.

    Parameters
    ----------
    model
        The module to watch. Its layers are its modules without submodules,
        and any module with parameters of its own; each is named by its
        module path.
    layers
        Only these module paths (default: all layers).
    vanishing
        Warn when the first layer's data-gradient norm is below this times
        the last layer's (default 1e-3).
    exploding
        Warn when the first layer's data-gradient norm is above this times
        the last layer's, or the total gradient norm grows above this times
        its value at the first step (default 1e3). Non-finite gradients
        always warn.
    saturation
        A tanh unit is saturated where ``|y| > saturation``, a sigmoid unit
        where ``y > saturation`` or ``y < 1 - saturation`` (default 0.97).
    warn
        Issue ``VanishingGradientWarning``, ``ExplodingGradientWarning`` or
        ``SaturationWarning`` (more than half of a layer's units saturated
        or dead) once per kind and cause; findings are recorded either way.

    Attributes
    ----------
    steps
        One :class:`StepRecord` per ``step()`` call.
    findings
        The problems flagged, one :class:`Finding` per kind and cause.

    Notes
    -----
    Forward passes under ``no_grad()`` (evaluation) are not measured. A
    layer called several times in a step counts all its outputs together.
    Only layers that are modules are seen: ``cr.relu(x)`` inside a
    ``forward`` is part of its module, not a layer of its own.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule import nn, optim
    >>> from chainrule.monitor import GradientMonitor
    >>> rng = np.random.default_rng(0)
    >>> model = nn.Sequential(nn.Linear(3, 4, generator=rng), nn.ReLU(),
    ...                       nn.Linear(4, 1, generator=rng))
    >>> optimizer = optim.SGD(model.parameters(), lr=0.1)
    >>> with GradientMonitor(model) as monitor:
    ...     for _ in range(3):
    ...         optimizer.zero_grad()
    ...         loss = (model(cr.randn(8, 3, generator=rng)) ** 2).mean()
    ...         loss.backward()
    ...         record = monitor.step(optimizer)
    >>> len(monitor.steps), monitor.layers
    (3, ['0', '1', '2'])
    >>> monitor.healthy
    True
    """

    def __init__(
        self,
        model: Module,
        *,
        layers: Iterable[str] | None = None,
        vanishing: float = VANISHING,
        exploding: float = EXPLODING,
        saturation: float = SATURATION,
        warn: bool = True,
    ) -> None:
        if not isinstance(model, Module):
            raise TypeError(
                f"GradientMonitor: expected an nn.Module, got {type(model).__name__}"
            )
        if not 0 < vanishing < 1 < exploding:
            raise ValueError(
                f"GradientMonitor: need 0 < vanishing < 1 < exploding, got "
                f"vanishing={vanishing}, exploding={exploding}"
            )
        if not 0.5 < saturation < 1:
            raise ValueError(
                f"GradientMonitor: saturation must lie between 0.5 and 1 (a "
                f"sigmoid output beyond it, or below 1 - it, counts as "
                f"saturated), got {saturation}"
            )
        self.model = model
        self.vanishing = float(vanishing)
        self.exploding = float(exploding)
        self.saturation = float(saturation)
        self.warn = warn
        self._modules = _select_layers(model, layers)
        self._kinds = {
            path: kind
            for path, module in self._modules.items()
            for cls, kind in _ACTIVATIONS
            if isinstance(module, cls)
        }
        self._depth: dict[str, int] = {}
        self._pending: dict[str, _Pending] = {}
        self._batch: int | None = None  # the smallest batch measured this step
        self._tensor_hooks: list[RemovableHandle] = []
        self._handles: list[RemovableHandle] = []
        self.steps: list[StepRecord] = []
        self.findings: list[Finding] = []

    # --- attaching ------------------------------------------------------------

    def attach(self) -> GradientMonitor:
        """Register the hooks (once); returns the monitor."""
        if not self._handles:
            for path, module in self._modules.items():
                self._handles.append(module.register_forward_hook(self._hook(path)))
        return self

    def detach(self) -> None:
        """Remove every hook; the records stay."""
        for handle in [*self._handles, *self._tensor_hooks]:
            handle.remove()
        self._handles.clear()
        self._tensor_hooks.clear()
        self._pending.clear()

    @property
    def attached(self) -> bool:
        return bool(self._handles)

    def __enter__(self) -> GradientMonitor:
        return self.attach()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.detach()

    def _hook(self, path: str) -> Any:
        def forward_hook(module: Module, inputs: Any, output: Any) -> None:
            outputs = output if isinstance(output, tuple) else (output,)
            tensors = [t for t in outputs if isinstance(t, Tensor) and t.requires_grad]
            if not tensors or not self._handles:
                return
            pending = self._pending.get(path)
            if pending is None:
                pending = self._pending[path] = _Pending()
                self._depth.setdefault(path, len(self._depth))
            kind = self._kinds.get(path)
            for tensor in tensors:
                y = tensor.data
                batch = len(y) if y.ndim >= 2 else 1
                self._batch = batch if self._batch is None else min(self._batch, batch)
                if kind == "relu":
                    n_dead, n_units = dead(y)
                    pending.dead += n_dead
                    pending.units += n_units
                elif kind is not None:
                    n_saturated, n_entries = saturated(kind, y, self.saturation)
                    pending.saturated += n_saturated
                    pending.entries += n_entries
                self._tensor_hooks.append(
                    tensor.register_hook(_data_gradient_hook(pending))
                )

        return forward_hook

    # --- stepping -----------------------------------------------------------------

    def step(
        self,
        optimizer: Any = None,
        *,
        max_norm: float | None = None,
        norm_type: float = 2.0,
    ) -> StepRecord:
        """File this step's records; clip and take the optimizer's step on request.

        Call it after ``backward()``, in place of ``optimizer.step()``. In
        order it: reads the weight-gradient norms; clips all the model's
        gradients to ``max_norm`` if given (``clip_grad_norm_``, its report
        kept in the record); calls ``optimizer.step()`` and measures each
        layer's update-to-weight ratio; checks the step and warns.

        Parameters
        ----------
        optimizer
            The optimizer to step, or None to record the gradients only.
        max_norm, norm_type
            Clip the gradients' total norm to ``max_norm`` (order
            ``norm_type``, default L2) before the step.

        Returns
        -------
        StepRecord
            The step's rows, total gradient norm and clipping report.
        """
        index = len(self.steps)
        own = {path: _own_parameters(m) for path, m in self._modules.items()}
        weight_norms = {
            path: l2_norm([p.grad.data for p in params])
            for path, params in own.items()
            if params
        }
        all_grads = [p.grad.data for p in self.model.parameters() if p.grad is not None]
        total = l2_norm(all_grads)

        clip: ClipReport | None = None
        if max_norm is not None:
            clip = clip_grad_norm_(
                self.model.parameters(), max_norm, norm_type, return_report=True
            )
        ratios = {}
        if optimizer is not None:
            before = {
                path: [(p, p.data.copy()) for p in params]
                for path, params in own.items()
                if params
            }
            optimizer.step()
            ratios = {path: _update_ratio(pairs) for path, pairs in before.items()}

        rows = self._rows(index, weight_norms, ratios)
        record = StepRecord(index, rows, total, clip, self._batch)
        self.steps.append(record)
        for handle in self._tensor_hooks:
            handle.remove()
        self._tensor_hooks.clear()
        self._pending = {}
        self._batch = None
        if not rows:
            warnings.warn(
                f"gradient monitor, step {index}: no gradient has reached the "
                "model, so there is nothing to judge; call monitor.step() after "
                "loss.backward()",
                health.GradientHealthWarning,
                stacklevel=2,
            )
        for finding in self._check(record):
            warnings.warn(finding.message, health.WARNINGS[finding.kind], stacklevel=2)
        return record

    def _rows(
        self,
        index: int,
        weight_norms: dict[str, float],
        ratios: dict[str, float],
    ) -> tuple[LayerRecord, ...]:
        for path in weight_norms:
            self._depth.setdefault(path, len(self._depth))
        present = set(self._pending) | set(weight_norms)
        rows = []
        for path in sorted(present, key=self._depth.__getitem__):
            pending = self._pending.get(path)
            kind = self._kinds.get(path)
            data_norm = sat = dead_units = None
            if pending is not None:
                if pending.grad_norms:
                    data_norm = l2_norm([np.asarray(pending.grad_norms)])
                if kind == "relu" and pending.units:
                    dead_units = pending.dead / pending.units
                elif kind is not None and pending.entries:
                    sat = pending.saturated / pending.entries
            rows.append(
                LayerRecord(
                    step=index,
                    depth=self._depth[path],
                    layer=path,
                    kind=type(self._modules[path]).__name__,
                    weight_grad_norm=weight_norms.get(path),
                    data_grad_norm=data_norm,
                    update_ratio=ratios.get(path),
                    saturated=sat,
                    dead=dead_units,
                )
            )
        return tuple(rows)

    def _check(self, record: StepRecord) -> list[Finding]:
        """Record this step's findings; return those to warn about now."""
        baseline = self._baseline()
        found = [
            health.non_finite(record),
            health.depth(record, self.vanishing, self.exploding),
            None
            if baseline is None
            else health.growth(record, baseline, self.exploding),
            *health.stuck(record, STUCK, self.saturation, DEAD_BATCH),
        ]
        new: list[Finding] = []
        for finding in found:
            if finding is None:
                continue
            known = next(
                (
                    f
                    for f in self.findings
                    if (f.kind, f.cause) == (finding.kind, finding.cause)
                ),
                None,
            )
            if known is not None:
                known.count += 1
                known.last_step = record.step
                continue
            self.findings.append(finding)
            if self.warn:
                new.append(finding)
        return new

    def _baseline(self) -> StepRecord | None:
        """The first step with a finite, nonzero total gradient norm."""
        for record in self.steps:
            norm = record.total_grad_norm
            if math.isfinite(norm) and norm > 0:
                return record
        return None

    # --- reading the records ----------------------------------------------------

    @property
    def records(self) -> list[LayerRecord]:
        """Every row of every step: one per layer and step (tidy data)."""
        return [row for record in self.steps for row in record.layers]

    @property
    def layers(self) -> list[str]:
        """The layers seen so far, in depth order (first run forward first)."""
        return sorted(self._depth, key=self._depth.__getitem__)

    @property
    def healthy(self) -> bool:
        """True when nothing has been flagged."""
        return not self.findings

    def series(self, field: str, layer: str) -> np.ndarray:
        """One field of one layer over the steps (nan where not recorded)."""
        if field not in FIELDS:
            raise ValueError(
                f"series: unknown field {field!r}; choose one of {', '.join(FIELDS)}"
            )
        if layer not in self._depth:
            raise KeyError(
                f"series: no layer {layer!r} was recorded; recorded layers: "
                f"{self.layers}"
            )
        values = np.full(len(self.steps), np.nan)
        for record in self.steps:
            for row in record.layers:
                value = getattr(row, field)
                if row.layer == layer and value is not None:
                    values[record.step] = value
        return values

    def clip_counts(self) -> tuple[int, int]:
        """(steps where clipping acted, steps clipped through ``step``)."""
        reports = [r.clip for r in self.steps if r.clip is not None]
        return sum(r.clipped for r in reports), len(reports)

    def verdict(self) -> str:
        """One line: healthy, or what was flagged, and how often clipping acted."""
        n = len(self.steps)
        if not n:
            return (
                "no steps recorded: call monitor.step(optimizer) after each backward()"
            )
        empty = sum(not step.layers for step in self.steps)
        if empty == n:
            return (
                f"no gradients recorded in {n} steps: call monitor.step() after "
                "loss.backward()"
            )
        if self.healthy:
            text = f"healthy: no vanishing or exploding gradients in {n} steps"
        else:
            text = "; ".join(
                f"{health.describe(f)} from step {f.step}, in "
                f"{f.count} of {n} steps: "
                + names([self._label(p) for p in f.layers], limit=3)
                for f in self.findings
            )
        fired, clipped = self.clip_counts()
        if clipped:
            text += f"; clipping acted in {fired} of {clipped} steps"
        return text

    def report(self, step: int = -1) -> str:
        """A text table of one step (default: the last), then the verdict."""
        if not self.steps:
            return "gradient monitor: " + self.verdict()
        record = self.steps[step]
        rows = [
            [
                str(r.depth),
                r.layer or "(model)",
                r.kind,
                number(r.weight_grad_norm),
                number(r.data_grad_norm),
                number(r.update_ratio),
                percent(r.saturated),
                percent(r.dead),
            ]
            for r in record.layers
        ]
        headers = [
            "depth",
            "layer",
            "type",
            "weight grad",
            "data grad",
            "update/weight",
            "saturated",
            "dead",
        ]
        lines = [
            f"gradient health at step {record.step} ({len(self.steps)} steps "
            f"recorded; L2 norms, total {number(record.total_grad_norm)})",
            table(headers, rows, "lllrrrrr"),
        ]
        if record.clip is not None:
            lines.append(str(record.clip))
        lines.append("verdict: " + self.verdict())
        return "\n".join(lines)

    def __repr__(self) -> str:
        state = "attached" if self.attached else "detached"
        return (
            f"GradientMonitor({type(self.model).__name__}, {len(self._modules)} "
            f"layers, {len(self.steps)} steps, {state})"
        )

    def _label(self, path: str) -> str:
        return layer_label(path, type(self._modules[path]).__name__)

    # --- saving -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Everything recorded, as plain JSON-able values (see ``to_json``)."""
        return {
            "format": "chainrule.monitor",
            "version": 1,
            "thresholds": {
                "vanishing": self.vanishing,
                "exploding": self.exploding,
                "saturation": self.saturation,
                "stuck": STUCK,
                "dead_batch": DEAD_BATCH,
            },
            "layers": [
                {
                    "layer": path,
                    "kind": type(self._modules[path]).__name__,
                    "depth": self._depth[path],
                }
                for path in self.layers
            ],
            "steps": [record.to_dict() for record in self.steps],
            "records": [row.to_dict() for row in self.records],
            "findings": [finding.to_dict() for finding in self.findings],
            "verdict": self.verdict(),
        }

    def to_json(self, path: str | Path | None = None) -> str:
        """The records as JSON text; also written to ``path`` if given.

        Non-finite numbers are written as the strings ``"nan"``, ``"inf"``,
        ``"-inf"`` (JSON has none); missing ones as null.
        """
        import json

        text = json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n"
        if path is not None:
            Path(path).write_text(text)
        return text

    def plot_by_layer(
        self, path: str | Path, steps: Iterable[int] | None = None
    ) -> Path:
        """PNG: gradient norms against depth (log scale), for a few steps."""
        from chainrule.monitor import plots

        return plots.by_layer(self, path, steps)

    def plot_over_steps(self, path: str | Path) -> Path:
        """PNG: each layer's gradient norms and update ratio over the steps."""
        from chainrule.monitor import plots

        return plots.over_steps(self, path)


def _data_gradient_hook(pending: _Pending) -> Any:
    def hook(grad: Tensor) -> None:
        pending.grad_norms.append(l2_norm([grad.data]))

    return hook


def _select_layers(model: Module, wanted: Iterable[str] | None) -> dict[str, Module]:
    layers = {
        path: module
        for path, module in model.named_modules()
        if not any(True for _ in module.children()) or _own_parameters(module, False)
    }
    if wanted is None:
        return layers
    chosen = {}
    every = dict(model.named_modules())
    for path in wanted:
        if path not in every:
            raise KeyError(
                f"GradientMonitor: the model has no module {path!r}; its module "
                f"paths are {sorted(p for p in every if p)}"
            )
        chosen[path] = every[path]
    return chosen


def _own_parameters(module: Module, with_grad: bool = True) -> list[Any]:
    return [
        p
        for p in module._parameters.values()
        if p is not None and (p.grad is not None or not with_grad)
    ]


def _update_ratio(pairs: list[tuple[Any, np.ndarray]]) -> float:
    delta = l2_norm([p.data - old for p, old in pairs])
    size = l2_norm([old for _, old in pairs])
    if size > 0:
        return delta / size
    return 0.0 if delta == 0 else math.inf
