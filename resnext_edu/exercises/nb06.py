"""Questions for notebook 06, the ResNet family: `from resnext_edu.exercises.nb06 import *`.

Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018, https://arxiv.org/abs/1709.01507, Sec. 3;
Zhang et al., "ResNeSt: Split-Attention Networks", 2020, https://arxiv.org/abs/2004.08955, Sec. 3.1 and the
authors' `splat.py` (the radix-major grouped conv);
Gao et al., "Res2Net: A New Multi-scale Backbone Architecture", TPAMI 2019,
https://arxiv.org/abs/1904.01169, Sec. 3.
"""
import torch
from torch import nn

from ..counting import count_macs, count_params
from ..family import SEModule, SplitAttention
from ..i18n import N_, _
from .core import CS, EqualityProblem, Incorrect, Problem, bind_exercises

SIDE = 56  # the conv2 stage's map: 56x56 for a 224x224 image


class SEParams(EqualityProblem):
    """Parameters of the SE module in a conv2-stage block: 256 channels, reduction r = 16."""

    _var = "se_params"
    _hints = (
        N_("The excitation is two fully connected layers, 256 → 256/16 → 256 (Hu et al. 2018, Sec. 3.2). The paper's "
           "Eq. 3 and its count in Sec. 4 (Eq. 5) show only the weights, but the implementations, timm's and this "
           "course's `SEModule`, give each layer a bias too."),
        N_("The first layer has 256·16 weights and 16 biases; the second 16·256 weights and 256 biases."),
    )
    _solution = CS("se_params = (256 * 16 + 16) + (16 * 256 + 256)")
    _typical_mistake = CS("se_params = 2 * 256 * 16")

    @property
    def _expected(self):
        return count_params(SEModule(256))  # the real module: two 1x1 convs with bias
    _correct_message = N_("Well done. `counting.count_params(family.SEModule(256))` agrees. That is 12% of the "
                          "ResNeXt block's 71,168 parameters, but only 8,192 MACs, not 56·56 times as many: the "
                          "two layers run once on the pooled (N, 256, 1, 1) vector, not at every position.")

    @property
    def _mistakes(self):
        return {
            2 * 256 * 16: N_("That counts the weights of the two fc layers, but each layer also has a bias: one per "
                             "output channel."),
            2 * 256 * 16 + 16: N_("The first layer's biases are in, but the second layer has biases too."),
            2 * 256 * 16 + 256: N_("The second layer's biases are in, but the first layer has biases too."),
            2 * 256 * 256 + 256 + 256: N_("Those are fc layers 256 → 256 → 256. The excitation squeezes to 256/r "
                                          "channels first, with r = 16."),
            (2 * 256 * 16) * SIDE * SIDE: N_("That is a count of MACs at every position of a 56x56 map; the "
                                             "question asks for parameters, and the fc layers see only the pooled "
                                             "vector anyway."),
        }


class SplitAttentionMACs(EqualityProblem):
    """MACs of the grouped 3x3 conv inside split attention: K = 1, d = 64, R = 4, on a 56x56 map."""

    _var = "split_macs"
    _hints = (
        N_("The conv takes the K·d = 64 channels in and gives R·64 = 256 out, one 64-channel set per split, "
           "and has K·R groups (the radix-major layout of the authors' `splat.py`, which timm follows). A conv does "
           "one MAC per weight per output position."),
        N_("With 4 groups, each output channel reads 64/4 = 16 input channels through a 3x3 kernel. Count the MACs of "
           "one output channel at one position, then multiply by the number of output channels and of positions."),
    )
    _solution = CS("split_macs = 56 * 56 * 3 * 3 * (64 // 4) * (4 * 64)")
    _typical_mistake = CS("split_macs = 56 * 56 * 3 * 3 * 64 * (4 * 64)")

    @property
    def _expected(self):
        with torch.device("meta"):  # the real split attention's grouped 3x3, counted
            conv = SplitAttention(64, cardinality=1, radix=4).conv
        return count_macs(conv, (64, SIDE, SIDE))
    _correct_message = N_("Well done. That is exactly what ResNet's 64-channel 3x3 costs (56·56·3·3·64·64), and "
                          "what R = 1 and R = 2 cost: in this radix-major layout each of the R splits reads only d/R "
                          "of the channels, so the radix multiplies the outputs but not the work. "
                          "`counting.count_macs(family.SplitAttention(64, 1, 4).conv, (64, 56, 56))` agrees.")

    @property
    def _mistakes(self):
        e = self._expected
        return {
            e * 4: N_("That treats the conv as having no groups, so each filter would read all 64 input channels. "
                      "It has K·R = 4 groups: each output channel reads 64/4 = 16 of them."),
            e // 4: N_("That gives the conv only 64 output channels. It computes all R = 4 splits at once: 4·64 = 256 "
                       "output channels."),
            e // (SIDE * SIDE): N_("That is the number of weights. A conv uses each weight once at every output "
                                   "position: 56·56 of them here."),
        }


class BuildRes2NetBlock(Problem):
    """Build the conv2-stage block of Res2Net-50 (14w x 8s), identity shortcut: 256-d in and out."""

    _var = "block_14w_8s"
    _setup = CS("from resnext_edu import family")
    _hints = (
        N_("`family.Res2NetBlock` takes (in_channels, out_channels, cardinality, bottleneck_width, scale), in that "
           "order. The name 14w_8s reads w x s: w channels in each part, s parts."),
        N_("Res2Net proper has cardinality 1, so the part width w is the bottleneck_width. A conv2-stage block after "
           "the first keeps 256 channels in and out. Pass the last three arguments by name, so that w and s cannot "
           "swap places."),
    )
    _solution = CS("block_14w_8s = family.Res2NetBlock(256, 256, cardinality=1, bottleneck_width=14, scale=8)")
    _typical_mistake = CS("block_14w_8s = family.Res2NetBlock(256, 256, 1, 8, 14)")

    def _check(self, block):
        if isinstance(block, type):
            raise Incorrect(_("`block_14w_8s` is the class {name}, not a block. Call it with the "
                              "block's arguments, e.g. `family.Res2NetBlock(256, 256, ...)`.").format(name=block.__name__))
        if not isinstance(block, nn.Module):
            raise Incorrect(_("Expected a block (an nn.Module), but `block_14w_8s` is a {kind}.").format(
                kind=type(block).__name__))
        convs = getattr(block, "convs", None)
        if not isinstance(convs, nn.ModuleList) or not hasattr(block, "conv1") or not hasattr(block, "conv3"):
            raise Incorrect(_("Your block has no `convs` list of small 3x3 convs between two 1x1 convs, so it is "
                              "not a Res2Net block. Build it with `family.Res2NetBlock(...)`."))
        n_in, n_out = block.conv1.in_channels, block.conv3.out_channels
        if (n_in, n_out) != (256, 256):
            raise Incorrect(_("Expected 256 channels in and out (a conv2-stage block after the first), but your "
                              "block maps {n_in} to {n_out}.").format(n_in=n_in, n_out=n_out))
        scale, width = len(convs) + 1, convs[0].out_channels
        if (width, scale) == (8, 14):
            raise Incorrect(_("Your block has s = 14 parts of w = 8 channels: width and scale are swapped. The name "
                              "14w_8s reads w = 14 channels per part and s = 8 parts, and Res2NetBlock takes "
                              "(in_channels, out_channels, cardinality, bottleneck_width, scale) in that order."))
        if (width, scale) != (14, 8):
            raise Incorrect(_("Expected s = 8 parts of w = 14 channels (7 chained 3x3 convs), but your block has "
                              "s = {scale} parts of w = {width} channels.").format(scale=scale, width=width))
        if convs[0].groups != 1:
            raise Incorrect(_("Your 3x3 convs have {groups} groups: that is Res2NeXt. Res2Net-50 (14w x 8s) "
                              "has cardinality 1.").format(groups=convs[0].groups))
        if block.downsample is not None or convs[0].stride != (1, 1):
            raise Incorrect(_("Your block has a projection shortcut or a stride. The blocks after the first in the "
                              "conv2 stage keep 256-d at 56x56: stride 1, identity shortcut."))
        n = sum(p.numel() for p in block.parameters())
        self._correct_message = _("Well done: {n:,} parameters, about the same as the 26w x 4s block's 72,376 and "
                                  "ResNet's 70,400. Eight thinner parts, so a deeper hierarchy: the last chained "
                                  "3x3 sees a 15x15 window of the block's input.").format(n=n)


bind_exercises(globals(), [SEParams, SplitAttentionMACs, BuildRes2NetBlock])
