"""The layers every residual block is made of: 3x3 and 1x1 convs without bias, the projection shortcut.

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, Sec. 3.3 (option B: project
only where the shape changes); torchvision's models/resnet.py (conv3x3, conv1x1, downsample).
"""
from torch import nn

from ..checks import check_size, check_stride


def conv3x3(in_channels, out_channels, stride=1, groups=1):
    """3x3 convolution with padding 1 and no bias (the BN after it has its own shift)."""
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_channels, out_channels, stride=1):
    """1x1 convolution without bias."""
    return nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)


def shortcut(in_channels, out_channels, stride):
    """Projection shortcut (1x1 conv + BN) when the shape changes, else None for the identity."""
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.Sequential(conv1x1(in_channels, out_channels, stride), nn.BatchNorm2d(out_channels))


def check_block_args(in_channels, out_channels, cardinality, bottleneck_width, stride):
    """Validate a ResNeXt block's arguments at construction; return the group width C·d."""
    for name, value in [("in_channels", in_channels), ("out_channels", out_channels),
                        ("cardinality", cardinality), ("bottleneck_width", bottleneck_width)]:
        check_size(name, value)
    check_stride(stride)
    return cardinality * bottleneck_width
