"""Questions for notebook 03, grouped convolution: `from resnext_edu.exercises.nb03 import *`.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.3 and Fig. 3(c). The channel shuffle is from Zhang et al.,
"ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile Devices", CVPR 2018,
https://arxiv.org/abs/1707.01083, Sec. 3.1.
"""
import copy

import torch
from torch import nn

from .. import blocks
from ..i18n import N_, _
from .core import CS, EqualityProblem, FunctionProblem, Incorrect, Problem, bind_exercises


def _conv_summary(conv):
    return (f"Conv2d({conv.in_channels}, {conv.out_channels}, kernel_size={conv.kernel_size}, "
            f"padding={conv.padding}, groups={conv.groups}, bias={conv.bias is not None})")


class _ConvProblem(Problem):
    """Shared checks for "build this nn.Conv2d" questions."""

    _channels = 0
    _groups = 0

    def _check_conv(self, conv):
        if not isinstance(conv, nn.Conv2d):
            raise Incorrect(_("Expected an `nn.Conv2d`, but `{var}` is a {kind}. Build it with "
                              "`nn.Conv2d(in_channels, out_channels, kernel_size, ...)`.").format(
                                  var=self._var, kind=type(conv).__name__))
        if (conv.in_channels, conv.out_channels) != (self._channels, self._channels):
            raise Incorrect(_("Expected {channels} input and {channels} output channels, but your conv has "
                              "{n_in} in and {n_out} out. A grouped conv still takes all the channels; `groups` "
                              "only decides which inputs each output reads.").format(
                                  channels=self._channels, n_in=conv.in_channels, n_out=conv.out_channels))
        if conv.kernel_size != (3, 3):
            raise Incorrect(_("Expected a 3x3 kernel, but yours is {kernel_size}.").format(kernel_size=conv.kernel_size))
        if conv.padding != (1, 1):
            raise Incorrect(_("Expected padding=1, so a 3x3 kernel keeps the height and width, but yours has "
                              "padding={padding}.").format(padding=conv.padding))
        if conv.bias is not None:
            raise Incorrect(_("Your conv has a bias. In the block a BatchNorm follows the conv and brings "
                              "its own shift, so torchvision's convs, and ours, use `bias=False`."))


class BuildGroupedConv(_ConvProblem):
    """Build the grouped 3x3 conv of a conv2-stage ResNeXt-50 block."""

    _var = "my_conv"
    _channels, _groups = 128, 32
    _hints = (
        N_("The conv sees all C·d = 32·4 = 128 channels at once; `groups` says into how many "
           "independent slices they are cut."),
        N_("One group per path: is `groups` then the number of paths or the channels in each path? The other "
           "arguments are those of any 3×3 conv that keeps 128 channels and the map size, without a bias."),
    )
    _solution = CS("my_conv = nn.Conv2d(128, 128, kernel_size=3, padding=1, groups=32, bias=False)")
    _typical_mistake = CS("my_conv = nn.Conv2d(128, 128, kernel_size=3, padding=1, groups=4, bias=False)")
    _correct_message = N_("Well done: 32 groups of 4 channels. Its weight has shape (128, 4, 3, 3): "
                          "128 filters, each reading the 4 channels of its own group.")

    def _check(self, conv):
        self._check_conv(conv)
        if conv.groups == 4:
            raise Incorrect(_("Your conv has groups=4, which is d, the channels per path. `groups` counts "
                              "the groups, one per path, so it is the cardinality C. (d2l.ai's `ResNeXtBlock` "
                              "passes `groups=bot_channels//groups` to its 3x3 conv, so its own `groups` "
                              "argument holds the channels per group, the same mix-up: name each number by "
                              "its meaning.)"))
        if conv.groups == 1:
            raise Incorrect(_("Your conv has groups=1: that is a dense conv, every output sees all 128 "
                              "inputs, and the 32 paths would mix. Cut the channels into one group per path."))
        if conv.groups != self._groups:
            raise Incorrect(_("Your conv has groups={groups}, so each group holds {per_group} channels. Each path "
                              "of this block has d = 4 channels.").format(groups=conv.groups,
                                                                          per_group=128 // conv.groups))


class GroupedConvMACs(EqualityProblem):
    """MACs of the grouped 3x3 conv of ResNeXt-50's conv4 stage on one 14x14 map."""

    _var = "conv4_macs"
    _hints = (
        N_("A conv does one multiply-accumulate per weight per output position. Count the weights "
           "first, with k·k·(C_in/g)·C_out."),
        N_("Each of the 512 filters reads only its own group's C_in/g input channels, not all 512. Multiply "
           "that weight count by the number of output positions; padding 1 and stride 1 keep the 14×14 map."),
    )
    _solution = CS("conv4_macs = 14 * 14 * 3 * 3 * (512 // 32) * 512")
    _typical_mistake = CS("conv4_macs = 14 * 14 * 3 * 3 * 512 * 512")
    _correct_message = N_("Well done. That is exactly the MACs of conv2's grouped conv (128 channels, "
                          "56x56) too: each stage doubles the width and halves the side (the second rule of "
                          "Sec. 3.1), so C_in·C_out grows 4x while H·W shrinks 4x.")

    @property
    def _expected(self):
        h = w = 14
        k, c, g = 3, 512, 32
        return h * w * k * k * (c // g) * c

    @property
    def _mistakes(self):
        e, g = self._expected, 32
        return {
            e * g: N_("That is the dense conv's count: each output channel reads only C_in/g = 16 inputs, "
                      "not all 512. Divide by the number of groups."),
            e // g: N_("You divided by the number of groups twice. Only the inputs per filter shrink "
                       "(512/32); there are still 512 filters."),
            e // 196: N_("That is the number of weights, the parameter count. Each weight is used once at "
                         "every output position; how many positions does a 14x14 map have?"),
            e * 4: N_("That would be a 28x28 output. This stage works on 14x14 maps."),
        }


# What notebook 03's section 5 defines before its check yourself; the tests run it before a solution.
_MASK_TOOLS = CS(
    "from resnext_edu import viz\n"
    "\n"
    "def channel_shuffle(x, groups):\n"
    "    n_batch, channels, height, width = x.shape\n"
    "    x = x.reshape(n_batch, groups, channels // groups, height, width)\n"
    "    return x.transpose(1, 2).reshape(n_batch, channels, height, width)\n"
    "\n"
    "def shuffle_matrix(channels, groups):\n"
    "    order = channel_shuffle(torch.arange(channels).reshape(1, channels, 1, 1), groups).flatten()\n"
    "    matrix = torch.zeros(channels, channels, dtype=torch.bool)\n"
    "    matrix[torch.arange(channels), order] = True\n"
    "    return matrix\n"
    "\n"
    "def through(*masks):\n"
    "    return torch.linalg.multi_dot([m.double() for m in masks]) > 0\n"
)


class ShuffleInResNeXt(EqualityProblem):
    """Fraction of (output, input) pairs connected by grouped 3x3, channel shuffle, grouped 3x3 at 32 groups of 4."""

    _var = "resnext_shuffled"
    _setup = _MASK_TOOLS
    _rel_tol = 1e-6
    _hints = (
        N_("Chain three masks of 128 channels with `through`, the last layer first: a grouped layer's mask from "
           "`viz.weight_mask`, the shuffle's from `shuffle_matrix`, and the first grouped layer's again. The "
           "fraction is the mean of the boolean result, as a float."),
        N_("Before you run it, reason it out. After the shuffle, a group of the second layer holds d = 4 channels: "
           "from how many of the 32 groups of the first layer can they come? In the 16-channel example a group "
           "held as many channels as there were groups."),
    )
    _solution = CS(
        "grouped = viz.weight_mask(128, 128, groups=32)  # C = 32 groups of d = 4 channels\n"
        "resnext_shuffled = through(grouped, shuffle_matrix(128, 32), grouped).float().mean().item()"
    )
    _typical_mistake = CS("resnext_shuffled = 1.0  # as in the 16-channel example")
    _correct_message = N_("Right: 1/8. After the shuffle each group of 4 channels takes one channel from each of "
                          "only 4 of the 32 groups, so an output reaches 4 groups, 16 of the 128 inputs. One shuffle "
                          "connects everything only when a group holds at least as many channels as there are "
                          "groups (4 of 4 in the 16-channel example). With 32 groups of 4, ResNeXt would need "
                          "several grouped layers and shuffles in a row to connect every channel; its dense 1x1 "
                          "convs do it in every block.")

    @property
    def _expected(self):
        c, d = 32, 4
        return min(d, c) / c  # a new group samples min(d, C) of the C old groups

    @property
    def _mistakes(self):
        return {
            1.0: N_("A shuffle connects every output to every input only if each group, after the shuffle, can "
                    "take a channel from every old group. Here a group holds d = 4 channels but there are 32 "
                    "groups. Compute it with `through` instead of carrying over the 16-channel result."),
            1 / 32: N_("That is two grouped layers with nothing between them: block-diagonal, 1/C. Put the "
                       "shuffle's permutation matrix between the two masks."),
            0.25: N_("That is the 16-channel example with 4 groups. Build the masks for ResNeXt's grouped "
                     "layer: 128 channels in 32 groups."),
        }


class GroupedFromPaths(FunctionProblem):
    """The C separate 3x3 convs of form (b) are one grouped conv: form (c)'s conv2 (Fig. 3(b) -> 3(c))."""

    _var = "to_grouped_conv"
    _hints = (
        N_("Path i's 3x3 conv reads only its own d channels and writes d channels. One nn.Conv2d with "
           "groups=C does the same for all C paths at once, if group i holds path i's filters."),
        N_("A grouped conv's weight has shape (C·d, d, 3, 3), and group i's d filters are output channels "
           "i·d to (i+1)·d - 1. Each path's 3x3 weight is (d, d, 3, 3): join them along the output-channel "
           "axis, in path order."),
        N_("Build a 3x3 conv from C·d to C·d channels with padding 1, one group per path and no bias; copy the "
           "joined weights into it without tracking gradients, and return it. `len(paths)` gives C, and a "
           "path's `conv2.out_channels` gives d."),
    )
    _solution = CS(
        "def to_grouped_conv(paths):\n"
        "    \"\"\"One grouped 3x3 conv equal to the C paths' 3x3 convs, side by side.\"\"\"\n"
        "    c, d = len(paths), paths[0].conv2.out_channels\n"
        "    conv = nn.Conv2d(c * d, c * d, kernel_size=3, padding=1, groups=c, bias=False)\n"
        "    with torch.no_grad():\n"
        "        conv.weight.copy_(torch.cat([p.conv2.weight for p in paths]))  # (C·d, d, 3, 3)\n"
        "    return conv"
    )
    _typical_mistake = CS(
        "def to_grouped_conv(paths):\n"
        "    c, d = len(paths), paths[0].conv2.out_channels\n"
        "    return nn.Conv2d(c * d, c * d, kernel_size=3, padding=1, groups=c, bias=False)"
    )
    _correct_message = N_("Right: C convs, each on its own d channels, are one conv with groups=C and the "
                          "paths' weights stacked. With the first 1x1 convs stacked the same way, that turns "
                          "form (b) into form (c); `blocks.convert` does exactly this.")

    @staticmethod
    def _test_block():
        """A small form-(b) block, C = 4 paths of width d = 3, distinct 3x3 weights per path."""
        block = blocks.ResNeXtBlockB(8, 8, cardinality=4, bottleneck_width=3)
        with torch.no_grad():
            for i, path in enumerate(block.paths):  # seeded per path, so the order of paths matters
                path.conv2.weight.normal_(generator=torch.Generator().manual_seed(i))
        return block

    def _sample_args(self):
        return (self._test_block().paths,)

    def _check(self, value):
        c, d = 4, 3  # a small test block, so the check is fast and the shapes are easy to read
        block = self._test_block()
        conv = self._call(value, (copy.deepcopy(block.paths),),
                          N_("take `block.paths` (C paths) and return an nn.Conv2d"),
                          on_error=N_("If the weight copy failed, check `groups`: one group per path."),
                          returns=nn.Conv2d)
        if conv.groups != c:
            raise Incorrect(_("For a test block with C = {c} paths of width d = {d}, expected groups={c} (one "
                              "group per path), but your conv has groups={groups}.").format(c=c, d=d, groups=conv.groups))
        expected = (c * d, d, 3, 3)
        if tuple(conv.weight.shape) != expected:
            raise Incorrect(_("For a test block with C = {c} paths of width d = {d}, expected a conv from "
                              "C·d = {cd} to {cd} channels, weight shape {expected}, but yours has weight "
                              "shape {shape}.").format(c=c, d=d, cd=c * d, expected=expected,
                                                       shape=tuple(conv.weight.shape)))
        x = torch.randn(2, c * d, 5, 5, generator=torch.Generator().manual_seed(10))
        with torch.no_grad():
            want = torch.cat([p.conv2(h) for p, h in zip(block.paths, x.chunk(c, dim=1))], dim=1)
            try:
                got = conv(x)
            except Exception as err:  # noqa: BLE001
                raise Incorrect(_("Your conv raised {error} on a (2, {cd}, 5, 5) input: {err}. Use kernel_size=3 "
                                  "and padding=1, like the paths' 3x3 convs.").format(
                                      error=type(err).__name__, cd=c * d, err=err)) from None
        if got.shape != want.shape:
            raise Incorrect(_("On a (2, {cd}, 5, 5) input your conv gives shape {shape}, but the paths give {want}. "
                              "Use padding=1 and stride 1, like the paths.").format(
                                  cd=c * d, shape=tuple(got.shape), want=tuple(want.shape)))
        diff = (want - got).abs().max().item()
        if diff > 1e-4:
            raise Incorrect(_("Your conv has the right shape, but its output differs from the paths' by up to "
                              "{diff:.3g}. Copy the paths' 3x3 weights into it, in path order (path i's filters "
                              "are output channels i·d to (i+1)·d - 1), and use bias=False.").format(diff=diff))


class BuildDepthwiseConv(_ConvProblem):
    """Build a depthwise 3x3 conv: as many groups as channels."""

    _var = "dw_conv"
    _channels, _groups = 256, 256
    _hints = (
        N_("Depthwise is the far end of the sweep: every group holds a single input channel."),
        N_("If each of the 256 input channels forms a group of its own, how many groups are there? The rest is "
           "as in the first check yourself: 3x3, padding 1, no bias, as many channels out as in."),
    )
    _solution = CS("dw_conv = nn.Conv2d(256, 256, kernel_size=3, padding=1, groups=256, bias=False)")
    _typical_mistake = CS("dw_conv = nn.Conv2d(256, 256, kernel_size=3, padding=1, groups=1, bias=False)")
    _correct_message = N_("Well done: its weight is (256, 1, 3, 3), 2,304 numbers, 1/256 of the dense "
                          "conv's. Each output channel filters one input channel and nothing else.")

    def _check(self, conv):
        self._check_conv(conv)
        if conv.groups != self._groups:
            raise Incorrect(_("Your conv has groups={groups}, so each group holds {per_group} input channels. A "
                              "depthwise conv gives every channel its own group of one, so no output channel mixes "
                              "two input channels.").format(groups=conv.groups, per_group=256 // conv.groups))


bind_exercises(globals(), [BuildGroupedConv, GroupedConvMACs, ShuffleInResNeXt, GroupedFromPaths, BuildDepthwiseConv])
