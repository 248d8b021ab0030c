"""diagnose's expect=: a traced model's configuration against a registered model's, difference by difference.

Every model is built on the meta device and traced there (shapes only), so each test takes a
second or less. The planted bugs are notebook 07's: a wrong width rule, a 1x1 stem, C and d swapped.
"""
import time

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import zoo
from resnext_edu import models
from resnext_edu.diagnose.blocks import find_blocks
from resnext_edu.diagnose.expect import compare, configuration, reference_configuration
from resnext_edu.trace import trace

CIFAR, IMAGENET = (3, 32, 32), (3, 224, 224)


def build_meta(builder, *args, **kwargs):
    with torch.device("meta"):
        return builder(*args, **kwargs)


def traced(model, size):
    # As diagnose traces: batch 2, training mode, with the backward pass that find_blocks reads.
    tr = trace(model, size, batch=2, train=True, backward=True)
    return tr, find_blocks(tr)


def findings(model, size, expect, num_classes=None):
    return list(compare(*traced(model, size), expect, size, num_classes))


def errors(found):
    return [(f.layers, f.what) for f in found if f.severity == "error"]


# ---------------------------------------------------------------------------------------------
# Ports written elsewhere, in their own names: the configuration is read from the trace alone.


class PortBottleneck(nn.Module):
    """A CIFAR ResNeXt block as popular PyTorch ports write it: conv_reduce, grouped conv_conv, conv_expand."""

    def __init__(self, in_channels, out_channels, stride, cardinality, base_width, widen_factor=4):
        super().__init__()
        d = cardinality * int(base_width * out_channels / (widen_factor * 64))
        self.conv_reduce = nn.Conv2d(in_channels, d, 1, bias=False)
        self.bn_reduce = nn.BatchNorm2d(d)
        self.conv_conv = nn.Conv2d(d, d, 3, stride, 1, groups=cardinality, bias=False)
        self.bn = nn.BatchNorm2d(d)
        self.conv_expand = nn.Conv2d(d, out_channels, 1, bias=False)
        self.bn_expand = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        if in_channels != out_channels:
            self.shortcut.add_module("shortcut_conv", nn.Conv2d(in_channels, out_channels, 1, stride, bias=False))
            self.shortcut.add_module("shortcut_bn", nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = F.relu(self.bn_reduce(self.conv_reduce(x)), inplace=True)
        out = F.relu(self.bn(self.conv_conv(out)), inplace=True)
        out = self.bn_expand(self.conv_expand(out))
        return F.relu(self.shortcut(x) + out, inplace=True)


class PortResNeXt29(nn.Module):
    """ResNeXt-29 for CIFAR with its own names: conv_1_3x3, stage_1..3, classifier, a fixed 8x8 pool."""

    def __init__(self, cardinality=8, base_width=64, num_classes=10):
        super().__init__()
        self.conv_1_3x3 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn_1 = nn.BatchNorm2d(64)
        widths = [64, 256, 512, 1024]
        for i in range(3):
            blocks = [PortBottleneck(widths[i] if j == 0 else widths[i + 1], widths[i + 1],
                                     (1 if i == 0 else 2) if j == 0 else 1, cardinality, base_width)
                      for j in range(3)]
            self.add_module(f"stage_{i + 1}", nn.Sequential(*blocks))
        self.classifier = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = F.relu(self.bn_1(self.conv_1_3x3(x)), inplace=True)
        x = self.stage_3(self.stage_2(self.stage_1(x)))
        return self.classifier(F.avg_pool2d(x, 8, 1).flatten(1))


# ---------------------------------------------------------------------------------------------
# What configuration reads.


def test_configuration_of_resnext29():
    cfg = configuration(*traced(build_meta(models.resnext29_8x64d, num_classes=10), CIFAR))
    assert cfg.params == 34_426_698  # Xie et al. 2017, Table 7: 34.4M
    assert (cfg.stem.name, cfg.stem.kernel, cfg.stem.channels, cfg.stem.stride, cfg.stem.padding) == \
        ("conv1", (3, 3), 64, 1, (1, 1))
    assert [s.blocks for s in cfg.stages] == [tuple(f"layer{i}.{j}" for j in range(3)) for i in (1, 2, 3)]
    assert [(s.width, s.group_width, s.groups, s.size) for s in cfg.stages] == \
        [(256, 512, 8, (32, 32)), (512, 1024, 8, (16, 16)), (1024, 2048, 8, (8, 8))]  # Appendix A: 32, 16, 8
    assert [s.convs[0] for s in cfg.stages] == ["layer1.0.conv2", "layer2.0.conv2", "layer3.0.conv2"]
    assert (cfg.classes, cfg.classifier) == (10, "fc")


def test_configuration_of_a_port_in_its_own_names():
    cfg = configuration(*traced(build_meta(PortResNeXt29), CIFAR))
    assert (cfg.stem.name, cfg.stem.kernel, cfg.classifier) == ("conv_1_3x3", (3, 3), "classifier")
    assert [s.blocks[0] for s in cfg.stages] == ["stage_1.0", "stage_2.0", "stage_3.0"]
    assert [(s.width, s.group_width, s.groups) for s in cfg.stages] == \
        [(256, 512, 8), (512, 1024, 8), (1024, 2048, 8)]


def test_the_paths_of_form_a_count_as_one_grouped_conv():
    # Form (a) writes the C paths out as C convs of d channels: together C·d channels in C groups.
    cfg = configuration(*traced(build_meta(models.resnext, 29, 2, 4, 10, "a"), CIFAR))
    assert [(s.group_width, s.groups, s.convs[0]) for s in cfg.stages] == [(8, 2, ""), (16, 2, ""), (32, 2, "")]


# ---------------------------------------------------------------------------------------------
# The course's models, and ports of them, compared with themselves: one info line.


@pytest.mark.parametrize("builder, size, expect, num_classes, line", [
    (models.resnext50_32x4d, IMAGENET, "resnext50_32x4d", None,
     "matches resnext50_32x4d: 25,028,904 parameters, stem 7x7, 4 stages of 3, 4, 6, 3 blocks, "
     "group widths 128/256/512/1024 (C = 32)."),
    (models.resnext29_8x64d, CIFAR, "resnext29_8x64d", 10,
     "matches resnext29_8x64d: 34,426,698 parameters, stem 3x3, 3 stages of 3 blocks, "
     "group widths 512/1024/2048 (C = 8)."),
    (models.resnet50, IMAGENET, "resnet50", None,
     "matches resnet50: 25,557,032 parameters, stem 7x7, 4 stages of 3, 4, 6, 3 blocks, "
     "group widths 64/128/256/512 (C = 1)."),
    (PortResNeXt29, CIFAR, "resnext29_8x64d", 10, "matches resnext29_8x64d: 34,426,698 parameters"),
    (zoo.resnext50_32x4d_correct, IMAGENET, "resnext50_32x4d", 1000, "matches resnext50_32x4d: 25,028,904 parameters"),
])
def test_a_faithful_model_gives_one_info(builder, size, expect, num_classes, line):
    found = findings(build_meta(builder), size, expect, num_classes)
    assert [(f.severity, f.check, f.layers) for f in found] == [("info", "expect", ("(model)",))]
    assert found[0].what.startswith(line)


def test_a_ten_class_port_is_compared_with_a_ten_class_reference():
    # Without num_classes the reference gets the model's own classes: only the body is compared.
    assert [f.severity for f in findings(build_meta(models.resnext50_32x4d, num_classes=10), IMAGENET,
                                         "resnext50_32x4d")] == ["info"]


# ---------------------------------------------------------------------------------------------
# Notebook 07's bugs, each named by layer and number.


def test_a_wrong_width_rule_is_found_stage_by_stage():
    # The ImageNet rule (output = 2·C·d) on the CIFAR network: 1024, 2048, 4096 instead of 256, 512, 1024.
    model = build_meta(models.resnext, 29, 8, 64, num_classes=10, stage_widths=(1024, 2048, 4096))
    found = findings(model, CIFAR, "resnext29_8x64d", 10)
    assert errors(found) == [
        (("(model)",), "The model has 89,599,818 parameters, 2.6 times resnext29_8x64d's 34,426,698."),
        (("layer1.0",), "Stage 1 (layer1.0 to layer1.2) outputs 1024 channels; "
                        "resnext29_8x64d's stage 1 outputs 256."),
        (("layer2.0",), "Stage 2 (layer2.0 to layer2.2) outputs 2048 channels; "
                        "resnext29_8x64d's stage 2 outputs 512."),
        (("layer3.0",), "Stage 3 (layer3.0 to layer3.2) outputs 4096 channels; "
                        "resnext29_8x64d's stage 3 outputs 1024."),
    ]
    assert found[0].why.startswith("Xie et al. 2017, Sec. 5.3, Appendix A and Table 7: ")
    assert "256, 512, 1024 channels, doubling at each stage" in found[1].why
    assert found[1].fix == "Give the blocks of stage 1 an output width of 256."


def test_a_1x1_stem_is_found_at_the_stem():
    model = build_meta(models.resnext, 29, 8, 64, num_classes=10)
    with torch.device("meta"):
        model.conv1 = nn.Conv2d(3, 64, 1, bias=False)
    found = findings(model, CIFAR, "resnext29_8x64d", 10)
    # 1,536 parameters fewer (0.004%): within 1%, so only the stem is an error.
    assert errors(found) == [(("conv1",), "The stem conv1 is a 1x1 conv of 64 filters, stride 1; "
                                          "resnext29_8x64d's is 3x3, 64 filters, stride 1.")]
    assert "3x3 conv of 64 filters, stride 1" in found[0].why
    assert found[0].fix == "Make conv1 nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1)."


def test_c_and_d_swapped_is_found_in_every_stage():
    found = findings(build_meta(models.resnext, 50, 4, 32), IMAGENET, "resnext50_32x4d")
    assert errors(found)[0] == (("(model)",), "The model has 34,931,496 parameters, 1.4 times "
                                              "resnext50_32x4d's 25,028,904.")
    stages = errors(found)[1:]
    assert [layers for layers, _ in stages] == [("layer1.0",), ("layer2.0",), ("layer3.0",), ("layer4.0",)]
    assert stages[0][1] == ("Stage 1 (layer1.0 to layer1.2): the 3x3 conv layer1.0.conv2 has 128 channels in 4 "
                            "groups (C = 4, d = 32); resnext50_32x4d has 128 channels in 32 groups (C = 32, d = 4).")
    assert "(C = 4, d = 256)" in stages[3][1] and "(C = 32, d = 32)" in stages[3][1]
    assert found[1].why.startswith("Xie et al. 2017, Table 1, and torchvision's resnet.py: ")
    assert found[1].fix == "Make it nn.Conv2d(128, 128, 3, groups=32): C = 32 paths of d = 4."


def test_a_port_with_groups_left_out_is_found():
    # The port's own names: its grouped conv, conv_conv, is dense (groups=1), so 1 path of 512.
    found = findings(build_meta(PortResNeXt29, cardinality=1, base_width=512), CIFAR, "resnext29_8x64d", 10)
    assert [layers for layers, _ in errors(found)] == [("(model)",), ("stage_1.0",), ("stage_2.0",), ("stage_3.0",)]
    assert "stage_1.0.conv_conv has 512 channels in 1 group (C = 1, d = 512)" in errors(found)[1][1]


def test_a_missing_stage_and_a_wrong_classifier_are_found():
    model = build_meta(models.resnext, 50, 32, 4, num_classes=10)
    found = findings(model, IMAGENET, "resnext50_32x4d", 1000)
    assert ("fc",) in [f.layers for f in found]
    assert "The classifier fc outputs 10 classes; resnext50_32x4d with num_classes=1000 outputs 1000." in \
        [f.what for f in found]
    shallow = build_meta(models.ResNet, models.BLOCK_FORMS["c"], [3, 4, 6], (256, 512, 1024), 32, 4)
    found = findings(shallow, IMAGENET, "resnext50_32x4d")
    assert (("layer1.0",), "The model has 3 stages (3, 4, 6 blocks); resnext50_32x4d has 4 (3, 4, 6, 3 blocks).") \
        in errors(found)


# ---------------------------------------------------------------------------------------------
# Arguments and speed.


def test_an_unknown_name_names_the_value_and_the_choices():
    with pytest.raises(ValueError, match=r"expect='resnext29_8x64' is not a registered model; use one of "
                                         r"'resnet18', .*'resnext29_8x64d'") as err:
        reference_configuration("resnext29_8x64", CIFAR)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="expect='nope'"):
        findings(build_meta(models.resnext29_8x64d), CIFAR, "nope")


def test_the_reference_is_cached():
    model = build_meta(models.resnext50_32x4d)
    tr, blocks = traced(model, IMAGENET)
    list(compare(tr, blocks, "resnext50_32x4d", IMAGENET))
    start = time.perf_counter()
    again = list(compare(tr, blocks, "resnext50_32x4d", IMAGENET))
    assert time.perf_counter() - start < 0.2, "the second comparison traced the reference again"
    assert [f.severity for f in again] == ["info"]
    assert reference_configuration("resnext50_32x4d", IMAGENET, 1000) is \
        reference_configuration("resnext50_32x4d", [3, 224, 224], 1000)
