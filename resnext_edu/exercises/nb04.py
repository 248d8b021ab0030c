"""Questions for notebook 04, the whole ResNeXt: `from resnext_edu.exercises.nb04 import *`.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.4 (model capacity), Tables 1, 2, 3 and 4, Sec. 5.1 and Fig. 5.
"""
import torch
from torch import nn

from ..blocks import ResNeXtBlockC
from ..complexity import block_params, resnext_complexity
from ..counting import breakdown, count_macs
from ..models import resnext50_32x4d
from ..i18n import N_, _
from .core import CS, EqualityProblem, Incorrect, MultipleChoiceProblem, Problem, bind_exercises

RESNET50_PARAMS = 25_557_032  # torchvision's resnet50
BLOCKS_50 = (3, 4, 6, 3)  # blocks in stages conv2..conv5 (Table 1)


class GroupedConvsMACs(EqualityProblem):
    """MACs of all 16 grouped 3x3 convs of ResNeXt-50 (32x4d) together, for one 224x224 image."""

    _var = "grouped_macs"
    _hints = (
        N_("Take one stage at a time. For each of conv2 to conv5, read off the stage table in section 1 how "
           "many channels its grouped 3x3 has (C·d) and the size of the map it outputs."),
        N_("A grouped 3x3 with C·d channels in and out and 32 groups has 3·3·(C·d/32)·(C·d) weights, and each "
           "weight does one multiply-accumulate per output position. Work this out for conv2 (128 channels, "
           "56x56) and for conv3 (256 channels, 28x28) and compare the two; then count the blocks of each "
           "stage (Table 1)."),
    )
    _solution = CS("grouped_macs = (3 + 4 + 6 + 3) * 56 * 56 * 3 * 3 * (128 // 32) * 128")
    _typical_mistake = CS("grouped_macs = (3 + 4 + 6 + 3) * 56 * 56 * 3 * 3 * 128 * 128")
    _correct_message = N_("Well done. That is only about 5.5% of the network's 4.23 GMACs: in ResNeXt the "
                          "1x1 convs do most of the arithmetic, and the grouped 3x3s are cheap, which is "
                          "what lets them be wide.")

    @property
    def _expected(self):
        # Counted on the real network (meta device: shapes only): the MACs of its grouped convs.
        with torch.device("meta"):
            model = resnext50_32x4d()
        grouped = {name for name, m in model.named_modules() if isinstance(m, nn.Conv2d) and m.groups > 1}
        return sum(row.macs for row in breakdown(model, (3, 224, 224), layers=True) if row.name in grouped)

    @property
    def _mistakes(self):
        e, one = self._expected, self._expected // sum(BLOCKS_50)
        return {
            e * 32: N_("That treats each 3x3 as a dense conv: more than the whole network's 4.23 GMACs! With "
                       "groups=32 each filter reads only C_in/32 of the channels."),
            one: N_("That is one block's grouped conv. The network has one in every block: count the blocks "
                    "of all four stages (Table 1)."),
            one * 4: N_("That counts one block per stage. Stages conv2 to conv5 have 3, 4, 6 and 3 blocks."),
        }


class BlockMACs(EqualityProblem):
    """MACs of one conv2-stage ResNeXt-50 block (256-d, C = 32, d = 4) on a 56x56 map."""

    _var = "block_macs"
    _hints = (
        N_("With stride 1 every conv in the block outputs 56x56, and a conv does one multiply-accumulate "
           "per weight per output position. So count the block's conv weights first."),
        N_("Eq. 4 (Sec. 3.4) gives the block's conv weights, C·(256·d + 3·3·d·d + d·256): put in C = 32 and "
           "d = 4, then ask how many output positions each weight works at."),
    )
    _solution = CS("block_macs = 56 * 56 * 32 * (256 * 4 + 3 * 3 * 4 * 4 + 4 * 256)")
    _typical_mistake = CS("block_macs = 56 * 56 * (256 * 128 + 3 * 3 * 128 * 128 + 128 * 256)")
    _correct_message = N_("Well done. `counting.count_macs(blocks.ResNeXtBlockC(256, 256, 32, 4), (256, 56, 56))` "
                          "gives the same number, and the explorer's readout shows it too. Table 2's caption "
                          "gives about 0.22 billion FLOPs for this block: its parameters times 56·56.")

    @property
    def _expected(self):
        with torch.device("meta"):  # the real block, counted
            block = ResNeXtBlockC(256, 256, 32, 4)
        return count_macs(block, (256, 56, 56))

    @property
    def _mistakes(self):
        return {
            block_params(256, 32, 4): N_("That is the number of conv weights. Each weight is used once at every "
                                         "output position of a 56x56 map."),
            56 * 56 * block_params(256, 1, 128): N_("That treats the 3x3 as a dense conv over all 128 channels. With "
                                                    "groups=32 each filter reads only its own 4 channels: 1/32 of "
                                                    "those weights."),
            56 * 56 * block_params(256, 1, 4): N_("That is one path. The block has C = 32 of them."),
            28 * 28 * block_params(256, 32, 4): N_("That is a 28x28 map. The conv2 stage works at 56x56."),
        }


def _cardinality_and_width(block):
    """(C, d) of a ResNeXt block of any form, read off its layers."""
    if hasattr(block, "paths"):  # forms (a) and (b): one Path per branch
        return len(block.paths), block.paths[0].conv2.out_channels
    conv = block.conv2  # form (c) and ResNet's bottleneck
    return conv.groups, conv.out_channels // conv.groups


class BuildResNeXt50_8x14d(Problem):
    """Build ResNeXt-50 (8x14d) from Table 3 and check it is as big as ResNet-50."""

    _var = "model_8x14d"
    _hints = (
        N_("The course's general builder, `models.resnext`, builds any ResNeXt from the depth and the "
           "template's two numbers. Which of 8 and 14 is the cardinality?"),
        N_("The name 8x14d reads C x d: 8 paths, each 14 channels wide in the conv2 stage. Pass the depth, then "
           "the cardinality, then the bottleneck width, in the order of `models.resnext(depth, cardinality, "
           "bottleneck_width)`."),
    )
    _solution = CS("model_8x14d = models.resnext(50, 8, 14)")
    _typical_mistake = CS("model_8x14d = models.resnext(50, 14, 8)")

    def _check(self, model):
        if not isinstance(model, nn.Module):
            raise Incorrect(_("Expected a model (an nn.Module), but `model_8x14d` is a {kind}. Did you forget the "
                              "parentheses, or store a count instead of the model?").format(kind=type(model).__name__))
        layer1 = getattr(model, "layer1", None)
        if not isinstance(layer1, nn.Sequential) or len(layer1) == 0:
            raise Incorrect(_("Your model has no `layer1` stage of blocks, so it is not one of our ResNets. "
                              "Build it with `models.resnext(...)`."))
        c, d = _cardinality_and_width(model.layer1[0])
        if (c, d) == (14, 8):
            raise Incorrect(_("Your first block has C = 14 paths of d = 8 channels: cardinality and width are "
                              "swapped. The name reads C x d, and `models.resnext(depth, cardinality, "
                              "bottleneck_width)` takes them in that order."))
        if (c, d) != (8, 14):
            raise Incorrect(_("Expected C = 8 paths of d = 14 channels in the conv2 stage, but your first "
                              "block has C = {c} and d = {d}.").format(c=c, d=d))
        blocks_per_stage = [len(getattr(model, f"layer{i}", [])) for i in range(1, 5)]
        if blocks_per_stage != [3, 4, 6, 3]:
            raise Incorrect(_("Expected the 50-layer stages of Table 1, [3, 4, 6, 3] blocks, but your model "
                              "has {blocks}.").format(blocks=blocks_per_stage))
        n = sum(p.numel() for p in model.parameters())
        ratio = n / RESNET50_PARAMS - 1
        if abs(ratio) > 0.03:
            raise Incorrect(_("Your model has {n:,} parameters, {ratio:+.1%} from ResNet-50's {resnet50:,}, but "
                              "Table 3's models keep ResNet-50's complexity (Sec. 3.4), and counted they stay within "
                              "about 2% of its parameters. Did you change num_classes or the stage widths?").format(
                                  n=n, ratio=ratio, resnet50=RESNET50_PARAMS))
        self._correct_message = _("Well done: {n:,} parameters, {ratio:+.1%} from ResNet-50's {resnet50:,}. Same "
                                  "budget, 8 paths: Table 3 gives it 22.3% top-1 error, against ResNet-50's "
                                  "23.9%.").format(n=n, ratio=ratio, resnet50=RESNET50_PARAMS)


def _smallest_width_for_twice():
    """The smallest whole d at which ResNet-101 (1 x d) has at least twice the MACs of 1 x 64d."""
    target = 2 * resnext_complexity(101, 1, 64)[1]
    return next(d for d in range(64, 257) if resnext_complexity(101, 1, d)[1] >= target)


class WidthForTwice(EqualityProblem):
    """The bottleneck width that doubles ResNet-101's MACs, as the 'wider' row of Table 4 does."""

    _var = "d_for_twice"
    _hints = (
        N_("Not every conv of a block grows the same way with d: the two 1x1 convs have 256·d and d·256 "
           "weights, the 3x3 has 3·3·d·d. So doubling the cost takes neither twice d nor sqrt(2) times d."),
        N_("Let the formulas do it: `complexity.resnext_complexity(101, 1, d)` returns (params, MACs). Try "
           "widths above 64 in a loop, and stop at the first whose MACs reach twice those of d = 64."),
    )
    _solution = CS("base = complexity.resnext_complexity(101, 1, 64)[1]\n"
                   "d_for_twice = next(d for d in range(64, 257) "
                   "if complexity.resnext_complexity(101, 1, d)[1] >= 2 * base)")
    _typical_mistake = CS("d_for_twice = 91  # 64 * sqrt(2): as if the cost grew as d squared")

    @property
    def _expected(self):
        return _smallest_width_for_twice()

    @property
    def _correct_message(self):
        d = self._expected
        ratio = resnext_complexity(101, 1, d)[1] / resnext_complexity(101, 1, 64)[1]
        return _("Well done: at d = {d} ResNet-101 has {ratio:.2f} times its MACs. The paper's wider row "
                 "uses 1x100d, just short of twice (Table 4's networks all have about 15 billion FLOPs, "
                 "Sec. 5.1), and it gained 0.7 points where doubling C gained 1.3.").format(d=d, ratio=ratio)

    @property
    def _mistakes(self):
        base = resnext_complexity(101, 1, 64)[1]

        def times(d):
            return f"{resnext_complexity(101, 1, d)[1] / base:.2f}"

        too_few = N_("At d = {d} the network has only {times} times the MACs: only the 3x3 conv grows as d "
                     "squared. The 1x1 convs grow as d, and the stem, the projections and the fc layer not at all.")
        return {
            128: _("At d = 128 the network has {times} times the MACs, more than twice: the 3x3 convs "
                   "grow as d squared, so doubling d more than doubles their cost.").format(times=times(128)),
            91: _(too_few).format(d=91, times=times(91)),
            90: _(too_few).format(d=90, times=times(90)),
            100: _("That is the paper's wider ResNet-101, with {times} times the MACs: close, but not yet "
                   "twice. Keep going up one channel at a time.").format(times=times(100)),
        }


class TrainingErrorReading(MultipleChoiceProblem):
    _var = "fig5_reading"
    _question = N_("Fig. 5 shows ResNeXt-50 (32x4d) with a lower validation error than ResNet-50 and also a much "
                   "lower training error. What does the paper conclude from the training error?")
    _options = (
        N_("ResNeXt regularises better: its paths act like dropout, so it overfits less."),
        N_("The gain is not from regularisation but from stronger representations: ResNeXt fits even the "
           "training set better."),
        N_("ResNeXt was trained for more epochs than ResNet-50."),
        N_("Nothing: a lower training error always comes with a lower validation error."),
    )
    _answer = "b"
    _feedback = (
        N_("A regulariser trades training fit for generalisation: it would raise the training error, or leave "
           "it, while lowering the validation error. ResNeXt lowers both, which is why the paper rules "
           "regularisation out as the source of the gain."),
        N_("Right: 'the 32x4d ResNeXt also has a much lower training error than the ResNet counterpart, "
           "suggesting that the gains are not from regularization but from stronger representations'."),
        N_("Sec. 4 gives one recipe for all the ImageNet models (SGD, mini-batch 256, the same learning-rate "
           "schedule); the comparison changes only the block."),
        N_("Not at all: a network can fit its training set better and generalise worse (overfitting). Here "
           "both errors fall, and the paper uses the training error to tell why."),
    )
    _source = N_("Xie et al. 2017, Sec. 5.1, 'Cardinality vs. Width', and Fig. 5")


bind_exercises(globals(), [GroupedConvsMACs, BlockMACs, BuildResNeXt50_8x14d, WidthForTwice,
                           TrainingErrorReading])
