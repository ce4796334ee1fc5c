"""A trained model on disk: ``model.safetensors`` (weights) and ``model.json``.

``model.json`` says how to rebuild and feed the network: its architecture
(an MLPSpec), the standardisation fitted on the training split, the class
names and where the data came from. The weights file holds the same record
as its metadata, so it stands on its own too, and loading refuses a
model.json that differs from it (weights of another run, an edited file).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import numpy as np

from chainrule import io, nn
from chainrule.cli.errors import UsageError
from chainrule.cli.models import MLPSpec, build_mlp
from chainrule.errors import ChainruleError, MissingDependencyError
from chainrule.io._atomic import write_atomically

WEIGHTS = "model.safetensors"
DESCRIPTION = "model.json"


def save_model(
    folder: Path, model: nn.Module, spec: MLPSpec, info: dict[str, Any]
) -> None:
    record = {
        "format": "chainrule.cli.mlp",
        "version": 1,
        "spec": spec.to_json(),
        **info,
    }
    try:
        io.save_model(model, folder / WEIGHTS, metadata=record)
    except MissingDependencyError as error:
        raise UsageError(str(error)) from None
    text = json.dumps(record, indent=2) + "\n"

    def write(temp: str) -> None:
        Path(temp).write_text(text)

    write_atomically(str(folder / DESCRIPTION), write, "train")


def load_model(folder: Path) -> tuple[nn.Module, dict[str, Any]]:
    """The network saved in ``folder`` and its record."""
    folder = Path(folder)
    if folder.is_file() and folder.name in (WEIGHTS, DESCRIPTION):
        folder = folder.parent
    if not folder.exists():
        raise UsageError(f"no such folder: {folder}")
    description = folder / DESCRIPTION
    if not description.exists():
        raise UsageError(
            f"{folder} holds no trained model ({DESCRIPTION} is missing); give "
            "the output folder of `chainrule train`"
        )
    try:
        record = json.loads(description.read_text())
        spec = MLPSpec.from_json(record["spec"])
        check_record(record, spec)
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{description} is not a model description: {error}") from None

    model = build_mlp(spec, np.random.default_rng(0))
    try:
        saved = io.load_model(model, folder / WEIGHTS)
    except (ChainruleError, OSError) as error:
        raise UsageError(
            f"cannot load the weights in {folder / WEIGHTS}: {error}"
        ) from None
    check_same_run(folder, record, saved)
    return model, record


def check_same_run(folder: Path, record: dict[str, Any], saved: dict[str, Any]) -> None:
    """``model.json`` must be the record the weights were saved with.

    The weights file keeps its own copy: weights of another run of the same
    architecture, or an edited model.json (other class names, activation,
    standardisation), would otherwise load and give wrong answers.
    """
    differing = differences(record, saved)
    if not differing:
        return
    path, ours, theirs = differing[0]
    raise UsageError(
        f"{folder}: {DESCRIPTION} and {WEIGHTS} are not from the same run: "
        f"they differ in {', '.join(p for p, _, _ in differing)} "
        f"({DESCRIPTION} has {path} = {short(ours)}, the weights were saved "
        f"with {short(theirs)}). The weights are another run's, or "
        f"{DESCRIPTION} was edited: use a run folder as train wrote it, or "
        "train again"
    )


_ABSENT = object()


def differences(ours: Any, theirs: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """The dotted paths where two JSON values differ, with the two values."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in [*ours, *(k for k in theirs if k not in ours)]:
            found += differences(
                ours.get(key, _ABSENT),
                theirs.get(key, _ABSENT),
                f"{path}.{key}" if path else str(key),
            )
        return found
    return [] if ours == theirs else [(path, ours, theirs)]


def short(value: Any) -> str:
    text = "(absent)" if value is _ABSENT else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_record(record: dict[str, Any], spec: MLPSpec) -> None:
    """The description must fit the network it describes."""
    if record.get("format") != "chainrule.cli.mlp" or record.get("version") != 1:
        raise ValueError(
            f"format {record.get('format')!r} version {record.get('version')!r}; "
            "this chainrule reads chainrule.cli.mlp version 1"
        )
    if len(record["class_names"]) != spec.out_features:
        raise ValueError(
            f"{len(record['class_names'])} class names for {spec.out_features} outputs"
        )
    for key in ("mean", "std"):
        if len(record["standardize"][key]) != spec.in_features:
            raise ValueError(
                f"standardize.{key} has {len(record['standardize'][key])} values for "
                f"{spec.in_features} features"
            )


def features_in_model_order(
    x: np.ndarray, names: list[str], record: dict[str, Any], source: str
) -> np.ndarray:
    """The columns of ``x`` reordered to the features the model was trained on."""
    return x[:, feature_positions(names, record, source)]


def feature_positions(
    names: list[str],
    record: dict[str, Any],
    source: str,
    label_option: str | None = None,
) -> list[int]:
    """Where each of the model's features is among the columns ``names``.

    Columns are matched by name, so a file may order them differently; a file
    whose names do not match the training features is refused rather than
    read by position. ``label_option``: the option that names a label
    column to ignore, suggested for an unknown column.
    """
    wanted = [str(n) for n in record["feature_names"]]
    position = {name: k for k, name in enumerate(names)}
    missing = [name for name in wanted if name not in position]
    if missing:
        raise UsageError(
            f"{source} lacks the feature column(s) {', '.join(missing[:8])}"
            f"{' ...' if len(missing) > 8 else ''}; the model was trained on: "
            f"{', '.join(wanted[:8])}{' ...' if len(wanted) > 8 else ''}"
        )
    extra = sorted(set(names) - set(wanted))
    if extra:
        hint = ""
        if label_option is not None:
            hint = (
                f"; if {extra[0]!r} is the label column, pass {label_option} "
                f"{shlex.quote(extra[0])} to ignore it"
            )
        raise UsageError(
            f"{source} has column(s) the model does not know: "
            f"{', '.join(extra[:8])}{hint}"
        )
    return [position[name] for name in wanted]


def standardized(record: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Features scaled with the statistics of the training split."""
    mean = np.asarray(record["standardize"]["mean"])
    std = np.asarray(record["standardize"]["std"])
    if x.ndim != 2 or x.shape[1] != mean.size:
        raise UsageError(
            f"the model takes {mean.size} features per row, but the data has "
            f"shape {x.shape}"
        )
    return (x - mean) / std
