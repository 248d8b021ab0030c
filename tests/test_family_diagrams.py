"""The family's block diagrams (resnext_edu.viz.family_diagrams): boxes labelled "in, k×k, out" plus each
block's own nodes, read off the real block built on the meta device, which also validates the configuration.

SE (Hu et al. 2018, Fig. 3), split attention (Zhang et al. 2020, Fig. 2), Res2Net (Gao et al. 2019,
Fig. 2(b)), ReXNet (Han et al. 2021) and Inception-ResNet-A (Szegedy et al. 2017, Fig. 16).
"""
import pytest
from torch import nn

from resnext_edu.family import InceptionResNetA, InvertedResidual, Res2NetBlock, ResNeStBlock, SEResNeXtBlock
from resnext_edu.viz import (FAMILY_KINDS, Diagram, draw_beside_resnext, draw_family_block, family_block_labels,
                             family_spec)


def test_se_diagram_labels():
    assert family_block_labels("se") == ["256, 1×1, 128", "128, 3×3, 128, grp=32", "128, 1×1, 256",
                                         "global pool", "256, fc, 16", "16, fc, 256", "sigmoid"]
    assert "mul" in [n.kind for n in family_spec("se").nodes]  # the scale node
    strided = family_block_labels("se", out_channels=512, stride=2)
    assert strided[1] == "128, 3×3, 128, grp=32, /2" and strided[-1] == "256, 1×1, 512, /2"  # the projection


def test_resnest_diagram_labels():
    assert family_block_labels("resnest") == [
        "256, 1×1, 64", "64, 3×3, 128, grp=2", "2 splits of 64", "sum of splits", "global pool",
        "64, fc, 32", "32, fc, 128", "softmax over radix", "weighted sum of splits", "64, 1×1, 256"]
    strided = family_block_labels("resnest", in_channels=256, out_channels=512, radix=1, stride=2)
    assert "sigmoid" in strided and "3×3 avg pool, /2" in strided  # R = 1 gates; avd after the 3x3
    assert strided[-2:] == ["2×2 avg pool, /2", "256, 1×1, 512"]  # the avg-pool shortcut


def test_res2net_diagram_labels_and_hierarchy():
    assert family_block_labels("res2net") == ["256, 1×1, 104", "26, 3×3, 26", "26, 3×3, 26", "26, 3×3, 26",
                                              "concatenate", "104, 1×1, 256"]
    sums = [n for n in family_spec("res2net").nodes if n.kind == "sum"]
    assert len(sums) == 4 - 2 + 1  # one ⊕ per hierarchical connection, plus the shortcut's
    # Res2NeXt: parts of w = C·d = 2·13 = 26 channels, as Res2NetBlock(256, 512, 2, 13, 4, 2) has
    first = family_block_labels("res2net", out_channels=512, stride=2, cardinality=2, bottleneck_width=13, scale=4)
    assert first[1] == "26, 3×3, 26, grp=2, /2" and "3×3 avg pool, /2" in first
    assert len([n for n in family_spec("res2net", stride=2, out_channels=512).nodes if n.kind == "sum"]) == 1
    many = family_block_labels("res2net", bottleneck_width=14, scale=8)
    assert many.count("14, 3×3, 14") == 3 and "…" in [n.label for n in family_spec("res2net", scale=8).nodes]


def test_rexnet_and_inception_diagram_labels():
    assert family_block_labels("rexnet", in_channels=16, out_channels=27) == [
        "16, 1×1, 96", "SiLU", "96, 3×3, 96, depthwise", "global pool", "96, fc, 8", "8, fc, 96", "sigmoid",
        "ReLU6", "96, 1×1, 27, linear"]
    notes = [n.label for n in family_spec("rexnet", in_channels=16, out_channels=27).nodes if n.kind == "text"]
    assert "adds to channels 1–16 of 27" in notes
    assert family_block_labels("inception_resnet_a") == [
        "320, 1×1, 32", "320, 1×1, 32", "32, 3×3, 32", "320, 1×1, 32", "32, 3×3, 48", "48, 3×3, 64",
        "concatenate", "128, 1×1, 320, linear", "× 0.17"]


@pytest.mark.parametrize("kind, config, block", [
    ("se", dict(cardinality=8, bottleneck_width=14), SEResNeXtBlock(256, 256, 8, 14)),
    ("resnest", dict(cardinality=2, bottleneck_width=40, radix=4), ResNeStBlock(256, 256, 2, 40, 4)),
    ("res2net", dict(cardinality=2, bottleneck_width=8, scale=4), Res2NetBlock(256, 256, 2, 8, 4)),
    ("rexnet", dict(in_channels=16, out_channels=27), InvertedResidual(16, 27)),
    ("inception_resnet_a", dict(in_channels=320), InceptionResNetA(320)),
])
def test_every_conv_of_the_real_block_has_its_box(kind, config, block):
    drawn = {", ".join(label.split(", ")[:3]) for label in family_block_labels(kind, **config)}  # no extras
    for name, conv in block.named_modules():
        if isinstance(conv, nn.Conv2d):  # the SE and attention fc layers are 1x1 convs on a pooled map
            k = conv.kernel_size[0]
            assert f"{conv.in_channels}, {'fc' if 'fc' in name else f'{k}×{k}'}, {conv.out_channels}" in drawn, name


@pytest.mark.parametrize("kind, config, make", [
    ("resnest", dict(cardinality=64, bottleneck_width=1, radix=1), lambda: ResNeStBlock(256, 256, 64, 1, 1)),
    ("res2net", dict(scale=1), lambda: Res2NetBlock(256, 256, 1, 26, 1)),
    ("se", dict(stride=3), lambda: SEResNeXtBlock(256, 256, stride=3)),
    ("rexnet", dict(se_ratio=1.5), lambda: InvertedResidual(50, 61, se_ratio=1.5)),
    ("inception_resnet_a", dict(scale=0), lambda: InceptionResNetA(320, scale=0)),
])
def test_the_real_block_validates_the_configuration(kind, config, make):
    with pytest.raises(ValueError) as from_diagram:
        family_spec(kind, **config)
    with pytest.raises(ValueError) as from_block:
        make()
    assert str(from_diagram.value) == str(from_block.value)  # the block's own message


def test_unknown_kind_lists_the_kinds():
    with pytest.raises(ValueError, match="kind='senet' is not a family block; use one of 'se', 'resnest'"):
        family_spec("senet")


@pytest.mark.parametrize("kind", FAMILY_KINDS)
def test_draw_family_block_shows_the_labels(kind):
    fig = draw_family_block(kind)
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert set(family_block_labels(kind)) <= texts


def test_beside_resnext_shows_both_blocks():
    fig = draw_beside_resnext()
    assert len(fig.axes) == 2
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"concatenate", "128, 3×3, 128, grp=32", "320-d out"} <= texts
    tops = [ax.get_position().y1 for ax in fig.axes]
    assert tops[0] == pytest.approx(tops[1])  # titles in one row


def test_family_diagram_updates_labels_in_place():
    fig = draw_family_block("resnest")
    diagram = Diagram(fig.axes[0]).update(family_spec("resnest", radix=2))
    patches = list(diagram.ax.patches)
    diagram.update(family_spec("resnest", radix=2, bottleneck_width=32))  # same layout: only the text changes
    assert list(diagram.ax.patches) == patches
    assert "32, 3×3, 64, grp=2" in {t.get_text() for t in diagram.ax.texts}
    diagram.update(family_spec("resnest", radix=1, bottleneck_width=32))  # one split line: only the arrows are redrawn
    assert list(diagram.ax.patches) == patches
    assert {"sigmoid", "32, 3×3, 32, grp=1"} <= {t.get_text() for t in diagram.ax.texts}
