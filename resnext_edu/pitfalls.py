"""Five classic ResNeXt bugs, each planted in an otherwise correct ResNeXt-50 (32x4d).

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Table 1 and Fig. 3(c). Each bug is a slip that is easy to make
when you write Table 1 and Fig. 3(c) in code: the block's stride on every conv, the first 1x1
grouped too, a stem padded by 4 with a fixed pool, biases before BatchNorm with a projection on
every shortcut, a classifier of the wrong width.

    >>> model = PITFALLS["keras_strides"]()   # the buggy model
    >>> symptoms(model)                       # what you would notice: params, sizes, crashes
    >>> fixed("keras_strides")                # the same code with buggy=False: ResNeXt-50 again

Every pitfall is written in the course's own code: a subclass of ResNeXtBlockC or ResNet with
`buggy=True`, so the fix is the few lines under `if buggy:`. With buggy=False each one is
resnext50_32x4d, with torchvision's 25,028,904 parameters and state_dict names.
`resnext_edu.diagnose` finds every planted bug; PLANTED says which check names which layer.
"""
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from .blocks import ResNeXtBlockC
from .i18n import N_, _
from .models import STAGE_WIDTHS, ResNet
from .tables import Column, Table
from .trace import trace

PAPER_PARAMS = 25_028_904  # torchvision's resnext50_32x4d; the paper's Table 1 rounds it to 25.0M
INPUT_SIZE = (3, 224, 224)
OTHER_SIZE = (3, 160, 160)  # a smaller input, as for fast training or a phone: a sound model still runs
STAGES = ("maxpool", "layer1", "layer2", "layer3", "layer4")  # the max pool (first in Table 1's conv2), conv2..conv5


def _resnext50(block, num_classes=1000):
    """ResNeXt-50 (32x4d) with the given block: Table 1's stages [3, 4, 6, 3]."""
    return ResNet(block, [3, 4, 6, 3], STAGE_WIDTHS, cardinality=32, bottleneck_width=4, num_classes=num_classes)


# ---------------------------------------------------------------------------------------------
# 1. The stride on every conv of a stage's first block, its shortcut left unused. The name: Keras code
# often passes a block's `strides` argument to the convs it builds (Keras's own ResNet50, `conv_block`,
# passes it to the first 1x1 and the shortcut only).


class KerasStridesBlock(ResNeXtBlockC):
    """Form (c) with the block's stride on all three convs of the main path, and the shortcut dropped."""

    def __init__(self, in_channels, out_channels, cardinality=32, bottleneck_width=4, stride=1, buggy=True):
        super().__init__(in_channels, out_channels, cardinality, bottleneck_width, stride)
        self.buggy = buggy
        if buggy:
            # Bug: the block's stride passed to every conv it builds, so all three convs stride
            # and the map shrinks 8x instead of 2x.
            self.conv1.stride = self.conv3.stride = (stride, stride)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.buggy and self.conv2.stride != (1, 1):
            # Bug: the 8x smaller map no longer fits the shortcut, and the shortcut is left out:
            # self.downsample is built but never used.
            return self.relu(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


def keras_strides(num_classes=1000, buggy=True):
    """ResNeXt-50 whose first block of each stage strides on all three convs and skips its shortcut."""
    return _resnext50(partial(KerasStridesBlock, buggy=buggy), num_classes)


# ---------------------------------------------------------------------------------------------
# 2. The first 1x1 grouped too.


class GroupedFirst1x1Block(ResNeXtBlockC):
    """Form (c) with groups=cardinality on the first 1x1 as well as on the 3x3."""

    def __init__(self, in_channels, out_channels, cardinality=32, bottleneck_width=4, stride=1, buggy=True):
        super().__init__(in_channels, out_channels, cardinality, bottleneck_width, stride)
        if buggy:
            # Bug: the first 1x1 grouped too, where Table 1 and Fig. 3(c) group only the 3x3. Each path
            # now sees only in_channels / C of the block's input (Fig. 3(a) gives each path all of it).
            self.conv1 = nn.Conv2d(in_channels, cardinality * bottleneck_width, 1, groups=cardinality, bias=False)


def grouped_first_1x1(num_classes=1000, buggy=True):
    """ResNeXt-50 whose blocks also group their first 1x1 conv."""
    return _resnext50(partial(GroupedFirst1x1Block, buggy=buggy), num_classes)


# ---------------------------------------------------------------------------------------------
# 3. A stem padded by 4, and a fixed 7x7 average pool.


class StemPaddingFixedPool(ResNet):
    """ResNeXt-50 with the 7x7 stem padded by 4 (not 3) and AvgPool2d(7) instead of global pooling."""

    def __init__(self, num_classes=1000, buggy=True):
        super().__init__(ResNeXtBlockC, [3, 4, 6, 3], STAGE_WIDTHS, 32, 4, num_classes)
        if buggy:
            # Bug: padding 4 makes the stem's output 113x113, not 112x112, and every later map one larger:
            # 8x8 at the end, where the paper has 7x7.
            self.conv1.padding = (4, 4)
            # Bug: a pool sized for one input. At 224 it averages the top-left 7x7 of the 8x8 map; at
            # 160 the map is 6x6 and the pool fails.
            self.avgpool = nn.AvgPool2d(7)


def stem_padding_fixed_pool(num_classes=1000, buggy=True):
    """ResNeXt-50 with a stem padded by 4 and a fixed AvgPool2d(7) before the classifier."""
    return StemPaddingFixedPool(num_classes, buggy)


# ---------------------------------------------------------------------------------------------
# 4. Convs with biases before BN, and a projection shortcut on every block.


class BiasedProjectionBlock(ResNeXtBlockC):
    """Form (c) with bias=True on every conv and a 1x1 projection shortcut even where shapes match."""

    def __init__(self, in_channels, out_channels, cardinality=32, bottleneck_width=4, stride=1, buggy=True):
        super().__init__(in_channels, out_channels, cardinality, bottleneck_width, stride)
        if buggy:
            width = cardinality * bottleneck_width  # C·d
            # Bug: Conv2d's default bias=True, kept although a BN follows each conv.
            self.conv1 = nn.Conv2d(in_channels, width, 1)
            self.conv2 = nn.Conv2d(width, width, 3, stride, padding=1, groups=cardinality)
            self.conv3 = nn.Conv2d(width, out_channels, 1)
            # Bug: a projection on every block, also where the identity fits (same channels, stride 1).
            self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride),
                                            nn.BatchNorm2d(out_channels))


def biased_convs_projections(num_classes=1000, buggy=True):
    """ResNeXt-50 with biased convs before every BN and a projection shortcut in every block."""
    return _resnext50(partial(BiasedProjectionBlock, buggy=buggy), num_classes)


# ---------------------------------------------------------------------------------------------
# 5. A classifier hard-coded to 100 classes.


class Head100(ResNet):
    """ResNeXt-50 whose classifier has 100 outputs whatever num_classes says."""

    def __init__(self, num_classes=1000, buggy=True):
        super().__init__(ResNeXtBlockC, [3, 4, 6, 3], STAGE_WIDTHS, 32, 4, num_classes)
        if buggy:
            # Bug: 100 outputs (CIFAR-100's number of classes) hard-coded; num_classes is ignored.
            self.fc = nn.Linear(2048, 100)


def hardcoded_100_classes(num_classes=1000, buggy=True):
    """ResNeXt-50 with a 100-class head hard-coded, so num_classes=1000 is ignored."""
    return Head100(num_classes, buggy)


# Name -> builder: builder() is the buggy model, builder(buggy=False) the fixed one.
PITFALLS = {
    "keras_strides": keras_strides,
    "grouped_first_1x1": grouped_first_1x1,
    "stem_padding_fixed_pool": stem_padding_fixed_pool,
    "biased_convs_projections": biased_convs_projections,
    "hardcoded_100_classes": hardcoded_100_classes,
}

# Where each bug is planted: {check of resnext_edu.diagnose: a layer its finding names}.
# Run diagnose(model, cardinality=32, num_classes=1000) to see them.
PLANTED = {
    "keras_strides": {"strided-chain": "layer2.0", "no-gradient": "layer2.0.downsample",
                      "total-stride": "avgpool"},
    "grouped_first_1x1": {"grouped-1x1": "layer1.0.conv1"},
    "stem_padding_fixed_pool": {"padding": "conv1", "fixed-pool": "avgpool", "total-stride": "conv1"},
    "biased_convs_projections": {"bias-before-bn": "layer1.0.conv1", "projection": "layer1.1.downsample"},
    "hardcoded_100_classes": {"num-classes": "fc"},
}


def _check_name(name):
    if name not in PITFALLS:
        raise ValueError(_("name={name!r} is not a pitfall; use one of {names}").format(
            name=name, names=", ".join(map(repr, PITFALLS))))


def fixed(name):
    """The pitfall's own code with buggy=False: ResNeXt-50 (32x4d), 25,028,904 parameters."""
    _check_name(name)
    return PITFALLS[name](buggy=False)


# ---------------------------------------------------------------------------------------------
# Symptoms: what you would notice without reading the code.


@dataclass(frozen=True)
class Symptoms:
    """What a model shows from outside: its size, its output at another input size, its stage sizes."""

    params: int            # all parameters
    output_160: object     # output shape at 160x160 without the batch, e.g. (1000,), or the error message
    stages: dict           # {"maxpool": (56, 56), "layer1": ..., "layer4": (7, 7)} at 224x224

    @property
    def params_vs_paper(self):
        """Parameters minus the paper's ResNeXt-50 (32x4d): 0 for a faithful model."""
        return self.params - PAPER_PARAMS

    @property
    def runs_at_160(self):
        return isinstance(self.output_160, tuple)

    def __str__(self):
        return str(_SymptomRows(self))

    __repr__ = __str__

    def _repr_html_(self):
        return _SymptomRows(self)._repr_html_()


class _SymptomRows(Table):
    """One model's symptoms as a two-column table: what, and what it shows (made when shown: in its language)."""

    columns = (Column(N_("symptom"), lambda r: r[0]), Column(N_("this model"), lambda r: r[1]))

    def __init__(self, s):
        stages = ", ".join(f"{name} {'x'.join(map(str, hw))}" for name, hw in s.stages.items())
        output = (str(s.output_160) if s.runs_at_160 else _("fails: {error}").format(error=s.output_160))
        super().__init__([(_("parameters"), _("{params:,} ({diff:+,} against {paper:,})").format(
                               params=s.params, diff=s.params_vs_paper, paper=PAPER_PARAMS)),
                          (_("output at 160x160"), output),
                          (_("maps at 224x224"), stages)])


def symptoms(model):
    """Parameters, the output shape at 160x160 (or its error) and each stage's map size at 224x224."""
    at_224 = trace(model, INPUT_SIZE, device="meta")  # shapes are all it needs
    stages = {s: at_224.named(s).out_shape[2:] for s in STAGES if at_224.named(s) is not None}
    at_160 = trace(model, OTHER_SIZE, device="meta")
    output = tuple(at_160.outputs()[0].shape[1:]) if at_160.error is None else at_160.error[1]
    return Symptoms(sum(p.numel() for p in model.parameters()), output, stages)


class SymptomsTable(Table):
    """(name, Symptoms) rows: one line per model, as notebook 07 shows them."""

    columns = (  # headers are N_() messages: the Table shows them in the current language
        Column(N_("pitfall"), lambda r: r[0]),
        Column(N_("params"), lambda r: f"{r[1].params:,}", "right"),
        Column(N_("vs 25,028,904"), lambda r: f"{r[1].params_vs_paper:+,}", "right"),
        Column(N_("output at 160"), lambda r: str(r[1].output_160) if r[1].runs_at_160 else _("fails")),
        Column(N_("maps at 224 (max pool, conv2..conv5)"),
               lambda r: ", ".join(str(hw[0]) for hw in r[1].stages.values())),
    )


def table():
    """Symptoms of every pitfall and of the fixed model, one row each."""
    with torch.device("meta"):  # shapes are all it needs: no memory, no weight init
        rows = [(name, symptoms(build())) for name, build in PITFALLS.items()]
        # In every language the name ends in " (resnext50_32x4d)": notebook 07 strips it for its bar labels.
        rows.append((_("fixed (resnext50_32x4d)"), symptoms(fixed("keras_strides"))))
    return SymptomsTable(rows)
