"""diagnose: no false positives on the library's models, each check on a small model that plants it.

The library models are built on the meta device (no memory, no init time); diagnose runs on meta
too, so even ResNeXt-101 at 224x224 takes a second or two on two cores.
"""
import types

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from resnext_edu import models, registry
from resnext_edu.diagnose import SEVERITIES, Finding, Findings, diagnose


def build_meta(builder, *args, **kwargs):
    with torch.device("meta"):
        return builder(*args, **kwargs)


def above_info(findings):
    return [str(f) for f in findings.at_least("warning")]


# ---------------------------------------------------------------------------------------------
# No false positives.


@pytest.mark.parametrize("name", sorted(registry.list_models("models")))
def test_library_models_have_nothing_above_info(name):
    builder, size = registry.MODELS[name]
    model = build_meta(builder)
    findings = diagnose(model, size, num_classes=10 if size[1] == 32 else 1000)
    assert above_info(findings) == []
    assert findings.checks <= {"stride-on-1x1"}  # info at most; our models are v1.5, so not even that


FAMILY = sorted(n for n, e in registry.MODELS.items() if ".family." in e.builder.__module__)


@pytest.mark.parametrize("name", FAMILY)
def test_family_models_have_nothing_above_info(name):
    builder, size = registry.MODELS[name]
    findings = diagnose(build_meta(builder), size, num_classes=1000, expect=name)
    assert above_info(findings) == [], name
    assert findings.of("expect")[0].what.startswith(f"matches {name}")  # compared with itself: one info line
    assert findings.facts[-1].endswith("as module calls")  # full coverage, every layer called as a module


def test_resnext_with_its_cardinality_has_no_findings():
    model = build_meta(models.resnext50_32x4d)
    assert list(diagnose(model, (3, 224, 224), cardinality=32, num_classes=1000)) == []


@pytest.mark.parametrize("form", ["a", "b"])
def test_forms_a_and_b_have_nothing_above_info(form):
    # A small ResNeXt-29 (C=2, d=4): the paths of forms (a) and (b) are containers, not blocks.
    model = build_meta(models.resnext, 29, 2, 4, 10, form)
    assert above_info(diagnose(model, (3, 32, 32), cardinality=2, num_classes=10)) == []


def test_diagnose_leaves_the_model_as_it_was():
    model = models.resnet18(num_classes=10)
    model.layer1.eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    modes = [m.training for m in model.modules()]
    diagnose(model, (3, 64, 64))
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())  # BN statistics too
    assert all(p.grad is None for p in model.parameters())
    assert [m.training for m in model.modules()] == modes
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_diagnose_is_a_package_and_diagnose_its_function():
    # Issue 14: the package's __init__ once rebound resnext_edu.diagnose to the function.
    import resnext_edu
    assert isinstance(resnext_edu.diagnose, types.ModuleType) and resnext_edu.diagnose.diagnose is diagnose


# ---------------------------------------------------------------------------------------------
# Small models, each with one pattern. Net puts blocks behind a 7x7/2 stem and max pool.


def conv_bn(cin, cout, k=1, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout))


class Net(nn.Module):
    """Stem (7x7 conv, stride 2, then max pool, stride 2), the given blocks, global pooling, classifier."""

    def __init__(self, blocks, width, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layers = nn.Sequential(*blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        return self.fc(self.avgpool(self.layers(x)).flatten(1))


class Bottleneck(nn.Module):
    """1x1, 3x3, 1x1 with the stride on conv1 (v1), conv2 (v1.5) or all three (the Keras bug)."""

    def __init__(self, cin, cout, stride=1, where="conv2"):
        super().__init__()
        mid = cout // 4
        s = {name: stride if where in (name, "all") else 1 for name in ("conv1", "conv2", "conv3")}
        self.conv1 = nn.Conv2d(cin, mid, 1, s["conv1"], bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, s["conv2"], 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, cout, 1, s["conv3"], bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        shrink = stride ** 3 if where == "all" else stride
        self.downsample = conv_bn(cin, cout, 1, shrink) if shrink != 1 or cin != cout else None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


def bottleneck_net(where):
    return Net([Bottleneck(32, 64), Bottleneck(64, 128, 2, where), Bottleneck(128, 256, 2),
                Bottleneck(256, 256, 2)], 256)


class Res2Block(nn.Module):
    """Res2Net's block (Gao et al. 2019): splits; strided: parallel 3x3s and a pool; else hierarchical adds."""

    def __init__(self, cin, cout, stride=1, scale=4, width=8):
        super().__init__()
        self.width, self.stride = width, stride
        self.conv1 = nn.Conv2d(cin, width * scale, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width * scale)
        self.convs = nn.ModuleList(nn.Conv2d(width, width, 3, stride, 1, bias=False) for _ in range(scale - 1))
        self.bns = nn.ModuleList(nn.BatchNorm2d(width) for _ in range(scale - 1))
        self.pool = nn.AvgPool2d(3, stride, 1) if stride > 1 else None
        self.conv3 = nn.Conv2d(width * scale, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = conv_bn(cin, cout, 1, stride) if stride > 1 or cin != cout else None

    def forward(self, x):
        spx = torch.split(F.relu(self.bn1(self.conv1(x))), self.width, 1)
        outs, sp = [], None
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            sp = spx[i] if i == 0 or self.pool is not None else sp + spx[i]
            sp = F.relu(bn(conv(sp)))
            outs.append(sp)
        outs.append(spx[-1] if self.pool is None else self.pool(spx[-1]))
        out = self.bn3(self.conv3(torch.cat(outs, 1)))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class AvdBlock(nn.Module):
    """ResNeSt's block (Zhang et al. 2020): the 3x3 at stride 1, then an average pool with the stride."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        mid = cout // 4
        self.conv1 = conv_bn(cin, mid)
        self.conv2 = conv_bn(mid, mid, 3, 1, groups=2)
        self.avd_last = nn.AvgPool2d(3, stride, 1) if stride > 1 else nn.Identity()
        self.conv3 = conv_bn(mid, cout)
        pool = nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
        self.downsample = nn.Sequential(pool, conv_bn(cin, cout)) if stride > 1 or cin != cout else None

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.avd_last(F.relu(self.conv2(F.relu(self.conv1(x)))))
        out = self.conv3(out)
        out += shortcut
        return F.relu(out)


class ShuffleUnit(nn.Module):
    """ShuffleNet's unit (Zhang et al. 2018): grouped 1x1, channel shuffle, depthwise 3x3, grouped 1x1."""

    def __init__(self, c, groups=4):
        super().__init__()
        self.groups = groups
        self.gconv1 = conv_bn(c, c // 4, groups=groups)
        self.dwconv = conv_bn(c // 4, c // 4, 3, groups=c // 4)
        self.gconv2 = conv_bn(c // 4, c, groups=groups)

    def forward(self, x):
        out = F.relu(self.gconv1(x))
        n, c, h, w = out.shape
        out = out.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)
        return F.relu(x + self.gconv2(self.dwconv(out)))


def test_parallel_strided_convs_res2net_are_fine():
    model = Net([Res2Block(32, 64), Res2Block(64, 64), Res2Block(64, 128, 2), Res2Block(128, 128),
                 Res2Block(128, 128, 2), Res2Block(128, 128, 2)], 128)
    findings = diagnose(model)
    assert above_info(findings) == []
    assert "strided-chain" not in findings.checks


def test_avd_pooling_resnest_is_fine():
    model = Net([AvdBlock(32, 64), AvdBlock(64, 128, 2), AvdBlock(128, 128), AvdBlock(128, 256, 2),
                 AvdBlock(256, 256, 2)], 256)
    assert list(diagnose(model)) == []


def test_v15_bottleneck_net_has_no_findings():
    assert list(diagnose(bottleneck_net("conv2"))) == []


def test_stride_on_first_1x1_is_info_only():
    findings = diagnose(bottleneck_net("conv1"))
    assert [(f.severity, f.check) for f in findings] == [("info", "stride-on-1x1")]
    assert findings[0].names("layers.1.conv1")
    assert "not the ResNeXt paper's" in findings[0].what and "Sec. 4" in findings[0].why


def test_stride_on_every_conv_is_a_strided_chain():
    findings = diagnose(bottleneck_net("all"))
    chain = findings.of("strided-chain")
    assert [f.severity for f in chain] == ["error"]
    assert chain[0].layers[:4] == ("layers.1", "layers.1.conv1", "layers.1.conv2", "layers.1.conv3")
    assert "8x" in chain[0].what
    assert findings.of("total-stride")  # 224 -> 2x2 instead of 7x7


def test_grouped_1x1_without_shuffle_is_a_warning_with_shuffle_info():
    class Grouped(Bottleneck):
        def __init__(self, cin, cout, stride=1):
            super().__init__(cin, cout, stride)
            self.conv1 = nn.Conv2d(cin, cout // 4, 1, groups=4, bias=False)  # the bug

    findings = diagnose(Net([Grouped(32, 64), Grouped(64, 128, 2), Grouped(128, 128, 2), Grouped(128, 128, 2)], 128))
    grouped = findings.of("grouped-1x1")
    assert [f.severity for f in grouped] == ["warning"]
    assert grouped[0].layers[0] == "layers.0.conv1"
    assert "ShuffleNet" in grouped[0].why and "cross groups" in grouped[0].why

    shuffle = Net([conv_bn(32, 64), ShuffleUnit(64), nn.MaxPool2d(2), ShuffleUnit(64), nn.MaxPool2d(2),
                   nn.MaxPool2d(2)], 64)
    findings = diagnose(shuffle)
    assert above_info(findings) == []
    assert findings.of("grouped-1x1")[0].names("layers.1.gconv1.0")


def test_fixed_pool_and_padding():
    model = Net([Bottleneck(32, 64), Bottleneck(64, 128, 2), Bottleneck(128, 256, 2), Bottleneck(256, 256, 2)], 256)
    model.conv1.padding = (4, 4)
    model.avgpool = nn.AvgPool2d(7)
    findings = diagnose(model)
    pool = findings.of("fixed-pool")
    assert pool[0].severity == "error" and pool[0].layers == ("avgpool",)
    assert "8x8" in pool[0].what and "160x160" in pool[0].what
    assert findings.of("padding")[0].layers == ("conv1",)
    assert findings.of("total-stride")[0].names("conv1")
    assert "input-size" not in findings.checks  # the failure at 160 is the pool's, reported once


def test_a_classifier_sized_for_one_input_fails_at_the_second_size():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 16 * 16, 10))
    findings = diagnose(model, (3, 32, 32))
    assert [(f.check, f.layers) for f in findings] == [("input-size", ("3",))]
    assert "16x16" in findings[0].what


def test_bias_before_bn_and_needless_projection():
    class Biased(Bottleneck):
        def __init__(self, cin, cout, stride=1):
            super().__init__(cin, cout, stride)
            self.conv3 = nn.Conv2d(cout // 4, cout, 1)  # bias=True, then bn3
            self.downsample = conv_bn(cin, cout, 1, stride)  # a projection even where the identity fits

    findings = diagnose(Net([Biased(32, 64), Biased(64, 64), Biased(64, 128, 2), Biased(128, 128, 2),
                             Biased(128, 128, 2), Biased(128, 128)], 128))
    assert findings.of("bias-before-bn")[0].layers[0] == "layers.0.conv3"
    projection = findings.of("projection")[0]
    assert projection.layers == ("layers.1.downsample", "layers.5.downsample")
    assert projection.severity == "warning"


def test_a_bias_followed_by_relu_is_fine():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(8),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
    assert "bias-before-bn" not in diagnose(model, (3, 16, 16)).checks


def test_parameters_without_gradient():
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.extra = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 8))  # never called
            self.frozen = nn.Linear(8, 8)  # called, but its output never reaches the loss
            self.fc = nn.Linear(8, 4)

        def forward(self, x):
            x = self.conv(x).mean((2, 3))
            self.frozen(x.detach())
            return self.fc(x)

    (finding,) = diagnose(Unused(), (3, 16, 16))
    assert (finding.severity, finding.check, finding.layers) == ("error", "no-gradient", ("extra", "frozen"))
    assert "never called" in finding.what and "does not reach the loss" in finding.what


def test_cardinality_the_model_and_the_call_disagree():
    block = nn.Sequential(nn.Conv2d(3, 128, 3, padding=1, bias=False),
                          nn.Conv2d(128, 128, 3, padding=1, groups=4, bias=False),  # 4 groups of 32
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
    # Either the model (groups=d) or the call (C and d swapped) is wrong: both readings, call first.
    (finding,) = diagnose(block, (3, 16, 16), cardinality=32)
    assert (finding.severity, finding.check, finding.layers) == ("warning", "cardinality", ("1",))
    assert "disagree" in finding.what and "groups=4" in finding.what and "a 4x32d ResNeXt" in finding.what
    assert "swapped" in finding.what and finding.fix.startswith("Check the call first")
    assert "groups=32" in finding.fix
    assert list(diagnose(block, (3, 16, 16), cardinality=4)) == []
    other = diagnose(block, (3, 16, 16), cardinality=8)
    assert [(f.severity, f.check) for f in other] == [("warning", "cardinality")]
    assert "swapped" not in other[0].what


def test_cardinality_a_model_that_disagrees_with_itself_is_an_error():
    model = build_meta(models.resnext50_32x4d)
    with torch.device("meta"):
        model.layer3[2].conv2 = nn.Conv2d(512, 512, 3, padding=1, groups=4, bias=False)  # one block slipped
    findings = diagnose(model, (3, 224, 224), cardinality=32)
    assert [(f.severity, f.check, f.layers) for f in findings] == [("error", "cardinality", ("layer3.2.conv2",))]
    assert "groups=32" in findings[0].what and findings[0].fix == "Use groups=32 in layer3.2.conv2."


def test_num_classes():
    model = build_meta(models.resnet18, num_classes=100)
    (finding,) = diagnose(model, (3, 64, 64), num_classes=1000)
    assert (finding.severity, finding.check, finding.layers) == ("error", "num-classes", ("fc",))
    assert "100" in finding.what


def test_models_with_ops_that_have_no_meta_version_run_on_real_data():
    class DataDependent(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)

        def forward(self, x):
            y = self.conv(x)
            return y.mean((2, 3)) * float(y.abs().max() > 0)  # .item() has no meta version

    findings = diagnose(DataDependent(), (3, 8, 8))
    assert list(findings) == [] and "real data" in str(findings)


# ---------------------------------------------------------------------------------------------
# Findings, and errors for bad input.


def test_findings_print_as_a_table_and_filter():
    findings = diagnose(bottleneck_net("all"))
    text = str(findings)
    assert text.startswith("diagnose: Net at input (3, 224, 224)")
    assert "severity" in text and "layers.1.conv2" in text and "fix:" in text
    html = findings._repr_html_()
    assert html.count("<tr>") == len(findings) + 1 and "layers.1.conv1" in html
    assert [f.severity for f in findings] == sorted((f.severity for f in findings), key=SEVERITIES.index,
                                                    reverse=True)
    assert all(f.severity == "error" for f in findings.at_least("error"))
    assert isinstance(findings.at_least("warning"), Findings)
    assert findings.about("layers.1") and not findings.about("layers.3")
    with pytest.raises(ValueError, match="severity='fatal' is unknown"):
        findings.at_least("fatal")


def test_no_findings_say_so():
    text = str(Findings([], "diagnose: X", ["1 parameter"]))
    assert "No problems found." in text and "0 errors, 0 warnings, 0 info" in text


def test_a_finding_names_its_layers():
    f = Finding("warning", "padding", ("conv1", "layer1.0.conv1"), "what", "why", "fix")
    assert f.layer == "conv1 (+1 more)" and f.names("layer1") and not f.names("layer2")
    assert str(f) == "warning: conv1 (+1 more): what"


@pytest.mark.parametrize("bad, error, match", [
    (models.resnet18, TypeError, r"got the function resnet18; did you forget the parentheses, resnet18\(\)"),
    (models.ResNet, TypeError, r"did you forget the parentheses, ResNet\(...\)"),
    ("resnet18", TypeError, "expects an nn.Module instance, got 'resnet18'"),
])
def test_diagnose_rejects_what_is_not_a_module(bad, error, match):
    with pytest.raises(error, match=match):
        diagnose(bad)


@pytest.mark.parametrize("size, match", [
    ((1, 3, 224, 224), "leave out the batch dimension"),
    ((224, 224), r"should be \(channels, height, width\), got \(224, 224\)"),
    ((3, 0, 224), "got"),
    (224, "got 224"),
])
def test_diagnose_rejects_a_bad_input_size(size, match):
    with pytest.raises(ValueError, match=match):
        diagnose(nn.Conv2d(3, 4, 3), size)


@pytest.mark.parametrize("kwargs, match", [
    ({"cardinality": 0}, "cardinality=0 must be None or a whole number"),
    ({"num_classes": 10.0}, "num_classes=10.0 must be None"),
])
def test_diagnose_rejects_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        diagnose(nn.Conv2d(3, 4, 3), (3, 8, 8), **kwargs)


def test_a_model_that_fails_at_input_size_names_the_layer():
    with pytest.raises(ValueError, match=r"fails at input_size=\(1, 32, 32\) in conv1: .*channels"):
        diagnose(models.resnet18(num_classes=10), (1, 32, 32))
