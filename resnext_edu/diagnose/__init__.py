"""Diagnose a CNN: find the classic bugs of ResNet and ResNeXt code in any nn.Module.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. The bugs are slips that are easy to make when writing the
paper's Fig. 3 and Table 1 in code (notebook 07 and `resnext_edu.pitfalls` plant each one).

    >>> findings = diagnose(model, input_size=(3, 224, 224), cardinality=32, num_classes=1000)
    >>> print(findings)                      # a plain table; a notebook shows an HTML table
    >>> findings.at_least("warning")         # only warnings and errors

`diagnose` reads the modules, runs one forward and one backward pass with hooks, and one more
forward at a second, smaller input size, all through `resnext_edu.trace`. They run on PyTorch's
"meta" device when they can: tensors with shapes but no data, so ResNeXt-101 at 224x224 takes a
second or two on two CPU cores (the first call in a process adds a few seconds while PyTorch sets
up its meta kernels). The model's weights, gradients and BatchNorm statistics are never touched.
This package imports no model code: it reads only what any nn.Module has.

How it sees a model (heuristics, written so that they hold for any nn.Module):
- Calls (`trace`). Hooks record every module call in execution order, with its input and output
  shapes. A leaf is a module without children (a conv, a BN, a ReLU). A module called twice
  gives two calls.
- Dataflow (`graph`). Walking the autograd graph back from a layer's input finds the leaves that
  fed it, through functional code too (`x + y`, `torch.cat`, `torch.split`).
- Residual blocks (`blocks`). A container whose output is the sum of two values that both come
  from its input, or that has a child named like a shortcut (`downsample`, `shortcut`, `skip`).
  The innermost block around a layer is "its" block.
- Layers (`layers`). Strided layers are convs and pools with stride > 1 and adaptive pools that
  shrink the map. Global pooling is not strided: total stride = input size / final map size.
- Within one block, a path is a chain of leaves linked by dataflow. Res2Net's strided 3x3s each
  read their own split of the same tensor: parallel, one strided layer per path, fine.
The checks (`checks`, `coverage`, `intent`, and `expect` when asked) read these and yield `Finding`s; `findings` merges
and prints them.
"""
from torch import nn

from ..checks import check_choice, check_input_size, check_module, check_optional_size
from ..i18n import _, ngettext
from ..registry import MODELS
from ..trace import trace as run_trace
from .blocks import find_blocks
from .checks import CHECKS, Context
from .expect import compare
from .findings import SEVERITIES, Finding, Findings, merge
from .layers import classifier, fmt, is_global_pool, spatial

__all__ = ["SEVERITIES", "Finding", "Findings", "diagnose"]

IMAGENET_CLASSES = 1000
BATCH = 2  # BatchNorm in training mode needs more than one value per channel


def diagnose(model, input_size=(3, 224, 224), cardinality=None, num_classes=None, expect=None):
    """Check any nn.Module for the classic ResNet/ResNeXt bugs; return its Findings.

    input_size:  (C, H, W) of one image; a second forward runs at a smaller size (224 -> 160).
    cardinality: the C you meant (Xie et al. 2017, Sec. 3.3); checks the grouped 3x3 convs.
    num_classes: the classes you meant; checks the classifier's width.
    expect:      a registered model it should equal, e.g. "resnext50_32x4d" or "resnext29_8x64d":
                 compares the parameter count, stem, stages, widths and groups, layer by layer.
    Raises TypeError for a non-module, ValueError for a bad argument or a forward pass that fails
    at input_size.
    """
    check_module(model, "diagnose")
    model, wrapper = _unwrap(model)
    size = check_input_size(input_size)
    check_optional_size("cardinality", cardinality)
    check_optional_size("num_classes", num_classes)
    if expect is not None:
        check_choice("expect", expect, tuple(MODELS), hint="a model registered in resnext_edu.registry")

    # Batch 2 (BATCH), in training mode, which also
    # makes layers used only in training (auxiliary heads) count as used. Meta first, real data
    # where an op has no meta kernel.
    trace = run_trace(model, size, batch=BATCH, train=True, backward=True, ops=True)
    if trace.error:
        # Say it as a plain forward would: one image, eval mode ("expected input[1, 1, 32, 32] ...").
        plain = run_trace(model, size, device="real")
        where, message = plain.error or trace.error
        text = (_("the forward pass of {model} fails at input_size={size} in {where}: {message}") if where else
                _("the forward pass of {model} fails at input_size={size}: {message}"))
        raise ValueError(text.format(model=type(model).__name__, size=size, where=where, message=message))
    size2 = _second_size(size)
    # Shapes only, eval mode; on the device the first pass ran on, so a failure reads the same there.
    second = run_trace(model, size2, device=trace.device, ops=True)

    blocks = find_blocks(trace)
    final, final_layer = _final_map(trace)
    classes, classifier_name = classifier(trace)
    ctx = Context(model, size, size2, second, cardinality, num_classes, classes, classifier_name, final, final_layer,
                  imagenet=(num_classes or classes) == IMAGENET_CLASSES and min(size[1:]) >= 64,
                  coverage=trace.coverage, batch=BATCH)
    findings = [f for check in CHECKS for f in check(trace, blocks, ctx)]
    if expect is not None:
        findings += compare(trace, blocks, expect, size, num_classes)

    params = sum(p.numel() for p in model.parameters())
    out = trace.outputs()
    second_run = _("second forward at {size}: failed") if second.error else _("second forward at {size}: ran")
    facts = [_("{params:,} parameters, output {shape} per image").format(
                 params=params, shape=tuple(out[0].shape[1:]) if out else "?"),
             ngettext("{n} residual block", "{n} residual blocks", len(blocks)).format(n=len(blocks))
             + (", " + _("final map {map}, total stride {stride:g}").format(
                 map=fmt(final), stride=size[1] / final[0]) if final else ""),
             second_run.format(size=size2)
             + ("" if trace.device == "meta" else " " + _("(on real data: the meta device could not run it)")),
             str(trace.coverage)]
    if wrapper:
        facts.insert(0, _("inside {wrapper} (the report reads its .module; layer names are relative to it)").format(
            wrapper=wrapper))
    title = _("diagnose: {model} at input {size}").format(model=type(model).__name__, size=size)
    return Findings(merge(findings), title, facts)


def _unwrap(model):
    """(the model inside DataParallel or DistributedDataParallel, the wrapper's name or None)."""
    wrapper = None
    while isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
        wrapper, model = type(model).__name__, model.module
    return model, wrapper


def _second_size(size):
    """A smaller input for the second forward: 224 -> 160, 64 -> 32, 32 -> 16."""
    c, h, w = size
    smaller = lambda s: max(16, s * 5 // 7 // 16 * 16)  # noqa: E731
    h2, w2 = smaller(h), smaller(w)
    if (h2, w2) == (h, w):
        h2, w2 = 2 * h, 2 * w
    return c, h2, w2


def _final_map(trace):
    """(H, W) of the final feature map and the layer that reads it (global pooling) or makes it."""
    pools = [c for c in trace.calls if c.leaf and is_global_pool(c)]
    if pools:
        return spatial(pools[-1].in_shape), pools[-1].name
    maps = [c for c in trace.calls if c.leaf and len(c.out_shape) == 4]
    if maps:
        return spatial(maps[-1].out_shape), maps[-1].name
    return (), None
