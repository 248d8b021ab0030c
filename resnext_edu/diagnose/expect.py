"""Compare a traced model with a registered one: the parameter count and the configuration behind it.

Notebook 07's test of a faithful port is its parameter count; when the count is off, the
configuration says where. `configuration` reads the stem (first conv), the stages (consecutive
residual blocks with one output map size), each block's 3x3 conv (C·d channels in C groups) and the
classifier from any traced ResNet-style nn.Module. `compare` reads the same from the model that
`expect` names in registry.MODELS, traced on the meta device, and yields a Finding per difference.
"""
import functools
import inspect
from dataclasses import dataclass
from itertools import groupby

import torch

from ..checks import check_choice, check_input_size, check_optional_size
from ..registry import MODELS
from ..trace import trace as run_trace
from .blocks import find_blocks
from .findings import Finding
from .layers import as_tuple, classifier, fmt, is_conv, kernel_of, spatial, stride_of

TOLERANCE = 0.01  # a parameter count more than 1% off is an error


@dataclass(frozen=True)
class Stem:
    """The model's first conv."""

    name: str
    kernel: tuple       # (3, 3)
    channels: int       # its filters
    stride: int
    padding: tuple


@dataclass(frozen=True)
class Stage:
    """Consecutive residual blocks whose outputs have the same map size."""

    blocks: tuple       # names of its blocks, in order
    width: int          # output channels of its first block
    group_width: int    # C·d: channels of the first block's 3x3 conv (of its C parallel ones), 0 if none
    groups: int         # C: its groups (their number)
    paths: tuple        # (C·d, C) of each block
    convs: tuple        # the name of each block's 3x3 conv ("" if it has none, or C parallel ones)
    size: tuple         # (H, W) of its output map


@dataclass(frozen=True)
class Configuration:
    """What a traced model is made of, read from the trace alone."""

    params: int
    stem: Stem          # None without a conv
    stages: tuple
    classes: int        # width of the classifier's output, None if the output is not (N, classes)
    classifier: str     # the layer that makes it, or None

    def __str__(self):
        stem = f"stem {fmt(self.stem.kernel)}" if self.stem else "no stem conv"
        if not self.stages:
            return f"{self.params:,} parameters, {stem}, no residual blocks"
        depths, groups = _each([len(s.blocks) for s in self.stages], ", "), _each([s.groups for s in self.stages])
        widths = "/".join(str(s.group_width) for s in self.stages)
        return (f"{self.params:,} parameters, {stem}, {len(self.stages)} stages of {depths} block"
                f"{'' if depths == '1' else 's'}, group widths {widths} (C = {groups})")


def _each(values, sep="/"):
    """One value if they are all the same, else all of them: [3, 3, 3] -> "3", [3, 4] -> "3/4"."""
    return str(values[0]) if len(set(values)) == 1 else sep.join(map(str, values))


def configuration(trace, blocks):
    """The Configuration of a traced model (trace run with backward=True) and its find_blocks."""
    params = sum(p.numel() for p in trace.calls[0].module.parameters()) if trace.calls else 0
    first = next((c for c in trace.calls if c.leaf and is_conv(c)), None)
    stem = first and Stem(first.name, kernel_of(first), first.module.out_channels, stride_of(first),
                          as_tuple(first.module.padding))
    stages = tuple(_stage(list(run)) for _, run in groupby(blocks, key=lambda b: spatial(b.call.out_shape)))
    return Configuration(params, stem, stages, *classifier(trace))


def _spatial_convs(block):
    """The block's first convs with a kernel over 1x1 on its residual side: one grouped 3x3, or C of them."""
    side = max(block.add, key=len) if block.add else {c.index for c in block.leaves}
    after, found = {}, []  # leaf index -> a kxk conv feeds it; the convs found
    for leaf in block.leaves:
        fed = any(after[p] for p in block.preds[leaf.index])
        spatial_conv = is_conv(leaf) and max(kernel_of(leaf)) > 1
        if spatial_conv and not fed and leaf.index in side:
            found.append(leaf)
        after[leaf.index] = fed or spatial_conv
    return found


def _stage(run):
    """A Stage from consecutive blocks with the same output map size."""
    convs = [_spatial_convs(b) for b in run]
    paths = tuple((sum(c.module.out_channels for c in cs), sum(c.module.groups for c in cs)) for cs in convs)
    first = run[0].call
    return Stage(tuple(b.name for b in run), first.out_shape[1] if len(first.out_shape) > 1 else 0, *paths[0],
                 paths, tuple(cs[0].name if len(cs) == 1 else "" for cs in convs), spatial(first.out_shape))


def reference_configuration(expect, input_size, num_classes=None):
    """The Configuration of the registered model `expect`, built and traced on the meta device; cached.

    It runs at input_size's height and width with its own input channels, with num_classes where given.
    """
    check_choice("expect", expect, tuple(MODELS), what="is not a registered model")
    size = check_input_size(input_size)
    check_optional_size("num_classes", num_classes)
    return _reference(expect, size[1:], num_classes)


@functools.lru_cache(maxsize=32)
def _reference(expect, hw, num_classes):
    builder, size = MODELS[expect]
    takes = "num_classes" in inspect.signature(builder).parameters
    with torch.device("meta"):
        model = builder(num_classes=num_classes) if takes and num_classes else builder()
    tr = run_trace(model, (size[0], *hw), backward=True, device="meta")
    if tr.error:
        raise ValueError(f"{expect} does not run at input size {(size[0], *hw)}: {tr.error[1]}")
    return configuration(tr, find_blocks(tr))


def _source(expect):
    """Where the reference's numbers come from: the CIFAR networks, the ImageNet ones, the family."""
    builder, size = MODELS[expect]
    if size[1] < 64:  # the CIFAR networks
        return "Xie et al. 2017, Sec. 5.3, Appendix A and Table 7"
    if not builder.__module__.endswith(".models"):
        return f"the course's {expect} ({builder.__module__})"
    return ("Xie et al. 2017, Table 1" if expect.startswith("resnext") else "He et al. 2016, Table 1") \
        + ", and torchvision's resnet.py"


def _ratio(got, want):
    """How got compares with want: "2.6 times", "1.5% more than"."""
    r = got / want
    return f"{abs(r - 1):.1%} {'more' if r > 1 else 'fewer'} than" if abs(r - 1) < 0.1 else f"{r:.2g} times"


def _depths(config):
    return ", ".join(str(len(st.blocks)) for st in config.stages) or "no"


def _paths(gw, c):
    return "no 3x3 conv" if not c else f"{gw} channels in {c} group{'s' if c > 1 else ''} (C = {c}, d = {gw // c})"


def _stage_diffs(i, g, r, want, ref):
    """(layer, what, why, fix) for each way stage i differs from the reference's: blocks, map, width, 3x3 conv."""
    name = f"Stage {i + 1} ({g.blocks[0]}{'' if len(g.blocks) == 1 else ' to ' + g.blocks[-1]})"
    doubling = all(b.width == 2 * a.width for a, b in zip(want.stages, want.stages[1:]))
    if len(g.blocks) != len(r.blocks):
        yield (g.blocks[0], f"{name} has {len(g.blocks)} blocks; {ref}'s stage {i + 1} has {len(r.blocks)}.",
               f"{ref} has {_depths(want)} blocks per stage.", f"Build stage {i + 1} with {len(r.blocks)} blocks.")
    if g.size != r.size:
        yield (g.blocks[0], f"{name} outputs {fmt(g.size)} maps; {ref}'s stage {i + 1} outputs {fmt(r.size)}.",
               f"{ref}'s stages output {', '.join(fmt(st.size) for st in want.stages)} maps at this input size.",
               "Check the strides of the stem, its pooling and each stage's first block.")
    if g.width != r.width:
        yield (g.blocks[0], f"{name} outputs {g.width} channels; {ref}'s stage {i + 1} outputs {r.width}.",
               f"{ref}'s stages output {', '.join(str(st.width) for st in want.stages)} channels"
               + (", doubling at each stage" if doubling else "")
               + "; the width sets each block's last 1x1 conv, its shortcut and the next block's input.",
               f"Give the blocks of stage {i + 1} an output width of {r.width}.")
    k = next((j for j, p in enumerate(g.paths) if p != r.paths[min(j, len(r.paths) - 1)]), None)
    if k is not None:
        (gw, c), (rgw, rc) = g.paths[k], r.paths[min(k, len(r.paths) - 1)]
        conv = f"the 3x3 conv {g.convs[k]} has" if g.convs[k] else f"the 3x3 convs of {g.blocks[k]} have"
        yield (g.blocks[k], f"{name}: {conv} {_paths(gw, c)}; {ref} has {_paths(rgw, rc)}.",
               f"{ref}'s 3x3 convs have {'/'.join(str(st.group_width) for st in want.stages)} channels and "
               f"groups={_each([st.groups for st in want.stages])}: C paths of d channels (Xie et al., Fig. 3(c)). "
               "Swapping C and d, or leaving out groups=, changes the weights and the network.",
               f"Make it nn.Conv2d({rgw}, {rgw}, 3, groups={rc}): C = {rc} path{'s' if rc > 1 else ''} of "
               f"d = {rgw // max(rc, 1)}.")


def compare(trace, blocks, expect, input_size, num_classes=None):
    """Findings ("expect") for each difference from the registered model `expect`, or one info line."""
    got = configuration(trace, blocks)
    want = reference_configuration(expect, input_size, num_classes or got.classes)  # else the model's classes
    src, ref = _source(expect), expect
    diffs, s, w = [], got.stem, want.stem
    if s and w and (s.kernel, s.channels, s.stride) != (w.kernel, w.channels, w.stride):
        diffs.append((s.name, f"The stem {s.name} is a {fmt(s.kernel)} conv of {s.channels} filters, stride "
                      f"{s.stride}; {ref}'s is {fmt(w.kernel)}, {w.channels} filters, stride {w.stride}.",
                      f"{ref} starts with a {fmt(w.kernel)} conv of {w.channels} filters, stride {w.stride}. The "
                      "stem sets the map size every stage works at and the channels the first block reads.",
                      f"Make {s.name} nn.Conv2d(in_channels, {w.channels}, kernel_size={w.kernel[0]}, "
                      f"stride={w.stride}, padding={w.padding[0]})."))
    if len(got.stages) != len(want.stages):
        diffs.append((got.stages[0].blocks[0] if got.stages else None,
                      f"The model has {len(got.stages)} stages ({_depths(got)} blocks); {ref} has "
                      f"{len(want.stages)} ({_depths(want)} blocks).",
                      f"{ref}'s stages output maps of {', '.join(fmt(st.size) for st in want.stages)}: each later "
                      "stage halves the map in its first block and doubles the width.",
                      f"Build {len(want.stages)} stages of {_depths(want)} blocks, each after the first starting "
                      "with a stride-2 block."))
    else:
        for i, (g, r) in enumerate(zip(got.stages, want.stages)):
            diffs += _stage_diffs(i, g, r, want, ref)
    if got.classes and want.classes and got.classes != want.classes:
        diffs.append((got.classifier, f"The classifier {got.classifier} outputs {got.classes} classes; {ref} with "
                      f"num_classes={want.classes} outputs {want.classes}.",
                      f"{ref} ends with nn.Linear(features, num_classes).",
                      f"Build {got.classifier} with {want.classes} outputs."))
    if want.params and abs(got.params / want.params - 1) > TOLERANCE:
        diffs.insert(0, (None, f"The model has {got.params:,} parameters, {_ratio(got.params, want.params)} "
                         f"{ref}'s {want.params:,}.",
                         f"{ref} has {want.params:,} parameters. The count is the quickest test of a faithful "
                         "port: the same network has the same count.",
                         "Fix the differences listed below; if none is, compare the layers one by one with "
                         f"registry.create_model({ref!r}) (a conv with bias=True, an extra layer)."))
    for layer, what, why, fix in diffs:
        yield Finding("error", "expect", (layer or "(model)",), what, f"{src}: {why}", fix)
    if not diffs:
        near = "" if got.params == want.params else f" ({_ratio(got.params, want.params)} its {want.params:,})"
        yield Finding("info", "expect", ("(model)",), f"matches {ref}: {got}{near}.",
                      f"{src}: the same stem, stages, widths and groups, and a parameter count within 1%.",
                      "Nothing to change.")
