"""Diagnose a CNN: find the classic bugs of ResNet and ResNeXt code in any nn.Module.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. The bugs are the ones people make when they write the
paper's Fig. 3 and Table 1 in code (notebook 07 and `resnext_edu.pitfalls` plant each one).

    >>> findings = diagnose(model, input_size=(3, 224, 224), cardinality=32, num_classes=1000)
    >>> print(findings)                      # a plain table; a notebook shows an HTML table
    >>> findings.at_least("warning")         # only warnings and errors

`diagnose` reads the modules, runs one forward and one backward pass with hooks, and one more
forward at a second, smaller input size. Both run on PyTorch's "meta" device when they can:
tensors with shapes but no data, so ResNeXt-101 at 224x224 takes a second or two on two CPU cores
(the first call in a process adds a few seconds while PyTorch sets up its meta kernels). The
model's weights, gradients and BatchNorm statistics are never touched. This module imports no model code: it
reads only what any nn.Module has.

How it sees a model (heuristics, written so that they hold for any nn.Module):
- Calls. Hooks record every module call in execution order, with its input and output shapes.
  A leaf is a module without children (a conv, a BN, a ReLU). A module called twice gives two calls.
- Dataflow. Every tensor made in the forward pass carries its autograd node (`grad_fn`). Walking
  that graph backwards from a layer's input finds the leaves that fed it, through functional
  code too (`x + y`, `torch.cat`, `torch.split`). Nodes are numbered in creation order, so a walk
  that starts inside a block stops where the block's input was made.
- Residual blocks. A container is a block if (a) its output is an addition (perhaps followed by
  a ReLU) of two values that both come from the container's input and meet first there, or (b) it
  has a child named like a shortcut (`downsample`, `shortcut`, `skip`): that catches blocks whose
  shortcut is never used. A stage (nn.Sequential of blocks) is not a block: its additions meet at
  the previous block's output. The innermost block around a layer is "its" block.
- Strided layers are convs and pools with stride > 1 and adaptive pools that shrink the map.
  Global pooling (a pooling layer with a 1x1 output) is not strided: the map it reads is the
  final feature map, and total stride = input size / final map size.
- Within one block, a path is a chain of leaves linked by dataflow. Res2Net's strided 3x3s each
  read their own split of the same tensor: parallel, one strided layer per path, fine.
"""
import html
import math
import re
import textwrap
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

from .checks import check_input_size, check_module

__all__ = ["SEVERITIES", "Finding", "Findings", "diagnose"]

SEVERITIES = ("info", "warning", "error")  # least to most severe
PAPER_STRIDE = 32  # ImageNet models reduce 224x224 to 7x7 (Xie et al. 2017, Table 1)
IMAGENET_CLASSES = 1000
SHORTCUT_NAMES = re.compile(r"downsample|shortcut|skip", re.IGNORECASE)
SHUFFLE_NODES = re.compile(r"Transpose|Permute|ChannelShuffle")  # how a channel shuffle shows in autograd


# ---------------------------------------------------------------------------------------------
# Findings: what diagnose returns.


@dataclass(frozen=True)
class Finding:
    """One problem: how bad, where, what is wrong, why it matters and how to fix it."""

    severity: str   # "error", "warning" or "info"
    check: str      # the check that found it, e.g. "grouped-1x1"
    layers: tuple   # names of the layers concerned (state_dict prefixes), in execution order
    what: str
    why: str
    fix: str

    @property
    def layer(self):
        """The first layer's name, with how many more share the finding."""
        more = len(self.layers) - 1
        return self.layers[0] + (f" (+{more} more)" if more > 0 else "")

    def names(self, layer):
        """True if this finding names `layer` or a layer inside it."""
        return any(name == layer or name.startswith(layer + ".") for name in self.layers)

    def __str__(self):
        return f"{self.severity}: {self.layer}: {self.what}"


def _rank(severity):
    if severity not in SEVERITIES:
        raise ValueError(f"severity={severity!r} is unknown; use one of {', '.join(map(repr, SEVERITIES))}")
    return SEVERITIES.index(severity)


_COLOURS = {"error": "#c62828", "warning": "#e65100", "info": "#1565c0"}
_TEXT_WIDTH = 70  # characters of the finding column in the plain table
_NAMES_SHOWN = 4  # layer names listed per finding; the rest are counted


class Findings(list):
    """The findings of diagnose(), most severe first; prints as a table, shows as HTML in a notebook."""

    def __init__(self, findings=(), title="", facts=()):
        super().__init__(sorted(findings, key=lambda f: -_rank(f.severity)))
        self.title = title    # e.g. "diagnose: ResNet at (3, 224, 224)"
        self.facts = facts    # lines about the model: parameters, blocks, total stride

    def _same(self, findings):
        return Findings(findings, self.title, self.facts)

    def at_least(self, severity):
        """The findings of this severity or worse: `.at_least("warning")` drops the info."""
        return self._same(f for f in self if _rank(f.severity) >= _rank(severity))

    def about(self, layer):
        """The findings that name this layer, or a layer inside it."""
        return self._same(f for f in self if f.names(layer))

    def of(self, check):
        """The findings of one check, e.g. `.of("no-gradient")`."""
        return self._same(f for f in self if f.check == check)

    @property
    def checks(self):
        """The names of the checks that found something."""
        return {f.check for f in self}

    def counts(self):
        """{severity: number of findings}, most severe first."""
        return {s: sum(f.severity == s for f in self) for s in reversed(SEVERITIES)}

    def summary(self):
        """One line: how many findings of each severity."""
        return ", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in self.counts().items())

    def _cells(self, finding):
        names = list(finding.layers[:_NAMES_SHOWN])
        if len(finding.layers) > _NAMES_SHOWN:
            names.append(f"(+{len(finding.layers) - _NAMES_SHOWN} more)")
        return names

    def __str__(self):
        head = [self.title] if self.title else []
        head += [f"  {fact}" for fact in self.facts] + [f"  {self.summary()}"]
        if not self:
            return "\n".join(head + ["", "No problems found."])
        width = max(len("layer"), *(len(n) for f in self for n in self._cells(f)))
        rows = [f"{'severity':8}  {'layer':{width}}  finding", f"{'-' * 8}  {'-' * width}  {'-' * _TEXT_WIDTH}"]
        for f in self:
            text = textwrap.wrap(f.what, _TEXT_WIDTH)
            for label, part in (("why: ", f.why), ("fix: ", f.fix)):
                text += textwrap.wrap(label + part, _TEXT_WIDTH, subsequent_indent="     ")
            names = self._cells(f)
            for i in range(max(len(text), len(names))):
                sev = f.severity if i == 0 else ""
                name = names[i] if i < len(names) else ""
                line = text[i] if i < len(text) else ""
                rows.append(f"{sev:8}  {name:{width}}  {line}".rstrip())
            rows.append("")
        return "\n".join(head + [""] + rows).rstrip()

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))

    def _repr_html_(self):
        esc = html.escape
        facts = "".join(f"<li>{esc(fact)}</li>" for fact in [*self.facts, self.summary()])
        head = f"<p><b>{esc(self.title)}</b></p><ul>{facts}</ul>"
        if not self:
            return head + "<p>No problems found.</p>"
        rows = []
        for f in self:
            cells = self._cells(f)  # up to four names, then "(+N more)"
            names = "<br>".join([f"<code>{esc(n)}</code>" for n in f.layers[:_NAMES_SHOWN]] + cells[_NAMES_SHOWN:])
            sev = f'<b style="color:{_COLOURS[f.severity]}">{f.severity}</b>'
            rows.append(f'<tr><td>{sev}</td><td title="{esc(", ".join(f.layers))}">{names}</td>'
                        f"<td>{esc(f.what)}</td><td>{esc(f.why)}</td><td>{esc(f.fix)}</td></tr>")
        header = "".join(f"<th>{h}</th>" for h in ("severity", "layer", "what is wrong", "why it matters", "fix"))
        return (f'{head}<table style="text-align:left"><thead><tr>{header}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")


# ---------------------------------------------------------------------------------------------
# Tracing: every module call, its shapes and its place in the autograd graph.


@dataclass(eq=False)
class _Call:
    """One call of one module during a forward pass."""

    index: int          # position in execution order
    name: str           # its name in model.named_modules(), "" for the model itself
    module: nn.Module
    leaf: bool          # a module without children
    parents: tuple      # indices of the calls it runs inside, outermost first
    in_nodes: tuple     # autograd nodes of its tensor inputs, read before it runs
    in_shape: tuple     # shape of its first tensor input, (N, C, H, W) for a conv
    out_node: object = None
    out_shape: tuple = ()

    @property
    def passthrough(self):
        """True if the output is an input unchanged (nn.Identity): it makes no new tensor."""
        return self.out_node is None or self.out_node in self.in_nodes


class _Trace:
    """The calls of one forward pass; `error` holds (layer name, message) if it failed."""

    def __init__(self, calls, output=None, grads=None, error=None, device="meta"):
        self.calls, self.output, self.grads, self.error, self.device = calls, output, grads, error, device

    def named(self, name, occurrence=0):
        """The call of the module named `name` (its `occurrence`-th call), or None."""
        found = [c for c in self.calls if c.name == name]
        return found[occurrence] if occurrence < len(found) else None


def _tensors(value):
    """The tensors in a module's input or output: a tensor, or inside tuples, lists and dicts."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _trace(model, size, batch, backward):
    """Run the model once with hooks (and a backward pass); return a _Trace.

    On the meta device first, where nothing is computed; on real random data only if an
    operation has no meta version. Parameters and buffers are passed in through
    functional_call, so BN's running statistics and `.grad` of the model stay as they were.
    """
    try:
        return _trace_on(model, size, batch, backward, "meta")
    except _NoMeta:
        return _trace_on(model, size, batch, backward, "real")


class _NoMeta(Exception):
    """An operation of the model cannot run on the meta device."""


def _trace_on(model, size, batch, backward, device):
    calls, stack = [], []
    names = {id(m): n for n, m in model.named_modules()}

    def before(module, args):
        tensors = _tensors(args)
        nodes = tuple(t.grad_fn for t in tensors if t.grad_fn is not None)
        shape = tuple(tensors[0].shape) if tensors else ()
        call = _Call(len(calls), names.get(id(module), "?"), module, not module._modules,
                     tuple(c.index for c in stack), nodes, shape)
        calls.append(call)
        stack.append(call)

    def after(module, args, output):
        call = stack.pop()
        tensors = _tensors(output)
        if tensors:
            call.out_node, call.out_shape = tensors[0].grad_fn, tuple(tensors[0].shape)

    handles = []
    modes = [(m, m.training) for m in model.modules()]
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(before))
        handles.append(m.register_forward_hook(after))
    try:
        # Training mode for the backward pass: layers used only in training (auxiliary heads) count
        # as used. The shape-only second pass runs in eval mode without autograd: faster on meta.
        model.train(backward)
        params, state, x = _inputs(model, size, batch, device, backward)
        with torch.set_grad_enabled(backward):
            try:
                output = functional_call(model, state, (x,))
            except Exception as err:  # noqa: BLE001  any failure is reported, with the layer
                if device == "meta" and _meta_problem(err):
                    raise _NoMeta from err
                where = stack[-1].name if stack else ""
                return _Trace(calls, error=(where, _first_line(err)), device=device)
            grads = None
            if backward:
                grads = _gradients(output, params)
        return _Trace(calls, output, grads, device=device)
    finally:
        for h in handles:
            h.remove()
        for m, training in modes:
            m.training = training


def _inputs(model, size, batch, device, grad):
    """(params that need a gradient, state for functional_call, input x) on `device`."""
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
        where = first.device if first is not None else "cpu"
        x = torch.randn(batch, *size, generator=torch.Generator().manual_seed(0)).to(where, dtype)
    # A copy of an input that needs a gradient: every tensor made from it has an autograd node.
    if grad:
        x = x.requires_grad_().clone()
    return {k: p for k, p in params.items() if p.requires_grad}, {**params, **buffers}, x


def _gradients(output, params):
    """{parameter name: True if it got a gradient}, from one backward pass of sum(outputs)."""
    outs = [t.float().sum() for t in _tensors(output) if t.is_floating_point() and t.grad_fn is not None]
    if not outs or not params:
        return {name: False for name in params}
    grads = torch.autograd.grad(sum(outs), list(params.values()), allow_unused=True)
    return {name: g is not None for name, g in zip(params, grads)}


def _meta_problem(err):
    return isinstance(err, NotImplementedError) or "meta" in str(err).lower()


def _first_line(err):
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


# ---------------------------------------------------------------------------------------------
# Reading the autograd graph.


def _seq(node):
    """Creation number of an autograd node (parameters' AccumulateGrad nodes come last)."""
    return node._sequence_nr()


def _is_add(node):
    return type(node).__name__.startswith("AddBackward")


def _parents(node):
    """The nodes a node reads from, without parameters (AccumulateGrad)."""
    return [n for n, _ in node.next_functions if n is not None and type(n).__name__ != "AccumulateGrad"]


def _walk(starts, stop, bound, targets):
    """Walk back from `starts` to the nodes in `stop`, not past nodes made at or before `bound`.

    Returns (indices of the targets met, each ending its branch; all nodes seen; whether a node in
    `stop` was reached). targets maps a leaf's output node to the leaf's call index.
    """
    found, seen, reached = set(), set(), False
    todo = list(starts)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        if node in stop:
            reached = True
        elif node in targets:
            found.add(targets[node])
        elif _seq(node) > bound:
            todo.extend(_parents(node))
    return found, seen, reached


# ---------------------------------------------------------------------------------------------
# What a layer is.


def _tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _spatial(shape):
    """(H, W) of an (N, C, H, W) shape; () for a shape without spatial dimensions."""
    return tuple(shape[2:]) if len(shape) >= 3 else ()


def _is_conv(call):
    return isinstance(call.module, _ConvNd) and not call.module.transposed


def _is_pool(call):
    return "Pool" in type(call.module).__name__


def _is_global_pool(call):
    """A pooling layer with a 1x1 output: it reads the final feature map."""
    out = _spatial(call.out_shape)
    return _is_pool(call) and bool(out) and all(s == 1 for s in out)


def _stride(call):
    """How much this layer shrinks the map: its stride, or in/out for adaptive pooling; 1 for none."""
    if not call.leaf or _is_global_pool(call) or (isinstance(call.module, _ConvNd) and call.module.transposed):
        return 1
    stride = getattr(call.module, "stride", None)
    if isinstance(stride, (int, tuple, list)) and stride:
        return max(_tuple(stride))
    if len(call.in_shape) == len(call.out_shape) == 4 and 0 < call.out_shape[2] < call.in_shape[2]:
        # (N, C, H, W) in and out, e.g. an adaptive pool to 14x14; a padding-free crop is no stride
        return max(1, round(call.in_shape[2] / call.out_shape[2]))
    return 1


def _kernel(call):
    return _tuple(call.module.kernel_size)


def _fmt(shape):
    return "x".join(map(str, shape))


def _prefix(names):
    """The deepest module that holds all of these layers, e.g. "layer1.0.downsample"."""
    parts = [n.split(".") for n in names]
    common = []
    for level in zip(*parts):
        if len(set(level)) > 1:
            break
        common.append(level[0])
    return ".".join(common)


# ---------------------------------------------------------------------------------------------
# Blocks.


@dataclass(eq=False)
class _Block:
    """A residual block found in the trace."""

    call: _Call
    leaves: list        # leaf calls inside it, in execution order
    preds: dict         # leaf index -> indices of the leaves in the block that feed it
    add: tuple = None   # (side_a, side_b): leaf indices on each side of its residual addition
    shuffled: bool = False  # a channel shuffle (transpose or permute) happens inside it

    @property
    def name(self):
        return self.call.name or "(model)"

    @property
    def label(self):
        """How the text names it: "layer1.0", or "the model" for diagnose(block)."""
        return self.call.name or "the model"


def _residual_sides(call, trace_leaf_out):
    """Leaves on each side of the block's residual addition, or None if it has none.

    The output, after single-input tail ops (ReLU), must be an addition whose two operands
    both come from the container's input, and meet there first: no addition is shared by both.
    """
    stop, bound = set(call.in_nodes), _bound(call)
    node = call.out_node
    for _ in range(8):  # a few tail ops at most: ReLU, dropout, a cast
        if node is None or node in stop or _seq(node) <= bound:
            return None
        if _is_add(node):
            break
        parents = _parents(node)
        if len(parents) != 1:
            return None
        node = parents[0]
    else:
        return None
    operands = _parents(node)
    if len(operands) != 2:
        return None
    walks = [_walk([op], stop, bound, {}) for op in operands]
    if not all(reached for _, _, reached in walks):
        return None
    shared = (walks[0][1] & walks[1][1]) - stop
    if any(_is_add(n) for n in shared):
        return None  # a stage: its additions meet at the previous block's output
    return tuple({trace_leaf_out[n] for n in seen if n in trace_leaf_out} for _, seen, _ in walks)


def _bound(call):
    """Creation number of the call's input: nodes made before it lie outside the call."""
    return min((_seq(n) for n in call.in_nodes), default=-1)


def _blocks(trace):
    """The innermost residual blocks of the trace, each with the dataflow between its leaves."""
    calls = trace.calls
    leaf_out = {c.out_node: c.index for c in calls if c.leaf and not c.passthrough}
    found = {}
    for call in calls:
        if call.leaf or call.out_node is None:
            continue
        sides = _residual_sides(call, leaf_out)
        # The model itself is a block only by its addition (diagnose(block)), not by a child's name.
        named = bool(call.parents) and any(SHORTCUT_NAMES.search(child) for child in call.module._modules)
        if sides is not None or named:
            found[call.index] = sides
    inner = [i for i in found if not any(i in calls[j].parents for j in found)]
    blocks = []
    for i in inner:
        call = calls[i]
        leaves = [c for c in calls if c.leaf and i in c.parents]
        targets = {c.out_node: c.index for c in leaves if not c.passthrough}
        stop, bound = set(call.in_nodes), _bound(call)
        preds = {c.index: _walk(c.in_nodes, stop, bound, targets)[0] for c in leaves}
        region = _walk([call.out_node], stop, bound, {})[1]
        shuffled = any(SHUFFLE_NODES.search(type(n).__name__) for n in region) or any(
            isinstance(c.module, nn.ChannelShuffle) for c in leaves)
        blocks.append(_Block(call, leaves, preds, found[i], shuffled))
    return blocks


# ---------------------------------------------------------------------------------------------
# The checks. Each reads the trace (and the blocks) and yields findings.


def _check_strided_chains(trace, blocks, ctx):
    """More than one strided layer along one path of one block: the map shrinks 4x or 8x."""
    calls = trace.calls
    for block in blocks:
        depth, best = {}, {}
        for leaf in block.leaves:  # execution order: a leaf's predecessors come before it
            prev = max(block.preds[leaf.index], key=lambda p: depth.get(p, 0), default=None)
            depth[leaf.index] = depth.get(prev, 0) + (_stride(leaf) > 1)
            best[leaf.index] = prev
        end = max(depth, key=depth.get, default=None)
        if end is None or depth[end] < 2:
            continue
        path, i = [], end
        while i is not None:
            if _stride(calls[i]) > 1:
                path.append(calls[i])
            i = best[i]
        path.reverse()
        shrink = math.prod(_stride(c) for c in path)
        chain = " -> ".join(f"{c.name} (stride {_stride(c)})" for c in path)
        size_in, size_out = _spatial(block.call.in_shape), _spatial(block.call.out_shape)
        yield Finding(
            "error", "strided-chain", (block.name, *(c.name for c in path)),
            f"{block.label}: one path goes through {len(path)} strided layers, {chain}, so the map shrinks "
            f"{shrink}x in one block ({_fmt(size_in)} -> {_fmt(size_out)}).",
            "A block should shrink the map once (2x); each extra stride throws away 3/4 of the positions "
            "and the later stages work on maps too small to see anything.",
            "Put the stride on one layer of the path only: the 3x3 conv (ResNet v1.5, as torchvision) "
            "or the first 1x1 (ResNet v1); the shortcut gets the same stride.")


def _check_stride_on_1x1(trace, blocks, ctx):
    """The block's stride on its first 1x1 conv, not on the 3x3: ResNet v1 (informational)."""
    calls = trace.calls
    for block in blocks:
        strided_before = {}
        for leaf in block.leaves:
            s = set()
            for p in block.preds[leaf.index]:
                s |= strided_before[p] | ({p} if _stride(calls[p]) > 1 else set())
            strided_before[leaf.index] = s
            if _is_conv(leaf) and _stride(leaf) == 1 and max(_kernel(leaf)) > 1:
                for p in sorted(s):
                    if _is_conv(calls[p]) and max(_kernel(calls[p])) == 1:
                        yield Finding(
                            "info", "stride-on-1x1", (calls[p].name,),
                            f"{calls[p].name} is a 1x1 conv with stride {_stride(calls[p])} before the 3x3 "
                            f"{leaf.name}: this is ResNet v1, where torchvision uses v1.5 (stride on the 3x3).",
                            "A strided 1x1 reads one position in four and drops the rest; the 3x3 with the "
                            "stride sees them all. NVIDIA measured v1.5 about 0.5% more accurate (top-1) at a "
                            "few percent lower throughput; torchvision's Bottleneck cites it.",
                            f"Keep it to match the original ResNet v1, or move the stride to {leaf.name}.")


def _check_grouped_1x1(trace, blocks, ctx):
    """A 1x1 conv with groups > 1 inside a block: information no longer crosses groups."""
    for block in blocks:
        for leaf in block.leaves:
            if not (_is_conv(leaf) and max(_kernel(leaf)) == 1 and leaf.module.groups > 1):
                continue
            g = leaf.module.groups
            if block.shuffled:
                yield Finding(
                    "info", "grouped-1x1", (leaf.name,),
                    f"{leaf.name} is a 1x1 conv with groups={g}, followed by a channel shuffle, as in ShuffleNet.",
                    "The shuffle lets each group of the next layer read from every group of this one.",
                    "Nothing to fix, if the shuffle was meant.")
                continue
            yield Finding(
                "warning", "grouped-1x1", (leaf.name,),
                f"{leaf.name} is a 1x1 conv with groups={g} inside "
                f"{'the block ' + block.call.name if block.call.name else 'the block'}: each group of "
                f"{leaf.module.in_channels // g} input channels feeds only its own group of outputs.",
                "Information can no longer cross groups there: with the grouped 3x3 after it, each path sees "
                f"only 1/{g} of the block's input. ResNeXt's form (c) groups only the 3x3 (Xie et al. 2017, "
                "Fig. 3(c)); ShuffleNet groups its 1x1s but adds a channel shuffle to mix the groups again.",
                f"Use groups=1 in {leaf.name}; keep groups=cardinality on the 3x3 only.")


def _check_total_stride(trace, blocks, ctx):
    """The final map's size: an ImageNet model reduces its input 32x (224 -> 7)."""
    size, final, where = ctx["size"], ctx["final"], ctx["final_layer"]
    if not final or not ctx["imagenet"]:
        return
    expected = tuple(_ceil_halve(s, 5) for s in size[1:])
    if final == expected:
        return
    # Strided layers whose output is not their input divided by their stride: padding is off.
    odd = [c.name for c in trace.calls if c.leaf and _stride(c) > 1 and _spatial(c.in_shape)
           and _spatial(c.out_shape) and _spatial(c.out_shape)[0] != _ceil_div(_spatial(c.in_shape)[0], _stride(c))]
    stride = size[1] / final[0]
    yield Finding(
        "warning", "total-stride", (*odd, where),
        f"The final feature map is {_fmt(final)} at {_fmt(size[1:])} input: total stride "
        f"{stride:g}, where the paper's ImageNet models have {PAPER_STRIDE} ({_fmt(expected)}).",
        "Stage sizes set what each stage sees and costs: Table 1's 56, 28, 14, 7 at 224x224. "
        "Another final size means a stride or a padding is off somewhere, and pretrained weights "
        "and the paper's FLOPs no longer apply.",
        "Check the stem (7x7 conv, stride 2, padding 3, then 3x3 max pool, stride 2, padding 1) and "
        "that each later stage halves the map exactly once." + (f" First odd size: {odd[0]}." if odd else ""))


def _ceil_div(a, b):
    return -(-a // b)


def _ceil_halve(size, times):
    for _ in range(times):
        size = _ceil_div(size, 2)
    return size


def _check_padding(trace, blocks, ctx):
    """A conv padded by more than (k-1)/2: the map is not an exact half after a stride 2."""
    for c in trace.calls:
        if not (c.leaf and _is_conv(c)) or isinstance(c.module.padding, str):
            continue
        pads, ks, dil = _tuple(c.module.padding), _kernel(c), _tuple(c.module.dilation)
        pads, dil = pads * (len(ks) // len(pads)), dil * (len(ks) // len(dil))
        if any(p > d * (k - 1) // 2 for p, k, d in zip(pads, ks, dil)):
            k = _fmt(ks)
            right = tuple(d * (k_ - 1) // 2 for k_, d in zip(ks, dil))
            yield Finding(
                "warning", "padding", (c.name,),
                f"{c.name} is a {k} conv with padding {_fmt(pads)}, more than the {_fmt(right)} that keeps "
                f"the size: {_fmt(_spatial(c.in_shape))} -> {_fmt(_spatial(c.out_shape))}.",
                "The extra border adds rows of zeros, every later map is one larger than the paper's, and a "
                "fixed-size pooling at the end no longer fits.",
                f"Use padding {right[0] if len(set(right)) == 1 else right} (that is (k-1)/2 for kernel k).")


def _is_fixed_global_pool(call):
    """A pooling layer with a fixed kernel (not adaptive) that pools the map to 1x1."""
    return (call.leaf and _is_global_pool(call) and hasattr(call.module, "kernel_size")
            and "Adaptive" not in type(call.module).__name__)


def _check_fixed_pool(trace, blocks, ctx):
    """A fixed-size pooling used as global pooling: it breaks, or stops pooling to 1x1, at another size."""
    second, size2 = ctx["second"], ctx["size2"]
    seen = {}
    for c in trace.calls:
        occurrence = seen.get(c.name, 0)
        seen[c.name] = occurrence + 1
        if not _is_fixed_global_pool(c):
            continue
        kernel, pad = _tuple(c.module.kernel_size), _tuple(getattr(c.module, "padding", 0))
        size_in = _spatial(c.in_shape)
        kernel, pad = kernel * (len(size_in) // len(kernel)), pad * (len(size_in) // len(pad))
        problems = []
        if any(k - p < s for k, p, s in zip(kernel, pad, size_in)):
            problems.append(f"at {_fmt(ctx['size'][1:])} input it reads the {_fmt(size_in)} map but averages only "
                            f"the top-left {_fmt(kernel)} of it")
        later = second.named(c.name, occurrence)  # the same call at the second size
        if second.error and second.error[0] == c.name:
            problems.append(f"at {_fmt(size2[1:])} input it fails: {second.error[1]}")
        elif later is not None and later.out_shape and any(s != 1 for s in _spatial(later.out_shape)):
            problems.append(f"at {_fmt(size2[1:])} input it pools to {_fmt(_spatial(later.out_shape))}, not 1x1")
        what = f"{c.name} is {type(c.module).__name__}(kernel_size={_fmt(kernel)}), a fixed-size global pooling"
        yield Finding(
            "error" if problems else "warning", "fixed-pool", (c.name,),
            what + (": " + "; ".join(problems) + "." if problems else
                    f"; it fits {_fmt(size_in)} maps only."),
            "A fixed kernel fits one input size. At any other size the model crashes, or the classifier "
            "gets a map instead of one vector per image.",
            f"Use nn.AdaptiveAvgPool2d(1) in {c.name}: it pools any map to 1x1.")


def _check_second_size(trace, blocks, ctx):
    """Any other failure at the second input size."""
    second, size2 = ctx["second"], ctx["size2"]
    fixed_pools = {c.name for c in trace.calls if _is_fixed_global_pool(c)}
    if not second.error or second.error[0] in fixed_pools:
        return  # no failure, or the fixed pool's, which _check_fixed_pool reports
    where, message = second.error
    module = dict(ctx["model"].named_modules()).get(where)
    kind = type(module).__name__ if module is not None else "the model"
    yield Finding(
        "warning", "input-size", (where or "(model)",),
        f"At {_fmt(size2[1:])} input the forward pass fails in {where or 'the model'} ({kind}): {message}",
        "The model works at one input size only; a fully convolutional network with global pooling "
        "works at any size the strides allow.",
        "Replace hard-coded sizes (fixed pooling kernels, a Linear layer sized for one flattened map) "
        "by nn.AdaptiveAvgPool2d(1) before the classifier.")


def _check_bias_before_bn(trace, blocks, ctx):
    """A conv (or linear) layer with a bias feeding a BatchNorm directly: the bias cancels."""
    out_of = {c.out_node: c for c in trace.calls if c.leaf and not c.passthrough}
    for c in trace.calls:
        if not (c.leaf and isinstance(c.module, _BatchNorm)):
            continue
        for node in c.in_nodes:
            p = out_of.get(node)
            if p is None or not isinstance(p.module, (_ConvNd, nn.Linear)) or p.module.bias is None:
                continue
            if all(s == 1 for s in _spatial(c.in_shape)):
                # A BN on pooled features (N, C, 1, 1): the attention branch of ResNeSt's split attention
                # or of ReXNet's SE, as their reference code (and pretrained weights) have it. It wastes
                # C parameters and no real compute.
                yield Finding(
                    "info", "bias-before-bn", (p.name,),
                    f"{p.name} has a bias ({p.module.bias.numel():,} parameters) and feeds {c.name} directly, "
                    "on pooled (1x1) features.",
                    "BN's mean subtraction cancels the bias. In an attention branch this costs a few "
                    "parameters only; reference implementations (timm's ResNeSt, ReXNet) keep it so that "
                    "their pretrained weights load.",
                    f"Nothing to fix, unless you train from scratch: then bias=False in {p.name}.")
                continue
            yield Finding(
                "warning", "bias-before-bn", (p.name,),
                f"{p.name} has a bias ({p.module.bias.numel():,} parameters) and feeds {c.name} directly.",
                "BatchNorm subtracts the mean of each channel, which removes any constant the bias added, then "
                "adds its own shift (beta): the bias is wasted parameters and wasted work.",
                f"Build {p.name} with bias=False, as torchvision and the paper's models do.")


def _check_projection(trace, blocks, ctx):
    """A projection shortcut where the identity would do: same shape in and out."""
    calls = trace.calls
    for block in blocks:
        if block.add is None:
            continue
        a, b = block.add
        convs = [[i for i in side - other if _is_conv(calls[i])] for side, other in ((a, b), (b, a))]
        short = min(convs, key=len)
        if not short or len(short) == len(max(convs, key=len)):
            continue  # the identity shortcut, or no side is the shorter one
        if block.call.in_shape != block.call.out_shape:
            continue  # the shape changes: the paper projects here too (option B)
        names = [calls[i].name for i in sorted(short)]
        side = sorted(a - b if set(short) <= a else b - a)
        where = _prefix([calls[i].name for i in side]) or names[0]
        params = sum(p.numel() for i in side for p in calls[i].module.parameters(recurse=False))
        yield Finding(
            "warning", "projection", (where,),
            f"The shortcut of {block.label} goes through {', '.join(names)} ({params:,} parameters), although its "
            f"input and output have the same shape {_fmt(block.call.in_shape[1:])}.",
            "The paper (and He et al. 2016, option B) projects only where the shape changes, the first block of "
            "a stage; elsewhere the identity shortcut is free and carries the gradient unchanged.",
            f"Set {where} to None (the identity) when stride == 1 and in_channels == out_channels.")


def _check_gradients(trace, blocks, ctx):
    """Parameters that get no gradient: layers defined but never used, or cut off from the loss."""
    grads = trace.grads
    if not grads:
        return
    model = ctx["model"]
    unused = {name for name, got in grads.items() if not got}
    if not unused:
        return
    called = {c.name for c in trace.calls}

    def dead(module_name, module):
        names = [f"{module_name}.{n}" if module_name else n for n, p in module.named_parameters() if p.requires_grad]
        return bool(names) and all(n in unused for n in names)

    modules = dict(model.named_modules())
    dead_modules = []  # the outermost modules whose parameters all go without a gradient
    for name, module in modules.items():
        parent = name.rpartition(".")[0] if "." in name else ("" if name else None)
        if dead(name, module) and not (parent in modules and dead(parent, modules[parent])):
            dead_modules.append(name)
    never = [n for n in dead_modules if n not in called]
    cut = [n for n in dead_modules if n in called]
    covered = {f"{m}.{p}" if m else p for m in dead_modules for p, _ in modules[m].named_parameters()}
    loose = sorted(unused - covered)  # single tensors of modules whose other parameters train
    params = dict(model.named_parameters())
    n = sum(params[name].numel() for name in unused)
    parts = [f"unused parameters: {', '.join(loose)}"] if loose else []
    if never:
        parts.append(f"never called in forward(): {', '.join(never)}")
    if cut:
        parts.append(f"called, but their output does not reach the loss: {', '.join(cut)}")
    names = [name or "(model)" for name in dead_modules] + loose
    yield Finding(
        "error", "no-gradient", tuple(names),
        f"{n:,} parameters in {len(names)} place{'s' if len(names) > 1 else ''} get no gradient: "
        f"{'; '.join(parts)}.",
        "Their parameters never train, yet they count in the model's size and in its optimizer; often "
        "a forward() that forgets a layer, such as a shortcut that is built but never added.",
        f"Use {names[0]} in forward() (or let its output reach the loss), or remove it from __init__().")


def _check_cardinality(trace, blocks, ctx):
    """With cardinality given: each grouped 3x3 should have groups == cardinality."""
    card = ctx["cardinality"]
    if card is None:
        return
    grouped = [c for c in trace.calls if c.leaf and _is_conv(c) and c.module.groups > 1
               and max(_kernel(c)) > 1 and c.module.groups != c.module.in_channels]  # depthwise is another idea
    if not grouped:
        yield Finding(
            "info", "cardinality", ("(model)",),
            f"cardinality={card} was given, but no conv has groups > 1 (other than depthwise ones).",
            "Forms (a) and (b) of the block hold the C paths as separate modules; only form (c) uses groups.",
            "Nothing to fix for forms (a) and (b); for form (c) pass groups=cardinality to the 3x3 conv.")
        return
    for c in grouped:
        g, width = c.module.groups, c.module.in_channels
        if g == card:
            continue
        if width // g == card:
            yield Finding(
                "error", "cardinality", (c.name,),
                f"{c.name} has groups={g} and {width} channels: {width // g} channels per group, which is the "
                f"cardinality you gave ({card}). The argument was passed the group's width, not the number of groups.",
                "groups is the number of groups C; the width per group is d = channels / C. Swapping them "
                f"gives {g} paths of {width // g} channels instead of {card} paths of {width // card}: another "
                f"network, whose 3x3 has {_ratio(card, g)} the parameters (they scale as 1 / groups).",
                f"Use groups={card} (the cardinality), so that each group has d = {width // card} channels.")
        else:
            yield Finding(
                "warning", "cardinality", (c.name,),
                f"{c.name} has groups={g}, but the cardinality you gave is {card}.",
                "In form (c) the grouped 3x3 has one group per path: groups = cardinality.",
                f"Use groups={card} in {c.name}, or check the cardinality you expect.")


def _ratio(a, b):
    """a / b as "8x" or "1/8 of"."""
    return f"{a / b:g}x" if a >= b else f"1/{b / a:g} of"


def _check_classes(trace, blocks, ctx):
    """With num_classes given: the classifier's width."""
    want, got, where = ctx["num_classes"], ctx["classes"], ctx["classifier"]
    if want is None or got is None or got == want:
        return
    yield Finding(
        "error", "num-classes", (where or "(model)",),
        f"The model outputs {got} classes (from {where or 'the model'}), but num_classes={want}.",
        "A classifier of another width cannot be trained on the labels of this dataset, nor load its "
        "pretrained weights; a width hard-coded in the model ignores the builder's num_classes argument.",
        f"Build the classifier as nn.Linear(features, num_classes) with num_classes={want}.")


CHECKS = (_check_strided_chains, _check_total_stride, _check_padding, _check_fixed_pool, _check_second_size,
          _check_grouped_1x1, _check_stride_on_1x1, _check_bias_before_bn, _check_projection, _check_gradients,
          _check_cardinality, _check_classes)


# ---------------------------------------------------------------------------------------------
# diagnose.


def _check_optional_whole(name, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name}={value!r} must be None or a whole number of at least 1")


def _second_size(size):
    """A smaller input for the second forward: 224 -> 160, 64 -> 32, 32 -> 16."""
    c, h, w = size
    smaller = lambda s: max(16, s * 5 // 7 // 16 * 16)  # noqa: E731
    h2, w2 = smaller(h), smaller(w)
    if (h2, w2) == (h, w):
        h2, w2 = 2 * h, 2 * w
    return c, h2, w2


def _classifier(trace):
    """(number of classes, name of the layer that makes them) from the model's output."""
    if trace.output is None:
        return None, None
    outs = _tensors(trace.output)
    if not outs or outs[0].dim() != 2:
        return None, None
    classes = outs[0].shape[1]
    for c in reversed(trace.calls):
        has_weights = next(c.module.parameters(recurse=False), None) is not None
        if c.leaf and has_weights and len(c.out_shape) == 2 and c.out_shape[1] == classes:
            return classes, c.name
    return classes, None


def diagnose(model, input_size=(3, 224, 224), cardinality=None, num_classes=None):
    """Check any nn.Module for the classic ResNet/ResNeXt bugs; return its Findings.

    input_size:  (C, H, W) of one image; a second forward runs at a smaller size (224 -> 160).
    cardinality: the C you meant (Xie et al. 2017, Sec. 3.3); checks the grouped 3x3 convs.
    num_classes: the classes you meant; checks the classifier's width.
    Raises TypeError for a non-module, ValueError for a bad argument or a forward pass that fails
    at input_size.
    """
    check_module(model, "diagnose")
    size = check_input_size(input_size)
    _check_optional_whole("cardinality", cardinality)
    _check_optional_whole("num_classes", num_classes)

    # Batch 2: BatchNorm in training mode needs more than one value per channel.
    trace = _trace(model, size, batch=2, backward=True)
    if trace.error and trace.device == "meta":
        # Real kernels word their errors better ("expected input[1, 1, 32, 32] to have 3 channels"),
        # and a model that runs for real but not on meta gets its full diagnosis on real data.
        trace = _trace_on(model, size, 1, False, "real")
        if not trace.error:
            trace = _trace_on(model, size, 2, True, "real")
    if trace.error:
        where, message = trace.error
        raise ValueError(f"the forward pass of {type(model).__name__} fails at input_size={size}"
                         + (f" in {where}" if where else "") + f": {message}")
    size2 = _second_size(size)
    second = _trace(model, size2, batch=1, backward=False)

    blocks = _blocks(trace)
    pools = [c for c in trace.calls if c.leaf and _is_global_pool(c)]
    maps = [c for c in trace.calls if c.leaf and len(c.out_shape) == 4]
    if pools:
        final, final_layer = _spatial(pools[-1].in_shape), pools[-1].name
    elif maps:
        final, final_layer = _spatial(maps[-1].out_shape), maps[-1].name
    else:
        final, final_layer = (), None
    classes, classifier = _classifier(trace)
    imagenet = (num_classes or classes) == IMAGENET_CLASSES and min(size[1:]) >= 64
    ctx = dict(model=model, size=size, size2=size2, second=second, cardinality=cardinality,
               num_classes=num_classes, classes=classes, classifier=classifier, final=final,
               final_layer=final_layer, imagenet=imagenet)

    findings = [f for check in CHECKS for f in check(trace, blocks, ctx)]
    title = f"diagnose: {type(model).__name__} at input {size}"
    params = sum(p.numel() for p in model.parameters())
    out = _tensors(trace.output)
    facts = [f"{params:,} parameters, output {tuple(out[0].shape[1:]) if out else '?'} per image",
             f"{len(blocks)} residual block{'s' if len(blocks) != 1 else ''}"
             + (f", final map {_fmt(final)}, total stride {size[1] / final[0]:g}" if final else ""),
             f"second forward at {size2}: " + ("failed" if second.error else "ran")
             + ("" if trace.device == "meta" else " (on real data: an op has no meta version)")]
    return Findings(_merge(findings), title, facts)


def _merge(findings):
    """One finding per check and severity: the first one's text, all the layers, in order."""
    merged = {}
    for f in findings:
        key = (f.check, f.severity)
        if key not in merged:
            merged[key] = f
            continue
        first = merged[key]
        layers = first.layers + tuple(n for n in f.layers if n not in first.layers)
        merged[key] = Finding(first.severity, first.check, layers, first.what, first.why, first.fix)
    out = []
    for f in merged.values():
        n = sum(1 for g in findings if (g.check, g.severity) == (f.check, f.severity))
        what = f.what if n == 1 else f"{f.what} The same holds in {n - 1} more place{'s' if n > 2 else ''}."
        out.append(Finding(f.severity, f.check, f.layers, what, f.why, f.fix))
    return out
