"""``graph`` and ``draw``, the two ways to get a picture of a computational
graph, and ``watch``, which has your own backward record its gradients."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.errors import GraphDrawingError
from chainrule.nn.module import Module
from chainrule.tensor import Tensor
from chainrule.viz import capture, records
from chainrule.viz.extract import Detail, extract, walk
from chainrule.viz.structure import Engine, Graph


def graph(
    output: Tensor,
    model: Module | None = None,
    *,
    params: Mapping[str, Tensor] | None = None,
    detail: Detail | None = None,
    grad_norms: bool = False,
) -> Graph:
    """The computational graph that made ``output``, ready to draw.

    Drawn as in the source text: data nodes (values) are rectangles labelled
    with their shape, weight nodes circles labelled with their module path,
    ops ellipses labelled with the op (``MatMul``); forward edges are solid,
    backward edges dashed. The graph is walked once, iteratively (any depth),
    into plain data; nothing of the live graph is kept or changed.

    Parameters
    ----------
    output
        A tensor that requires grad: usually the loss, or a model's output.
    model
        Names the weights by module path (``0.weight``). If the forward pass
        ran inside ``with cr.viz.record_modules(model):``, ops are also
        known by module, which allows ``detail="module"``.
    params
        More names for leaves, ``{"w": w}``, as in torchviz's ``make_dot``;
        a named leaf is drawn as a weight.
    detail
        ``"module"``: each direct child of the model (each layer of a
        ``Sequential``) is one box, with the values passed between layers;
        ``"full"``: every op and every intermediate value. The default is
        ``"module"`` when modules were recorded, else ``"full"``.
    grad_norms
        Label each backward edge with the L2 norm of the gradient it
        carries: from a value to the op that made it, the gradient with
        respect to that value; from an op (or module) to one of its inputs,
        that op's contribution to the input's gradient (contributions along
        the edges into one value add up to its gradient). After a
        ``backward()`` watched by :func:`watch`, the norms are those that
        backward recorded (edges of ops it did not run are labelled "not
        recorded"). Otherwise they are measured by one extra backward pass
        from ``output`` seeded with ones (the gradient of ``output.sum()``),
        through ``cr.autograd.grad(..., retain_graph=True)``: no ``.grad``
        changes, tensor hooks do not run, and the graph stays usable; that
        needs a graph not yet freed by a ``backward()``.

    Returns
    -------
    Graph
        ``.nodes``, ``.edges``, ``.to_dot()``, ``.save("graph.svg")``.

    Examples
    --------
    >>> import chainrule as cr
    >>> x = cr.ones(4, 3)
    >>> w = cr.ones(3, 2, requires_grad=True)
    >>> y = cr.tanh(x @ w).sum()
    >>> g = cr.viz.graph(y, params={"w": w}, grad_norms=True)
    >>> [(n.kind, n.text.replace("\\n", " ")) for n in g.nodes]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('weight', 'w (3, 2)'), ('op', 'MatMul'), ('data', '(4, 2)'),
     ('op', 'Tanh'), ('data', '(4, 2)'), ('op', 'Sum'), ('data', '()')]
    >>> [f"{e.grad_norm:.3f}" for e in g.edges if e.direction == "backward"]
    ['0.097', '0.028', '0.028', '2.828', '2.828', '1.000']
    >>> print(g.to_dot().splitlines()[4])
      n0 [label="w\\n(3, 2)", shape=circle, style="filled", fillcolor="#fde7b0"];

    ``x`` needs no gradient, so the graph does not record it; draw a model
    with :func:`draw` to see its input as well.
    """
    return extract(output, model, params, detail, grad_norms)


def watch(output: Tensor) -> None:
    """Record the gradient norms of the next ``backward()`` through ``output``.

    Call it after the forward pass and before your own ``backward()``; then
    ``graph(output, ..., grad_norms=True)`` labels each backward edge with
    the norm of the gradient it carried in that backward, even though the
    backward freed the graph. Every node behind ``output`` gets a spy on its
    ``backward`` that notes what came in and what went out, once, and then
    removes itself. Nothing else changes: ``.grad`` is what your backward
    makes it, your tensor hooks run (and the norms are of the gradients
    after them), and the records vanish with the graph.

    Examples
    --------
    >>> import chainrule as cr
    >>> w = cr.ones(3, 2, requires_grad=True)
    >>> loss = cr.tanh(cr.ones(4, 3) @ w).sum()
    >>> cr.viz.watch(loss)
    >>> loss.backward()                       # frees the graph
    >>> g = cr.viz.graph(loss, params={"w": w}, grad_norms=True)
    >>> [f"{e.grad_norm:.3f}" for e in g.edges if e.direction == "backward"]
    ['0.097', '0.028', '0.028', '2.828', '2.828', '1.000']
    >>> g.grad_norms
    'recorded'
    """
    _check_watchable(output)
    nodes, _, _ = walk(output)
    capture.watch(nodes)


def _check_watchable(output: Any) -> None:
    if not isinstance(output, Tensor):
        raise TypeError(f"watch: expected a Tensor, got {type(output).__name__}")
    if not output.requires_grad:
        raise GraphDrawingError(
            "watch: this tensor has no computational graph (it does not require "
            "grad), so no backward will run through it"
        )


def draw(
    model: Module,
    inputs: Any,
    path: str | Path | None = None,
    *,
    loss: Callable[[Any], Tensor] | None = None,
    detail: Detail = "module",
    grad_norms: bool = False,
    engine: Engine = "auto",
) -> Graph:
    """Run ``model`` on ``inputs`` once and draw its graph, layer by layer.

    The forward pass runs inside :func:`record_modules`, on copies of the
    inputs that require grad (so the input appears, with its data gradient).
    The model runs in its current mode (``train()`` or ``eval()``); its
    buffers, such as BatchNorm's running statistics, are put back afterwards.

    Parameters
    ----------
    model
        The model to draw.
    inputs
        A tensor or array, or a tuple of them for a model of several inputs.
    path
        Where to save the picture (``.svg``, ``.png`` or ``.dot``); None
        saves nothing.
    loss
        A function of the model's output returning the loss, drawn as one
        more box (``F.cross_entropy(out, y)`` with ``lambda out: ...``).
    detail, grad_norms
        As in :func:`graph`.
    engine
        As in :meth:`Graph.save`.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    >>> g = cr.viz.draw(model, cr.ones(4, 3))
    >>> [n.text.replace("\\n", " ") for n in g.nodes]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['input (4, 3)', '0.weight (8, 3)', '0.bias (8,)', 'Linear 0', '0 (4, 8)',
     'Tanh 1', '1 (4, 8)', '2.weight (1, 8)', '2.bias (1,)', 'Linear 2',
     'output (4, 1)']
    """
    if not isinstance(model, Module):
        raise TypeError(f"draw: expected an nn.Module, got {type(model).__name__}")
    arguments = _as_inputs(inputs)
    buffers = [(b, b.data.copy()) for b in model.buffers()]
    try:
        with records.record_modules(model):
            result = model(*arguments)
    finally:
        for buffer, values in buffers:
            buffer.data = values
    if loss is None:
        output = _single_tensor(result)
        if output.name is None:
            output.name = "output"
    else:
        output = _loss(loss, result)

    drawing = graph(output, model, detail=detail, grad_norms=grad_norms)
    if path is not None:
        drawing.save(path, engine)
    return drawing


def _as_inputs(inputs: Any) -> tuple[Any, ...]:
    """Copies of the inputs that require grad (floating point ones)."""
    values = inputs if isinstance(inputs, tuple) else (inputs,)
    copies = []
    for k, value in enumerate(values):
        tensor = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        copy = Tensor(tensor.data, name=tensor.name)
        if copy.name is None:
            copy.name = "input" if len(values) == 1 else f"input {k}"
        if copy.dtype.kind == "f":
            copy.requires_grad_(True)
        copies.append(copy)
    return tuple(copies)


def _loss(loss: Callable[[Any], Tensor], result: Any) -> Tensor:
    """The loss, with its ops claimed as one more box."""
    value = loss(result)
    if not isinstance(value, Tensor):
        raise TypeError(
            f"draw: loss returned a {type(value).__name__}; it must return "
            "a Tensor computed from the model's output"
        )
    name = getattr(loss, "__name__", type(loss).__name__)
    label = "loss" if name in ("<lambda>", "loss") else f"loss ({name})"
    records.claim(value, result, "", records.new_group("", label))
    if value.name is None:
        value.name = "loss"
    return value


def _single_tensor(result: Any) -> Tensor:
    if isinstance(result, Tensor):
        return result
    raise TypeError(
        f"draw: the model returned a {type(result).__name__}; draw needs one "
        "Tensor. For several outputs, combine them into the loss with loss= "
        "(e.g. loss=lambda out: out.sum()), or call cr.viz.graph on each"
    )
