"""Differentiable primitives, by family: each op's forward and backward side by side.

Every op here is a :class:`chainrule.autograd.Function` subclass (the class
named after the math, e.g. ``Tanh``) with its public function right below it
(``tanh``). Backward rules are written with NumPy operators and functions so
that they also run on Tensors when a backward pass is itself recorded; see
Note [backward is written in NumPy, and differentiates itself] in
``chainrule.autograd.function``.
"""
