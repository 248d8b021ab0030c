"""Form (c) of the ResNeXt block: the C paths as one grouped 3x3 convolution.

Xie et al. 2017, Sec. 3.3, Fig. 3(c): 1x1 to the group width C·d, a 3x3 conv with groups=C,
1x1 back. The layer names are torchvision's Bottleneck's, so its ResNeXt weights load.
"""
from torch import nn

from .layers import check_block_args, conv1x1, conv3x3, shortcut


class ResNeXtBlockC(nn.Module):
    """Form (c): 1x1, grouped 3x3 with C groups, 1x1 (Xie et al. 2017, Fig. 3(c))."""

    expansion = 4

    def __init__(self, in_channels, out_channels, cardinality=32, bottleneck_width=4, stride=1):
        super().__init__()
        group_width = check_block_args(in_channels, out_channels, cardinality, bottleneck_width, stride)
        self.conv1 = conv1x1(in_channels, group_width)
        self.bn1 = nn.BatchNorm2d(group_width)
        self.conv2 = conv3x3(group_width, group_width, stride, groups=cardinality)
        self.bn2 = nn.BatchNorm2d(group_width)
        self.conv3 = conv1x1(group_width, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = shortcut(in_channels, out_channels, stride)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))  # (N, C·d, H, W), C groups of d channels
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)
