"""One forward pass of any nn.Module with hooks: every module call, its shapes and its autograd nodes.

`counting` reads the output shapes (MACs need them), `pitfalls` the stage sizes, and `diagnose`
the calls, their nesting and the autograd graph between them. All three use this one tracer.

The forward runs on PyTorch's "meta" device when it can: tensors with shapes but no data, so
nothing is computed and ResNeXt-101 at 224x224 takes no memory. Parameters and buffers are
passed in through `torch.func.functional_call`, so the model's weights, gradients and BatchNorm
statistics are never touched, and each module's training flag is put back afterwards. This
module imports nothing from the rest of the package but its argument checks: it reads any nn.Module.
"""
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call

from .checks import check_choice, check_input_size, check_module, check_size

DEVICES = ("auto", "meta", "real")


@dataclass(eq=False)
class Call:
    """One call of one module during the forward pass."""

    index: int          # position in execution order (when the call starts)
    name: str           # its name in model.named_modules(), "" for the model itself
    module: nn.Module
    leaf: bool          # a module without children
    parents: tuple      # indices of the calls it runs inside, outermost first
    in_nodes: tuple     # autograd nodes of its tensor inputs (with backward=True)
    in_shape: tuple     # shape of its first tensor input, (N, C, H, W) for a conv
    out_node: object = None
    out_shape: tuple = ()

    @property
    def passthrough(self):
        """True if the output is an input unchanged (nn.Identity): it makes no new tensor."""
        return self.out_node is None or self.out_node in self.in_nodes


@dataclass(eq=False)
class Trace:
    """The calls of one forward pass; `error` is (module name, first line of the message) if it failed."""

    calls: list
    output: object = None
    grads: dict = None   # parameter name -> got a gradient, with backward=True
    error: tuple = None
    device: str = "meta"  # where it ran: "meta" or "real"

    def named(self, name, occurrence=0):
        """The call of the module named `name` (its `occurrence`-th call), or None."""
        found = [c for c in self.calls if c.name == name]
        return found[occurrence] if occurrence < len(found) else None

    def outputs(self):
        """The tensors in the model's output."""
        return tensors(self.output)


def tensors(value):
    """The tensors in a module's input or output: a tensor, or inside tuples, lists and dicts."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensors(v)]
    return []


def first_line(err):
    """The first line of an exception's message, or its type's name."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def trace(model, input_size, batch=1, train=False, backward=False, device="auto"):
    """Run model on a batch of `input_size` (C, H, W) images with hooks; return a Trace.

    train:    run in training mode (BatchNorm uses the batch's statistics; needs batch >= 2).
    backward: also run one backward pass of sum(outputs) and record which parameters got a
              gradient; the calls then carry their autograd nodes.
    device:   "meta" (shapes only), "real" (zero images on the model's device), or "auto": meta,
              and real where meta fails (an op without a meta kernel; real kernels also word
              shape errors better).
    """
    check_module(model, "trace")
    size = check_input_size(input_size)
    check_size("batch", batch)
    check_choice("device", device, DEVICES)
    first = _run(model, size, batch, train, backward, "real" if device == "real" else "meta")
    if device == "auto" and first.error:
        return _run(model, size, batch, train, backward, "real")
    return first


def _run(model, size, batch, train, backward, device):
    calls, stack = [], []
    names = {id(m): n for n, m in model.named_modules()}

    def before(module, args):
        inputs = tensors(args)
        nodes = tuple(t.grad_fn for t in inputs if t.grad_fn is not None)
        call = Call(len(calls), names.get(id(module), "?"), module, not module._modules,
                    tuple(c.index for c in stack), nodes, tuple(inputs[0].shape) if inputs else ())
        calls.append(call)
        stack.append(call)

    def after(module, args, output):
        call = stack.pop()
        outputs = tensors(output)
        if outputs:
            call.out_node, call.out_shape = outputs[0].grad_fn, tuple(outputs[0].shape)

    modes = [(m, m.training) for m in model.modules()]
    handles = [h for m in model.modules()
               for h in (m.register_forward_pre_hook(before), m.register_forward_hook(after))]
    try:
        model.train(train)
        params, state, x = _inputs(model, size, batch, device, backward)
        with torch.set_grad_enabled(backward):
            try:
                output = functional_call(model, state, (x,))
            except Exception as err:  # noqa: BLE001  any failure is reported, with the module it happened in
                return Trace(calls, error=(stack[-1].name if stack else "", first_line(err)), device=device)
            grads = _gradients(output, params) if backward else None
        return Trace(calls, output, grads, device=device)
    finally:
        for h in handles:
            h.remove()
        for m, training in modes:
            m.training = training


def _inputs(model, size, batch, device, grad):
    """(parameters that need a gradient, state for functional_call, input x) on `device`."""
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    first = next(iter(params.values()), None)
    dtype = first.dtype if first is not None and first.is_floating_point() else torch.get_default_dtype()
    if device == "meta":
        params = {k: p.detach().to("meta").requires_grad_(p.requires_grad) for k, p in params.items()}
        buffers = {k: b.to("meta") for k, b in buffers.items()}
        x = torch.empty(batch, *size, dtype=dtype, device="meta")
    else:
        buffers = {k: b.clone() for k, b in buffers.items()}  # BN updates these copies, not the model's
        x = torch.zeros(batch, *size, dtype=dtype, device=first.device if first is not None else "cpu")
    if grad:  # a copy of an input that needs a gradient: every tensor made from it has an autograd node
        x = x.requires_grad_().clone()
    return {k: p for k, p in params.items() if p.requires_grad}, {**params, **buffers}, x


def _gradients(output, params):
    """{parameter name: True if it got a gradient}, from one backward pass of sum(outputs)."""
    outs = [t.float().sum() for t in tensors(output) if t.is_floating_point() and t.grad_fn is not None]
    if not outs or not params:
        return {name: False for name in params}
    grads = torch.autograd.grad(sum(outs), list(params.values()), allow_unused=True)
    return {name: g is not None for name, g in zip(params, grads)}
