"""ReXNet: inverted-residual blocks whose widths grow linearly, one block at a time.

Han et al., "Rethinking Channel Dimensions for Efficient Model Design", CVPR 2021,
https://arxiv.org/abs/2007.00992. Each block expands (1x1, SiLU), filters (depthwise 3x3),
recalibrates (SE), applies ReLU6 and projects (1x1, no activation). The output widths grow
by the same step from block to block (16 to 16 + 180 at width 1.0), so most blocks widen the
tensor; the shortcut then adds the input to the first in_channels channels only. ReXNet is
not a ResNet, so it stands alone here. Layer names follow timm's `rexnet.py` (`stem`,
`features.i.conv_dw`, `head.fc`), so timm's weights load with strict=True.
"""
from collections import OrderedDict

import torch
from torch import nn

from ..checks import check_size, check_stride
from ..i18n import _
from ..registry import register_model
from .se import SEModule

STAGE_BLOCKS = (1, 2, 2, 3, 3, 5)  # blocks per stage, 16 in all (MobileNetV2's layout)
STAGE_STRIDES = (1, 2, 2, 2, 1, 2)  # stride of each stage's first block


def conv_bn(in_channels, out_channels, kernel_size=1, stride=1, groups=1, act=None):
    """Conv (no bias) + BN [+ activation], named conv and bn like timm's ConvNormAct."""
    layers = OrderedDict(conv=nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2,
                                        groups=groups, bias=False),
                         bn=nn.BatchNorm2d(out_channels))
    if act is not None:
        layers["act"] = act
    return nn.Sequential(layers)


class InvertedResidual(nn.Module):
    """Expand 1x1, depthwise 3x3, SE, ReLU6, project 1x1; partial shortcut (Han et al. 2021).

    expansion: t, the expanded width is t·in_channels (1 in the first block, else 6).
    se_ratio:  the SE bottleneck is int(t·in_channels·se_ratio) wide (1/12; 0 means no SE).
    The shortcut exists where stride is 1 and the width does not shrink; it adds the input
    to the first in_channels output channels and leaves the new ones as they are.
    """

    def __init__(self, in_channels, out_channels, expansion=6, stride=1, se_ratio=1 / 12):
        super().__init__()
        check_size("in_channels", in_channels)
        check_size("out_channels", out_channels)
        check_size("expansion", expansion)
        check_stride(stride)
        if not 0 <= se_ratio < 1:
            raise ValueError(_("se_ratio={se_ratio!r} must be in [0, 1): 0 for no SE, ReXNet uses 1/12").format(
                se_ratio=se_ratio))
        self.in_channels, self.out_channels = in_channels, out_channels
        self.use_shortcut = stride == 1 and in_channels <= out_channels
        mid = in_channels * expansion
        self.conv_exp = conv_bn(in_channels, mid, act=nn.SiLU(inplace=True)) if expansion != 1 else None
        self.conv_dw = conv_bn(mid, mid, 3, stride, groups=mid)  # depthwise: one filter per channel
        reduced = max(1, int(mid * se_ratio))  # int(): timm's rounding, so its weights fit
        self.se = SEModule(mid, reduced_channels=reduced, norm=True) if se_ratio > 0 else None
        self.act_dw = nn.ReLU6()
        self.conv_pwl = conv_bn(mid, out_channels)  # linear projection: no activation (MobileNetV2)

    def forward(self, x):
        out = x if self.conv_exp is None else self.conv_exp(x)
        out = self.conv_dw(out)
        if self.se is not None:
            out = self.se(out)
        out = self.conv_pwl(self.act_dw(out))
        if self.use_shortcut:  # (N, out, H, W): the input fills only the first in_channels channels
            out = torch.cat([out[:, :self.in_channels] + x, out[:, self.in_channels:]], dim=1)
        return out


def block_config(width_mult=1.0, initial_channels=16, final_channels=180, se_ratio=1 / 12):
    """[(out_channels, expansion, stride, se_ratio)] of the 16 blocks: widths step up linearly (Han et al. 2021)."""
    n = sum(STAGE_BLOCKS)
    strides = [s if i == 0 else 1 for s, blocks in zip(STAGE_STRIDES, STAGE_BLOCKS) for i in range(blocks)]
    base = initial_channels / width_mult if width_mult < 1 else initial_channels  # thin nets keep 16
    widths = [round((base + final_channels * i / n) * width_mult) for i in range(n)]
    expansions = [1] * STAGE_BLOCKS[0] + [6] * (n - STAGE_BLOCKS[0])
    no_se = STAGE_BLOCKS[0] + STAGE_BLOCKS[1]  # the first three blocks have no SE
    se_ratios = [0.0] * no_se + [se_ratio] * (n - no_se)
    return list(zip(widths, expansions, strides, se_ratios))


class ReXNet(nn.Module):
    """Stem, 16 inverted residuals with linearly growing widths, a 1x1 conv to 1280·width_mult, classifier."""

    def __init__(self, width_mult=1.0, num_classes=1000, in_channels=3, se_ratio=1 / 12, dropout=0.2):
        super().__init__()
        if not width_mult > 0:
            raise ValueError(_("width_mult={width_mult!r} must be positive, e.g. 1.0 or 1.5").format(
                width_mult=width_mult))
        check_size("num_classes", num_classes)
        check_size("in_channels", in_channels)
        width = round(32 * width_mult) if width_mult >= 1 else 32
        self.stem = conv_bn(in_channels, width, 3, stride=2, act=nn.SiLU(inplace=True))
        features = []
        for out_channels, expansion, stride, ratio in block_config(width_mult, se_ratio=se_ratio):
            features.append(InvertedResidual(width, out_channels, expansion, stride, ratio))
            width = out_channels
        head_width = int(1280 * width_mult + 0.5)
        features.append(conv_bn(width, head_width, act=nn.SiLU(inplace=True)))
        self.features = nn.Sequential(*features)
        self.head = nn.Sequential(OrderedDict(
            pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(1), drop=nn.Dropout(dropout),
            fc=nn.Linear(head_width, num_classes)))
        self._init_weights()

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.head(self.features(self.stem(x)))


@register_model
def rexnet_100(num_classes=1000):
    """ReXNet-1.0x: 4.8M params, 0.40 GMACs, 77.9% top-1 (Han et al. 2021)."""
    return ReXNet(width_mult=1.0, num_classes=num_classes)


@register_model
def rexnet_150(num_classes=1000):
    """ReXNet-1.5x: every width times 1.5, 9.7M params, 0.88 GMACs (Han et al. 2021)."""
    return ReXNet(width_mult=1.5, num_classes=num_classes)
