"""A zoo of ResNeXt and ResNet models written as code "from the wild" writes them, for diagnose's tests.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. None of these models uses resnext_edu's blocks: they are hand-rolled
in the styles of kuangliu/pytorch-cifar (CIFAR nets, functional heads), torchvision's resnet.py
(ImageNet nets), Cadene/pretrained-models.pytorch (ports of Torch and Caffe weights) and Inception-v3.
Each builder's docstring gives its kind, what real code does this way, what is wrong with it (or
right), what diagnose should say ("Expect:"), its input size, output shape and parameter count (each
checked by running it on the CPU). The kinds:

1. blind spots of module hooks    4. wrappers                        7. healthy
2. the output's shape contract    5. severity and explanations
3. the caller's argument          6. deviations from the paper

ZOO maps each name to (builder, input_size, kwargs for diagnose); WILD_PATIENT is notebook 07's model.
This module holds no tests (pytest collects test_*.py only); the tests of diagnose import it.
"""
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

CIFAR, IMAGENET = (3, 32, 32), (3, 224, 224)


# ---------------------------------------------------------------------------------------------
# CIFAR ResNeXt in kuangliu/pytorch-cifar's style: F.relu everywhere, `shortcut`, `linear`.


def shortcut(in_planes, out_planes, stride):
    """The identity (an empty nn.Sequential), or a 1x1 conv + BN where the shape changes."""
    if stride == 1 and in_planes == out_planes:
        return nn.Sequential()
    return nn.Sequential(nn.Conv2d(in_planes, out_planes, 1, stride, bias=False), nn.BatchNorm2d(out_planes))


class Block(nn.Module):
    """Form (c) (Fig. 3(c)): 1x1 to C·d, 3x3 with C groups (and the stride), 1x1 to out_planes."""

    def __init__(self, in_planes, out_planes, cardinality, bottleneck_width, stride=1):
        super().__init__()
        group_width = cardinality * bottleneck_width
        self.conv1 = nn.Conv2d(in_planes, group_width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(group_width)
        self.conv2 = nn.Conv2d(group_width, group_width, 3, stride, 1, groups=cardinality, bias=False)
        self.bn2 = nn.BatchNorm2d(group_width)
        self.conv3 = nn.Conv2d(group_width, out_planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.shortcut = shortcut(in_planes, out_planes, stride)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        return F.relu(out)


class ForwardCallBlock(Block):
    """Block with its layers called through .forward(), so no module hook sees them, and a grouped first 1x1."""

    def __init__(self, in_planes, out_planes, cardinality, bottleneck_width, stride=1):
        super().__init__(in_planes, out_planes, cardinality, bottleneck_width, stride)
        group_width = cardinality * bottleneck_width
        self.conv1 = nn.Conv2d(in_planes, group_width, 1, groups=cardinality, bias=False)  # the bug

    def forward(self, x):
        out = F.relu(self.bn1.forward(self.conv1.forward(x)))
        out = F.relu(self.bn2.forward(self.conv2.forward(out)))
        out = self.bn3.forward(self.conv3.forward(out))
        out += self.shortcut(x)
        return F.relu(out)


class ListPathsBlock(nn.Module):
    """Form (a) (Fig. 3(a)): C paths of 1x1, 3x3, 1x1, summed; the paths kept in a plain Python list."""

    def __init__(self, in_planes, out_planes, cardinality, bottleneck_width, stride=1):
        super().__init__()
        d = bottleneck_width
        self.paths = [nn.Sequential(  # a list, not nn.ModuleList: nothing in it is registered
            nn.Conv2d(in_planes, d, 1, bias=False), nn.BatchNorm2d(d), nn.ReLU(inplace=True),
            nn.Conv2d(d, d, 3, stride, 1, bias=False), nn.BatchNorm2d(d), nn.ReLU(inplace=True),
            nn.Conv2d(d, out_planes, 1, bias=False), nn.BatchNorm2d(out_planes)) for _ in range(cardinality)]
        self.shortcut = shortcut(in_planes, out_planes, stride)

    def forward(self, x):
        out = sum(path(x) for path in self.paths)
        out += self.shortcut(x)
        return F.relu(out)


def make_stage(block, n, in_planes, out_planes, cardinality, d, stride):
    """n blocks; only the first changes the stride and the width."""
    blocks = [block(in_planes, out_planes, cardinality, d, stride)]
    blocks += [block(out_planes, out_planes, cardinality, d) for _ in range(1, n)]
    return nn.Sequential(*blocks)


class CifarResNeXt(nn.Module):
    """ResNeXt-29 for CIFAR (Xie et al. 2017, Sec. 5.3): a 3x3 stem of 64, three stages, global pooling.

    widths: each stage's output channels; bottleneck_width: d of the first stage; block: any block above.
    """

    def __init__(self, num_blocks=(3, 3, 3), cardinality=8, bottleneck_width=64, widths=(256, 512, 1024),
                 num_classes=10, stem_kernel=3, block=Block):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, stem_kernel, padding=stem_kernel // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        d = bottleneck_width  # doubles with each stage, as the widths do (Sec. 3.1)
        self.layer1 = make_stage(block, num_blocks[0], 64, widths[0], cardinality, d, 1)
        self.layer2 = make_stage(block, num_blocks[1], widths[0], widths[1], cardinality, 2 * d, 2)
        self.layer3 = make_stage(block, num_blocks[2], widths[1], widths[2], cardinality, 4 * d, 2)
        self.linear = nn.Linear(widths[2], num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        return self.head(out)

    def head(self, out):
        out = F.adaptive_avg_pool2d(out, 1)  # any map -> 1x1
        return self.linear(out.flatten(1))


class FixedPoolResNeXt(CifarResNeXt):
    """kuangliu/pytorch-cifar's head: a pooling kernel of 8, which fits the 8x8 map of a 32x32 input only."""

    def head(self, out):
        out = F.avg_pool2d(out, 8)
        out = out.view(out.size(0), -1)
        return self.linear(out)


class ViewFoldsResNeXt(CifarResNeXt):
    """A head copied from a 4-stage net (4x4 map): pooling by 4 leaves 2x2 here, and view(-1, 256) folds it."""

    def head(self, out):
        out = F.avg_pool2d(out, 4)  # (N, 256, 8, 8) -> (N, 256, 2, 2)
        out = out.view(-1, 256)     # (4N, 256): the 4 positions become rows
        return self.linear(out)


class CheckpointedResNeXt(CifarResNeXt):
    """Each stage through torch.utils.checkpoint: its activations are recomputed in backward, to save memory."""

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        for stage in (self.layer1, self.layer2, self.layer3):
            out = checkpoint(stage, out, use_reentrant=False)
        return self.head(out)


# A narrow ResNeXt-20 (4x8d): 2 blocks per stage, widths 64, 128, 256; fast at 32x32.
SMALL = dict(num_blocks=(2, 2, 2), cardinality=4, bottleneck_width=8, widths=(64, 128, 256))
SMALL_ARGS = {"cardinality": 4, "num_classes": 10}


# ---------------------------------------------------------------------------------------------
# ImageNet ResNeXt in torchvision's resnet.py layout (V1.5: the stride on the 3x3).


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    return nn.Conv2d(in_planes, out_planes, 3, stride, padding=dilation, groups=groups, dilation=dilation,
                     bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 1, stride, bias=False)


class Bottleneck(nn.Module):
    """torchvision's Bottleneck: 1x1, 3x3 with `groups` groups and the stride, 1x1 to 4x planes."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1):
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class BottleneckV1(Bottleneck):
    """ResNet v1, as the Caffe models (Cadene's cafferesnet.py): the stride on the first 1x1, not the 3x3."""

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1):
        super().__init__(inplanes, planes, 1, downsample, groups, base_width, dilation)
        self.conv1 = conv1x1(inplanes, self.conv1.out_channels, stride)


class ResNeXt(nn.Module):
    """torchvision's ResNet (a ResNeXt for groups > 1): 7x7 stem, max pool, four stages, average pooling, fc."""

    def __init__(self, block, layers, groups=1, width_per_group=64, planes=(64, 128, 256, 512),
                 num_classes=1000, dilate_last=False):
        super().__init__()
        self.inplanes, self.dilation = 64, 1
        self.groups, self.base_width = groups, width_per_group
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, planes[0], layers[0])
        self.layer2 = self._make_layer(block, planes[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, planes[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, planes[3], layers[3], stride=2, dilate=dilate_last)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(planes[3] * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        previous_dilation = self.dilation
        if dilate:  # torchvision's replace_stride_with_dilation: keep the map, widen the 3x3s' view
            self.dilation *= stride
            stride = 1
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                         dilation=self.dilation) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)


# ---------------------------------------------------------------------------------------------
# Inception-v3's stem (Szegedy et al. 2016, Table 1; torchvision's inception.py names): no residuals.


class BasicConv2d(nn.Module):
    """Conv (no bias), BN, ReLU: torchvision's Inception unit."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class InceptionLike(nn.Module):
    """Inception-v3's stem, two unpadded reductions, pooling and fc: 299 -> 149 -> 147 -> 73 -> 71 -> 35 -> 17 -> 8."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(
            BasicConv2d(3, 32, 3, stride=2),    # 149
            BasicConv2d(32, 32, 3),             # 147
            BasicConv2d(32, 64, 3, padding=1),  # 147
            nn.MaxPool2d(3, stride=2),          # 73
            BasicConv2d(64, 80, 1),             # 73
            BasicConv2d(80, 192, 3),            # 71
            nn.MaxPool2d(3, stride=2))          # 35
        self.reduce = nn.Sequential(BasicConv2d(192, 256, 3, stride=2), BasicConv2d(256, 384, 3, stride=2))  # 17, 8
        self.fc = nn.Linear(384, num_classes)

    def forward(self, x):
        x = self.reduce(self.stem(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = F.dropout(x, 0.5, self.training)
        return self.fc(x)


# ---------------------------------------------------------------------------------------------
# The builders.


def forward_call_resnext():
    """Kind 1, blind spot: the blocks call self.conv1.forward(x), self.bn1.forward(...) (ForwardCallBlock).

    Some blog and ported code calls .forward() directly; PyTorch's docs say to call the module, as
    .forward() skips its hooks. A module-hook trace sees the blocks, their shortcuts, the stem and the
    linear, and none of the six layers inside a block. Hidden there: conv1 of every block is a 1x1
    with groups=4 (the cardinality), the classic bug. Expect: the grouped 1x1 found (an op-level
    trace sees it), or at least a finding that the blocks ran layers no hook saw.
    Narrow ResNeXt-20 (4x8d). Input (3, 32, 32) -> output (N, 10). 248,906 parameters (298,058 without the bug).
    """
    return CifarResNeXt(**SMALL, block=ForwardCallBlock)


def plain_list_paths():
    """Kind 1, blind spot: form (a) with its C paths in a plain list, `self.paths = [nn.Sequential(...)]`.

    First ports of form (a) often keep the paths in a list where nn.ModuleList is needed. Then nothing
    in them is registered: model.parameters() misses them (the optimizer never trains them),
    state_dict() does not save them, .to(device) and .to("meta") do not move them (built under
    torch.device("meta") they are made on meta all the same), and hooks put on named_modules() do not
    see them. Their BNs update their own running statistics in train mode, whatever state a tracer
    passes in. Expect: an error that the forward pass uses parameters the model does not hold.
    Narrow ResNeXt-20 (4x8d), form (a). Input (3, 32, 32) -> output (N, 10). model.parameters() counts
    46,154 (stem, shortcuts, linear); the paths hold 257,280 more: 303,434 in the forward pass.
    """
    return CifarResNeXt(**SMALL, block=ListPathsBlock)


def functional_fixed_pool():
    """Kind 1, blind spot: the head is functional, F.avg_pool2d(out, 8) then .view(out.size(0), -1).

    kuangliu/pytorch-cifar's models/resnext.py writes its head this way (resnet.py too, with a kernel
    of 4). No module does the pooling, so a module-hook trace sees no pool at all. Right at 32x32 (8x8
    map -> 1x1); at 16x16 the 4x4 map is smaller than the kernel and avg_pool2d fails; at 64x64 it
    leaves 2x2 and the linear gets 4x the features it expects, and fails. Expect: the fixed pool
    found and named as the cause (an error: it breaks at any other size).
    Narrow ResNeXt-20 (4x8d). Input (3, 32, 32) -> output (N, 10). 298,058 parameters.
    """
    return FixedPoolResNeXt(**SMALL)


def view_folds_batch():
    """Kind 2, shape contract: F.avg_pool2d(out, 4) on an 8x8 map leaves 2x2, and out.view(-1, 256) folds it.

    A head copied from a four-stage CIFAR ResNet (kuangliu's ResNet18 pools its 4x4 map by 4) onto a
    three-stage net, with view(-1, C) instead of view(out.size(0), -1). Nothing fails: the 2x2
    positions become rows, so the output has 4 rows per image, and a loss against N labels fails.
    Expect: an error that the output has 4x as many rows as the batch has images.
    Narrow ResNeXt-20 (4x8d). Input (3, 32, 32) -> output (4N, 10): (8, 10) for a batch of 2.
    298,058 parameters.
    """
    return ViewFoldsResNeXt(**SMALL)


def resnext50_32x4d_correct():
    """Kind 3, the caller's argument: a faithful, hand-rolled ResNeXt-50 (32x4d), torchvision's layout.

    Everything is right (stride on the 3x3, 7x7 stem padding 3, max pool padding 1, conv1x1+BN
    projections where the shape changes, AdaptiveAvgPool2d(1), fc 2048 -> 1000, bias-free convs):
    25,028,904 parameters (checked), as torchvision's resnext50_32x4d. ZOO passes cardinality=4: the
    caller swapped C and d. Its 3x3s have groups=32; in layer1 (128 channels, 32 groups of 4) the
    caller's 4 is the group width d, in layers 2-4 (d = 8, 16, 32) it matches nothing. Expect: one
    finding that says the caller's 4 is d, not C, and that the model itself is right.
    Input (3, 224, 224) -> output (N, 1000).
    """
    return ResNeXt(Bottleneck, [3, 4, 6, 3], groups=32, width_per_group=4)


def data_parallel():
    """Kind 4, wrapper: nn.DataParallel(narrow ResNeXt-20 (4x8d)).

    Multi-GPU training scripts wrap the model (`model = nn.DataParallel(model)`) and go on to inspect
    or save the wrapper: every name gains a `module.` prefix. On CPU-only torch DataParallel just calls
    the model. Nothing is wrong with the network. Expect: the bare model's findings (none above info).
    Input (3, 32, 32) -> output (N, 10). 298,058 parameters.
    """
    return nn.DataParallel(CifarResNeXt(**SMALL))


def checkpointed():
    """Kind 4, wrapper: each stage runs through checkpoint(stage, x, use_reentrant=False).

    Memory-saving training scripts (and timm's set_grad_checkpointing) do this. In backward the stages
    run again, so every module hook inside them fires twice per step, once in forward and once in the
    recomputation (BN's running statistics are updated twice too). Nothing is wrong with the network.
    Expect: no findings, and no layer counted twice.
    Narrow ResNeXt-20 (4x8d). Input (3, 32, 32) -> output (N, 10). 298,058 parameters.
    """
    return CheckpointedResNeXt(**SMALL)


def authors_port_avgpool7():
    """Kind 5, severity: the authors' ResNeXt-50 (32x4d) as ported from their Torch code, AvgPool2d(7, stride=1).

    facebookresearch/ResNeXt's models/resnext.lua ends with Avg(7, 7, 1, 1), and the PyTorch ports of
    its pretrained weights keep it (Cadene/pretrained-models.pytorch's resnext.py:
    nn.AvgPool2d((7, 7), (1, 1))). Right at 224x224 (7x7 map -> 1x1); at 160x160 the 5x5 map is
    smaller than the kernel and the forward fails; at 256x256 it leaves 2x2 and the fc fails.
    Expect: a warning at 224 (it works there, but at 224 only), not an error.
    Input (3, 224, 224) -> output (N, 1000). 25,028,904 parameters.
    """
    model = ResNeXt(Bottleneck, [3, 4, 6, 3], groups=32, width_per_group=4)
    model.avgpool = nn.AvgPool2d(7, stride=1)
    return model


def resnet_v1_stride_on_1x1():
    """Kind 5, severity: a bottleneck ResNet with the stride on the first 1x1 conv (ResNet v1, BottleneckV1).

    MSRA's Caffe ResNets and their ports (Cadene's cafferesnet.py, marked `# change`) stride the 1x1;
    torchvision's V1.5 and the ResNeXt paper (Sec. 4) stride the 3x3. A known, deliberate variant
    (about 0.5% top-1 worse). Expect: information only, no warning, and no strided chain.
    Narrow ResNet-26 (bottleneck, [2, 2, 2, 2], planes 16, 32, 64, 128, stage widths 64 to 512).
    Input (3, 224, 224) -> output (N, 1000), maps 56, 28, 14, 7. 1,398,952 parameters.
    """
    return ResNeXt(BottleneckV1, [2, 2, 2, 2], planes=(16, 32, 64, 128))


def stem_padding_off():
    """Kind 5, severity: an ImageNet ResNeXt whose max pool has padding=0: maps 55, 28, 14, 7.

    Copied from Cadene's cafferesnet.py, MaxPool2d(3, stride=2, padding=0, ceil_mode=True), without
    its ceil_mode: 112 -> 55 instead of 56. Layer2's stride then rounds 55 up to 28, so the final map
    is the paper's 7x7 (total stride 32): only layer1's map is off, 55x55 where Table 1 has 56x56.
    Expect: a warning that names the max pool, though the final map is right.
    Narrow ResNeXt-14 (8x4d): [1, 1, 1, 1], half the widths (planes 32 to 256, outputs 128 to 1024).
    Input (3, 224, 224) -> output (N, 1000). 2,360,616 parameters.
    """
    model = ResNeXt(Bottleneck, [1, 1, 1, 1], groups=8, width_per_group=8, planes=(32, 64, 128, 256))
    model.maxpool = nn.MaxPool2d(3, stride=2)  # padding 0, no ceil_mode: 112 -> 55
    return model


def inception_like():
    """Kind 5, explanations: not a ResNet; Inception-v3's stem of unpadded convs (InceptionLike), 1000 classes.

    torchvision's inception.py and Szegedy et al. 2016 (Table 1) reduce 299x299 to 8x8 with unpadded
    3x3 convs and pools: 149, 147, 73, 71, 35, then 17 and 8 here. Total stride 299 / 8 = 37.4 is the
    design. No residual blocks, no grouped convs. Expect: nothing above info, and above all no
    finding that "a stride or a padding is off".
    Input (3, 299, 299) -> output (N, 1000). 1,886,056 parameters.
    """
    return InceptionLike()


def dilated_os16():
    """Kind 5, explanations: a ResNet whose last stage has stride 1 and dilation 2 (output stride 16).

    DeepLab's backbones and torchvision's ResNet(replace_stride_with_dilation=[False, False, True])
    trade layer4's stride for a dilation, keeping a 14x14 map at 224x224 for dense prediction. Total
    stride 16 is the design. Expect: at most information that says the dilation explains it, never
    "a stride or a padding is off". Narrow bottleneck ResNet ([1, 1, 1, 2], planes 16 to 128;
    layer4's second 3x3 has dilation 2, its first dilation 1, as in torchvision).
    Input (3, 224, 224) -> output (N, 1000), final map 14x14. 1,306,216 parameters.
    """
    return ResNeXt(Bottleneck, [1, 1, 1, 2], planes=(16, 32, 64, 128), dilate_last=True)


def cifar_resnext_wrong_widths():
    """Kind 6, deviation: ResNeXt-29 (8x64d) with kuangliu/pytorch-cifar's width rule, 2.60x the paper's params.

    kuangliu's models/resnext.py makes each stage output 2 x C·d (Block.expansion = 2 on the group
    width), which is right for 32x4d (2 x 128 = 256) but not for 8x64d, whose group width is 512:
    outputs 1024, 2048, 4096, where the paper's are 256, 512, 1024 (the authors' resnext.lua: n * 4
    for n = 64, 128, 256). The 3x3 stem is the paper's here, so the widths are the only change.
    Expect: a finding that the stage widths (or the 2.6x parameters) are not the paper's.
    Input (3, 32, 32) -> output (N, 10). 89,599,818 parameters; the paper's 34.4M (Table 7) is 34,426,698.
    """
    widths = [2 * 8 * 64 * 2**i for i in range(3)]  # 1024, 2048, 4096
    return CifarResNeXt(cardinality=8, bottleneck_width=64, widths=widths)


def cifar_resnext_1x1_stem():
    """Kind 6, deviation: ResNeXt-29 (8x64d) with a 1x1 conv as its stem, as kuangliu/pytorch-cifar has.

    kuangliu's models/resnext.py starts with nn.Conv2d(3, 64, kernel_size=1); the paper's CIFAR stem
    is a 3x3 conv of 64 channels (Sec. 5.3; the authors' resnext.lua: Convolution(3,64,3,3,1,1,1,1)).
    Everything else is the paper's. Expect: a finding that the stem is 1x1 where the paper has 3x3.
    Input (3, 32, 32) -> output (N, 10). 34,425,162 parameters: resnext_edu.models.resnext29_8x64d's
    34,426,698 less the 1,536 (3·64·9 - 3·64) that a 3x3 stem has more.
    """
    return CifarResNeXt(cardinality=8, bottleneck_width=64, stem_kernel=1)


def kuangliu_style_resnext29():
    """Kind 7, healthy: ResNeXt-29 (8x64d) in kuangliu/pytorch-cifar's style, with nothing wrong.

    Hand-rolled Block, functional ReLUs and F.adaptive_avg_pool2d, with the paper's 3x3 stem and
    widths (256, 512, 1024; d = 64, 128, 256). The two models above each differ from it in one place.
    Expect: no findings.
    Input (3, 32, 32) -> output (N, 10). 34,426,698 parameters, as resnext_edu.models.resnext29_8x64d.
    """
    return CifarResNeXt(cardinality=8, bottleneck_width=64)


def wild_patient():
    """Notebook 07's patient: a CIFAR ResNeXt-29 as copied from a blog, two bugs and a blind spot.

    ForwardCallBlock calls its layers through .forward() (hooks cannot see them); inside that code
    every block's first 1x1 is grouped (groups=8), which only an op-level trace finds; and the head is
    kuangliu's F.avg_pool2d(out, 8), right at 32x32 only. Not one of the models above: it is
    forward_call_resnext with functional_fixed_pool's head, at ResNeXt-29 depth.
    Narrow ResNeXt-29 (8x4d), widths 64, 128, 256. Input (3, 32, 32) -> output (N, 10). 266,698 parameters.
    """
    return FixedPoolResNeXt((3, 3, 3), cardinality=8, bottleneck_width=4, widths=(64, 128, 256),
                            block=ForwardCallBlock)


WILD_PATIENT = wild_patient

ZOO = {  # name: (builder, input_size, kwargs for diagnose)
    "forward_call_resnext": (forward_call_resnext, CIFAR, SMALL_ARGS),
    "plain_list_paths": (plain_list_paths, CIFAR, SMALL_ARGS),
    "functional_fixed_pool": (functional_fixed_pool, CIFAR, SMALL_ARGS),
    "view_folds_batch": (view_folds_batch, CIFAR, SMALL_ARGS),
    "resnext50_32x4d_correct": (resnext50_32x4d_correct, IMAGENET, {"cardinality": 4, "num_classes": 1000}),
    "data_parallel": (data_parallel, CIFAR, SMALL_ARGS),
    "checkpointed": (checkpointed, CIFAR, SMALL_ARGS),
    "authors_port_avgpool7": (authors_port_avgpool7, IMAGENET, {"cardinality": 32, "num_classes": 1000}),
    "resnet_v1_stride_on_1x1": (resnet_v1_stride_on_1x1, IMAGENET, {"num_classes": 1000}),
    "stem_padding_off": (stem_padding_off, IMAGENET, {"cardinality": 8, "num_classes": 1000}),
    "inception_like": (inception_like, (3, 299, 299), {"num_classes": 1000}),
    "dilated_os16": (dilated_os16, IMAGENET, {"num_classes": 1000}),
    "cifar_resnext_wrong_widths": (cifar_resnext_wrong_widths, CIFAR, {"cardinality": 8, "num_classes": 10}),
    "cifar_resnext_1x1_stem": (cifar_resnext_1x1_stem, CIFAR, {"cardinality": 8, "num_classes": 10}),
    "kuangliu_style_resnext29": (kuangliu_style_resnext29, CIFAR, {"cardinality": 8, "num_classes": 10}),
    "wild_patient": (wild_patient, CIFAR, {"cardinality": 8, "num_classes": 10}),
}
