"""Every differentiable op in ``chainrule.ops`` is reached by the op table.

The table-driven tests check only what the table lists; this test fails when
an op is added to ``chainrule.ops`` without a spec, so none goes untested.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.ops
from tests.ops.harness import OpSpec, as_list, draw_case, run_chainrule
from tests.ops.specs import OP_TABLE

# Bases that no op function applies directly.
ABSTRACT = {"_Reduction", "_Spread"}


def functions_in_ops() -> set[str]:
    names = set()
    for info in pkgutil.iter_modules(chainrule.ops.__path__):
        module = importlib.import_module(f"chainrule.ops.{info.name}")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, cr.Function)
                and value.__module__ == module.__name__
            ):
                names.add(name)
    return names - ABSTRACT


def nodes_recorded_by(spec: OpSpec) -> set[str]:
    """The node types in the graphs of a few drawn cases of ``spec``."""
    found: set[str] = set()

    @settings(
        max_examples=8,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def record(data: st.DataObject) -> None:
        _, outputs = run_chainrule(spec, draw_case(data.draw, spec))
        stack = [o.grad_fn for o in as_list(outputs)]
        while stack:
            node = stack.pop()
            if not isinstance(node, cr.Function) or type(node).__name__ in found:
                continue  # a leaf, or an input needing no gradient
            found.add(type(node).__name__)
            stack.extend(node.next_functions)

    record()
    return found


def test_every_op_has_a_spec() -> None:
    covered = set().union(*(nodes_recorded_by(spec) for spec in OP_TABLE))
    missing = functions_in_ops() - covered
    assert not missing, f"ops without a spec in tests/ops/specs: {sorted(missing)}"
