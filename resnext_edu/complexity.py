"""Closed-form parameters and multiply-accumulates (MACs): every formula of the course, in one place.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.4: a block of C paths of width d, n channels in and
out, has C·(n·d + 3·3·d·d + d·n) conv weights, and Table 2 picks d so that this stays at
ResNet's. The formulas build no model, so they are fast enough for a slider; tests/test_complexity.py
checks each against `counting.count_params` and `count_macs` of the real module.

Conventions, as in counting: params count BatchNorm's weight and bias (not its running
statistics); MACs count the convs and linear layers only, one per weight per output position.
"""
import math

from .checks import check_choice, check_size
from .family.res2net import SCALE_MEANING
from .family.resnest import check_split_attention
from .family.se import se_channels
from .models import IMAGENET_LAYERS, RESNEXT_DEPTHS, STAGE_WIDTHS

BLOCK_KINDS = ("resnext", "se", "resnest", "res2net")  # the conv2 blocks of the family explorer


def _bn(channels):
    """Parameters of a BatchNorm: a weight and a bias per channel (running stats are buffers)."""
    return 2 * channels


def conv_output_size(size, kernel, stride, padding):
    """Output side of a conv or pool: floor((size + 2·padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


# --- one grouped convolution ------------------------------------------------------------------


def grouped_conv_cost(channels, groups, spatial=(56, 56), kernel_size=3):
    """(params, MACs) of a k×k Conv2d(channels, channels, groups=g) without bias on an H×W map (Sec. 3.3)."""
    h, w = spatial
    params = kernel_size * kernel_size * (channels // groups) * channels  # k·k·(C_in/g)·C_out
    return params, h * w * params  # each weight is used once per output position


# --- one ResNeXt block (Table 2) ---------------------------------------------------------------


def block_params(in_out_channels, cardinality, bottleneck_width):
    """Conv weights of a block, C·(in·d + 3·3·d·d + d·out), in = out (Xie et al. 2017, Sec. 3.4, Eq. 4)."""
    check_size("in_out_channels", in_out_channels)
    check_size("cardinality", cardinality)
    check_size("bottleneck_width", bottleneck_width)
    c, d, n = cardinality, bottleneck_width, in_out_channels
    return c * (n * d + 3 * 3 * d * d + d * n)


def equal_complexity_width(cardinality, in_out_channels=256, reference_width=64):
    """The whole d that keeps C·(in·d + 9·d·d + d·out) nearest ResNet's block (Xie et al. 2017, Table 2).

    The reference is one path of width reference_width (ResNet's bottleneck: C = 1, d = 64,
    about 70k parameters for 256-d in and out). d is at least 1, so with very many paths
    (C above about 134 for 256-d blocks) even d = 1 goes over the budget; compare
    block_params(...) with the reference to see by how much.
    """
    check_size("cardinality", cardinality)
    check_size("in_out_channels", in_out_channels)
    check_size("reference_width", reference_width)
    budget = block_params(in_out_channels, 1, reference_width)
    # Solve 9C·d² + 2·in·C·d = budget for real d, then try the whole numbers on either side.
    a, b = 9 * cardinality, 2 * in_out_channels * cardinality
    d = (-b + math.sqrt(b * b + 4 * a * budget)) / (2 * a)
    candidates = {max(1, math.floor(d)), max(1, math.ceil(d))}
    return min(sorted(candidates), key=lambda w: abs(block_params(in_out_channels, cardinality, w) - budget))


def resnext_block_complexity(in_out_channels, cardinality, bottleneck_width, spatial=56):
    """(params, MACs) of ResNeXtBlockC(n, n, C, d) at spatial x spatial: Sec. 3.4's weights plus three BNs."""
    weights = block_params(in_out_channels, cardinality, bottleneck_width)
    width = cardinality * bottleneck_width
    return weights + _bn(width) + _bn(width) + _bn(in_out_channels), weights * spatial * spatial


# --- the family's blocks ------------------------------------------------------------------------


def se_complexity(channels, reduction=16):
    """(params, MACs) of SEModule(channels): two 1x1 convs with bias, on the pooled 1x1 map (Hu et al. 2018)."""
    reduced = se_channels(channels, reduction)
    return 2 * channels * reduced + reduced + channels, 2 * channels * reduced


def resnest_block_complexity(in_out_channels, cardinality, bottleneck_width, radix, spatial=56):
    """(params, MACs) of ResNeStBlock(n, n, K, d, R) at spatial x spatial (Zhang et al. 2020, Fig. 2).

    The attention's two 1x1 convs run once, on the pooled 1x1 map. Stride 1, so no shortcut.
    """
    check_size("in_out_channels", in_out_channels)
    check_size("bottleneck_width", bottleneck_width)
    check_size("spatial", spatial)
    n, k, r, w = in_out_channels, cardinality, radix, cardinality * bottleneck_width
    a = check_split_attention(w, k, r)
    grouped = 3 * 3 * (w // (k * r)) * (w * r)  # K·R groups, each w/(K·R) in, w/K out
    fc1, fc2 = (w // k) * a, (a // k) * (w * r)
    params = (n * w + _bn(w)) + (grouped + _bn(w * r)) + (fc1 + a + _bn(a)) + (fc2 + w * r) + (w * n + _bn(n))
    macs = spatial * spatial * (n * w + grouped + w * n) + fc1 + fc2
    return params, macs


def res2net_block_complexity(in_out_channels, cardinality, bottleneck_width, scale, spatial=56):
    """(params, MACs) of Res2NetBlock(n, n, C, d, s) at spatial x spatial: s parts of w = C·d (Gao et al. 2019).

    Stride 1, so no shortcut and no pool.
    """
    check_size("in_out_channels", in_out_channels)
    check_size("cardinality", cardinality)
    check_size("bottleneck_width", bottleneck_width)
    check_size("scale", scale, 2, why=SCALE_MEANING)
    check_size("spatial", spatial)
    n, w, s = in_out_channels, cardinality * bottleneck_width, scale
    conv1, parts, conv3 = n * w * s, (s - 1) * 3 * 3 * bottleneck_width * w, w * s * n
    params = conv1 + _bn(w * s) + parts + (s - 1) * _bn(w) + conv3 + _bn(n)
    return params, spatial * spatial * (conv1 + parts + conv3)


def block_complexity(kind, in_out_channels, cardinality, bottleneck_width, radix=2, scale=4, spatial=56):
    """(params, MACs) of one stride-1 block of the kind, n channels in and out; ValueError if it cannot be built.

    resnext ResNeXtBlockC(n, n, C, d), se SEResNeXtBlock(n, n, C, d), resnest ResNeStBlock(n, n, C, d, R),
    res2net Res2NetBlock(n, n, C, d, s).
    """
    check_choice("kind", kind, BLOCK_KINDS)
    n, c, d = in_out_channels, cardinality, bottleneck_width
    if kind == "resnest":
        return resnest_block_complexity(n, c, d, radix, spatial)
    if kind == "res2net":
        return res2net_block_complexity(n, c, d, scale, spatial)
    params, macs = resnext_block_complexity(n, c, d, spatial)
    if kind == "se":
        se_params, se_macs = se_complexity(n)
        params, macs = params + se_params, macs + se_macs
    return params, macs


# --- a whole ResNeXt (Table 1) --------------------------------------------------------------------


def resnext_complexity(depth, cardinality, bottleneck_width, num_classes=1000, input_size=224):
    """(params, MACs) of ResNeXt-{depth} (C x d) from formulas alone (Xie et al. 2017, Table 1).

    Same layout as models.resnext: torchvision's "ResNet v1.5" (stride on the 3x3 conv),
    BN after every conv, a 1x1 conv + BN projection where the shape changes, fc with bias.
    Depth 50, 101, 152 is the ImageNet network; 29 the CIFAR one (pass num_classes=10,
    input_size=32). input_size is the side of a square image with 3 channels.
    """
    check_choice("depth", depth, RESNEXT_DEPTHS)
    for name, value in [("cardinality", cardinality), ("bottleneck_width", bottleneck_width),
                        ("num_classes", num_classes), ("input_size", input_size)]:
        check_size(name, value)
    stem = 64
    if depth == 29:  # CIFAR: 3x3 stem of 64, no max pool, 3 stages of 3 blocks (Sec. 5.3)
        stages = (3, 3, 3)
        side = conv_output_size(input_size, 3, 1, 1)
        params, macs = 3 * 3 * 3 * stem + _bn(stem), side * side * 3 * 3 * 3 * stem
    else:
        stages = IMAGENET_LAYERS[depth][1]
        side = conv_output_size(input_size, 7, 2, 3)
        params, macs = 7 * 7 * 3 * stem + _bn(stem), side * side * 7 * 7 * 3 * stem
        side = conv_output_size(side, 3, 2, 1)  # max pool
    in_channels = stem
    for i, (blocks, out_channels) in enumerate(zip(stages, STAGE_WIDTHS)):
        width = cardinality * bottleneck_width * 2**i  # group width C·d, doubling each stage
        for j in range(blocks):
            stride = 2 if i > 0 and j == 0 else 1
            new_side = conv_output_size(side, 3, stride, 1)
            params += in_channels * width + _bn(width)                     # 1x1 in -> C·d
            params += 3 * 3 * (width // cardinality) * width + _bn(width)  # grouped 3x3
            params += width * out_channels + _bn(out_channels)             # 1x1 C·d -> out
            macs += side * side * in_channels * width
            macs += new_side * new_side * 3 * 3 * (width // cardinality) * width
            macs += new_side * new_side * width * out_channels
            if stride != 1 or in_channels != out_channels:  # projection shortcut
                params += in_channels * out_channels + _bn(out_channels)
                macs += new_side * new_side * in_channels * out_channels
            in_channels, side = out_channels, new_side
    params += in_channels * num_classes + num_classes  # fc weight and bias
    macs += in_channels * num_classes
    return params, macs
