"""One forward pass of any nn.Module with hooks: every module call, its shapes and its autograd nodes.

`counting` reads the output shapes (MACs need them), `pitfalls` the stage sizes, and `diagnose`
the calls, their nesting and the autograd graph between them. All three use this one tracer.

Hooks see a layer only when it is called as `module(x)`. With `ops=True` the tracer also watches
every torch operation (a `TorchFunctionMode`) and attributes it to the module that runs it, so
code from the wild is seen too: a conv run as `self.conv1.forward(x)`, or whose weight lives in
a plain Python list, becomes a Call like any other, and functional pooling (`F.avg_pool2d(x, 8)`)
and reshapes (`x.view(-1, 512)`) become Calls named after the module whose forward runs them.
`Trace.coverage` then says how much of the model the hooks and the operations reached.

The forward runs on PyTorch's "meta" device when it can: tensors with shapes but no data, so
nothing is computed and ResNeXt-101 at 224x224 takes no memory. Parameters and buffers are
passed in through `torch.func.functional_call`, so the model's weights, gradients and BatchNorm
statistics are never touched, and each module's training flag is put back afterwards. This
module imports nothing from the rest of the package but its argument checks and i18n: it reads any nn.Module.
"""
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call

from torch.overrides import TorchFunctionMode

from .checks import check_choice, check_input_size, check_module, check_size
from .i18n import _

DEVICES = ("auto", "meta", "real")
POOLS = {"avg_pool2d": nn.AvgPool2d, "max_pool2d": nn.MaxPool2d}  # functional pools, as modules
RESHAPES = ("view", "reshape", "flatten")  # functional reshapes that can fold a map into the batch


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
    hooked: bool = True  # False: seen through its operations only (`.forward()`, functional code)
    op: str = ""         # for a functional call: the operation, e.g. "avg_pool2d"

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
    coverage: object = None  # a Coverage, with ops=True

    def named(self, name, occurrence=0):
        """The call of the module named `name` (its `occurrence`-th call), or None."""
        found = [c for c in self.calls if c.name == name]
        return found[occurrence] if occurrence < len(found) else None

    def outputs(self):
        """The tensors in the model's output."""
        return tensors(self.output)


@dataclass(frozen=True)
class Coverage:
    """How much of the model a trace with ops=True reached.

    params and layers count what the model registers (its parameters; its conv and linear
    modules); `reached` what some operation used, `hooked` the layers called as `module(x)`.
    unhooked: layers seen through their operations only. foreign: how many weights the operations
    used that are not parameters of the model (modules kept in a plain list, say).
    """

    params: int
    params_reached: int
    layers: int
    layers_hooked: int
    unhooked: tuple = ()
    unreached: tuple = ()
    foreign: int = 0

    @property
    def full(self):
        """Every parameter and every conv/linear layer reached, and no weight outside the model."""
        return self.params_reached == self.params and not self.unreached and not self.foreign

    def __str__(self):
        share = self.params_reached / self.params if self.params else 1.0
        text = _("coverage: the trace reached {reached:,} of {params:,} parameters ({share:.0%}) and {layers_reached} "
                 "of {layers} conv/linear layers, {hooked} of them as module calls").format(
                     reached=self.params_reached, params=self.params, share=share,
                     layers_reached=self.layers - len(self.unreached), layers=self.layers, hooked=self.layers_hooked)
        if self.foreign:
            text += "; " + _("{n:,} weights it used are not parameters of the model").format(n=self.foreign)
        return text + ("" if self.full else " (" + _("not everything was checked") + ")")


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


def trace(model, input_size, batch=1, train=False, backward=False, device="auto", ops=False):
    """Run model on a batch of `input_size` (C, H, W) images with hooks; return a Trace.

    train:    run in training mode (BatchNorm uses the batch's statistics; needs batch >= 2).
    backward: also run one backward pass of sum(outputs) and record which parameters got a
              gradient; the calls then carry their autograd nodes.
    device:   "meta" (shapes only), "real" (zero images on the model's device), or "auto": meta,
              and real where meta fails (an op without a meta kernel; real kernels also word
              shape errors better).
    ops:      also watch every torch operation: layers run without a module call, functional
              pools and reshapes become Calls, and the Trace gets its Coverage.
    """
    check_module(model, "trace")
    size = check_input_size(input_size)
    check_size("batch", batch)
    check_choice("device", device, DEVICES)
    first = _run(model, size, batch, train, backward, "real" if device == "real" else "meta", ops)
    if device == "auto" and first.error:
        return _run(model, size, batch, train, backward, "real", ops)
    return first


class _OpWatcher(TorchFunctionMode):
    """Sees every torch operation; makes Calls for the ones that module hooks cannot see."""

    def __init__(self, calls, stack, owners, modules):
        super().__init__()
        self.calls, self.stack, self.owners, self.modules = calls, stack, owners, modules
        self.used, self.foreign, self.failed = set(), {}, None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        try:
            out = func(*args, **kwargs)
        except Exception:
            name = getattr(func, "__name__", "").lstrip("_")
            inner = self.stack[-1] if self.stack else None
            if name in POOLS and self.failed is None and not (inner and inner.leaf):  # a functional pool failed
                self.failed = self._where(inner, f"F.{name}")
            raise
        inputs = [t for t in tensors((args, kwargs)) if isinstance(t, torch.Tensor)]
        results = tensors(out)
        if not inputs or not results:
            return out
        owned = [self.owners[id(t)] for t in inputs if id(t) in self.owners]
        self.used.update(name for _module, name in owned)
        for t in inputs:
            if isinstance(t, nn.Parameter) and id(t) not in self.owners:
                self.foreign[id(t)] = t.numel()
        inner = self.stack[-1] if self.stack else None
        if inner is not None and inner.leaf:
            return out  # inside a hooked layer (a Conv2d's own conv2d): the hooks see it
        name = getattr(func, "__name__", "").lstrip("_")
        if owned:  # a layer's weight used outside its hooks: `self.conv1.forward(x)`
            module = self.modules.get(owned[0][0])
            acts = [t for t in inputs if id(t) not in self.owners]  # not a buffer update: it reads a value
            if module is not None and not module._modules and acts and results[0].dim():
                self._add(owned[0][0], module, inputs, results, "")
        elif name in POOLS and inputs[0].dim() == 4:
            self._add(self._where(inner, f"F.{name}"), _pool(name, args, kwargs), inputs, results, name)
        elif name in RESHAPES and inputs[0].dim() >= 2 and results[0].dim() >= 1 \
                and results[0].shape[0] != inputs[0].shape[0]:  # only reshapes that change the batch
            self._add(self._where(inner, f".{name}"), nn.Identity(), inputs, results, name)
        return out

    @staticmethod
    def _where(inner, op):
        return f"{inner.name or '(model)'}: {op}" if inner is not None else op

    def _add(self, name, module, inputs, results, op):
        nodes = tuple(t.grad_fn for t in inputs if t.grad_fn is not None)
        call = Call(len(self.calls), name, module, True, tuple(c.index for c in self.stack), nodes,
                    tuple(inputs[0].shape), results[0].grad_fn, tuple(results[0].shape), hooked=False, op=op)
        self.calls.append(call)


def _pool(name, args, kwargs):
    """The nn.AvgPool2d or nn.MaxPool2d that does what F.avg_pool2d(x, ...) or F.max_pool2d did."""
    given = dict(zip(("kernel_size", "stride", "padding"), [a for a in args[1:4]]))
    given.update({k: v for k, v in kwargs.items() if k in ("kernel_size", "stride", "padding", "ceil_mode")})
    return POOLS[name](**given)


def _coverage(model, watcher, calls):
    params = dict(model.named_parameters())
    layers = [n for n, m in model.named_modules() if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear))]
    hooked = {c.name for c in calls if c.hooked}
    weight_used = {n.rpartition(".")[0] for n in watcher.used}
    unhooked = tuple(n for n in layers if n not in hooked and n in weight_used)
    unreached = tuple(n for n in layers if n not in hooked and n not in weight_used)
    return Coverage(sum(p.numel() for p in params.values()),
                    sum(params[n].numel() for n in watcher.used if n in params),
                    len(layers), sum(n in hooked for n in layers), unhooked, unreached,
                    sum(watcher.foreign.values()))


def _run(model, size, batch, train, backward, device, ops=False):
    calls, stack = [], []
    names = {id(m): n for n, m in model.named_modules()}

    def before(module, args):
        if not recording:
            return  # a backward pass that recomputes (activation checkpointing) adds no calls
        inputs = tensors(args)
        nodes = tuple(t.grad_fn for t in inputs if t.grad_fn is not None)
        call = Call(len(calls), names.get(id(module), "?"), module, not module._modules,
                    tuple(c.index for c in stack), nodes, tuple(inputs[0].shape) if inputs else ())
        calls.append(call)
        stack.append(call)

    def after(module, args, output):
        if not recording:
            return
        call = stack.pop()
        outputs = tensors(output)
        if outputs:
            call.out_node, call.out_shape = outputs[0].grad_fn, tuple(outputs[0].shape)

    watcher, recording = None, True
    modes = [(m, m.training) for m in model.modules()]
    handles = [h for m in model.modules()
               for h in (m.register_forward_pre_hook(before), m.register_forward_hook(after))]
    try:
        model.train(train)
        params, state, x = _inputs(model, size, batch, device, backward)
        if ops:
            owners = {id(t): (name.rpartition(".")[0], name) for name, t in state.items()}
            watcher = _OpWatcher(calls, stack, owners, dict(model.named_modules()))
        with torch.set_grad_enabled(backward):
            try:
                with watcher or _nothing():
                    output = functional_call(model, state, (x,))
            except Exception as err:  # noqa: BLE001  any failure is reported, with the module it happened in
                where = (watcher.failed if watcher and watcher.failed else None) or (stack[-1].name if stack else "")
                return Trace(calls, error=(where, first_line(err)), device=device)
            recording = False
            try:
                grads = _gradients(output, params) if backward else None
            except Exception as err:  # noqa: BLE001  e.g. activation checkpointing recomputes off the meta device
                return Trace(calls, error=("", _("the backward pass failed: {error}").format(error=first_line(err))),
                             device=device)
        coverage = _coverage(model, watcher, calls) if watcher else None
        return Trace(calls, output, grads, device=device, coverage=coverage)
    finally:
        for h in handles:
            h.remove()
        for m, training in modes:
            m.training = training


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


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
