"""Res2Net: a bottleneck whose 3x3 stage is a hierarchy of s small convs, for multi-scale features.

Gao et al., "Res2Net: A New Multi-scale Backbone Architecture", TPAMI 2019,
https://arxiv.org/abs/1904.01169. The 1x1 conv's output is split into s parts of w channels
(s is the scale). Each part but one gets a 3x3 conv, and each conv also sees the previous
conv's output, so later parts have larger receptive fields (Sec. 3.1, Fig. 2(b)). Res2NeXt
makes every small conv a grouped conv of cardinality C (Sec. 3.2.1, Fig. 3). Layer names follow timm's
`res2net.py` (`convs.i`, `bns.i`), so timm's weights load with strict=True.
"""
from functools import partial

import torch
from torch import nn

from ..blocks import conv1x1, conv3x3, shortcut
from ..checks import check_size, check_stride
from ..i18n import N_
from ..models import STAGE_WIDTHS, ResNet
from ..registry import register_model

# check_size's `why` for the scale; it translates it where the error is raised
SCALE_MEANING = N_("with one part there is no hierarchy (that is ResNet's Bottleneck); the paper uses 4, 6 or 8")


class Res2NetBlock(nn.Module):
    """1x1 to s parts of width w, hierarchical 3x3 convs, concatenation, 1x1 (Gao et al. 2019, Fig. 2(b)).

    cardinality, bottleneck_width: C and d; each part has w = C·d channels, and its 3x3 conv
    C groups (Res2NeXt, Sec. 3.2.1). Res2Net proper has C = 1, so w = d (the "26w" of res2net50_26w_4s).
    scale: s, the number of parts (the "4s").
    The first block of a stage (stride 2, or a width change) does not chain its parts, as in the
    authors' code (stype='stage'; the paper does not describe it): each conv
    sees only its own part, and the last part is average-pooled to the new size.
    """

    expansion = 4

    def __init__(self, in_channels, out_channels, cardinality=1, bottleneck_width=26, scale=4, stride=1):
        super().__init__()
        check_size("in_channels", in_channels)
        check_size("out_channels", out_channels)
        check_size("cardinality", cardinality)
        check_size("bottleneck_width", bottleneck_width)
        check_size("scale", scale, 2, why=SCALE_MEANING)
        check_stride(stride)
        width = cardinality * bottleneck_width  # w, channels of each part
        self.width, self.scale = width, scale
        self.first = stride != 1 or in_channels != out_channels
        self.conv1 = conv1x1(in_channels, width * scale)
        self.bn1 = nn.BatchNorm2d(width * scale)
        # s - 1 convs: the paper's x1 goes through unchanged; timm (and the official code) keep that part last
        self.convs = nn.ModuleList(conv3x3(width, width, stride, groups=cardinality) for _part in range(scale - 1))
        self.bns = nn.ModuleList(nn.BatchNorm2d(width) for _part in range(scale - 1))
        self.pool = nn.AvgPool2d(3, stride, padding=1) if self.first else None
        self.conv3 = conv1x1(width * scale, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = shortcut(in_channels, out_channels, stride)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        parts = torch.split(out, self.width, dim=1)  # s tensors of (N, w, H, W)
        outs, y = [], None
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            y = parts[i] if i == 0 or self.first else y + parts[i]  # hierarchical: y_i = K_i(x_i + y_(i-1))
            y = self.relu(bn(conv(y)))
            outs.append(y)
        outs.append(parts[-1] if self.pool is None else self.pool(parts[-1]))
        out = self.bn3(self.conv3(torch.cat(outs, dim=1)))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


def res2net(layers, bottleneck_width, scale, cardinality=1, num_classes=1000):
    """Res2Net (C = 1) or Res2NeXt (C > 1): models.ResNet with Res2NetBlock (Gao et al. 2019, Sec. 4)."""
    check_size("scale", scale, 2, why=SCALE_MEANING)
    block = partial(Res2NetBlock, scale=scale)
    return ResNet(block, layers, STAGE_WIDTHS, cardinality, bottleneck_width, num_classes)


@register_model
def res2net50_26w_4s(num_classes=1000):
    """Res2Net-50 (26w x 4s): 25.7M params, 4.26 GMACs, 22.01% top-1 error (Gao et al. 2019)."""
    model_args = dict(layers=[3, 4, 6, 3], bottleneck_width=26, scale=4)
    return res2net(**model_args, num_classes=num_classes)


@register_model
def res2net50_14w_8s(num_classes=1000):
    """Res2Net-50 (14w x 8s): more, thinner parts at about the same cost (Gao et al. 2019)."""
    model_args = dict(layers=[3, 4, 6, 3], bottleneck_width=14, scale=8)
    return res2net(**model_args, num_classes=num_classes)


@register_model
def res2next50(num_classes=1000):
    """Res2NeXt-50 (4s, 8x4d): each part a grouped conv of cardinality 8 (Gao et al. 2019, Sec. 3.2.1)."""
    model_args = dict(layers=[3, 4, 6, 3], bottleneck_width=4, scale=4, cardinality=8)
    return res2net(**model_args, num_classes=num_classes)

