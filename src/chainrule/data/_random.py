"""Where splits and shuffling draw from: ``seed=``, ``generator=`` or the default."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.creation import default_generator
from chainrule.errors import ArgumentError


def check_seed(where: str, seed: Any, generator: Any) -> None:
    """Refuse a seed that is not an int, a foreign generator, or both at once."""
    if seed is not None and generator is not None:
        raise ArgumentError(
            f"{where}: got both seed={seed!r} and a generator; pass one of them"
        )
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ArgumentError(f"{where}: seed must be a non-negative int, got {seed!r}")
    if generator is not None and not isinstance(generator, np.random.Generator):
        hint = (
            f"; for a fixed seed pass seed={generator!r}"
            if isinstance(generator, int)
            else ""
        )
        raise TypeError(
            f"{where}: generator must be a numpy.random.Generator, got "
            f"{type(generator).__name__}{hint}"
        )


def resolve(where: str, seed: Any = None, generator: Any = None) -> np.random.Generator:
    """The generator to draw from: a new one for ``seed``, the given one, or
    chainrule's default (seeded by ``cr.manual_seed``)."""
    check_seed(where, seed, generator)
    if seed is not None:
        return np.random.default_rng(int(seed))
    if generator is not None:
        return generator
    return default_generator()
