"""A trained model on disk: ``model.safetensors`` (weights) and ``model.json``.

``model.json`` says how to rebuild and feed the network: its architecture
(an MLPSpec), the standardisation fitted on the training split, the class
names and where the data came from. The weights file holds the same record
as its metadata, so it stands on its own too, and loading refuses a
model.json that differs from it (weights of another run, an edited file).

Every field evaluate and predict read is checked for its type and size
when the record is loaded, so that the code after it can trust them: a
malformed record is a message naming the field, never a traceback.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from chainrule import io, nn
from chainrule.cli.errors import UsageError
from chainrule.cli.examples import BUILTIN
from chainrule.cli.models import ACTIVATIONS, INITS, MLPSpec, build_mlp
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
        spec = check_record(record)
    except ValueError as error:
        raise UsageError(
            f"{description} is not a model description: {error}; use the run "
            "folder as train wrote it, or train again"
        ) from None

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


def check_record(record: Any) -> MLPSpec:
    """The network a record describes, once every field it holds is checked.

    Raises ValueError naming the first field that has the wrong type or
    size, or does not fit the others.
    """
    if not isinstance(record, dict):
        raise ValueError(f"it holds {short(record)}, not a JSON object")
    if record.get("format") != "chainrule.cli.mlp" or record.get("version") != 1:
        raise ValueError(
            f"format {record.get('format')!r} version {record.get('version')!r}; "
            "this chainrule reads chainrule.cli.mlp version 1"
        )
    for key in ("spec", "standardize", "split"):
        need(record, key, lambda v: isinstance(v, dict), "an object")

    spec = check_spec(record["spec"])
    for key, count in (
        ("feature_names", spec.in_features),
        ("class_names", spec.out_features),
    ):
        need(record, key, distinct_names(count), f"a list of {count} distinct strings")
    check_standardize(record["standardize"], spec.in_features)
    check_split(record["split"])
    check_source(record)
    return spec


def check_spec(spec: dict[str, Any]) -> MLPSpec:
    need(spec, "in_features", counts(1), "an integer >= 1", "spec.")
    need(spec, "out_features", counts(2), "an integer >= 2 (classes)", "spec.")
    need(
        spec,
        "hidden",
        lambda v: isinstance(v, list) and all(map(counts(1), v)),
        "a list of layer sizes, integers >= 1",
        "spec.",
    )
    need(
        spec,
        "activation",
        lambda v: isinstance(v, str) and v in ACTIVATIONS,
        f"one of {', '.join(sorted(ACTIVATIONS))}",
        "spec.",
    )
    need(spec, "init", lambda v: v in INITS, f"one of {', '.join(INITS)}", "spec.")
    return MLPSpec.from_json(spec)


def check_standardize(standardize: dict[str, Any], features: int) -> None:
    for key in ("mean", "std"):
        need(
            standardize,
            key,
            lambda v: (
                isinstance(v, list) and len(v) == features and all(map(finite, v))
            ),
            f"a list of {features} finite numbers, one per feature",
            "standardize.",
        )
    need(standardize, "std", lambda v: min(v) > 0, "positive", "standardize.")


def check_split(split: dict[str, Any]) -> None:
    need(split, "seed", counts(0), "an integer >= 0", "split.")
    need(
        split,
        "test_size",
        lambda v: finite(v) and 0 < v < 1,
        "a fraction between 0 and 1",
        "split.",
    )


def check_source(record: dict[str, Any]) -> None:
    """What the model was trained on: a built-in dataset, or a CSV file."""
    # NOTE: a run from before train recorded checksums has no data_sha256;
    # evaluate then refuses to rebuild its split, saying why.
    texts = ("data", "target", *(["data_sha256"] if "data_sha256" in record else []))
    for key in texts:
        need(record, key, lambda v: v is None or isinstance(v, str), "a string or null")
    need(
        record,
        "dataset",
        lambda v: v is None or v in BUILTIN,
        f"null or one of {', '.join(BUILTIN)}",
    )
    if (record["dataset"] is None) == (record["data"] is None):
        raise ValueError(
            "exactly one of dataset and data must say what the model was trained "
            f"on; it has dataset = {short(record['dataset'])} and data = "
            f"{short(record['data'])}"
        )


def need(
    fields: dict[str, Any],
    key: str,
    check: Callable[[Any], bool],
    expected: str,
    prefix: str = "",
) -> None:
    """Refuse ``fields[key]`` unless ``check`` accepts it; names it ``prefix+key``."""
    value = fields.get(key, _ABSENT)
    if value is _ABSENT:
        raise ValueError(f"{prefix}{key} is missing")
    if not check(value):
        raise ValueError(f"{prefix}{key} must be {expected}, got {short(value)}")


def counts(least: int) -> Callable[[Any], bool]:
    """A check: an integer (not a bool, not a float) of at least ``least``."""
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= least


def finite(value: Any) -> bool:
    """A JSON number that is finite (JSON's NaN and Infinity are not)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return number and math.isfinite(value)


def distinct_names(count: int) -> Callable[[Any], bool]:
    """A check: a list of ``count`` strings, no two the same."""

    def check(value: Any) -> bool:
        if not isinstance(value, list) or len(value) != count:
            return False
        return all(isinstance(v, str) for v in value) and len(set(value)) == count

    return check


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
