"""Form (b) of the ResNeXt block: C paths of 1x1 -> 3x3, concatenated, then one 1x1.

Xie et al. 2017, Sec. 3.3, Fig. 3(b) ("early concatenation"): summing C 1x1 convs, as form (a)
does, equals one 1x1 conv over the concatenated paths.
"""
import torch
from torch import nn

from .form_a import Path
from .layers import check_block_args, conv1x1, shortcut


class ResNeXtBlockB(nn.Module):
    """Form (b): C paths concatenated after their 3x3, then one 1x1 (Xie et al. 2017, Fig. 3(b))."""

    expansion = 4

    def __init__(self, in_channels, out_channels, cardinality=32, bottleneck_width=4, stride=1):
        super().__init__()
        group_width = check_block_args(in_channels, out_channels, cardinality, bottleneck_width, stride)
        self.paths = nn.ModuleList(Path(in_channels, bottleneck_width, stride) for _path in range(cardinality))
        self.conv3 = conv1x1(group_width, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = shortcut(in_channels, out_channels, stride)

    def forward(self, x):
        identity = x
        out = torch.cat([path(x) for path in self.paths], dim=1)  # (N, C·d, H, W)
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)
