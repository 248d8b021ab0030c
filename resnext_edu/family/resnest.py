"""ResNeSt: ResNeXt whose cardinal groups are split R ways and recombined by attention.

Zhang et al., "ResNeSt: Split-Attention Networks", 2020, https://arxiv.org/abs/2004.08955.
Each of the K cardinal groups holds R splits (the radix); a softmax over the radix, computed
from the globally pooled sum of the splits, weighs them channel by channel (Sec. 3.1, Fig. 2).
Its network tweaks (Sec. 4.1): average downsampling ("avd"), a 3x3 average pool after the 3x3
conv where a block halves the size, instead of a strided conv; and two tweaks taken from ResNet-D
(He et al. 2019, "Bag of Tricks", Sec. 4): a deep stem of three 3x3 convs, and a 2x2 average pool
before the shortcut's 1x1 conv. Layer names follow timm's `resnest.py` and `layers/split_attn.py`, so
timm's weights load with strict=True.
"""
from functools import partial

from torch import nn

from ..blocks import conv1x1, conv3x3
from ..checks import check_size, check_stride, divisors
from ..i18n import N_, _
from ..models import STAGE_WIDTHS, ResNet, make_divisible
from ..registry import register_model

# check_size's `why` for the radix; it translates it where the error is raised
RADIX_MEANING = N_("R = 1 gates each channel with a sigmoid, R = 2 or more splits it and takes a softmax over the "
                   "radix")


def attention_channels(channels, radix, reduction=4):
    """Width of the attention's hidden layer: channels·R / 4, at least 32 (the authors' splat.py), a multiple of 8 (timm)."""
    return make_divisible(channels * radix / reduction, 8, min_value=32)


def check_split_attention(channels, cardinality, radix):
    """Validate (group width, K, R) at construction; return the attention width. ValueError names the value."""
    check_size("channels", channels)
    check_size("cardinality", cardinality)
    check_size("radix", radix, why=RADIX_MEANING)
    if channels % cardinality:
        raise ValueError(_("cardinality={cardinality} must divide the group width channels={channels}; "
                           "try cardinality {fits}").format(cardinality=cardinality, channels=channels,
                                                            fits=", ".join(map(str, divisors(channels)))))
    if channels % (cardinality * radix):
        fits = [r for r in divisors(channels // cardinality) if r <= 8]
        raise ValueError(_("radix={radix} does not fit: the 3x3 conv has cardinality·radix = {cardinality}·{radix} "
                           "groups, which must divide channels={channels}; try radix {fits}").format(
                               radix=radix, cardinality=cardinality, channels=channels, fits=", ".join(map(str, fits))))
    attn = attention_channels(channels, radix)
    if attn % cardinality:  # the two 1x1 convs keep the K cardinal groups apart
        fits = ", ".join(str(k) for k in divisors(attn) if channels % k == 0)
        raise ValueError(_("cardinality={cardinality} must divide the attention width {attn} (channels·radix/4 "
                           "rounded to a multiple of 8, at least 32); try cardinality {fits}").format(
                               cardinality=cardinality, attn=attn, fits=fits))
    return attn


class SplitAttention(nn.Module):
    """Grouped 3x3 conv into K·R splits, summed, pooled, two 1x1 convs, softmax over R (Zhang et al. 2020, Fig. 2).

    channels:    the group width K·d, in and out (each split has as many channels).
    cardinality: K, the number of cardinal groups, kept apart all the way through.
    radix:       R, the splits per cardinal group. R = 1 uses a sigmoid gate (SE-like).
    stride:      of the 3x3 conv (ResNeSt's blocks use avd instead, so 1 there).
    """

    def __init__(self, channels, cardinality=1, radix=2, stride=1):
        super().__init__()
        attn = check_split_attention(channels, cardinality, radix)
        check_stride(stride)
        self.cardinality, self.radix = cardinality, radix
        # K·R groups: every split of every cardinal group is its own path (radix-major, as the authors' splat.py)
        self.conv = conv3x3(channels, channels * radix, stride, groups=cardinality * radix)
        self.bn0 = nn.BatchNorm2d(channels * radix)
        self.act0 = nn.ReLU(inplace=True)
        self.fc1 = nn.Conv2d(channels, attn, 1, groups=cardinality)  # with bias, as in the original
        self.bn1 = nn.BatchNorm2d(attn)
        self.act1 = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(attn, channels * radix, 1, groups=cardinality)

    def forward(self, x):
        x = self.act0(self.bn0(self.conv(x)))  # (N, R·C, H, W), split r is channels [r·C, (r+1)·C)
        n, rc, h, w = x.shape
        splits = x.view(n, self.radix, rc // self.radix, h, w)  # (N, R, C, H, W)
        gap = splits.sum(1).mean((2, 3), keepdim=True)  # fuse the splits, then pool: (N, C, 1, 1)
        attn = self.fc2(self.act1(self.bn1(self.fc1(gap))))  # (N, R·C, 1, 1), ordered (K, R, C/K)
        if self.radix == 1:
            return x * attn.sigmoid()
        attn = attn.view(n, self.cardinality, self.radix, -1).transpose(1, 2)  # (N, R, K, C/K)
        attn = attn.softmax(dim=1).reshape(n, self.radix, -1, 1, 1)  # the R weights of a channel sum to 1
        return (splits * attn).sum(1)  # (N, C, H, W)


def avgpool_shortcut(in_channels, out_channels, stride):
    """ResNet-D's shortcut: 2x2 average pool, then 1x1 conv + BN, so no input is skipped (He et al. 2019, Sec. 4)."""
    if stride == 1 and in_channels == out_channels:
        return None
    pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
    return nn.Sequential(pool, conv1x1(in_channels, out_channels), nn.BatchNorm2d(out_channels))


class ResNeStBlock(nn.Module):
    """1x1, split-attention 3x3, [3x3 avg pool], 1x1, plus the avg-pool shortcut (Zhang et al. 2020, Fig. 1)."""

    expansion = 4

    def __init__(self, in_channels, out_channels, cardinality=1, bottleneck_width=64, radix=2, stride=1, avd=True):
        super().__init__()
        check_size("in_channels", in_channels)
        check_size("out_channels", out_channels)
        check_size("bottleneck_width", bottleneck_width)
        check_stride(stride)
        width = cardinality * bottleneck_width  # group width K·d
        use_avd = avd and stride > 1
        self.conv1 = conv1x1(in_channels, width)
        self.bn1 = nn.BatchNorm2d(width)
        # split attention brings its own BN and ReLU; with avd the 3x3 keeps the size, the pool halves it
        self.conv2 = SplitAttention(width, cardinality, radix, 1 if use_avd else stride)
        self.avd_last = nn.AvgPool2d(3, stride, padding=1) if use_avd else None
        self.conv3 = conv1x1(width, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = avgpool_shortcut(in_channels, out_channels, stride)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.conv2(out)
        if self.avd_last is not None:
            out = self.avd_last(out)
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


def deep_stem(in_channels, stem_width):
    """Three 3x3 convs (stem_width, stem_width, 2·stem_width) instead of one 7x7 (ResNet-D; Zhang et al. 2020, Sec. 4.1)."""
    return nn.Sequential(
        conv3x3(in_channels, stem_width, stride=2), nn.BatchNorm2d(stem_width), nn.ReLU(inplace=True),
        conv3x3(stem_width, stem_width), nn.BatchNorm2d(stem_width), nn.ReLU(inplace=True),
        conv3x3(stem_width, 2 * stem_width),  # bn1 and relu of models.ResNet follow
    )


class ResNeSt(ResNet):
    """models.ResNet with ResNeStBlock and the deep stem (Zhang et al. 2020, Sec. 4.1)."""

    def __init__(self, layers, radix=2, cardinality=1, bottleneck_width=64, stem_width=32,
                 num_classes=1000, in_channels=3):
        check_size("radix", radix, why=RADIX_MEANING)
        check_size("stem_width", stem_width)
        block = partial(ResNeStBlock, radix=radix)
        super().__init__(block, layers, STAGE_WIDTHS, cardinality, bottleneck_width, num_classes,
                         in_channels, stem_width=2 * stem_width)
        self.conv1 = deep_stem(in_channels, stem_width)  # replaces the 7x7 conv; same output width
        self._init_weights(self.conv1)


@register_model
def resnest14d(num_classes=1000):
    """ResNeSt-14d: one block per stage. "d": deep stem and avg-pool shortcut (ResNet-D)."""
    model_args = dict(layers=[1, 1, 1, 1], radix=2, cardinality=1, bottleneck_width=64)
    return ResNeSt(**model_args, num_classes=num_classes)


@register_model
def resnest26d(num_classes=1000):
    """ResNeSt-26d: two blocks per stage, radix 2, 2s1x64d."""
    model_args = dict(layers=[2, 2, 2, 2], radix=2, cardinality=1, bottleneck_width=64)
    return ResNeSt(**model_args, num_classes=num_classes)


@register_model
def resnest50d(num_classes=1000):
    """ResNeSt-50 (2s1x64d): 27.5M params, 5.37 GMACs, 81.13% top-1 (Zhang et al. 2020)."""
    model_args = dict(layers=[3, 4, 6, 3], radix=2, cardinality=1, bottleneck_width=64)
    return ResNeSt(**model_args, num_classes=num_classes)

