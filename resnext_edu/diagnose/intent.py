"""The checks of what the caller meant: the cardinality and the number of classes, when given.

A model cannot say which C or how many classes it was meant to have; `diagnose(model, cardinality=32,
num_classes=1000)` can. Xie et al. 2017 (arXiv:1611.05431), Sec. 3.1 and 3.3 and Fig. 3(c): one
cardinality in every block, groups=C on the 3x3 only.
"""
from ..i18n import _
from .findings import Finding
from .layers import is_conv, kernel_of


def check_cardinality(trace, blocks, ctx):
    """With cardinality given: each grouped 3x3 should have groups == cardinality."""
    card = ctx.cardinality
    if card is None:
        return
    grouped = [c for c in trace.calls if c.leaf and is_conv(c) and c.module.groups > 1
               and max(kernel_of(c)) > 1 and c.module.groups != c.module.in_channels]  # depthwise is another idea
    if not grouped:
        yield Finding(
            "info", "cardinality", ("(model)",),
            _("cardinality={card} was given, but no conv has groups > 1 (other than depthwise ones).").format(
                card=card),
            _("Forms (a) and (b) of the block hold the C paths as separate modules; only form (c) uses groups."),
            _("Nothing to fix for forms (a) and (b); for form (c) pass groups=cardinality to the 3x3 conv.")
            if ctx.coverage is None or ctx.coverage.full else
            _("The trace could not see every layer (see the coverage finding), so this is not a clean bill: "
              "register every path as a module (nn.ModuleList), then run diagnose again."))
        return
    readings = [(c, c.module.groups, c.module.in_channels) for c in grouped]
    groups = [g for _conv, g, _width in readings]
    common = max(set(groups), key=groups.count)  # the model's own cardinality: most of its grouped convs
    odd = [(c, g, w) for c, g, w in readings if g != common]
    for c, g, _width in odd:  # the model disagrees with itself: that is a bug in the code
        yield Finding(
            "error", "cardinality", (c.name,),
            _("{name} has groups={g}, where the model's other grouped 3x3 convs have groups={common}.").format(
                name=c.name, g=g, common=common),
            _("ResNeXt keeps one cardinality in every block (Sec. 3.1: blocks of a template share their "
              "hyper-parameters, and only the width doubles from stage to stage)."),
            _("Use groups={g} in {name}.").format(g=common if common == card else card, name=c.name))
    if common == card:
        return
    # The model is consistent and says C = common; the call says card. Show both readings.
    first = [(c, g, w) for c, g, w in readings if g == common]
    widths = sorted({w // g for _conv, g, w in first})
    d = widths[0]
    swapped = any(w // g == card for _conv, g, w in first)
    names = {"common": common, "widths": ", ".join(map(str, widths)), "d": d, "card": card}
    what = _("The model and your call disagree: every grouped 3x3 of the model has groups={common} ({common} "
             "groups of width {widths}: a {common}x{d}d ResNeXt), but you said cardinality={card}.").format(**names)
    if swapped:
        what += " " + _("{card} is the model's width per group in its first stage: C and d are swapped, in your "
                        "call or in the model.").format(**names)
    more = (_("Changing the model to groups={card} would build another network, with {ratio}x the 3x3 parameters "
              "(they scale as 1 / groups).") if card >= common else
            _("Changing the model to groups={card} would build another network, with 1/{ratio} of the 3x3 "
              "parameters (they scale as 1 / groups)."))
    yield Finding(
        "warning", "cardinality", tuple(c.name for c, _g, _w in first), what,
        _("groups is the number of paths C; the width per group is d = channels / C (Sec. 3.3 and Fig. 3(c)).")
        + " " + more.format(card=card, ratio=f"{max(card, common) / min(card, common):g}"),
        _("Check the call first: if the model is meant to be {common}x{d}d, pass cardinality={common}. Only if you "
          "meant {card} paths, give its grouped 3x3 convs groups={card}.").format(**names))


def check_classes(trace, blocks, ctx):
    """With num_classes given: the classifier's width."""
    want, got, where = ctx.num_classes, ctx.classes, ctx.classifier
    if want is None or got is None or got == want:
        return
    yield Finding(
        "error", "num-classes", (where or "(model)",),
        _("The model outputs {got} classes (from {where}), but num_classes={want}.").format(
            got=got, where=where or _("the model"), want=want),
        _("A classifier of another width cannot be trained on the labels of this dataset, nor load its "
          "pretrained weights; a width hard-coded in the model ignores the builder's num_classes argument."),
        _("Build the classifier as nn.Linear(features, num_classes) with num_classes={want}.").format(want=want))
