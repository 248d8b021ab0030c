"""ResNet and ResNeXt models built from the blocks in resnext_edu.blocks.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Table 1 (ImageNet) and Sec. 5.3 (CIFAR).
The ImageNet models follow torchvision's models/resnet.py: same layer names, same parameter
counts, so `model.load_state_dict(torchvision_weights)` works with strict=True. Every builder is
registered by name (resnext_edu.registry), so `create_model("resnext50_32x4d")` builds it.
"""
from torch import nn

from .blocks import BLOCK_FORMS, FORMS, BasicBlock, Bottleneck
from .checks import check_choice, check_size
from .i18n import _
from .registry import register_model

# Blocks per stage for each depth (He et al. 2016, Table 1; Xie et al. 2017, Table 1; 200: He et al.
# 2016b, built by Xie et al. from fb.resnet.torch for Table 4).
IMAGENET_LAYERS = {
    18: (BasicBlock, [2, 2, 2, 2]),
    34: (BasicBlock, [3, 4, 6, 3]),
    50: (Bottleneck, [3, 4, 6, 3]),
    101: (Bottleneck, [3, 4, 23, 3]),
    152: (Bottleneck, [3, 8, 36, 3]),
    200: (Bottleneck, [3, 24, 36, 3]),  # He et al. 2016b's ResNet-200, as in timm's resnet200
}
RESNEXT_DEPTHS = (29, 50, 101, 152, 200)  # 29 is the paper's CIFAR network: 3 stages of 3 blocks
STAGE_WIDTHS = (256, 512, 1024, 2048)  # output channels of the four ImageNet stages (Xie et al. 2017, Table 1)


def make_divisible(value, divisor=8, min_value=None, round_limit=0.9):
    """Round value to the nearest multiple of divisor, at least min_value, and not 10% below value.

    timm rounds the reduced widths of SE and split attention this way; hardware likes channel
    counts in multiples of 8.
    """
    min_value = min_value or divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < round_limit * value:  # rounding down lost more than 10%: take the next multiple
        rounded += divisor
    return rounded


class ResNet(nn.Module):
    """A stem, stages of residual blocks, global average pooling and a linear classifier.

    block:            the block class, e.g. Bottleneck or ResNeXtBlockC.
    layers:           number of blocks in each stage, e.g. [3, 4, 6, 3].
    stage_widths:     output channels of each stage, e.g. (256, 512, 1024, 2048).
    cardinality:      C, the number of paths (1 for ResNet).
    bottleneck_width: d, channels per path in the first stage; it doubles in each later stage.
    cifar_stem:       a 3x3 conv stem without max pooling, for 32x32 images (Sec. 5.3).
    """

    def __init__(self, block, layers, stage_widths, cardinality=1, bottleneck_width=64,
                 num_classes=1000, in_channels=3, stem_width=64, cifar_stem=False):
        super().__init__()
        for name, value in [("num_classes", num_classes), ("in_channels", in_channels),
                            ("stem_width", stem_width)]:
            check_size(name, value)
        if len(layers) != len(stage_widths):
            raise ValueError(_("layers={layers} and stage_widths={widths} must have one entry per stage").format(
                layers=list(layers), widths=list(stage_widths)))
        if cifar_stem:
            self.conv1 = nn.Conv2d(in_channels, stem_width, 3, stride=1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, stem_width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if cifar_stem else nn.MaxPool2d(3, stride=2, padding=1)

        width = stem_width
        for i, (blocks, out_channels) in enumerate(zip(layers, stage_widths)):
            stride = 1 if i == 0 else 2
            args = {} if block is BasicBlock else {"cardinality": cardinality,
                                                   "bottleneck_width": bottleneck_width * 2**i}
            self.add_module(f"layer{i + 1}", self._make_layer(block, width, out_channels, blocks, stride, args))
            width = out_channels
        self.num_stages = len(layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # any input size pools to 1x1
        self.fc = nn.Linear(width, num_classes)
        self._init_weights()

    def _make_layer(self, block, in_channels, out_channels, blocks, stride, args):
        """One stage: only the first block changes the stride and the width."""
        layers = [block(in_channels, out_channels, stride=stride, **args)]
        layers += [block(out_channels, out_channels, **args) for _block in range(1, blocks)]
        return nn.Sequential(*layers)

    def _init_weights(self, root=None):
        """Kaiming init for convs (He et al. 2015), BN as identity; root: only that part (a replaced stem)."""
        for m in (self if root is None else root).modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.num_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        x = self.avgpool(x).flatten(1)
        return self.fc(x)


def resnet(depth, num_classes=1000, in_channels=3):
    """ResNet-18/34/50/101/152 (He et al. 2016, Table 1) and -200 (He et al. 2016b; Xie et al. 2017, Table 4)."""
    check_choice("depth", depth, tuple(IMAGENET_LAYERS))
    block, layers = IMAGENET_LAYERS[depth]
    widths = [w // 4 * block.expansion for w in STAGE_WIDTHS]
    return ResNet(block, layers, widths, num_classes=num_classes, in_channels=in_channels)


def resnext(depth, cardinality, bottleneck_width, num_classes=1000, form="c", *,
            in_channels=3, stem_width=64, stage_widths=None):
    """ResNeXt-{depth} (C x d): Xie et al. 2017, Table 1 (50, 101, 152) and Sec. 5.3 (29, CIFAR).

    Stage i has C paths of width d·2^i. C = 1 gives ResNet's bottleneck network.
    Depth 29 is the CIFAR network: a 3x3 stem and 3 stages of 3 blocks, output widths
    256, 512, 1024 unless stage_widths says otherwise.
    """
    check_choice("depth", depth, RESNEXT_DEPTHS)
    check_choice("form", form, FORMS)
    check_size("cardinality", cardinality)
    check_size("bottleneck_width", bottleneck_width)
    if depth == 29:
        layers, cifar = [3, 3, 3], True
    else:
        layers, cifar = IMAGENET_LAYERS[depth][1], False
    if stage_widths is None:
        stage_widths = STAGE_WIDTHS[:len(layers)]
    return ResNet(BLOCK_FORMS[form], layers, stage_widths, cardinality, bottleneck_width,
                  num_classes, in_channels, stem_width, cifar_stem=cifar)


@register_model
def resnet18(num_classes=1000):
    return resnet(18, num_classes)


@register_model
def resnet34(num_classes=1000):
    return resnet(34, num_classes)


@register_model
def resnet50(num_classes=1000):
    return resnet(50, num_classes)


@register_model
def resnet101(num_classes=1000):
    return resnet(101, num_classes)


@register_model
def resnet152(num_classes=1000):
    return resnet(152, num_classes)


@register_model
def resnext50_32x4d(num_classes=1000, form="c"):
    """ResNeXt-50 (32x4d): the paper's Table 1 model, 25.0M params, 4.2 GFLOPs."""
    return resnext(50, 32, 4, num_classes, form)


@register_model
def resnext101_32x8d(num_classes=1000, form="c"):
    return resnext(101, 32, 8, num_classes, form)


@register_model
def resnext101_64x4d(num_classes=1000, form="c"):
    return resnext(101, 64, 4, num_classes, form)


@register_model
def wide_resnet50_2(num_classes=1000, form="c"):
    """Wide ResNet-50-2 (Zagoruyko & Komodakis 2016): one path of twice the width, C = 1, d = 128."""
    return resnext(50, 1, 128, num_classes, form)


@register_model(input_size=(3, 32, 32))
def resnext29_8x64d(num_classes=10, form="c"):
    """ResNeXt-29 (8x64d) for CIFAR, 34.4M params (Xie et al. 2017, Table 7)."""
    return resnext(29, 8, 64, num_classes, form)


@register_model(input_size=(3, 32, 32))
def resnext29_16x64d(num_classes=10, form="c"):
    """ResNeXt-29 (16x64d) for CIFAR, 68.1M params (Xie et al. 2017, Table 7)."""
    return resnext(29, 16, 64, num_classes, form)

