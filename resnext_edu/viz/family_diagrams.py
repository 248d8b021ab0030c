"""Block diagrams of the ResNet family, drawn like Xie et al. 2017, Fig. 1 and 3.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, draws a block as boxes labelled "in, k×k, out", arrows and a
⊕ for the sum with the shortcut. The family's blocks add their own nodes: SE's pool, fc and
scale (Hu et al. 2018, arXiv:1709.01507, Fig. 3), split attention's softmax over the radix
(Zhang et al. 2020, arXiv:2004.08955, Fig. 2), Res2Net's hierarchical connections (Gao et al.
2019, arXiv:1904.01169, Fig. 2(b)), ReXNet's inverted residual with its partial shortcut (Han
et al. 2021, arXiv:2007.00992), and Inception-ResNet-A's branches (Szegedy et al. 2017,
arXiv:1602.07261, Fig. 16). Each spec builds the block of resnext_edu.family on the meta device
and reads its numbers off it.

    draw_family_block(kind, **config)    a Figure (or draws into ax=...)
    family_block_labels(kind, **config)  the box labels, top to bottom, for tests
    Diagram(ax).update(family_spec(...)) changes labels in place when the layout is the same
"""
from torch import nn

from ..checks import check_choice
from ..family import InceptionResNetA, InvertedResidual, Res2NetBlock, ResNeStBlock, SEResNeXtBlock
from ..i18n import N_, _, ngettext
from .block_diagrams import block_spec
from .engine import (BOX_H, OP_H, ROW, Spec, conv_label, draw, draw_row, fc_label, halves, meta_block,
                     pool_label, shortcut_boxes)

KINDS = ("se", "resnest", "res2net", "rexnet", "inception_resnet_a")
MAX_PARTS = 4  # Res2Net parts drawn one by one; more are folded into "…"
MAX_SPLITS = 3  # ResNeSt radix lines drawn one by one


def _main_path(spec, x, split, labels):
    """Conv boxes under the split, one ROW apart, with their arrows; returns the boxes."""
    y = split - 0.55
    boxes = [spec.box(x, y - i * ROW, label) for i, label in enumerate(labels)]
    spec.arrow((x, split), boxes[0].top())
    spec.chain(boxes)
    return boxes


def _se_branch(spec, last, se):
    """SE's squeeze and excitation beside the main path (Hu et al. 2018, Fig. 3); returns the ⊗ (scale)."""
    x, branch_y = 2.05, last.y - 0.55
    y0 = branch_y - 0.5
    nodes = [spec.op(x, y0, _("global pool"), 1.5), spec.box(x, y0 - ROW, fc_label(se.fc1), 1.5),
             spec.box(x, y0 - 2 * ROW, fc_label(se.fc2), 1.5), spec.op(x, y0 - 3 * ROW, _("sigmoid"), 1.5)]
    spec.chain(nodes)
    spec.line(last.bottom(), (0, branch_y), (x, branch_y))
    spec.arrow((x, branch_y), nodes[0].top())
    scale = spec.add("mul", 0, nodes[-1].y)
    spec.arrow((0, branch_y), (0, scale.y), into=scale)
    spec.arrow(nodes[-1].left(), (0, scale.y), into=scale)
    return scale


def _spec_se(in_channels=256, out_channels=None, cardinality=32, bottleneck_width=4, reduction=16, stride=1):
    out_channels = in_channels if out_channels is None else out_channels
    block = meta_block(SEResNeXtBlock, in_channels, out_channels, cardinality, bottleneck_width, stride, reduction)
    spec = Spec(_("SE-ResNeXt block"))
    projection = shortcut_boxes(block.downsample)
    xs = -1.7 if projection else -1.45
    split = spec.input(0, in_channels, xs, 0)
    conv2 = block.conv2
    main = _main_path(spec, 0, split, [conv_label(block.conv1), conv_label(conv2, f"grp={conv2.groups}", halves(conv2)),
                                       conv_label(block.conv3)])
    scale = _se_branch(spec, main[-1], block.se)
    spec.add("text", -0.2, scale.y + 0.3, _("scale"), ha="right", style="italic")
    total = spec.output(0, scale.y - ROW, out_channels, xs, projection)
    spec.chain([scale, total])
    return spec


def _spec_resnest(in_channels=256, out_channels=None, cardinality=1, bottleneck_width=64, radix=2, stride=1):
    out_channels = in_channels if out_channels is None else out_channels
    block = meta_block(ResNeStBlock, in_channels, out_channels, cardinality, bottleneck_width, radix, stride)
    attention = block.conv2  # SplitAttention: K cardinal groups, R splits each
    k, r, w = attention.cardinality, attention.radix, block.conv1.out_channels
    spec = Spec(_("ResNeSt block (split attention)"))
    projection = shortcut_boxes(block.downsample)
    xs = -1.75 if projection else -1.45
    split = spec.input(0, in_channels, xs, 0)
    conv1, grouped = _main_path(spec, 0, split, [conv_label(block.conv1),
                                                 conv_label(attention.conv, f"grp={attention.conv.groups}")])
    splits = spec.op(0, grouped.y - ROW, ngettext("{r} split of {w}", "{r} splits of {w}", r).format(r=r, w=w))
    spec.chain([grouped, splits])
    xa, grp = 2.2, f"grp={k}" if k > 1 else ""  # attention column: fuse the splits, pool, two fc, softmax
    attn = [spec.op(xa, splits.y, _("sum of splits"), 1.5), spec.op(xa, splits.y - ROW, _("global pool"), 1.5),
            spec.box(xa, splits.y - 2 * ROW, fc_label(attention.fc1, grp), 1.5),
            spec.box(xa, splits.y - 3 * ROW, fc_label(attention.fc2, grp), 1.5),
            spec.op(xa, splits.y - 4 * ROW, _("softmax over radix") if r > 1 else _("sigmoid"), 1.5)]
    spec.arrow(splits.right(), attn[0].left())
    spec.chain(attn)
    weighted = spec.op(0, attn[-1].y, _("weighted sum of splits") if r > 1 else _("scale"))
    spec.arrow(attn[-1].left(), weighted.right())
    shown = min(r, MAX_SPLITS)  # one line per split (the radix), so R is visible
    for x in [0.0] if shown == 1 else [-0.5 + i / (shown - 1) for i in range(shown)]:
        spec.arrow((x, splits.bottom()[1]), (x, weighted.top()[1]))
    if r > MAX_SPLITS:
        spec.add("text", 0.25, (splits.y + weighted.y) / 2, "…", fontsize=12)
    rest = [weighted]
    if block.avd_last is not None:  # avd: the 3x3 kept the size; an average pool halves it
        rest.append(spec.op(0, weighted.y - ROW, pool_label(block.avd_last)))
    rest.append(spec.box(0, rest[-1].y - ROW, conv_label(block.conv3)))
    total = spec.output(0, rest[-1].y - ROW, out_channels, xs, projection)
    spec.chain([*rest, total])
    return spec


def _spec_res2net(in_channels=256, out_channels=None, cardinality=1, bottleneck_width=26, scale=4, stride=1):
    out_channels = in_channels if out_channels is None else out_channels
    block = meta_block(Res2NetBlock, in_channels, out_channels, cardinality, bottleneck_width, scale, stride)
    s, first, groups = block.scale, block.first, block.convs[0].groups  # first: parts not chained, last pooled
    drawn = list(range(s - 1)) if s <= MAX_PARTS else [0, 1, s - 2]  # indices of the drawn conv parts
    gap = s > MAX_PARTS  # a "…" column between the second and the last conv part
    cols = [i * 1.05 for i in range(len(drawn) + gap + 1)]
    conv_cols = cols[:2] + cols[3:-1] if gap else cols[:-1]
    xc = cols[-1] / 2
    title = _("Res2NeXt block") if groups > 1 else _("Res2Net block")
    spec = Spec(_("{title} (first of a stage)").format(title=title) if first else title)
    projection = shortcut_boxes(block.downsample)
    xs = -1.15 if projection else -0.85
    split = spec.input(xc, in_channels, xs, xc)
    (conv1,) = _main_path(spec, xc, split, [conv_label(block.conv1)])
    fan = conv1.y - 0.55  # the s parts leave conv1 along this line
    spec.line(conv1.bottom(), (xc, fan))
    spec.line((cols[0], fan), (cols[-1], fan))
    step = 0.0 if first else 1.2  # the staircase: each conv waits for the previous one's output
    y0 = fan - 0.9
    ends, prev = [], None
    for j, (i, x) in enumerate(zip(drawn, conv_cols)):
        conv = block.convs[i]
        box = spec.box(x, y0 - j * step, conv_label(conv, f"grp={groups}" if groups > 1 else "", halves(conv)), 0.95)
        if prev is None or first:
            spec.arrow((x, fan), box.top())
        else:  # hierarchical connection: y_i = K_i(x_i + y_(i-1)) (Gao et al. 2019, Eq. 1)
            plus = spec.add("sum", x, box.y + 0.6)
            spec.arrow((x, fan), (x, plus.y), into=plus)
            spec.arrow((prev.x, prev.y - BOX_H / 2), (prev.x, plus.y), (x, plus.y), into=plus)
            spec.arrow((x, plus.y), box.top())
        ends.append(box)
        prev = box
    if gap:
        spec.add("text", cols[2], y0 - step, "…", fontsize=14)
    concat_y = min(b.y for b in ends) - 0.95
    if block.pool is not None:
        pool = spec.op(cols[-1], y0, pool_label(block.pool), 0.95)
        spec.arrow((cols[-1], fan), pool.top())
        ends.append(pool)
    else:
        spec.arrow((cols[-1], fan), (cols[-1], concat_y + OP_H / 2))
    concat = spec.op(xc, concat_y, _("concatenate"), cols[-1] + 0.95)
    for b in ends:
        spec.arrow(b.bottom(), (b.x, concat.top()[1]))
    conv3 = spec.box(xc, concat_y - ROW, conv_label(block.conv3))
    total = spec.output(xc, conv3.y - ROW, out_channels, xs, projection)
    spec.chain([concat, conv3, total])
    return spec


def _spec_rexnet(in_channels=50, out_channels=61, expansion=6, stride=1, se_ratio=1 / 12):
    block = meta_block(InvertedResidual, in_channels, out_channels, expansion, stride, se_ratio)
    spec = Spec(_("ReXNet block (inverted residual)"))
    xs = -1.45 if block.use_shortcut else None
    split = spec.input(0, in_channels, xs, 0)
    main = []
    if block.conv_exp is not None:
        expand = spec.box(0, split - 0.55, conv_label(block.conv_exp.conv))
        main += [expand, spec.op(0, expand.y - ROW, "SiLU", 0.9)]
    dw = block.conv_dw.conv
    y = (main[-1].y if main else split + 0.3) - ROW
    main.append(spec.box(0, y, conv_label(dw, _("depthwise"), halves(dw))))
    spec.arrow((0, split), main[0].top())
    spec.chain(main)
    last = main[-1] if block.se is None else _se_branch(spec, main[-1], block.se)
    relu6 = spec.op(0, last.y - ROW, "ReLU6", 0.9)
    project = spec.box(0, relu6.y - ROW, conv_label(block.conv_pwl.conv, _("linear")))
    spec.arrow(last.bottom(), relu6.top())
    spec.chain([relu6, project])
    y_sum = project.y - ROW
    if block.use_shortcut:
        note = (_("adds to channels 1–{n} of {out}").format(n=in_channels, out=out_channels)
                if in_channels < out_channels else "")
        spec.chain([project, spec.output(0, y_sum, out_channels, xs, note=note)])
    else:  # stride 2 or fewer channels: no shortcut at all
        spec.arrow(project.bottom(), (0, y_sum + 0.2))
        spec.add("text", 0, y_sum, _("{channels}-d out (no shortcut)").format(channels=out_channels))
    return spec


def _spec_inception_resnet_a(in_channels=320, scale=0.17):
    block = meta_block(InceptionResNetA, in_channels, scale)
    branches = [[conv_label(m) for m in branch.modules() if isinstance(m, nn.Conv2d)]
                for branch in (block.branch0, block.branch1, block.branch2)]
    cols, xc, xs = [0.0, 1.3, 2.6], 1.3, -1.0
    spec = Spec(_("Inception-ResNet-A (35×35 grid)"))
    split = spec.input(xc, in_channels, xs, cols[-1])
    y0 = split - 0.55
    ends = []
    for x, labels in zip(cols, branches):
        nodes = [spec.box(x, y0 - i * ROW, label, 1.2) for i, label in enumerate(labels)]
        spec.arrow((x, split), nodes[0].top())
        spec.chain(nodes)
        ends.append(nodes[-1])
    concat = spec.op(xc, y0 - 3 * ROW, _("concatenate"), 3.8)
    for b in ends:
        spec.arrow(b.bottom(), (b.x, concat.top()[1]))
    conv = spec.box(xc, concat.y - ROW, conv_label(block.conv2d, _("linear")))
    scaled = spec.op(xc, conv.y - ROW, f"× {block.scale:g}", 0.9)
    total = spec.output(xc, scaled.y - ROW, block.conv2d.out_channels, xs)
    spec.chain([concat, conv, scaled, total])
    return spec


SPECS = {"se": _spec_se, "resnest": _spec_resnest, "res2net": _spec_res2net, "rexnet": _spec_rexnet,
         "inception_resnet_a": _spec_inception_resnet_a}


def family_spec(kind, **config):
    """The diagram of one block as nodes and edges; the block, built on the meta device, validates config."""
    check_choice("kind", kind, KINDS, what=N_("is not a family block"))
    return SPECS[kind](**config)


def family_block_labels(kind, **config):
    """The labels of the drawn boxes ("in, k×k, out", and operations such as "global pool"), top to bottom.

    kind and config as for draw_family_block. Res2Net with more than four parts folds the
    middle ones into "…", so only the drawn parts have labels.
    """
    return family_spec(kind, **config).labels()


def draw_family_block(kind, ax=None, **config):
    """Draw a family block from its configuration (Xie et al. 2017, Fig. 3 style); returns the Figure.

    kind and its config (defaults in brackets), the arguments of the block it draws:
      "se":      SEResNeXtBlock: in_channels [256], out_channels [= in], cardinality [32],
                 bottleneck_width [4], reduction [16], stride [1]
      "resnest": ResNeStBlock: in_channels [256], out_channels [= in], cardinality [1],
                 bottleneck_width [64], radix [2], stride [1]
      "res2net": Res2NetBlock: in_channels [256], out_channels [= in], cardinality [1],
                 bottleneck_width [26] (each part is C·d wide), scale [4], stride [1]
      "rexnet":  InvertedResidual: in_channels [50], out_channels [61] (rexnet_100's features.4),
                 expansion [6], stride [1], se_ratio [1/12]
      "inception_resnet_a": InceptionResNetA: in_channels [320], scale [0.17]
    """
    return draw(family_spec(kind, **config), ax)


def draw_beside_resnext(in_channels=320, cardinality=32, bottleneck_width=4, scale=0.17):
    """Inception-ResNet-A beside a ResNeXt block (form c) of the same in/out width (Xie et al. 2017, Sec. 3.3)."""
    return draw_row([family_spec("inception_resnet_a", in_channels=in_channels, scale=scale),
                     block_spec("c", cardinality, bottleneck_width, in_channels)])
