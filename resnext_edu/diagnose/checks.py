"""The checks of diagnose. Each reads the trace, the blocks and a Context, and yields Findings.

Xie et al. 2017 (arXiv:1611.05431) for the blocks (Fig. 3), Table 1 for the stage sizes and Sec. 4
for the stride and the shortcuts; He et al. 2016 (arXiv:1512.03385), Sec. 3.3 and 4.1, for the
shortcut options. A check yields one Finding per place; diagnose merges those of the same check and
severity. The checks of what the caller meant (cardinality, num_classes) are in `intent`.
"""
import math
from dataclasses import dataclass

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

from ..i18n import _, ngettext
from ..trace import Trace
from .coverage import check_batch, check_coverage
from .findings import Finding
from .intent import check_cardinality, check_classes
from .layers import as_tuple, fmt, is_conv, is_fixed_global_pool, kernel_of, prefix, spatial, stride_of

PAPER_STRIDE = 32  # ImageNet models reduce 224x224 to 7x7 (Xie et al. 2017, Table 1)


@dataclass(frozen=True)
class Context:
    """What the checks know besides the trace: the model, the sizes and what the caller meant."""

    model: nn.Module
    size: tuple          # (C, H, W) of the traced input
    size2: tuple         # the second, smaller input size
    second: Trace        # the forward pass at size2 (shapes only)
    cardinality: int     # the C the caller meant, or None
    num_classes: int     # the classes the caller meant, or None
    classes: int         # the classes the model outputs, or None
    classifier: str      # the name of the layer that makes them, or None
    final: tuple         # (H, W) of the final feature map, () if none
    final_layer: str     # the layer that reads (or makes) it
    imagenet: bool       # an ImageNet model at ImageNet-like sizes: total stride 32 applies
    coverage: object = None  # the trace's Coverage: what it could see
    batch: int = 2       # images in the traced batch


def check_strided_chains(trace, blocks, ctx):
    """More than one strided layer along one path of one block: the map shrinks 4x or 8x."""
    calls = trace.calls
    for block in blocks:
        depth, best = {}, {}
        for leaf in block.leaves:  # execution order: a leaf's predecessors come before it
            prev = max(block.preds[leaf.index], key=lambda p: depth.get(p, 0), default=None)
            depth[leaf.index] = depth.get(prev, 0) + (stride_of(leaf) > 1)
            best[leaf.index] = prev
        end = max(depth, key=depth.get, default=None)
        if end is None or depth[end] < 2:
            continue
        path, i = [], end
        while i is not None:
            if stride_of(calls[i]) > 1:
                path.append(calls[i])
            i = best[i]
        path.reverse()
        shrink = math.prod(stride_of(c) for c in path)
        chain = " -> ".join(_("{name} (stride {stride})").format(name=c.name, stride=stride_of(c)) for c in path)
        size_in, size_out = spatial(block.call.in_shape), spatial(block.call.out_shape)
        yield Finding(
            "error", "strided-chain", (block.name, *(c.name for c in path)),
            _("{block}: one path goes through {n} strided layers, {chain}, so the map shrinks {shrink}x in one "
              "block ({size_in} -> {size_out}).").format(block=block.label, n=len(path), chain=chain, shrink=shrink,
                                                          size_in=fmt(size_in), size_out=fmt(size_out)),
            _("A block should shrink the map once (2x); each extra stride throws away 3/4 of the positions "
              "and the later stages work on maps too small to see anything."),
            _("Put the stride on one layer of the path only: the 3x3 conv (as the ResNeXt paper, Sec. 4, and "
              "torchvision's 'ResNet V1.5') or the first 1x1 (ResNet v1); the shortcut gets the same stride."))


def check_stride_on_1x1(trace, blocks, ctx):
    """The block's stride on its first 1x1 conv, not on the 3x3: ResNet v1 (informational)."""
    calls = trace.calls
    for block in blocks:
        strided_before = {}
        for leaf in block.leaves:
            s = set()
            for p in block.preds[leaf.index]:
                s |= strided_before[p] | ({p} if stride_of(calls[p]) > 1 else set())
            strided_before[leaf.index] = s
            if is_conv(leaf) and stride_of(leaf) == 1 and max(kernel_of(leaf)) > 1:
                for p in sorted(s):
                    if is_conv(calls[p]) and max(kernel_of(calls[p])) == 1:
                        yield Finding(
                            "info", "stride-on-1x1", (calls[p].name,),
                            _("{name} is a 1x1 conv with stride {stride} before the 3x3 {conv}: the layout of the "
                              "original ResNet (v1), not the ResNeXt paper's.").format(
                                  name=calls[p].name, stride=stride_of(calls[p]), conv=leaf.name),
                            _("A strided 1x1 reads one position in four and drops the rest; a strided 3x3 sees them "
                              "all. The ResNeXt paper downsamples 'by stride-2 convolutions in the 3x3 layer of the "
                              "first block in each stage' (Sec. 4), and so does the authors' code "
                              "(models/resnext.lua) and torchvision ('ResNet V1.5'); for ResNet-50 NVIDIA's model "
                              "card calls v1.5 'slightly more accurate (~0.5% top1) than v1' at 'a small "
                              "performance drawback (~5% imgs/sec)'."),
                            _("To follow the ResNeXt paper, move the stride to {conv}; keep it only to match "
                              "ResNet v1 (or weights trained with it).").format(conv=leaf.name))


def check_grouped_1x1(trace, blocks, ctx):
    """A 1x1 conv with groups > 1 inside a block: information no longer crosses groups."""
    for block in blocks:
        for leaf in block.leaves:
            if not (is_conv(leaf) and max(kernel_of(leaf)) == 1 and leaf.module.groups > 1):
                continue
            g = leaf.module.groups
            if block.shuffled:
                yield Finding(
                    "info", "grouped-1x1", (leaf.name,),
                    _("{name} is a 1x1 conv with groups={g}, followed by a channel shuffle, as in ShuffleNet.").format(
                        name=leaf.name, g=g),
                    _("The shuffle lets each group of the next layer read from every group of this one."),
                    _("Nothing to fix, if the shuffle was meant."))
                continue
            what = (_("{name} is a 1x1 conv with groups={g} inside the block {block}: each group of {n} input "
                      "channels feeds only its own group of outputs.") if block.call.name else
                    _("{name} is a 1x1 conv with groups={g} inside the block: each group of {n} input channels "
                      "feeds only its own group of outputs."))
            yield Finding(
                "warning", "grouped-1x1", (leaf.name,),
                what.format(name=leaf.name, g=g, block=block.call.name, n=leaf.module.in_channels // g),
                _("Information can no longer cross groups there: with the grouped 3x3 after it, each path sees "
                  "only 1/{g} of the block's input. ResNeXt's form (c) groups only the 3x3 (Xie et al. 2017, "
                  "Fig. 3(c), Table 1); ShuffleNet groups its 1x1s but adds a channel shuffle to mix the groups "
                  "again (Zhang et al. 2018, Sec. 3.1).").format(g=g),
                _("Use groups=1 in {name}; keep groups=cardinality on the 3x3 only.").format(name=leaf.name))


def check_total_stride(trace, blocks, ctx):
    """The final map's size: an ImageNet model reduces its input 32x (224 -> 7)."""
    size, final, where = ctx.size, ctx.final, ctx.final_layer
    if not final or not ctx.imagenet or not blocks:
        return  # not a ResNet-style network (no residual blocks): Inception's sizes follow other rules
    expected = tuple(_ceil_halve(s, 5) for s in size[1:])
    if final == expected:
        return
    stride = size[1] / final[0]
    dilated = [c.name for c in trace.calls if c.leaf and is_conv(c) and max(as_tuple(c.module.dilation)) > 1]
    if dilated and stride < PAPER_STRIDE:
        yield Finding(
            "info", "total-stride", (dilated[0],),
            ngettext("The final feature map is {final} at {size} input (output stride {stride:g}), and {n} conv is "
                     "dilated, from {first} on: a dilated backbone, as for segmentation.",
                     "The final feature map is {final} at {size} input (output stride {stride:g}), and {n} convs are "
                     "dilated, from {first} on: a dilated backbone, as for segmentation.", len(dilated)).format(
                         final=fmt(final), size=fmt(size[1:]), stride=stride, n=len(dilated), first=dilated[0]),
            _("Dilation keeps the map large on purpose (torchvision's replace_stride_with_dilation); the paper's "
              "classification networks reduce {paper}x, so their FLOPs do not apply.").format(paper=PAPER_STRIDE),
            _("Nothing to fix if the dilation is meant."))
        return
    odd = odd_sizes(trace)  # each one is also a padding finding, with its sizes
    what = _("The final feature map is {final} at {size} input: total stride {stride:g}, where the paper's ImageNet "
             "models have {paper} ({expected}).").format(final=fmt(final), size=fmt(size[1:]), stride=stride,
                                                         paper=PAPER_STRIDE, expected=fmt(expected))
    if odd:
        what += " " + _("The first map off size is {name}'s {map}.").format(
            name=odd[0].name, map=fmt(spatial(odd[0].out_shape)))
    yield Finding(
        "warning", "total-stride", (*(c.name for c in odd), where), what,
        _("Stage sizes set what each stage sees and costs: Table 1's 56, 28, 14, 7 at 224x224. "
          "Another final size means a stride or a padding is off somewhere: the paper's FLOPs no longer "
          "apply, and pretrained weights would see maps of other sizes than they were trained on."),
        (_("Give {name} the padding that halves the map exactly: (k-1)/2 for kernel k (torchvision's "
           "stem: 7x7 conv with padding 3, 3x3 max pool with padding 1).").format(name=odd[0].name) if odd else
         _("Check that the stem reduces 4x (7x7 conv, stride 2, then 3x3 max pool, stride 2, as in torchvision) "
           "and that each later stage halves the map exactly once.")))


def _ceil_div(a, b):
    return -(-a // b)


def _ceil_halve(size, times):
    for _time in range(times):
        size = _ceil_div(size, 2)
    return size


def odd_sizes(trace):
    """Strided layers whose output is not ceil(input / stride): their padding does not halve the map exactly."""
    return [c for c in trace.calls if c.leaf and stride_of(c) > 1 and spatial(c.in_shape) and spatial(c.out_shape)
            and spatial(c.out_shape)[0] != _ceil_div(spatial(c.in_shape)[0], stride_of(c))]


def check_padding(trace, blocks, ctx):
    """A conv padded by more than (k-1)/2, or (in a ResNet) a strided layer that does not halve the map exactly."""
    if blocks:  # ResNet-style: every stride halves the map exactly (Inception's unpadded convs do not)
        for c in odd_sizes(trace):
            k = as_tuple(getattr(c.module, "kernel_size", 1))
            pad = as_tuple(getattr(c.module, "padding", 0))
            right = tuple((k_ - 1) // 2 for k_ in k)
            want = tuple(_ceil_div(s, stride_of(c)) for s in spatial(c.in_shape))
            yield Finding(
                "warning", "padding", (c.name,),
                _("{name} ({kind}, kernel {k}, stride {stride}, padding {pad}) turns the {a} map into {b}, not "
                  "{want}.").format(name=c.name, kind=type(c.module).__name__, k=fmt(k), stride=stride_of(c),
                                    pad=fmt(pad), a=fmt(spatial(c.in_shape)), b=fmt(spatial(c.out_shape)),
                                    want=fmt(want)),
                _("In a ResNet every stride halves the map exactly: Table 1's 112, 56, 28, 14, 7 at 224x224. With too "
                  "little padding the border is dropped and every later map is a size off, so the paper's FLOPs and "
                  "any pretrained weights assume other map sizes."),
                _("Use padding {pad} in {name}, that is (k-1)/2 for kernel k (torchvision's stem: a 7x7 conv with "
                  "padding 3, then a 3x3 max pool with padding 1).").format(
                      pad=right[0] if len(set(right)) == 1 else right, name=c.name))
    for c in trace.calls:
        if not (c.leaf and is_conv(c)) or isinstance(c.module.padding, str):
            continue
        pads, ks, dil = as_tuple(c.module.padding), kernel_of(c), as_tuple(c.module.dilation)
        pads, dil = pads * (len(ks) // len(pads)), dil * (len(ks) // len(dil))
        if any(p > d * (k - 1) // 2 for p, k, d in zip(pads, ks, dil)):
            k = fmt(ks)
            right = tuple(d * (k_ - 1) // 2 for k_, d in zip(ks, dil))
            yield Finding(
                "warning", "padding", (c.name,),
                _("{name} is a {k} conv with padding {pads}, more than the {right} that keeps the size (or halves it "
                  "exactly, at stride 2): {a} -> {b}.").format(name=c.name, k=k, pads=fmt(pads), right=fmt(right),
                                                               a=fmt(spatial(c.in_shape)), b=fmt(spatial(c.out_shape))),
                _("The extra border adds rows and columns of zeros, so this map and the later ones can come out "
                  "larger than the paper's (Table 1), and a fixed-size pooling at the end may no longer fit."),
                _("Use padding {pad} (that is (k-1)/2 for kernel k).").format(
                    pad=right[0] if len(set(right)) == 1 else right))


def check_fixed_pool(trace, blocks, ctx):
    """A fixed-size pooling used as global pooling: it breaks, or stops pooling to 1x1, at another size."""
    second, size2 = ctx.second, ctx.size2
    seen = {}
    for c in trace.calls:
        occurrence = seen.get(c.name, 0)
        seen[c.name] = occurrence + 1
        if not is_fixed_global_pool(c):
            continue
        kernel, pad = as_tuple(c.module.kernel_size), as_tuple(getattr(c.module, "padding", 0))
        size_in = spatial(c.in_shape)
        kernel, pad = kernel * (len(size_in) // len(kernel)), pad * (len(size_in) // len(pad))
        here = any(k - p < s for k, p, s in zip(kernel, pad, size_in))  # wrong at the stated size
        later = second.named(c.name, occurrence)  # the same call at the second size
        elsewhere = ""
        if second.error and second.error[0] == c.name:
            elsewhere = _("at {size} input it fails: {error}").format(size=fmt(size2[1:]), error=second.error[1])
        elif later is not None and later.out_shape and any(s != 1 for s in spatial(later.out_shape)):
            elsewhere = _("at {size} input it pools to {map}, not 1x1").format(
                size=fmt(size2[1:]), map=fmt(spatial(later.out_shape)))
        owner = c.name.rpartition(": ")[0]  # a functional pool is named "<module>: F.avg_pool2d"
        k = kernel[0] if len(set(kernel)) == 1 else kernel
        if c.op:
            what = (_("The model's forward calls F.{op}(x, {k}), a fixed-size global pooling") if owner == "(model)"
                    else _("{owner}'s forward calls F.{op}(x, {k}), a fixed-size global pooling"))
        else:
            what = _("{name} is {kind}(kernel_size={kernel}), a fixed-size global pooling")
        what = what.format(op=c.op, k=k, owner=owner, name=c.name, kind=type(c.module).__name__, kernel=fmt(kernel))
        sizes = {"size": fmt(ctx.size[1:]), "map": fmt(size_in), "kernel": fmt(kernel), "elsewhere": elsewhere}
        if here:
            what += ": " + _("at {size} input it reads the {map} map but averages only the top-left {kernel} of "
                             "it").format(**sizes) + (f"; {elsewhere}" if elsewhere else "") + "."
        else:
            what += ". " + _("It is right at {size} input, where it pools the whole {map} map, as the authors' own "
                             "code does (a 7x7 average pool for ImageNet, 8x8 for CIFAR, models/resnext.lua)").format(
                                 **sizes) + (_("; but {elsewhere}.").format(**sizes) if elsewhere else ".")
        fix = (_("Replace F.{op}(x, {k}) by F.adaptive_avg_pool2d(x, 1)") if c.op else
               _("Use nn.AdaptiveAvgPool2d(1) in {name}")).format(op=c.op, k=k, name=c.name)
        yield Finding(
            "error" if here else "warning", "fixed-pool", (c.name,), what,
            _("A fixed kernel fits one map size. On a smaller map it fails; on a larger one it averages only "
              "part of the map, or leaves more than one position per channel for the classifier."),
            fix + ": " + (_("it pools any map to 1x1.") if here else
                          _("it pools any map to 1x1, and the model works at every input size.")))


def check_second_size(trace, blocks, ctx):
    """Any other failure at the second input size."""
    second, size2 = ctx.second, ctx.size2
    fixed_pools = {c.name for c in trace.calls if is_fixed_global_pool(c)}
    if not second.error or second.error[0] in fixed_pools:
        return  # no failure, or the fixed pool's, which check_fixed_pool reports
    where, message = second.error
    module = dict(ctx.model.named_modules()).get(where)
    kind = type(module).__name__ if module is not None else _("the model")
    yield Finding(
        "warning", "input-size", (where or "(model)",),
        (_("At {size} input the forward pass fails in {where} ({kind}): {message}") if where else
         _("At {size} input the forward pass fails in the model ({kind}): {message}")).format(
             size=fmt(size2[1:]), where=where, kind=kind, message=message),
        _("The model works at one input size only; a fully convolutional network with global pooling "
          "works at any size the strides allow."),
        _("Replace hard-coded sizes (fixed pooling kernels, a Linear layer sized for one flattened map) "
          "by nn.AdaptiveAvgPool2d(1) before the classifier."))


def check_bias_before_bn(trace, blocks, ctx):
    """A conv (or linear) layer with a bias feeding a BatchNorm directly: the bias cancels."""
    out_of = {c.out_node: c for c in trace.calls if c.leaf and not c.passthrough}
    for c in trace.calls:
        if not (c.leaf and isinstance(c.module, _BatchNorm)):
            continue
        for node in c.in_nodes:
            p = out_of.get(node)
            if p is None or not isinstance(p.module, (_ConvNd, nn.Linear)) or p.module.bias is None:
                continue
            names = {"name": p.name, "n": p.module.bias.numel(), "bn": c.name}
            if all(s == 1 for s in spatial(c.in_shape)):
                # A BN on pooled features (N, C, 1, 1): the attention branch of ResNeSt's split attention
                # or of ReXNet's SE, as their reference code (and pretrained weights) have it. It wastes
                # C parameters and no real compute.
                yield Finding(
                    "info", "bias-before-bn", (p.name,),
                    _("{name} has a bias ({n:,} parameters) and feeds {bn} directly, on pooled (1x1) "
                      "features.").format(**names),
                    _("BN's mean subtraction cancels the bias. In an attention branch this costs a few "
                      "parameters only; timm's ResNeSt (split_attn.py) and ReXNet (its SE module) have such a "
                      "bias too, so a model built without it does not load their weights strictly."),
                    _("Nothing to fix, unless you train from scratch: then bias=False in {name}.").format(**names))
            else:
                yield Finding(
                    "warning", "bias-before-bn", (p.name,),
                    _("{name} has a bias ({n:,} parameters) and feeds {bn} directly.").format(**names),
                    _("BatchNorm subtracts the mean of each channel, which removes any constant the bias added, "
                      "then adds its own shift (beta): the bias is wasted parameters and wasted work (Ioffe and "
                      "Szegedy 2015, Sec. 3.2)."),
                    _("Build {name} with bias=False, as torchvision does; the authors' Torch code removes "
                      "its conv biases too.").format(**names))


def check_projection(trace, blocks, ctx):
    """A projection shortcut where the identity would do: same shape in and out."""
    calls = trace.calls
    for block in blocks:
        if block.add is None:
            continue
        a, b = block.add
        convs = [[i for i in side - other if is_conv(calls[i])] for side, other in ((a, b), (b, a))]
        short = min(convs, key=len)
        if not short or len(short) == len(max(convs, key=len)):
            continue  # the identity shortcut, or no side is the shorter one
        if block.call.in_shape != block.call.out_shape:
            continue  # the shape changes: the paper projects here too (option B)
        names = [calls[i].name for i in sorted(short)]
        side = sorted(a - b if set(short) <= a else b - a)
        where = prefix([calls[i].name for i in side]) or names[0]
        params = sum(p.numel() for i in side for p in calls[i].module.parameters(recurse=False))
        yield Finding(
            "warning", "projection", (where,),
            _("The shortcut of {block} goes through {names} ({n:,} parameters), although its input and output have "
              "the same shape {shape}.").format(block=block.label, names=", ".join(names), n=params,
                                                shape=fmt(block.call.in_shape[1:])),
            _("The paper (Sec. 4, 'type B' of He et al. 2016) projects only where the shape changes, the first "
              "block of a stage; He et al. found projections everywhere (option C) only marginally better (Sec. "
              "4.1, Table 3). Elsewhere the identity shortcut is free and carries the gradient unchanged."),
            _("Set {where} to None (the identity) when stride == 1 and in_channels == out_channels.").format(
                where=where))


def check_gradients(trace, blocks, ctx):
    """Parameters that get no gradient: layers defined but never used, or cut off from the loss."""
    grads = trace.grads
    if not grads:
        return
    model = ctx.model
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
    covered = {f"{m}.{p}" if m else p for m in dead_modules for p, _param in modules[m].named_parameters()}
    loose = sorted(unused - covered)  # single tensors of modules whose other parameters train
    params = dict(model.named_parameters())
    n = sum(params[name].numel() for name in unused)
    parts = [_("unused parameters: {names}").format(names=", ".join(loose))] if loose else []
    if never:
        parts.append(_("never called in forward(): {names}").format(names=", ".join(never)))
    if cut:
        parts.append(_("called, but their output does not reach the loss: {names}").format(names=", ".join(cut)))
    names = [name or "(model)" for name in dead_modules] + loose
    yield Finding(
        "error", "no-gradient", tuple(names),
        ngettext("{n:,} parameters in {places} place get no gradient: {parts}.",
                 "{n:,} parameters in {places} places get no gradient: {parts}.", len(names)).format(
                     n=n, places=len(names), parts="; ".join(parts)),
        _("Their parameters never train, yet they count in the model's size and in its optimizer; often "
          "a forward() that forgets a layer, such as a shortcut that is built but never added."),
        _("Use {name} in forward() (or let its output reach the loss), or remove it from __init__().").format(
            name=names[0]))


CHECKS = (check_coverage, check_batch, check_strided_chains, check_total_stride, check_padding, check_fixed_pool,
          check_second_size, check_grouped_1x1, check_stride_on_1x1, check_bias_before_bn, check_projection,
          check_gradients, check_cardinality, check_classes)
