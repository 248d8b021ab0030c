"""Form (a) of the ResNeXt block: C identical paths, each 1x1 -> 3x3 -> 1x1, summed.

Xie et al. 2017, Sec. 3.3, Fig. 3(a) and Eq. 3: F(x) = sum_i T_i(x), every T_i of the same
topology. The paths are written out one by one: the slowest form, and the easiest to read.
"""
from torch import nn

from .layers import check_block_args, conv1x1, conv3x3, shortcut


class Path(nn.Module):
    """One of the C paths of forms (a) and (b): 1x1 to d channels, then 3x3 (Fig. 3(a))."""

    def __init__(self, in_channels, bottleneck_width, stride=1, out_channels=None):
        super().__init__()
        d = bottleneck_width
        self.conv1 = conv1x1(in_channels, d)
        self.bn1 = nn.BatchNorm2d(d)
        self.conv2 = conv3x3(d, d, stride)
        self.bn2 = nn.BatchNorm2d(d)
        self.relu = nn.ReLU(inplace=True)
        # Form (a) ends each path with its own 1x1 back to out_channels; form (b) does not.
        self.conv3 = None if out_channels is None else conv1x1(d, out_channels)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return out if self.conv3 is None else self.conv3(out)


class ResNeXtBlockA(nn.Module):
    """Form (a): C identical paths, summed, one BN on the sum (Xie et al. 2017, Fig. 3(a), Eq. 3)."""

    expansion = 4

    def __init__(self, in_channels, out_channels, cardinality=32, bottleneck_width=4, stride=1):
        super().__init__()
        check_block_args(in_channels, out_channels, cardinality, bottleneck_width, stride)
        self.paths = nn.ModuleList(
            Path(in_channels, bottleneck_width, stride, out_channels) for _path in range(cardinality)
        )
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = shortcut(in_channels, out_channels, stride)

    def forward(self, x):
        identity = x
        out = sum(path(x) for path in self.paths)  # F(x) = sum_i T_i(x)
        out = self.bn3(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)
