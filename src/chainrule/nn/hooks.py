"""Module backward hooks: ``hook(module, grad_input, grad_output)`` per call.

A module is many ops, so there is no single node whose backward is "the
module's". Instead, while a module with backward hooks runs, its tensor
inputs and outputs pass through two identity ops that share one record of
the call: the output op catches ``grad_output`` (the data gradient arriving
at the module's output), the input op catches ``grad_input`` (the data
gradient leaving through its inputs) and calls the hooks, which may replace
``grad_input``. If no input requires grad (the first layer, fed with data),
the hooks run as soon as ``grad_output`` is known, with ``grad_input`` None.
"""

from __future__ import annotations

from typing import Any

from chainrule.autograd.function import Function
from chainrule.tensor import Tensor


class _Call:
    """What one call of a hooked module shares between its two identity ops."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.grad_output: tuple[Any, ...] = ()
        self.inputs_need_grad = False

    def fire(self, grad_input: tuple[Any, ...]) -> tuple[Any, ...]:
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = (
                    tuple(result) if isinstance(result, (tuple, list)) else (result,)
                )
                if len(result) != len(grad_input):
                    raise ValueError(
                        f"a backward hook of {type(self.module).__name__} returned "
                        f"{len(result)} gradients for {len(grad_input)} inputs"
                    )
                grad_input = result
        return grad_input


class _HookInputs(Function):
    """Identity on a module's inputs; its backward runs the module's hooks."""

    def forward(self, call: _Call, *inputs: Any) -> Any:
        self.call = call
        return tuple(inputs) if len(inputs) != 1 else inputs[0]

    def backward(self, *grads: Any) -> Any:
        grad_input = self.call.fire(tuple(_as_tensor(g) for g in grads))
        return (None, *(_as_array(g) for g in grad_input))


class _HookOutputs(Function):
    """Identity on a module's outputs; its backward records grad_output."""

    def forward(self, call: _Call, *outputs: Any) -> Any:
        self.call = call
        return tuple(outputs) if len(outputs) != 1 else outputs[0]

    def backward(self, *grads: Any) -> Any:
        self.call.grad_output = tuple(_as_tensor(g) for g in grads)
        if not self.call.inputs_need_grad:
            self.call.fire(tuple(None for _ in grads))
        return (None, *grads)


def wrap_inputs(module: Any, args: tuple[Any, ...]) -> tuple[_Call, tuple[Any, ...]]:
    call = _Call(module)
    positions = [
        k for k, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad
    ]
    if not positions:
        return call, args
    call.inputs_need_grad = True
    passed = _HookInputs.apply(call, *(args[k] for k in positions))
    passed = passed if isinstance(passed, tuple) else (passed,)
    new_args = list(args)
    for k, tensor in zip(positions, passed, strict=True):
        new_args[k] = tensor
    return call, tuple(new_args)


def wrap_outputs(call: _Call, output: Any) -> Any:
    items = output if isinstance(output, tuple) else (output,)
    positions = [
        k for k, o in enumerate(items) if isinstance(o, Tensor) and o.requires_grad
    ]
    if not positions:
        return output
    passed = _HookOutputs.apply(call, *(items[k] for k in positions))
    passed = passed if isinstance(passed, tuple) else (passed,)
    new_items = list(items)
    for k, tensor in zip(positions, passed, strict=True):
        new_items[k] = tensor
    return tuple(new_items) if isinstance(output, tuple) else new_items[0]


def _as_tensor(grad: Any) -> Any:
    return grad if grad is None or isinstance(grad, Tensor) else Tensor(grad)


def _as_array(grad: Any) -> Any:
    # NOTE: in a recorded backward (create_graph) the engine passes Tensors
    # and accepts them back; otherwise it works on arrays.
    from chainrule.autograd.function import backward_state

    if isinstance(grad, Tensor) and not backward_state.differentiable:
        return grad.data
    return grad
