"""The one table of op specifications, assembled from one section per op family.

Each section lists its ops' specs (see ``tests.ops.harness.OpSpec``); the
table-driven tests in ``test_op_table.py`` run every spec listed here.
"""

from tests.ops.specs import (
    activation,
    arithmetic,
    elementwise,
    indexing,
    loss,
    normalization,
    reduction,
    shape,
)

OP_TABLE = [
    *arithmetic.SPECS,
    *elementwise.SPECS,
    *activation.SPECS,
    *reduction.SPECS,
    *shape.SPECS,
    *indexing.SPECS,
    *normalization.SPECS,
    *loss.SPECS,
]

names = [spec.name for spec in OP_TABLE]
assert len(names) == len(set(names)), "two specs share a name"
