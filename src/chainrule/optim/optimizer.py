"""``Optimizer``: the base of the update rules, its parameter groups and state.

An optimizer keeps the weights it updates in *parameter groups*: dicts holding
a ``"params"`` list and the options (``lr``, ...) for those weights, so one
model can train its biases without weight decay, or its head with a larger
learning rate. ``step()`` updates every weight that has a gradient, in place
on ``weight.data``, and records no graph. What a rule remembers between steps
(a momentum buffer, Adam's moments) lives in ``optimizer.state[weight]``.

A subclass supplies two things: ``_check_options`` (validate and normalise a
group's options) and ``_update`` (one weight's step, on NumPy arrays).
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from chainrule.autograd.api import clear_grad
from chainrule.autograd.grad_mode import enable_grad
from chainrule.autograd.inplace import note_write
from chainrule.errors import DTypeError, ShapeError, StateDictError
from chainrule.tensor import Tensor

ParamGroup = dict[str, Any]


class Optimizer:
    """Base class of the optimizers: parameter groups, state, saving and loading.

    Parameters
    ----------
    params
        The weights to update: an iterable of Tensors (usually
        ``model.parameters()``), or a list of parameter-group dicts, each with
        a ``"params"`` entry and any options that differ from ``defaults``.
    defaults
        The options of every group that does not set its own.

    Attributes
    ----------
    param_groups
        The list of group dicts. Their options may be changed between steps
        (a learning-rate scheduler writes ``group["lr"]``).
    state
        Per weight, the dict of what the rule remembers between steps.
    defaults
        The options given to the constructor.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn, optim
    >>> model = nn.Linear(3, 1)
    >>> optimizer = optim.SGD(
    ...     [
    ...         {"params": [model.weight]},
    ...         {"params": [model.bias], "lr": 0.5},
    ...     ],
    ...     lr=0.1,
    ... )
    >>> [group["lr"] for group in optimizer.param_groups]
    [0.1, 0.5]
    """

    defaults: dict[str, Any]
    state: defaultdict[Tensor, dict[str, Any]]
    param_groups: list[ParamGroup]

    # State entries that are counts, not arrays shaped like their weight.
    _scalar_state: tuple[str, ...] = ("step",)

    def __init__(self, params: Iterable[Any], defaults: Mapping[str, Any]) -> None:
        self.defaults = dict(defaults)
        self._check_options(self.defaults, type(self).__name__)
        self.state = defaultdict(dict)
        self.param_groups = []
        for group in _parse_params(params, type(self).__name__):
            self.add_param_group(group)

    # --- what subclasses define ------------------------------------------------

    def _check_options(self, options: dict[str, Any], where: str) -> None:
        """Validate ``options`` and normalise them in place (numbers to float).

        ``where`` names the optimizer and group for error messages.
        """

    def _update(
        self,
        theta: np.ndarray,
        grad: np.ndarray,
        state: dict[str, Any],
        group: ParamGroup,
    ) -> None:
        """Update one weight's array ``theta`` in place from its gradient."""
        raise NotImplementedError(
            f"{type(self).__name__} defines no _update(theta, grad, state, "
            "group); an Optimizer subclass must update theta in place there"
        )

    def _required_state(self, group: ParamGroup) -> tuple[str, ...]:
        """The state entries a weight that has taken a step must have."""
        return ()

    # --- groups -----------------------------------------------------------------

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of weights, with options that differ from the defaults.

        Useful to train layers unfrozen later in fine-tuning. The group's
        weights must not already be in another group.

        Examples
        --------
        >>> from chainrule import nn, optim
        >>> body, head = nn.Linear(4, 4), nn.Linear(4, 2)
        >>> optimizer = optim.SGD(body.parameters(), lr=0.1)
        >>> optimizer.add_param_group({"params": head.parameters(), "lr": 0.01})
        >>> len(optimizer.param_groups), optimizer.param_groups[1]["momentum"]
        (2, 0.0)
        """
        owner = type(self).__name__
        where = f"{owner} parameter group {len(self.param_groups)}"
        if not isinstance(param_group, Mapping):
            raise TypeError(
                f"{owner}.add_param_group: expected a dict with a 'params' "
                f"entry, got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(
                f"{where} has no 'params' entry; give the weights as "
                "{'params': model.parameters(), ...}"
            )

        params = _param_list(param_group["params"], where)
        for index, param in enumerate(params):
            _check_param(param, where, index)
        _check_unique(params, self.param_groups, where)
        group: ParamGroup = {"params": params}
        for key, value in param_group.items():
            if key != "params":
                group[key] = value
        for key, value in self.defaults.items():
            group.setdefault(key, copy.deepcopy(value))
        self._check_options(group, where)

        self.param_groups.append(group)

    # --- a step -----------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every weight before the next backward.

        ``backward()`` adds into ``.grad``, so without this, gradients of
        successive steps accumulate. By default ``.grad`` becomes None (as in
        PyTorch), and ``step()`` skips the weight until it has a gradient
        again; ``set_to_none=False`` fills it with zeros instead.
        """
        for group in self.param_groups:
            for param in group["params"]:
                clear_grad(param, set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every weight that has a gradient; weights without are skipped.

        Parameters
        ----------
        closure
            Optional: a function that clears the gradients, computes the loss,
            calls ``backward()`` and returns the loss. It is called (with
            grad mode on) before the update, and its loss returned.

        Returns
        -------
        The closure's loss, or None without a closure.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()

        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = _gradient_of(param, type(self).__name__)
                self._update(param.data, grad, self.state[param], group)
                note_write(param.data)
        return loss

    # --- saving and loading -------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the options and state, ready to be saved.

        The format is PyTorch's: ``{"state": {index: {name: value}},
        "param_groups": [{option: value, ..., "params": [index, ...]}]}``,
        where weights are numbered in the order of the groups. Unlike
        PyTorch, state arrays are NumPy copies (later steps do not change the
        snapshot) and counts such as ``step`` are Python ints, so arrays can
        go to an array file and the rest to JSON. Weights that have not taken
        a step have no entry.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule import optim
        >>> w = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> optimizer = optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> optimizer.step()
        >>> saved = optimizer.state_dict()
        >>> sorted(saved["state"][0]), saved["param_groups"][0]["params"]
        (['exp_avg', 'exp_avg_sq', 'step'], [0])
        """
        groups = []
        state: dict[int, dict[str, Any]] = {}
        index = 0
        for group in self.param_groups:
            indices = []
            for param in group["params"]:
                entry = self.state.get(param)
                if entry:
                    state[index] = {k: _snapshot(v) for k, v in entry.items()}
                indices.append(index)
                index += 1
            options = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            groups.append({**options, "params": indices})
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore options and state saved by :meth:`state_dict`.

        The optimizer must have been built the same way: as many groups,
        with as many weights each, of the same shapes, and be of a type with
        the same options (an Adam state does not load into SGD). Everything
        is checked before anything is written: on any error nothing is
        loaded. Arrays are copied and cast to each weight's dtype. Saved
        option values replace the group's; keys that are only in the group
        (an ``initial_lr`` set by a scheduler) are kept.

        Also accepts the state dict after a trip through JSON (string
        indices, lists for tuples) and array files (0-d arrays for counts).

        Raises
        ------
        StateDictError
            Naming every problem: group or weight counts, options of another
            optimizer type, invalid option values, shapes.
        """
        owner = type(self).__name__
        saved_groups, saved_state = _unpack(state_dict, owner)
        if len(saved_groups) != len(self.param_groups):
            raise StateDictError(
                f"{owner}.load_state_dict: the state dict has "
                f"{len(saved_groups)} parameter group(s), this optimizer "
                f"{len(self.param_groups)}; nothing was loaded. Build the "
                "optimizer with the same groups as the one that was saved"
            )

        problems: list[str] = []
        params_by_index: dict[int, Tensor] = {}
        new_options = []
        for i, (saved, group) in enumerate(
            zip(saved_groups, self.param_groups, strict=True)
        ):
            options, indices = self._loaded_options(saved, group, i, problems)
            new_options.append(options)
            params_by_index.update(zip(indices, group["params"], strict=False))
        new_state = self._loaded_state(
            saved_state, params_by_index, new_options, problems
        )
        if problems:
            raise StateDictError(
                f"{owner}.load_state_dict: the state dict does not fit this "
                "optimizer; nothing was loaded.\n  "
                + "\n  ".join(problems)
                + "\nCompare it with this optimizer's own state_dict()"
            )

        for group, options in zip(self.param_groups, new_options, strict=True):
            group.update(options)
        self.state = defaultdict(dict, new_state)

    def _loaded_options(
        self,
        saved: Any,
        group: ParamGroup,
        i: int,
        problems: list[str],
    ) -> tuple[dict[str, Any], list[int]]:
        """Group ``i``'s saved options, normalised, and its weight indices."""
        if not isinstance(saved, Mapping) or "params" not in saved:
            problems.append(f"parameter group {i} is not a dict with 'params'")
            return {}, []
        found = [_as_index(k) for k in saved["params"]]
        indices = [index for index in found if index is not None]
        if len(indices) != len(found):
            problems.append(
                f"parameter group {i} lists weights by {saved['params']!r}; "
                "expected whole-number indices"
            )
        if len(indices) != len(group["params"]):
            problems.append(
                f"parameter group {i} has {len(indices)} weight(s) in the state "
                f"dict, {len(group['params'])} in this optimizer"
            )
        missing = [key for key in self.defaults if key not in saved]
        if missing:
            present = [key for key in saved if key != "params"]
            problems.append(
                f"parameter group {i} lacks the option(s) {', '.join(missing)} "
                f"that {type(self).__name__} has; it has {', '.join(present)}: "
                "was it saved from another optimizer type?"
            )
            return {}, indices

        options = {}
        for key, value in saved.items():
            if key == "params":
                continue
            if isinstance(self.defaults.get(key), tuple) and isinstance(value, list):
                value = tuple(value)  # JSON turned the tuple into a list
            options[key] = copy.deepcopy(value)
        try:
            self._check_options(options, f"parameter group {i}")
        except (TypeError, ValueError) as error:
            problems.append(str(error))
            return {}, indices
        return options, indices

    def _loaded_state(
        self,
        saved_state: Mapping[Any, Any],
        params_by_index: dict[int, Tensor],
        new_options: list[dict[str, Any]],
        problems: list[str],
    ) -> dict[Tensor, dict[str, Any]]:
        """The saved per-weight state, checked and converted to each weight."""
        group_of = {
            id(param): {**group, **options}
            for group, options in zip(self.param_groups, new_options, strict=True)
            for param in group["params"]
        }
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, entry in saved_state.items():
            index = _as_index(key)
            param = params_by_index.get(index) if index is not None else None
            if param is None:
                problems.append(
                    f"state for weight {key!r}, which no parameter group lists"
                )
                continue
            if not isinstance(entry, Mapping):
                problems.append(f"state of weight {index} is not a dict")
                continue
            required = self._required_state(group_of[id(param)])
            missing = [name for name in required if name not in entry]
            if entry and missing:
                problems.append(f"state of weight {index} lacks {', '.join(missing)}")
            converted: dict[str, Any] = {}
            for name, value in entry.items():
                if name in self._scalar_state:
                    count = _as_count(value)
                    if count is None:
                        problems.append(
                            f"state {name!r} of weight {index} must be a "
                            f"whole number >= 0, got {value!r}"
                        )
                    converted[name] = count
                    continue
                array = value.data if isinstance(value, Tensor) else np.asarray(value)
                if array.shape != param.shape:
                    problems.append(
                        f"shape mismatch for state {name!r} of weight {index}: "
                        f"the weight has shape {param.shape}, the state dict "
                        f"{array.shape}"
                    )
                converted[name] = np.array(array, dtype=param.dtype, copy=True)
            new_state[param] = converted
        return new_state

    # --- printing ---------------------------------------------------------------

    def __repr__(self) -> str:
        lines = []
        for i, group in enumerate(self.param_groups):
            options = ", ".join(
                f"{key}={value!r}" for key, value in group.items() if key != "params"
            )
            lines.append(f"  group {i} ({len(group['params'])} weights): {options}\n")
        return f"{type(self).__name__}(\n{''.join(lines)})"


# --- checking options ----------------------------------------------------------


def check_number(
    where: str,
    name: str,
    value: Any,
    low: float = 0.0,
    high: float | None = None,
) -> float:
    """``value`` as a float in ``[low, high)`` (or ``>= low``), else a ValueError."""
    # NOTE: float() would read "0.1" and True; a string or a flag here is a
    # mistake (an option misread from a file), not a number.
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}") from None
    if not (low <= number and (high is None or number < high)):
        valid = f">= {low:g}" if high is None else f"in [{low:g}, {high:g})"
        raise ValueError(f"{where}: {name} must be {valid}, got {number}")
    return number


def check_flag(where: str, name: str, value: Any) -> bool:
    """``value`` as a bool; anything else (a string "False") is a TypeError."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{where}: {name} must be True or False, got {value!r}")
    return bool(value)


# --- parameters ----------------------------------------------------------------


def _parse_params(params: Any, owner: str) -> list[dict[str, Any]]:
    """The constructor's ``params`` as a list of group dicts."""
    if isinstance(params, Tensor):
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors or of parameter-"
            f"group dicts, got a single Tensor; wrap it in a list: {owner}([w])"
        )
    if isinstance(params, Mapping):
        raise TypeError(
            f"{owner}: params is a single dict; a parameter group goes in a "
            f"list: {owner}([{{'params': ..., 'lr': ...}}])"
        )
    items = _param_list(params, owner)
    if not items:
        raise ValueError(
            f"{owner} got an empty parameter list; pass model.parameters() of "
            "a model that has weights, or a list of tensors"
        )
    groups = [item for item in items if isinstance(item, Mapping)]
    if not groups:
        return [{"params": items}]
    if len(groups) != len(items):
        raise TypeError(
            f"{owner}: params mixes tensors and parameter-group dicts; put "
            "every tensor in a group: [{'params': [...]}, {'params': [...]}]"
        )
    return [dict(group) for group in groups]


def _param_list(params: Any, where: str) -> list[Any]:
    if isinstance(params, Tensor):
        return [params]
    if isinstance(params, set | frozenset):
        raise TypeError(
            f"{where}: params is a set, whose order changes between runs, so "
            "saved optimizer state would not find its weights; pass a list"
        )
    try:
        return list(params)
    except TypeError:
        raise TypeError(
            f"{where}: params must be an iterable of Tensors, got "
            f"{type(params).__name__}"
        ) from None


def _check_param(param: Any, where: str, index: int) -> None:
    if not isinstance(param, Tensor):
        hint = "; pass tensors, e.g. model.parameters()"
        if isinstance(param, tuple):
            hint = (
                "; named_parameters() gives (name, tensor) pairs: pass "
                "model.parameters()"
            )
        elif hasattr(param, "parameters"):
            hint = "; pass its weights: module.parameters()"
        raise TypeError(
            f"{where}: params[{index}] is a {type(param).__name__}, not a Tensor{hint}"
        )
    if not param.is_leaf:
        raise ValueError(
            f"{where}: params[{index}] was computed by {param.grad_fn!r}, so "
            "it is not a leaf and cannot be updated; optimize the tensors it "
            "was computed from (nn.Parameter, or cr.tensor(..., "
            "requires_grad=True))"
        )
    if param.dtype.kind != "f":
        raise DTypeError(
            f"{where}: params[{index}] has dtype {param.dtype}; only "
            "floating-point tensors can be optimized"
        )


def _check_unique(params: list[Tensor], groups: list[ParamGroup], where: str) -> None:
    seen: set[int] = set()
    for index, param in enumerate(params):
        if id(param) in seen:
            raise ValueError(
                f"{where}: params[{index}] appears twice in the group; it "
                "would be updated twice per step. List each weight once"
            )
        seen.add(id(param))
    for i, group in enumerate(groups):
        if any(id(param) in seen for param in group["params"]):
            raise ValueError(
                f"{where}: some weights are already in parameter group {i}; "
                "a weight belongs to one group only"
            )


def _gradient_of(param: Tensor, owner: str) -> np.ndarray:
    """``param.grad`` as an array in the weight's dtype, checked."""
    grad = param.grad
    assert grad is not None
    array = grad.data
    if array.shape != param.shape:
        raise ShapeError(
            f"{owner}.step: a weight of shape {param.shape} has a gradient of "
            f"shape {array.shape}; a gradient set by hand must have its "
            "weight's shape"
        )
    if not param.data.flags.writeable:
        raise ValueError(
            f"{owner}.step: the array of a weight of shape {param.shape} is "
            "read-only, so it cannot be updated in place; make the weight "
            "from a copy (cr.tensor(array) copies)"
        )
    # NOTE: a hand-set gradient of a wider dtype must not widen the update:
    # the weight and its state keep the weight's dtype.
    return array.astype(param.dtype, copy=False)


# --- state dicts ----------------------------------------------------------------


def _snapshot(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    return copy.deepcopy(value)


def _unpack(state_dict: Any, owner: str) -> tuple[list[Any], Mapping[Any, Any]]:
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"{owner}.load_state_dict: expected a dict (as made by "
            f"state_dict()), got {type(state_dict).__name__}"
        )
    missing = [key for key in ("state", "param_groups") if key not in state_dict]
    if missing:
        raise StateDictError(
            f"{owner}.load_state_dict: the state dict lacks "
            f"{' and '.join(map(repr, missing))}; an optimizer's state dict has "
            "'state' and 'param_groups' (a model's state dict goes to "
            "model.load_state_dict)"
        )
    groups, state = state_dict["param_groups"], state_dict["state"]
    if not isinstance(groups, list | tuple) or not isinstance(state, Mapping):
        raise StateDictError(
            f"{owner}.load_state_dict: 'param_groups' must be a list and "
            f"'state' a dict, got {type(groups).__name__} and "
            f"{type(state).__name__}"
        )
    return list(groups), state


def _as_index(key: Any) -> int | None:
    """A weight index: an int, or its string after a trip through JSON."""
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return None


def _as_count(value: Any) -> int | None:
    """A step count from an int, an integral float or a 0-d array, else None."""
    if isinstance(value, Tensor):
        value = value.data
    array = np.asarray(value)
    if array.shape != () or array.dtype.kind not in "iuf":
        return None
    number = float(array)
    if not math.isfinite(number) or number < 0 or number != int(number):
        return None
    return int(number)
