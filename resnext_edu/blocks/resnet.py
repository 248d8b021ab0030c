"""ResNet's two blocks: the basic block (two 3x3 convs) and the bottleneck (1x1, 3x3, 1x1).

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, Fig. 5. ResNeXt keeps the
bottleneck's shape and splits its 3x3 into C paths (Xie et al. 2017, Fig. 1): the bottleneck is
form (c) with C = 1.
"""
from torch import nn

from ..checks import check_size, check_stride
from ..i18n import _
from .form_c import ResNeXtBlockC
from .layers import conv3x3, shortcut


class BasicBlock(nn.Module):
    """Two 3x3 convs, used by ResNet-18/34 (He et al. 2016, Fig. 5 left)."""

    expansion = 1

    def __init__(self, in_channels, out_channels, cardinality=1, bottleneck_width=64, stride=1):
        super().__init__()
        check_size("in_channels", in_channels)
        check_size("out_channels", out_channels)
        check_stride(stride)
        if cardinality != 1 or bottleneck_width != 64:
            raise ValueError(_(
                "BasicBlock supports only cardinality=1 and bottleneck_width=64, got "
                "cardinality={cardinality}, bottleneck_width={width}; use a ResNeXt block"
            ).format(cardinality=cardinality, width=bottleneck_width))
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = shortcut(in_channels, out_channels, stride)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(ResNeXtBlockC):
    """ResNet's bottleneck, 1x1 -> 3x3 -> 1x1 (He et al. 2016, Fig. 5 right): form (c) with C = 1."""

    def __init__(self, in_channels, out_channels, cardinality=1, bottleneck_width=None, stride=1):
        if cardinality != 1:
            raise ValueError(_("Bottleneck has one path, got cardinality={cardinality}; use ResNeXtBlockC").format(
                cardinality=cardinality))
        if bottleneck_width is None:
            bottleneck_width = out_channels // self.expansion
        super().__init__(in_channels, out_channels, 1, bottleneck_width, stride)
