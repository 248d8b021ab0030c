"""Squeeze-and-Excitation: reweight each channel by a gate computed from the whole image.

Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018, https://arxiv.org/abs/1709.01507.
SE-ResNeXt adds one SE module to every ResNeXt block, after its last BN and before the sum
with the shortcut (Hu et al. 2018, Fig. 3 right). Layer names follow timm's `resnet.py` and
`layers/squeeze_excite.py` (`se.fc1`, `se.fc2`), so timm's weights load with strict=True.
"""
from functools import partial

from torch import nn

from ..blocks import ResNeXtBlockC
from ..checks import check_size
from ..models import STAGE_WIDTHS, ResNet, make_divisible
from ..registry import register_model


def se_channels(channels, reduction=16):
    """Width of the SE bottleneck: channels / r (Hu et al. 2018, Sec. 3.2), rounded to a multiple of 8 as timm does."""
    return make_divisible(channels / reduction, 8, round_limit=0.0)


class SEModule(nn.Module):
    """Squeeze (global pool), excite (fc, ReLU, fc, sigmoid), scale each channel (Hu et al. 2018, Fig. 1).

    channels:         C, the width of the input and output.
    reduction:        r, the bottleneck of the two fc layers is C / r wide (Sec. 3.2; r = 16).
    reduced_channels: give the bottleneck width directly instead (ReXNet does).
    norm:             a BN after the first fc (ReXNet's variant; the original has none).
    The two fc layers are 1x1 convs on the pooled (N, C, 1, 1) map: the same weights as nn.Linear.
    """

    def __init__(self, channels, reduction=16, reduced_channels=None, norm=False):
        super().__init__()
        check_size("channels", channels)
        check_size("reduction", reduction)
        if reduced_channels is None:
            reduced_channels = se_channels(channels, reduction)
        check_size("reduced_channels", reduced_channels)
        self.fc1 = nn.Conv2d(channels, reduced_channels, 1)  # with bias, as in SE-Net
        self.bn = nn.BatchNorm2d(reduced_channels) if norm else nn.Identity()
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(reduced_channels, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)  # squeeze: (N, C, 1, 1)
        s = self.act(self.bn(self.fc1(s)))  # (N, C/r, 1, 1)
        s = self.gate(self.fc2(s))  # excite: one weight in (0, 1) per channel
        return x * s  # scale: (N, C, H, W)


class SEResNeXtBlock(ResNeXtBlockC):
    """ResNeXt's form (c) with an SE module before the sum with the shortcut (Hu et al. 2018, Fig. 3)."""

    def __init__(self, in_channels, out_channels, cardinality=32, bottleneck_width=4, stride=1, reduction=16):
        super().__init__(in_channels, out_channels, cardinality, bottleneck_width, stride)
        self.se = SEModule(out_channels, reduction)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out = self.se(out)  # recalibrate the residual branch only, not the identity
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


def seresnext(layers, cardinality, bottleneck_width, reduction=16, num_classes=1000):
    """SE-ResNeXt: models.ResNet with SEResNeXtBlock (Hu et al. 2018, Table 2)."""
    block = partial(SEResNeXtBlock, reduction=reduction)
    return ResNet(block, layers, STAGE_WIDTHS, cardinality, bottleneck_width, num_classes)


@register_model
def seresnext50_32x4d(num_classes=1000):
    """SE-ResNeXt-50 (32x4d): 27.6M params, 4.23 GMACs; 21.10% top-1 error (Hu et al. 2018, Table 2)."""
    model_args = dict(layers=[3, 4, 6, 3], cardinality=32, bottleneck_width=4)
    return seresnext(**model_args, num_classes=num_classes)
