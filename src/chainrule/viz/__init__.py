"""Drawing the computational graph, in the source text's convention.

Data nodes (inputs, intermediate values, outputs) are rectangles labelled
with their shape, weight nodes circles labelled with their module path,
operations small ellipses; forward edges are solid, backward edges dashed,
optionally labelled with the norm of the gradient they carry. A model's
graph is drawn layer by layer by default, every op on request::

    g = cr.viz.draw(model, x, "graph.svg")          # one box per layer
    g = cr.viz.graph(loss, model=model, detail="full", grad_norms=True)
    g.save("graph.png"); text = g.to_dot()

    cr.viz.watch(loss); loss.backward()              # norms of your backward
    g = cr.viz.graph(loss, model=model, grad_norms=True)

The graph is first extracted into plain data (:class:`Graph`: nodes and
edges); the DOT writer and the renderers only read that. DOT text needs
nothing; SVG and PNG use Graphviz when its ``dot`` program is installed,
and networkx with matplotlib otherwise (``pip install "chainrule[viz]"``,
part of ``chainrule[train]``), so pictures work after a pip install alone.
"""

from chainrule.viz.api import draw, graph, watch
from chainrule.viz.records import record_modules
from chainrule.viz.structure import Edge, Graph, Node

__all__ = ["Edge", "Graph", "Node", "draw", "graph", "record_modules", "watch"]
