"""ResNet's bottleneck and ResNeXt's three forms as diagrams, in the paper's figure style.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431: Fig. 1 (left, ResNet's bottleneck) and Fig. 3 (a, b, c: the
three equivalent ResNeXt forms), each box labelled "in, k×k, out". The numbers are read off the
real block built on the meta device: Bottleneck for ResNet, and ResNeXtBlockC for all three
forms (they hold the same layers, Sec. 3.3, and form (a) with many paths is slow to build).
"""
from ..blocks import Bottleneck, ResNeXtBlockC
from ..checks import check_choice
from ..i18n import N_, _, ngettext
from .engine import Spec, conv_label, draw, draw_row, meta_block

FORMS = ("resnet", "a", "b", "c")
TITLES = {  # in English; block_spec shows _(TITLES[form]), in the current language
    "resnet": N_("ResNet bottleneck"),
    "a": N_("(a) aggregated paths"),
    "b": N_("(b) early concatenation"),
    "c": N_("(c) grouped convolution"),
}
MAX_PATHS = 3  # paths drawn one by one; more are folded into "…" so C=32 stays legible


def _block(form, cardinality, bottleneck_width, in_channels):
    """The meta-device block whose layers the diagram shows; its ValueError validates the arguments."""
    check_choice("form", form, FORMS, what=N_("is not a block form"))
    if form == "resnet":
        return meta_block(Bottleneck, in_channels, in_channels)
    return meta_block(ResNeXtBlockC, in_channels, in_channels, cardinality, bottleneck_width)


def block_labels(form, cardinality=32, bottleneck_width=4, in_channels=256):
    """The box labels "in, k×k, out", top to bottom, of one path (Xie et al. 2017, Fig. 1 and 3).

    Form "resnet" is He et al.'s bottleneck: width in_channels/4, cardinality and
    bottleneck_width unused. Form (b)'s last label is the 1×1 conv after the concatenation.
    """
    block = _block(form, cardinality, bottleneck_width, in_channels)
    conv1, conv2, conv3 = block.conv1, block.conv2, block.conv3
    if form == "resnet":
        return [conv_label(conv1), conv_label(conv2), conv_label(conv3)]
    if form == "c":
        return [conv_label(conv1), conv_label(conv2, f"grp={conv2.groups}"), conv_label(conv3)]
    n, d, out = conv1.in_channels, conv2.out_channels // conv2.groups, conv3.out_channels  # one path of C
    last = conv_label(conv3) if form == "b" else f"{d}, 1×1, {out}"  # (b): one 1x1 after the concatenation
    return [f"{n}, 1×1, {d}", f"{d}, 3×3, {d}", last]


def _columns(form, cardinality):
    """x centres of the drawn paths, and of the "…" column (None when every path is drawn)."""
    if form in ("resnet", "c"):
        return [0.0], None
    if cardinality <= MAX_PATHS:
        return [float(i) for i in range(cardinality)], None
    return [0.0, 1.0, 2.6], 1.8  # paths 1, 2, …, C


def block_spec(form, cardinality=32, bottleneck_width=4, in_channels=256):
    """The diagram of ResNet's bottleneck or of form "a", "b" or "c" as nodes and edges (Fig. 1, Fig. 3)."""
    labels = block_labels(form, cardinality, bottleneck_width, in_channels)  # validates
    xs, dots = _columns(form, cardinality)
    single = form in ("resnet", "c")
    xc, box_w = (xs[0] + xs[-1]) / 2, 1.9 if single else 0.86
    shortcut = xs[-1] + box_w / 2 + 0.3
    spec = Spec(_(TITLES[form]))
    split = spec.input(xc, in_channels, xs[0], shortcut)
    rows = [split - 0.75, split - 1.7] if form == "b" else [split - 0.75, split - 1.85, split - 2.95]
    y_sum = split - (4.25 if form == "b" else 4.1)
    total = spec.output(xc, y_sum, in_channels, shortcut)
    if single:
        boxes = [spec.box(xc, y, label, box_w) for y, label in zip(rows, labels)]
        spec.arrow((xc, split), boxes[0].top())
        spec.chain([*boxes, total])
        return spec
    for x in xs:  # the drawn paths, one column each
        boxes = [spec.box(x, y, label, box_w) for y, label in zip(rows, labels)]
        spec.arrow((x, split), boxes[0].top())
        spec.chain(boxes)
    if dots is not None:
        for y in rows:
            spec.add("text", dots, y, "…", fontsize=14)
    bottom = rows[-1] - 0.25
    if form == "a":  # the paths meet on one line and are summed
        merge = (bottom + y_sum) / 2
        for x in xs:
            spec.line((x, bottom), (x, merge))
        spec.line((xs[0], merge), (xs[-1], merge))
        spec.arrow((xc, merge), (xc, y_sum), into=total)
    else:  # concatenate the paths, then one 1x1 conv over all C·d channels
        concat = spec.op(xc, split - 2.5, _("concatenate"), xs[-1] - xs[0] + box_w)
        for x in xs:
            spec.arrow((x, bottom), (x, concat.top()[1]))
        conv3 = spec.box(xc, split - 3.35, labels[2], 1.2)
        spec.chain([concat, conv3, total])
    total_paths = ngettext("total {n} path", "total {n} paths", cardinality).format(n=cardinality)
    spec.add("text", xc - 0.35, y_sum, total_paths, ha="right", style="italic")
    return spec


def draw_block(form, cardinality=32, bottleneck_width=4, in_channels=256, ax=None):
    """Draw ResNet's bottleneck or ResNeXt's form "a", "b" or "c" (Xie et al. 2017, Fig. 1, Fig. 3).

    Draws into `ax` when given, else into a new Figure; returns the Figure. For a widget, keep a
    `Diagram(ax)` and call its `update(block_spec(...))` instead: that changes the labels in place.
    """
    return draw(block_spec(form, cardinality, bottleneck_width, in_channels), ax)


def draw_block_forms(cardinality=32, bottleneck_width=4, in_channels=256, forms=FORMS):
    """ResNet's bottleneck and the three ResNeXt forms side by side (Xie et al. 2017, Fig. 1 and 3)."""
    return draw_row([block_spec(form, cardinality, bottleneck_width, in_channels) for form in forms])
