"""Inception-ResNet-A: the multi-branch residual block that ResNeXt simplifies.

Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of Residual Connections on
Learning", AAAI 2017, https://arxiv.org/abs/1602.07261. On the 35x35 grid, three branches of
different depth (1x1; 1x1-3x3; 1x1-3x3-3x3) are concatenated, a linear 1x1 conv restores the
width, and the result is scaled down before the sum (Fig. 16; scaling, Sec. 3.3). ResNeXt's
paths all share one topology instead (Xie et al. 2017, Sec. 3.3), which `resnext_beside` puts
next to it at the same in/out width. Layer names follow timm's `inception_resnet_v2.py`
(`Block35`), so timm's weights load with strict=True.
"""
from collections import OrderedDict

import torch
from torch import nn

from ..blocks import ResNeXtBlockC
from ..checks import check_size
from ..i18n import _

BN_EPS = 1e-3  # the TensorFlow original's BatchNorm epsilon, kept by timm for its weights


def conv_bn_relu(in_channels, out_channels, kernel_size=1, eps=BN_EPS):
    """Conv (no bias) + BN + ReLU, named conv and bn like timm's ConvNormAct; keeps the grid size."""
    return nn.Sequential(OrderedDict(
        conv=nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
        bn=nn.BatchNorm2d(out_channels, eps=eps), act=nn.ReLU(inplace=True)))


class InceptionResNetA(nn.Module):
    """Three branches of different topology, concatenated, 1x1, scaled residual (Szegedy et al. 2017, Fig. 16).

    in_channels: width of the grid, in and out (320 in TF-slim's and timm's Inception-ResNet-v2).
    scale:       the residual is multiplied by it before the sum, to keep training stable
                 (Sec. 3.3: factors between 0.1 and 0.3; 0.17 in TF-slim's and timm's model).
    """

    def __init__(self, in_channels=320, scale=0.17, eps=BN_EPS):
        super().__init__()
        check_size("in_channels", in_channels)
        if not 0 < scale <= 1:
            raise ValueError(_("scale={scale!r} must be in (0, 1]; Inception-ResNet-v2 uses 0.17 here").format(
                scale=scale))
        self.scale = scale
        self.branch0 = conv_bn_relu(in_channels, 32, 1, eps)
        self.branch1 = nn.Sequential(conv_bn_relu(in_channels, 32, 1, eps), conv_bn_relu(32, 32, 3, eps))
        self.branch2 = nn.Sequential(conv_bn_relu(in_channels, 32, 1, eps), conv_bn_relu(32, 48, 3, eps),
                                     conv_bn_relu(48, 64, 3, eps))
        self.conv2d = nn.Conv2d(32 + 32 + 64, in_channels, 1)  # linear, with bias, no BN: back to in_channels
        self.act = nn.ReLU()

    def forward(self, x):
        out = torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], dim=1)  # (N, 128, H, W)
        out = self.conv2d(out)
        return self.act(x + self.scale * out)


def resnext_beside(in_channels=320, cardinality=32, bottleneck_width=4):
    """A ResNeXt block (form c) with the same in/out width: C identical paths (Xie et al. 2017, Sec. 3.3)."""
    return ResNeXtBlockC(in_channels, in_channels, cardinality, bottleneck_width)
