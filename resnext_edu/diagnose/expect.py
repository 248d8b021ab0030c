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
from ..i18n import N_, _, ngettext
from ..registry import MODELS
from ..trace import trace as run_trace
from .blocks import find_blocks
from .findings import Finding
from .layers import as_tuple, classifier, fmt, is_conv, kernel_of, spatial, stride_of

TOLERANCE = 0.01  # a parameter count more than 1% off is an error
# How a parameter count compares with the reference's, by _ratio's kind: shown as _(message).format(...)
PARAMS_OFF = {"more": N_("The model has {got:,} parameters, {ratio} more than {ref}'s {want:,}."),
              "fewer": N_("The model has {got:,} parameters, {ratio} fewer than {ref}'s {want:,}."),
              "times": N_("The model has {got:,} parameters, {ratio} times {ref}'s {want:,}.")}
PARAMS_NEAR = {"more": N_("{ratio} more than its {want:,}"), "fewer": N_("{ratio} fewer than its {want:,}"),
               "times": N_("{ratio} times its {want:,}")}


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
        stem = _("stem {kernel}").format(kernel=fmt(self.stem.kernel)) if self.stem else _("no stem conv")
        if not self.stages:
            return _("{params:,} parameters, {stem}, no residual blocks").format(params=self.params, stem=stem)
        depths, groups = _each([len(s.blocks) for s in self.stages], ", "), _each([s.groups for s in self.stages])
        widths = "/".join(str(s.group_width) for s in self.stages)
        return ngettext("{params:,} parameters, {stem}, {stages} stages of {depths} block, group widths {widths} "
                        "(C = {groups})",
                        "{params:,} parameters, {stem}, {stages} stages of {depths} blocks, group widths {widths} "
                        "(C = {groups})", 1 if depths == "1" else 2).format(
                            params=self.params, stem=stem, stages=len(self.stages), depths=depths, widths=widths,
                            groups=groups)


def _each(values, sep="/"):
    """One value if they are all the same, else all of them: [3, 3, 3] -> "3", [3, 4] -> "3/4"."""
    return str(values[0]) if len(set(values)) == 1 else sep.join(map(str, values))


def configuration(trace, blocks):
    """The Configuration of a traced model (trace run with backward=True) and its find_blocks."""
    params = sum(p.numel() for p in trace.calls[0].module.parameters()) if trace.calls else 0
    first = next((c for c in trace.calls if c.leaf and is_conv(c)), None)
    stem = first and Stem(first.name, kernel_of(first), first.module.out_channels, stride_of(first),
                          as_tuple(first.module.padding))
    stages = tuple(_stage(list(run)) for _size, run in groupby(blocks, key=lambda b: spatial(b.call.out_shape)))
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
        raise ValueError(_("{model} does not run at input size {size}: {error}").format(
            model=expect, size=(size[0], *hw), error=tr.error[1]))
    return configuration(tr, find_blocks(tr))


def _source(expect):
    """Where the reference's numbers come from: the CIFAR networks, the ImageNet ones, the family."""
    builder, size = MODELS[expect]
    if size[1] < 64:  # the CIFAR networks
        return _("Xie et al. 2017, Sec. 5.3, Appendix A and Table 7")
    if not builder.__module__.endswith(".models"):
        return _("the course's {model} ({module})").format(model=expect, module=builder.__module__)
    return (_("Xie et al. 2017, Table 1, and torchvision's resnet.py") if expect.startswith("resnext") else
            _("He et al. 2016, Table 1, and torchvision's resnet.py"))


def _ratio(got, want):
    """How got compares with want: ("times", "2.6"), ("more", "1.5%") or ("fewer", "1.5%"), a key of PARAMS_OFF."""
    r = got / want
    if abs(r - 1) >= 0.1:
        return "times", f"{r:.2g}"
    return "more" if r > 1 else "fewer", f"{abs(r - 1):.1%}"


def _depths(config):
    return ", ".join(str(len(st.blocks)) for st in config.stages) or "no"  # "no": a model without blocks


def _paths(gw, c):
    if not c:
        return _("no 3x3 conv")
    return ngettext("{width} channels in {c} group (C = {c}, d = {d})", "{width} channels in {c} groups (C = {c}, "
                    "d = {d})", c).format(width=gw, c=c, d=gw // c)


def _stage_diffs(i, g, r, want, ref):
    """(layer, what, why, fix) for each way stage i differs from the reference's: blocks, map, width, 3x3 conv."""
    name = (_("Stage {n} ({first})") if len(g.blocks) == 1 else _("Stage {n} ({first} to {last})")).format(
        n=i + 1, first=g.blocks[0], last=g.blocks[-1])
    doubling = all(b.width == 2 * a.width for a, b in zip(want.stages, want.stages[1:]))
    names = {"name": name, "ref": ref, "n": i + 1}
    if len(g.blocks) != len(r.blocks):
        yield (g.blocks[0], _("{name} has {got} blocks; {ref}'s stage {n} has {want}.").format(
                   got=len(g.blocks), want=len(r.blocks), **names),
               _("{ref} has {depths} blocks per stage.").format(depths=_depths(want), **names),
               _("Build stage {n} with {want} blocks.").format(want=len(r.blocks), **names))
    if g.size != r.size:
        yield (g.blocks[0], _("{name} outputs {got} maps; {ref}'s stage {n} outputs {want}.").format(
                   got=fmt(g.size), want=fmt(r.size), **names),
               _("{ref}'s stages output {sizes} maps at this input size.").format(
                   sizes=", ".join(fmt(st.size) for st in want.stages), **names),
               _("Check the strides of the stem, its pooling and each stage's first block."))
    if g.width != r.width:
        why = (_("{ref}'s stages output {widths} channels, doubling at each stage; the width sets each block's last "
                 "1x1 conv, its shortcut and the next block's input.") if doubling else
               _("{ref}'s stages output {widths} channels; the width sets each block's last 1x1 conv, its shortcut "
                 "and the next block's input."))
        yield (g.blocks[0], _("{name} outputs {got} channels; {ref}'s stage {n} outputs {want}.").format(
                   got=g.width, want=r.width, **names),
               why.format(widths=", ".join(str(st.width) for st in want.stages), **names),
               _("Give the blocks of stage {n} an output width of {want}.").format(want=r.width, **names))
    k = next((j for j, p in enumerate(g.paths) if p != r.paths[min(j, len(r.paths) - 1)]), None)
    if k is not None:
        (gw, c), (rgw, rc) = g.paths[k], r.paths[min(k, len(r.paths) - 1)]
        what = (_("{name}: the 3x3 conv {conv} has {paths}; {ref} has {ref_paths}.") if g.convs[k] else
                _("{name}: the 3x3 convs of {block} have {paths}; {ref} has {ref_paths}."))
        yield (g.blocks[k], what.format(conv=g.convs[k], block=g.blocks[k], paths=_paths(gw, c),
                                        ref_paths=_paths(rgw, rc), **names),
               _("{ref}'s 3x3 convs have {widths} channels and groups={groups}: C paths of d channels (Xie et al., "
                 "Fig. 3(c)). Swapping C and d, or leaving out groups=, changes the weights and the network.").format(
                     widths="/".join(str(st.group_width) for st in want.stages),
                     groups=_each([st.groups for st in want.stages]), **names),
               ngettext("Make it nn.Conv2d({w}, {w}, 3, groups={c}): C = {c} path of d = {d}.",
                        "Make it nn.Conv2d({w}, {w}, 3, groups={c}): C = {c} paths of d = {d}.", max(rc, 1)).format(
                            w=rgw, c=rc, d=rgw // max(rc, 1)))


def compare(trace, blocks, expect, input_size, num_classes=None):
    """Findings ("expect") for each difference from the registered model `expect`, or one info line."""
    got = configuration(trace, blocks)
    want = reference_configuration(expect, input_size, num_classes or got.classes)  # else the model's classes
    src, ref = _source(expect), expect
    diffs, s, w = [], got.stem, want.stem
    if s and w and (s.kernel, s.channels, s.stride) != (w.kernel, w.channels, w.stride):
        names = {"name": s.name, "ref": ref, "k": fmt(w.kernel), "ch": w.channels, "stride": w.stride}
        diffs.append((s.name, _("The stem {name} is a {got_k} conv of {got_ch} filters, stride {got_stride}; {ref}'s "
                                "is {k}, {ch} filters, stride {stride}.").format(
                                    got_k=fmt(s.kernel), got_ch=s.channels, got_stride=s.stride, **names),
                      _("{ref} starts with a {k} conv of {ch} filters, stride {stride}. The stem sets the map size "
                        "every stage works at and the channels the first block reads.").format(**names),
                      _("Make {name} nn.Conv2d(in_channels, {ch}, kernel_size={kernel}, stride={stride}, "
                        "padding={padding}).").format(kernel=w.kernel[0], padding=w.padding[0], **names)))
    if len(got.stages) != len(want.stages):
        names = {"ref": ref, "n": len(got.stages), "m": len(want.stages), "depths": _depths(got),
                 "ref_depths": _depths(want)}
        diffs.append((got.stages[0].blocks[0] if got.stages else None,
                      (_("The model has {n} stages ({depths} blocks); {ref} has {m} ({ref_depths} blocks).")
                       if got.stages else
                       _("The model has 0 stages (no blocks); {ref} has {m} ({ref_depths} blocks).")).format(**names),
                      _("{ref}'s stages output maps of {sizes}: each later stage halves the map in its first block "
                        "and doubles the width.").format(sizes=", ".join(fmt(st.size) for st in want.stages),
                                                         **names),
                      _("Build {m} stages of {ref_depths} blocks, each after the first starting with a stride-2 "
                        "block.").format(**names)))
    else:
        for i, (g, r) in enumerate(zip(got.stages, want.stages)):
            diffs += _stage_diffs(i, g, r, want, ref)
    if got.classes and want.classes and got.classes != want.classes:
        names = {"name": got.classifier, "ref": ref, "got": got.classes, "want": want.classes}
        diffs.append((got.classifier, _("The classifier {name} outputs {got} classes; {ref} with "
                                        "num_classes={want} outputs {want}.").format(**names),
                      _("{ref} ends with nn.Linear(features, num_classes).").format(**names),
                      _("Build {name} with {want} outputs.").format(**names)))
    if want.params and abs(got.params / want.params - 1) > TOLERANCE:
        kind, ratio = _ratio(got.params, want.params)
        diffs.insert(0, (None, _(PARAMS_OFF[kind]).format(got=got.params, ratio=ratio, ref=ref, want=want.params),
                         _("{ref} has {want:,} parameters. The count is the quickest test of a faithful port: the "
                           "same network has the same count.").format(ref=ref, want=want.params),
                         _("Fix the differences listed below; if none is, compare the layers one by one with "
                           "registry.create_model({ref!r}) (a conv with bias=True, an extra layer).").format(ref=ref)))
    for layer, what, why, fix in diffs:
        yield Finding("error", "expect", (layer or "(model)",), what, f"{src}: {why}", fix)
    if not diffs:
        near = ""
        if got.params != want.params:
            kind, ratio = _ratio(got.params, want.params)
            near = " (" + _(PARAMS_NEAR[kind]).format(ratio=ratio, want=want.params) + ")"
        yield Finding("info", "expect", ("(model)",),
                      _("matches {ref}: {config}{near}.").format(ref=ref, config=got, near=near),
                      src + ": " + _("the same stem, stages, widths and groups, and a parameter count within 1%."),
                      _("Nothing to change."))
