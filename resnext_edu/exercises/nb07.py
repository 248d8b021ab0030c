"""Questions for notebook 07, the pitfalls clinic: `from resnext_edu.exercises.nb07 import *`.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Table 1 (stage sizes) and Fig. 3(c) (the block). The notebook
also imports two patients from here: `ColleaguesBlock` (a form (c) block with bugs to fix) and
`mystery_model()` (a small ResNeXt-29 with one planted bug for `diagnose` to find).
"""
import copy

import torch
from torch import nn

from ..i18n import N_, _
from .core import CS, EqualityProblem, FunctionProblem, Incorrect, Problem, bind_exercises

STAGES_50 = ((3, 128, 256), (4, 256, 512), (6, 512, 1024), (3, 1024, 2048))  # (blocks, C·d, out) per stage, Table 1


# ---------------------------------------------------------------------------------------------
# The patients.


class ColleaguesBlock(nn.Module):
    """A form (c) block typed in from Fig. 3(c): 256-d in and out, C = 32, d = 4. It has bugs."""

    def __init__(self, channels=256, cardinality=32, bottleneck_width=4):
        super().__init__()
        width = cardinality * bottleneck_width  # the group width C·d
        self.conv1 = nn.Conv2d(channels, width, 1, groups=cardinality)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, groups=cardinality)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, channels, 1)
        self.bn3 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + x)


MYSTERY_CARDINALITY = 8  # what the mystery model's author meant: ResNeXt-29 (8x4d)
MYSTERY_LAYER = "layer3.1.conv2"


def mystery_model():
    """A small ResNeXt-29 (8x4d) for CIFAR-10, 32x32 inputs, with one bug somewhere. Find it with diagnose."""
    from .. import models  # only the patient needs it

    model = models.resnext(29, MYSTERY_CARDINALITY, 4, num_classes=10)
    block = model.layer3[1]
    width = block.conv2.in_channels  # C·d = 8·16 = 128 in the third stage
    # The planted bug: groups given the width of a path (d = 16), not the number of paths (C = 8).
    block.conv2 = nn.Conv2d(width, width, 3, padding=1, groups=width // MYSTERY_CARDINALITY, bias=False)
    return model


# ---------------------------------------------------------------------------------------------
# q1: predict the keras_strides model's stage sizes.


def _side(n, kernel, stride, padding):
    """Output side of a conv or pool: (n + 2p - k) // s + 1."""
    return (n + 2 * padding - kernel) // stride + 1


def _keras_sides(side=56):
    """layer2..layer4 sides when the first block of each stage strides its 1x1, 3x3 and 1x1."""
    sides = []
    for _i in range(3):
        side = _side(_side(_side(side, 1, 2, 0), 3, 2, 1), 1, 2, 0)
        sides.append(side)
    return tuple(sides)


class KerasStridesSides(Problem):
    """The map sides after layer2, layer3 and layer4 of pitfalls.keras_strides at 224x224."""

    _var = "keras_sides"
    _hints = (
        N_("layer1 leaves a 56x56 map, as in Table 1. In the buggy block, the first block of each later stage "
           "strides on all three convs: 1x1 (padding 0), 3x3 (padding 1) and 1x1 (padding 0), each with stride 2."),
        N_("A conv of kernel k, stride s and padding p turns side n into (n + 2p - k) // s + 1, which is never "
           "below 1; a 1x1 conv with stride 2, for example, turns 56 into 28. Apply it conv by conv, three times "
           "per stage, and start each stage from the side the previous one left. Once the side is small, the "
           "padding of the 3x3 matters."),
    )
    _solution = CS(
        "def out_side(n, k, s, p):\n"
        "    return (n + 2 * p - k) // s + 1   # a conv's output side\n"
        "\n"
        "side, sides = 56, []  # layer1's output at 224x224 (Table 1)\n"
        "for stage in ('layer2', 'layer3', 'layer4'):  # first block: 1x1/2, 3x3/2 (padding 1), 1x1/2\n"
        "    side = out_side(out_side(out_side(side, 1, 2, 0), 3, 2, 1), 1, 2, 0)\n"
        "    sides.append(side)\n"
        "keras_sides = tuple(sides)"
    )
    _typical_mistake = CS("keras_sides = (56 // 8, 56 // 64, 56 // 512)  # each stage shrinks 8x")
    _correct_message = N_("Well done: 8x per stage until the map is a single position. After layer3's first "
                          "block, every 3x3 conv sees one pixel surrounded by padding, so the last stages cannot "
                          "see any spatial pattern, yet the model still runs and still has 25,028,904 "
                          "parameters.")

    def _check(self, value):
        if isinstance(value, list):
            value = tuple(value)
        if not (isinstance(value, tuple) and len(value) == 3
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            raise Incorrect(_("Expected three whole numbers, the sides of layer2, layer3 and layer4, e.g. "
                              "`(28, 14, 7)` for the healthy model; but `keras_sides` is {value!r}.").format(value=value))
        expected = _keras_sides()
        if value == expected:
            return
        if value == (28, 14, 7):
            raise Incorrect(_("(28, 14, 7) is the healthy ResNeXt-50 of Table 1. In this block the first block of "
                              "each stage strides on all three convs, so each of these stages shrinks the map "
                              "more than 2x."))
        if 0 in value:
            raise Incorrect(_("`keras_sides` is {value}, but a map never shrinks below 1x1: a conv of kernel k, "
                              "stride s and padding p gives (n + 2p - k) // s + 1 positions, at least 1. Apply "
                              "that formula conv by conv instead of dividing by 8.").format(value=value))
        if value[0] == 14:
            raise Incorrect(_("layer2 at 14 counts two strided convs. Read the block again: `self.conv1.stride = "
                              "self.conv3.stride = (stride, stride)` adds two strides to the 3x3's own."))
        if value[0] == expected[0]:
            raise Incorrect(_("layer2 is right ({side}), but not the later stages. Start each stage from the "
                              "previous one's side and apply (n + 2p - k) // s + 1 three times; with small maps "
                              "the padding of the 3x3 matters.").format(side=value[0]))
        raise Incorrect(_("`keras_sides` is {value}, which is not right. Start from layer1's 56x56 and follow "
                          "the three strided convs of each stage's first block, or call `.hint()`.").format(value=value))


# ---------------------------------------------------------------------------------------------
# q2: the biases that BatchNorm cancels.


def _stage_counts():
    """{name: count} of the biased_convs_projections model, from Table 1's stage widths."""
    conv_biases = main_biases = bn_shifts = projections = 0
    for i, (n, width, out) in enumerate(STAGES_50):
        conv_biases += n * (width + width + out + out)  # conv1, conv2, conv3 and the shortcut's conv
        main_biases += n * (width + width + out)
        bn_shifts += n * (width + width + out + out)    # a BN after each of those convs
        projections += (n - 1) * (out * out + 2 * out)  # the extra shortcuts: 1x1 weight and BN (bias above)
    return dict(conv_biases=conv_biases, main_biases=main_biases, bn_shifts=bn_shifts + 64,  # + the stem's BN
                projections=projections)


class WastedBiases(EqualityProblem):
    """Parameters in the conv biases of pitfalls.biased_convs_projections, all of which feed a BatchNorm."""

    _var = "wasted_biases"
    _setup = CS("from resnext_edu import pitfalls\npatient = pitfalls.biased_convs_projections()")
    _hints = (
        N_("Every conv in this model is followed directly by a BatchNorm, so every conv bias is wasted. Go "
           "through all the layers of `patient` with `patient.modules()` and keep the convs that have a bias."),
        N_("For a conv layer `m` whose `m.bias` is not None, `m.bias.numel()` is the size of its bias; add these "
           "up over the `nn.Conv2d` layers only. Careful: BatchNorm and Linear layers have a `.bias` too, and "
           "theirs are not wasted."),
    )
    _solution = CS("wasted_biases = sum(m.bias.numel() for m in patient.modules()\n"
                   "                    if isinstance(m, nn.Conv2d) and m.bias is not None)")
    _typical_mistake = CS("wasted_biases = sum(m.bias.numel() for m in patient.modules()\n"
                          "                    if getattr(m, 'bias', None) is not None)")

    @property
    def _expected(self):
        return _stage_counts()["conv_biases"]

    @property
    def _correct_message(self):
        c = _stage_counts()
        return _("Well done: {biases:,} biases, each cancelled by the BatchNorm after it. That is only "
                 "about 0.1% of the model. The projections that replaced identity shortcuts cost far more: "
                 "{projections:,} parameters in their weights and BatchNorms. `diagnose` warns about both.").format(
                     biases=c["conv_biases"], projections=c["projections"])

    @property
    def _mistakes(self):
        c = _stage_counts()
        return {
            c["conv_biases"] + c["bn_shifts"] + 1000: N_(
                "That counts every `.bias` in the model, including BatchNorm's shift (beta) and the fc layer's "
                "bias. Those do their job; only the conv biases that feed a BN are wasted. Keep `nn.Conv2d` only."),
            c["conv_biases"] + 1000: N_(
                "That includes the fc layer's 1,000 biases. The classifier's bias is useful: no BatchNorm follows "
                "it. Count the conv biases only."),
            c["main_biases"]: N_(
                "That misses the shortcut convs (`downsample.0`): they have biases too, and a BatchNorm "
                "(`downsample.1`) follows each of them."),
            c["conv_biases"] + c["projections"]: N_(
                "That is the whole difference from 25,028,904, which also holds the extra projection shortcuts. "
                "Count only the conv biases."),
            c["projections"]: N_("That is what the extra projection shortcuts cost. The question asks for the "
                                 "conv biases."),
        }


# ---------------------------------------------------------------------------------------------
# q3: find the layer diagnose flags in the mystery model.


class MysteryLayer(Problem):
    """The layer that diagnose names in mystery_model(), told the cardinality its author meant."""

    _var = "flagged_layer"
    _setup = CS("from resnext_edu.diagnose import diagnose\n"
                "from resnext_edu.exercises.nb07 import mystery_model\n"
                "mystery = mystery_model()")
    _hints = (
        N_("`diagnose` can only check what you tell it: the size of one CIFAR image as (channels, height, "
           "width), the cardinality the author meant and the number of classes."),
        N_("Pass all three to `diagnose`, the last two as its keywords `cardinality` and `num_classes`, and look "
           "for the one error it reports. Each finding has a `.layers` tuple of names; its first name, a string, "
           "is the layer at fault."),
    )
    _solution = CS("findings = diagnose(mystery, (3, 32, 32), cardinality=8, num_classes=10)\n"
                   "flagged_layer = findings.at_least('warning')[0].layers[0]")
    _typical_mistake = CS("flagged_layer = diagnose(mystery, (3, 32, 32)).at_least('warning')")
    _correct_message = N_("Well done. That conv has groups=16 over 128 channels: 16 paths of 8 channels, the "
                          "cardinality and the path width swapped. Nothing crashes and the parameter count moves "
                          "by less than 1%, so only a check that knows the cardinality you meant can catch it.")

    def _check(self, value):
        if isinstance(value, list):  # a Findings object, or a list of findings
            if not value:
                raise Incorrect(_("`flagged_layer` is an empty list of findings: diagnose found nothing above info. "
                                  "Without `cardinality=8` it cannot know how many groups each 3x3 should have; "
                                  "pass it, then take the layer's name from the finding."))
            raise Incorrect(_("`flagged_layer` is a list of findings. Take the name of the layer: "
                              "`findings[0].layers[0]` is a string like 'layer1.0.conv1'."))
        if not isinstance(value, str):
            raise Incorrect(_("Expected the layer's name as a string, like 'layer1.0.conv1', but `flagged_layer` "
                              "is a {kind}.").format(kind=type(value).__name__))
        name = value.strip()
        if name == MYSTERY_LAYER:
            return
        if MYSTERY_LAYER.startswith(name + ".") and name:
            raise Incorrect(_("'{name}' holds the culprit, but name the layer itself, as diagnose's layer column "
                              "does: the full dotted name of one conv.").format(name=name))
        if name.split(".")[-1] == "conv2" and "." not in name:
            raise Incorrect(_("'conv2' is in every block. Give the full dotted name, as diagnose's layer column "
                              "does, e.g. 'layer1.0.conv2'."))
        raise Incorrect(_("diagnose does not flag '{name}'. Run it with `cardinality=8` and `num_classes=10` at "
                          "(3, 32, 32) and copy the layer of the error.").format(name=name))


# ---------------------------------------------------------------------------------------------
# q4: fix the colleague's block.

def _fixed_block_params():
    """Parameters of blocks.ResNeXtBlockC(256, 256, 32, 4), the block the colleague meant: 71,168."""
    from ..blocks import ResNeXtBlockC
    from ..counting import count_params

    with torch.device("meta"):
        return count_params(ResNeXtBlockC(256, 256, 32, 4))


class FixColleaguesBlock(Problem):
    """Fix ColleaguesBlock so that diagnose reports nothing above info, keeping it a form (c) block."""

    _var = "my_block"
    _setup = CS("from resnext_edu.exercises.nb07 import ColleaguesBlock")
    _hints = (
        N_("Run `diagnose(ColleaguesBlock(), (256, 56, 56), cardinality=32)` and read the fix column: it names "
           "two different mistakes, in four layers."),
        N_("Replace the convs of a `ColleaguesBlock()` instance: `conv1` should be a plain 1x1 (no groups), and no "
           "conv needs a bias, because a BatchNorm follows each one. Keep `groups=32` on the 3x3."),
    )
    _solution = CS(
        "my_block = ColleaguesBlock()\n"
        "my_block.conv1 = nn.Conv2d(256, 128, 1, bias=False)                       # every path reads all 256\n"
        "my_block.conv2 = nn.Conv2d(128, 128, 3, padding=1, groups=32, bias=False)  # C = 32 paths of d = 4\n"
        "my_block.conv3 = nn.Conv2d(128, 256, 1, bias=False)"
    )
    _typical_mistake = CS("my_block = ColleaguesBlock()\nmy_block.conv1 = nn.Conv2d(256, 128, 1)")
    @property
    def _correct_message(self):
        return _("Well done: form (c) of Fig. 3 with {n:,} parameters, the same as "
                 "`blocks.ResNeXtBlockC(256, 256, 32, 4)`, and a clean bill of health from diagnose.").format(
                     n=_fixed_block_params())

    def _check(self, block):
        from ..diagnose import diagnose  # the check uses the notebook's own tool

        if not isinstance(block, nn.Module):
            raise Incorrect(_("Expected a block (an nn.Module), but `my_block` is a {kind}. Did you "
                              "assign the class instead of an instance, or forget the parentheses?").format(
                                  kind=type(block).__name__))
        x = torch.randn(2, 256, 8, 8, generator=torch.Generator().manual_seed(0))
        try:
            with torch.no_grad():
                out = copy.deepcopy(block).eval()(x)
        except Exception as err:  # noqa: BLE001  show the student what their block raised
            raise Incorrect(_("Your block raised {error} on a (2, 256, 8, 8) input: {err}. Check the "
                              "in and out channels of each conv: 256 -> 128 -> 128 -> 256.").format(
                                  error=type(err).__name__, err=err)) from None
        if tuple(out.shape) != (2, 256, 8, 8):
            raise Incorrect(_("On a (2, 256, 8, 8) input your block gives {shape}; a block of the conv2 "
                              "stage keeps the shape, (N, 256, H, W), so that the shortcut can be added.").format(
                                  shape=tuple(out.shape)))
        findings = diagnose(block, (256, 56, 56), cardinality=32).at_least("warning")
        if findings:
            found = "; ".join(_("{check} in {layer}").format(check=f.check, layer=f.layer) for f in findings)
            raise Incorrect(_("diagnose still reports {summary}: {found}. Read its fix column with "
                              "`diagnose(my_block, (256, 56, 56), cardinality=32)`.").format(
                                  summary=findings.summary(), found=found))
        convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
        if not any(m.groups == 32 and m.kernel_size == (3, 3) for m in convs):
            raise Incorrect(_("diagnose is quiet, but your block has no 3x3 conv with groups=32: without the groups "
                              "it is a ResNet bottleneck of width 128, not a ResNeXt block with C = 32 paths of "
                              "d = 4. Keep groups=32 on the 3x3 only."))
        n = sum(p.numel() for p in block.parameters())
        expected = _fixed_block_params()
        if n != expected:
            raise Incorrect(_("Expected {expected:,} parameters, as in `blocks.ResNeXtBlockC(256, 256, "
                              "32, 4)`, but your block has {n:,}. Each conv should be bias-free, and only the "
                              "3x3 grouped.").format(expected=expected, n=n))


# ---------------------------------------------------------------------------------------------
# q5: groups from a channels-last tensor.


class NHWCGroups(FunctionProblem):
    """A function that cuts a channels-last (N, H, W, C) tensor into PyTorch's g groups, each (N, C/g, H, W)."""

    _var = "nhwc_groups"
    _hints = (
        N_("In (N, H, W, C) the channels are the last axis. PyTorch's GroupedConv2dLoop wants (N, C, H, W) "
           "tensors and cuts them along axis 1."),
        N_("`Tensor.permute` reorders the axes: give it, for each new position, the number of the old axis that "
           "goes there. Either reorder first and then cut along the channel axis of the new layout, or cut along "
           "the last axis first and reorder each piece. Return a list."),
    )
    _solution = CS(
        "def nhwc_groups(x_nhwc, groups):\n"
        "    x_nchw = x_nhwc.permute(0, 3, 1, 2)       # (N, H, W, C) -> (N, C, H, W)\n"
        "    return list(x_nchw.chunk(groups, dim=1))  # g tensors of (N, C/g, H, W)"
    )
    _typical_mistake = CS(
        "def nhwc_groups(x_nhwc, groups):\n"
        "    x_nchw = x_nhwc.permute(0, 3, 1, 2)\n"
        "    return list(x_nchw.chunk(groups, dim=-1))  # the channels-last habit: axis -1"
    )
    _correct_message = N_("Well done: the same groups a channels-last framework would take along its last axis, "
                          "now in PyTorch's layout, ready for GroupedConv2dLoop's convs.")

    @staticmethod
    def _tests():
        """(x_nhwc, groups): one with every size different, one square, where a wrong axis keeps the shape."""
        g = torch.Generator().manual_seed(7)
        return [(torch.randn(2, 3, 5, 8, generator=g), 4), (torch.randn(1, 4, 4, 4, generator=g), 2)]

    def _sample_args(self):
        return self._tests()[0]

    def _check(self, fn):
        for x, groups in self._tests():
            n, h, w, c = x.shape
            want = [t.permute(0, 3, 1, 2) for t in x.chunk(groups, dim=-1)]
            shape = (n, c // groups, h, w)
            got = list(self._call(fn, (x.clone(), groups),
                                  _("take an (N, H, W, C) tensor and groups, here {shape} and {groups}, and return "
                                    "a list of `groups` tensors").format(shape=tuple(x.shape), groups=groups)))
            if len(got) != groups or not all(isinstance(t, torch.Tensor) for t in got):
                raise Incorrect(_("For an (N, H, W, C) = {shape} tensor and groups={groups}, expected a list of "
                                  "{groups} tensors, but got {n} item(s). `chunk` cuts along the axis you give it, "
                                  "and only the channel axis divides into the groups here: which axis did you "
                                  "cut?").format(shape=tuple(x.shape), groups=groups, n=len(got)))
            shapes = [tuple(t.shape) for t in got]
            if shapes[0] == (n, h, w, c // groups):
                raise Incorrect(_("Your groups hold the right channels but are still channels-last, {got}. "
                                  "PyTorch's convs want (N, C/g, H, W) = {shape}: permute each piece.").format(
                                      got=shapes[0], shape=shape))
            if any(s != shape for s in shapes):
                raise Incorrect(_("For an (N, H, W, C) = {input} tensor and groups={groups}, expected {groups} "
                                  "tensors of shape (N, C/g, H, W) = {shape}, but yours have shapes {shapes}. Which "
                                  "axis did you cut?").format(input=tuple(x.shape), groups=groups, shape=shape,
                                                              shapes=shapes))
            if not all(torch.equal(a, b) for a, b in zip(got, want)):
                raise Incorrect(_("On a square tensor, (N, H, W, C) = {input}, your groups have the right shape "
                                  "{shape} but the wrong values: you cut along a spatial axis, so each 'group' holds "
                                  "every channel of a strip of the image. Cut along the channels: axis 1 after the "
                                  "permute.").format(input=tuple(x.shape), shape=shape))


bind_exercises(globals(), [KerasStridesSides, WastedBiases, MysteryLayer, FixColleaguesBlock, NHWCGroups])
