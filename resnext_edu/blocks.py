"""Residual blocks: ResNet's basic and bottleneck blocks, and ResNeXt's three equivalent forms.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. The layout follows torchvision's models/resnet.py ("ResNet
v1.5": the stride sits on the 3x3 conv), and form (c) keeps its layer names, so torchvision's
weights load into our models.

Every block takes the same arguments, named as in the paper:
    in_channels, out_channels, cardinality (C), bottleneck_width (d, channels per path), stride.
The group width, C·d, is the number of channels inside the block's 3x3 stage.
"""
import torch
from torch import nn

from .checks import check_size, check_stride

FORMS = ("a", "b", "c")


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


class Residual(nn.Module):
    """Shared forward tail: add the shortcut, then ReLU (He et al. 2016; Xie et al. 2017, Sec. 3.3)."""

    def _merge(self, out, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class BasicBlock(Residual):
    """Two 3x3 convs, used by ResNet-18/34 (He et al. 2016, Fig. 5 left)."""

    expansion = 1

    def __init__(self, in_channels, out_channels, cardinality=1, bottleneck_width=64, stride=1):
        super().__init__()
        check_size("in_channels", in_channels)
        check_size("out_channels", out_channels)
        check_stride(stride)
        if cardinality != 1 or bottleneck_width != 64:
            raise ValueError(
                f"BasicBlock supports only cardinality=1 and bottleneck_width=64, got "
                f"cardinality={cardinality}, bottleneck_width={bottleneck_width}; use a ResNeXt block"
            )
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = shortcut(in_channels, out_channels, stride)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self._merge(out, x)


class ResNeXtBlockC(Residual):
    """Form (c): 1x1, grouped 3x3 with C groups, 1x1 (Xie et al. 2017, Fig. 3(c))."""

    expansion = 4

    def __init__(self, in_channels, out_channels, cardinality=32, bottleneck_width=4, stride=1):
        super().__init__()
        group_width = _check_block_args(in_channels, out_channels, cardinality, bottleneck_width, stride)
        self.conv1 = conv1x1(in_channels, group_width)
        self.bn1 = nn.BatchNorm2d(group_width)
        self.conv2 = conv3x3(group_width, group_width, stride, groups=cardinality)
        self.bn2 = nn.BatchNorm2d(group_width)
        self.conv3 = conv1x1(group_width, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = shortcut(in_channels, out_channels, stride)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self._merge(out, x)


class Bottleneck(ResNeXtBlockC):
    """ResNet's bottleneck, 1x1 -> 3x3 -> 1x1 (He et al. 2016, Fig. 5 right): form (c) with C = 1."""

    def __init__(self, in_channels, out_channels, cardinality=1, bottleneck_width=None, stride=1):
        if cardinality != 1:
            raise ValueError(f"Bottleneck has one path, got cardinality={cardinality}; use ResNeXtBlockC")
        if bottleneck_width is None:
            bottleneck_width = out_channels // self.expansion
        super().__init__(in_channels, out_channels, 1, bottleneck_width, stride)


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


class ResNeXtBlockA(Residual):
    """Form (a): C identical paths, summed, one BN on the sum (Xie et al. 2017, Fig. 3(a), Eq. 3)."""

    expansion = 4

    def __init__(self, in_channels, out_channels, cardinality=32, bottleneck_width=4, stride=1):
        super().__init__()
        _check_block_args(in_channels, out_channels, cardinality, bottleneck_width, stride)
        self.paths = nn.ModuleList(
            Path(in_channels, bottleneck_width, stride, out_channels) for _ in range(cardinality)
        )
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = shortcut(in_channels, out_channels, stride)

    def forward(self, x):
        out = sum(path(x) for path in self.paths)  # F(x) = sum_i T_i(x)
        out = self.bn3(out)
        return self._merge(out, x)


class ResNeXtBlockB(Residual):
    """Form (b): C paths concatenated after their 3x3, then one 1x1 (Xie et al. 2017, Fig. 3(b))."""

    expansion = 4

    def __init__(self, in_channels, out_channels, cardinality=32, bottleneck_width=4, stride=1):
        super().__init__()
        group_width = _check_block_args(in_channels, out_channels, cardinality, bottleneck_width, stride)
        self.paths = nn.ModuleList(Path(in_channels, bottleneck_width, stride) for _ in range(cardinality))
        self.conv3 = conv1x1(group_width, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = shortcut(in_channels, out_channels, stride)

    def forward(self, x):
        out = torch.cat([path(x) for path in self.paths], dim=1)  # (N, C·d, H, W)
        out = self.bn3(self.conv3(out))
        return self._merge(out, x)


BLOCK_FORMS = {"a": ResNeXtBlockA, "b": ResNeXtBlockB, "c": ResNeXtBlockC}


def _check_block_args(in_channels, out_channels, cardinality, bottleneck_width, stride):
    """Validate a ResNeXt block's arguments at construction; return the group width C·d."""
    for name, value in [("in_channels", in_channels), ("out_channels", out_channels),
                        ("cardinality", cardinality), ("bottleneck_width", bottleneck_width)]:
        check_size(name, value)
    check_stride(stride)
    return cardinality * bottleneck_width


def form_of(block):
    """The paper's letter for a ResNeXt block: "a", "b" or "c"."""
    for form, cls in BLOCK_FORMS.items():
        if type(block) is cls or (form == "c" and isinstance(block, ResNeXtBlockC)):
            return form
    raise TypeError(f"expected a ResNeXt block (forms a, b or c), got {type(block).__name__}")


def _config(block):
    """(in_channels, out_channels, cardinality, bottleneck_width, stride) read off a block."""
    if isinstance(block, ResNeXtBlockC):
        conv = block.conv2
        return (block.conv1.in_channels, block.conv3.out_channels, conv.groups,
                conv.out_channels // conv.groups, conv.stride[0])
    first = block.paths[0]
    return (first.conv1.in_channels, block.bn3.num_features, len(block.paths),
            first.conv1.out_channels, first.conv2.stride[0])


def _to_grouped(block):
    """Weights of any form as form-(c) tensors: {name: tensor} in form (c)'s state_dict layout."""
    if isinstance(block, ResNeXtBlockC):
        return {k: v.clone() for k, v in block.state_dict().items()}
    p = [path.state_dict() for path in block.paths]
    cat = lambda key: torch.cat([sd[key] for sd in p])  # noqa: E731  stack paths along channels
    sd = {"conv1.weight": cat("conv1.weight"), "conv2.weight": cat("conv2.weight")}
    for bn in ("bn1", "bn2"):
        for k in ("weight", "bias", "running_mean", "running_var"):
            sd[f"{bn}.{k}"] = cat(f"{bn}.{k}")
        sd[f"{bn}.num_batches_tracked"] = p[0][f"{bn}.num_batches_tracked"]
    if isinstance(block, ResNeXtBlockA):
        # Summing C 1x1 convs = one 1x1 conv over the concatenated paths.
        sd["conv3.weight"] = torch.cat([q["conv3.weight"] for q in p], dim=1)
    else:
        sd["conv3.weight"] = block.conv3.weight.detach().clone()
    for k, v in block.state_dict().items():
        if k.startswith(("bn3.", "downsample.")):
            sd[k] = v.clone()
    return sd


@torch.no_grad()
def convert(block, form):
    """Return an equivalent block of another form, weights and BN statistics copied (Sec. 3.3)."""
    if form not in BLOCK_FORMS:
        raise ValueError(f"form={form!r} is unknown; use one of {', '.join(map(repr, FORMS))}")
    form_of(block)  # a TypeError that names the class, for anything but a ResNeXt block
    in_channels, out_channels, cardinality, d, stride = _config(block)
    new = BLOCK_FORMS[form](in_channels, out_channels, cardinality, d, stride)
    new.train(block.training)
    sd = _to_grouped(block)
    if form == "c":
        new.load_state_dict(sd)
        return new
    for i, path in enumerate(new.paths):
        ch = slice(i * d, (i + 1) * d)  # path i owns channels [i·d, (i+1)·d) of the group width
        path_sd = {k: v[ch] for k, v in sd.items() if k.startswith(("conv1.", "conv2.", "bn1.", "bn2."))
                   and not k.endswith("num_batches_tracked")}
        path_sd |= {k: v for k, v in sd.items() if k.endswith("num_batches_tracked") and k[:3] in ("bn1", "bn2")}
        if form == "a":
            path_sd["conv3.weight"] = sd["conv3.weight"][:, ch]
        path.load_state_dict(path_sd)
    if form == "b":
        new.conv3.weight.copy_(sd["conv3.weight"])
    rest = {k: v for k, v in sd.items() if k.startswith(("bn3.", "downsample."))}
    new.load_state_dict(rest, strict=False)
    return new
