"""Questions for notebook 02, split-transform-merge: paths, their sum, and the cardinality C.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.2 (Eq. 1), Sec. 3.3 (Eq. 2-3, Fig. 3 and 4), Sec. 3.4 (Eq. 4) and Table 2.
"""
import copy

import torch
from torch import nn

from ..blocks import ResNeXtBlockA
from ..complexity import block_params
from ..i18n import N_, _, ngettext
from .core import CS, EqualityProblem, FunctionProblem, Incorrect, Problem, bind_exercises


def _conv_weights(module):
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, nn.Conv2d))


class PathParams(EqualityProblem):
    """q1: the conv weights of one path T_i of the 32x4d block (Fig. 3(a))."""

    _var = "path_params"
    _expected = 2_192
    _hints = (
        N_("One path is three convs: 1×1 from 256 to d, 3×3 from d to d, 1×1 from d back to 256, with d = 4. "
           "A k×k conv from c_in to c_out channels has k·k·c_in·c_out weights."),
        N_("Count each conv on its own: the two 1×1 convs have 256·d weights each, the 3×3 conv has 3·3·d·d. "
           "Leave out the BatchNorms, as the paper's Eq. 4 does."),
        N_("With d = 4 each 1×1 conv holds 1,024 weights. Work out the 3×3 conv's share and add the three."),
    )
    _solution = CS("d = 4\npath_params = 256 * d + 3 * 3 * d * d + d * 256  # 1x1 in, 3x3, 1x1 out")
    _typical_mistake = CS(
        "path = blocks.ResNeXtBlockA(256, 256, cardinality=32, bottleneck_width=4).paths[0]\n"
        "path_params = sum(p.numel() for p in path.parameters())"
    )
    _mistakes = {
        2_208: N_("That count includes the path's two BatchNorms (a scale and a shift per channel). The "
                  "question asks for the convolution weights only, the paper's convention."),
        1_168: N_("You left out the path's last 1×1 conv, the one that goes from d back to 256 channels."),
        2_084: N_("Look at the 3×3 conv again: from d to d channels it has 3·3·d·d weights, not 3·3·d."),
        2_064: N_("That counts one weight per channel pair in the 3×3 conv, d·d. Each pair has a whole 3×3 kernel: "
                  "3·3·d·d weights."),
        2_048: N_("You left out the 3×3 conv in the middle of the path, from d to d channels."),
        70_144: N_("That is the whole block, all 32 paths. The question asks about one path."),
        71_168: N_("That is the whole block with its BatchNorms. The question asks about one path, convs only."),
    }
    _correct_message = N_("Right: 2,192 = 1,024 + 144 + 1,024. Most of a thin path's weights sit in its two "
                          "1×1 convs, and 32 of them make 70,144.")


class MergeLastConvs(FunctionProblem):
    """q2: the sum of the C last 1×1 convs equals one 1×1 conv over the concatenation (Fig. 3(b))."""

    _var = "merge_last_convs"
    _hints = (
        N_("Path i's last conv maps its d channels h_i to out_channels. One conv that sees all C·d channels "
           "at once, the concatenation [h_1, ..., h_C], can compute the same sum if its weight is laid out right."),
        N_("The weight of a 1×1 conv has shape (out_channels, in_channels, 1, 1). In the merged conv, input "
           "channels i·d to (i+1)·d - 1 belong to path i, so the C path weights, each (out_channels, d, 1, 1), "
           "go side by side along the input-channel axis, in path order."),
        N_("Build a 1×1 conv from C·d to out_channels channels without a bias, copy the joined weight into it "
           "(under `torch.no_grad()`, or through `.data`), and return the conv. `torch.cat` joins tensors along "
           "the dimension you give it."),
    )
    _setup = CS("block_a = blocks.ResNeXtBlockA(256, 256, cardinality=32, bottleneck_width=4)")
    _solution = CS(
        "def merge_last_convs(paths):\n"
        "    \"\"\"One 1x1 conv over the concatenated paths, equal to the sum of their last 1x1 convs.\"\"\"\n"
        "    weight = torch.cat([p.conv3.weight for p in paths], dim=1)  # (out, C·d, 1, 1)\n"
        "    conv = nn.Conv2d(weight.shape[1], weight.shape[0], 1, bias=False)\n"
        "    conv.weight.data.copy_(weight)\n"
        "    return conv\n"
        "\n"
        "merged = merge_last_convs(block_a.paths)  # a 1x1 conv, 128 -> 256"
    )
    _typical_mistake = CS(
        "def merge_last_convs(paths):\n"
        "    weight = torch.cat([p.conv3.weight for p in paths], dim=0)  # stacked along the outputs\n"
        "    conv = nn.Conv2d(weight.shape[1], weight.shape[0], 1, bias=False)\n"
        "    conv.weight.data.copy_(weight)\n"
        "    return conv"
    )
    _correct_message = N_("Right: a sum of C convs over separate inputs is one conv over the concatenated "
                          "input. This is form (b) of Fig. 3, and the step towards form (c) in notebook 03.")

    @staticmethod
    def _test_block():
        """A small form-(a) block, C = 4 paths of width d = 3 and 8 channels, distinct weights per path."""
        block = ResNeXtBlockA(8, 8, cardinality=4, bottleneck_width=3)
        with torch.no_grad():
            for i, path in enumerate(block.paths):  # seeded per path, so the order of paths matters
                path.conv3.weight.normal_(generator=torch.Generator().manual_seed(i))
        return block

    def _sample_args(self):
        return (self._test_block().paths,)

    def _check(self, value):
        c, d, out = 4, 3, 8  # a small test block, so the check is fast and the shapes are easy to read
        block = self._test_block()
        conv = self._call(value, (copy.deepcopy(block.paths),),
                          N_("take `block.paths` (a list of C paths) and return an nn.Conv2d"), returns=nn.Conv2d)
        expected = (out, c * d, 1, 1)
        if tuple(conv.weight.shape) != expected:
            raise Incorrect(_("For a test block with C = {c} paths of width d = {d} and {out} output channels, "
                              "expected a 1×1 conv from C·d = {cd} to {out} channels, weight shape {expected}, "
                              "but yours has weight shape {shape}. Concatenate the path weights along the input "
                              "channels (dim=1), not the outputs (dim=0).").format(
                                  c=c, d=d, out=out, cd=c * d, expected=expected, shape=tuple(conv.weight.shape)))
        hs = [torch.randn(2, d, 5, 5, generator=torch.Generator().manual_seed(10 + i)) for i in range(c)]
        with torch.no_grad():
            want = sum(path.conv3(h) for path, h in zip(block.paths, hs))
            got = conv(torch.cat(hs, dim=1))
        diff = (want - got).abs().max().item()
        if diff > 1e-4:
            raise Incorrect(_("Your conv has the right shape, but on the concatenated input it differs from the "
                              "sum of the paths by up to {diff:.3g}. Keep the paths in order (path i's weight "
                              "goes to input channels i·d to (i+1)·d - 1), copy the weights, and use "
                              "bias=False.").format(diff=diff))


class FirstConvOfPath(FunctionProblem):
    """q3: cut path i's first 3x3 conv out of a wide two-layer block (Sec. 3.3, Fig. 4: depth 2 is trivially wider)."""

    _var = "first_conv_of_path"
    _hints = (
        N_("The wide block's first conv has C·w output channels, w for each path, and every path reads all of the "
           "input. Which of the weight's axes, outputs or inputs, do the paths share out between them?"),
        N_("A conv's weight has shape (out_channels, in_channels, 3, 3). Path i's first conv keeps every input "
           "channel and owns the wide conv's output channels i·w to (i+1)·w - 1, so its weight is a slice of the "
           "wide weight along one axis only, the way the merge above stacked them."),
        N_("Work out w from the wide conv's output channels and the cardinality, build a 3×3 conv from in_channels "
           "to w with the same padding and no bias, copy path i's slice of the wide weight into it (under "
           "`torch.no_grad()`, or through `.data`) and return it."),
    )
    _setup = CS(
        "class DepthTwoPath(nn.Module):\n"
        "    def __init__(self, in_channels, w, out_channels):\n"
        "        super().__init__()\n"
        "        self.conv1 = nn.Conv2d(in_channels, w, 3, padding=1, bias=False)\n"
        "        self.relu = nn.ReLU()\n"
        "        self.conv2 = nn.Conv2d(w, out_channels, 3, padding=1, bias=False)\n"
        "\n"
        "    def forward(self, x):\n"
        "        return self.conv2(self.relu(self.conv1(x)))\n"
        "\n"
        "wide = DepthTwoPath(16, 4 * 4, 16)  # the notebook's wide block: C·w = 16"
    )
    _solution = CS(
        "def first_conv_of_path(wide_conv1, i, cardinality):\n"
        "    \"\"\"Path i's first 3x3 conv (in -> w), cut out of the wide block's first conv (in -> C·w).\"\"\"\n"
        "    w = wide_conv1.out_channels // cardinality  # each path's width\n"
        "    conv = nn.Conv2d(wide_conv1.in_channels, w, 3, padding=1, bias=False)  # reads all of x\n"
        "    conv.weight.data.copy_(wide_conv1.weight[i * w:(i + 1) * w])  # path i's output channels\n"
        "    return conv\n"
        "\n"
        "path_0 = first_conv_of_path(wide.conv1, 0, cardinality=4)  # a 3x3 conv, 16 -> 4"
    )
    _typical_mistake = CS(
        "def first_conv_of_path(wide_conv1, i, cardinality):\n"
        "    w = wide_conv1.out_channels // cardinality\n"
        "    weight = wide_conv1.weight[:, i * w:(i + 1) * w]  # sliced along the inputs\n"
        "    conv = nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1, bias=False)\n"
        "    conv.weight.data.copy_(weight)\n"
        "    return conv"
    )
    _correct_message = N_("Right: path i's first conv is rows i·w to (i+1)·w - 1 of the wide weight, with every input "
                          "channel. Cut the second conv the same way along its inputs, and any wide two-layer block "
                          "splits into C depth-2 paths: the two are the same thing, as Fig. 4 says.")

    @staticmethod
    def _test_conv():
        """A small wide first conv: 5 channels in, C = 3 paths of width w = 2, so in != C·w and slices differ."""
        conv = nn.Conv2d(5, 3 * 2, 3, padding=1, bias=False)
        with torch.no_grad():
            conv.weight.normal_(generator=torch.Generator().manual_seed(0))
        return conv

    def _sample_args(self):
        return (self._test_conv(), 0, 3)

    def _check(self, value):
        c, w, cin = 3, 2, 5
        wide_conv1 = self._test_conv()
        x = torch.randn(2, cin, 6, 6, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            want_all = wide_conv1(x)
        for i in range(c):
            conv = self._call(value, (copy.deepcopy(wide_conv1), i, c),
                              N_("take the wide first conv, a path number i and the cardinality, and return an "
                                 "nn.Conv2d"),
                              returns=nn.Conv2d)
            expected = (w, cin, 3, 3)
            if tuple(conv.weight.shape) != expected:
                raise Incorrect(_("For a test conv from {cin} to C·w = {cw} channels with C = {c}, expected path "
                                  "{i}'s conv to have weight shape {expected} ({w} outputs, each reading all {cin} "
                                  "inputs), but yours has {shape}. Every path reads the whole input; what path i "
                                  "owns is w of the wide conv's *output* channels, so slice the weight along dim 0, "
                                  "not dim 1.").format(cin=cin, cw=c * w, c=c, i=i, expected=expected, w=w,
                                                       shape=tuple(conv.weight.shape)))
            with torch.no_grad():
                got = conv(x)
            want = want_all[:, i * w:(i + 1) * w]
            if got.shape != want.shape:
                raise Incorrect(_("Path {i}'s conv gives an output of shape {shape} on a 6×6 input, but the wide "
                                  "conv's channels for that path have shape {want}. Keep the wide conv's padding "
                                  "(padding=1), so the map keeps its size.").format(
                                      i=i, shape=tuple(got.shape), want=tuple(want.shape)))
            diff = (got - want).abs().max().item()
            if diff > 1e-4:
                raise Incorrect(_("Path {i}'s conv has the right shape, but its output differs from the wide conv's "
                                  "output channels {first} to {last} by up to {diff:.3g}. Copy the slice for path i "
                                  "(rows i·w to (i+1)·w - 1, here w = {w}) and use bias=False.").format(
                                      i=i, first=i * w, last=(i + 1) * w - 1, diff=diff, w=w))


class Block8x14(Problem):
    """q4: an aggregated block with C = 8 paths of width d = 14 (Table 2's fourth column)."""

    _var = "block_8x14"
    _expected_weights = block_params(256, 8, 14)  # Sec. 3.4's count: C·(256·d + 3·3·d·d + d·256)
    _hints = (
        N_("`blocks.ResNeXtBlockA(in_channels, out_channels, cardinality, bottleneck_width)` builds form (a); "
           "so does your own class from above."),
        N_("In and out channels are both 256, as in the conv2 stage. Name the last two arguments when you call it, "
           "so that C and d cannot swap places: which of them is the number of paths, and which the width of each?"),
    )
    _solution = CS("block_8x14 = blocks.ResNeXtBlockA(256, 256, cardinality=8, bottleneck_width=14)")
    _typical_mistake = CS("block_8x14 = blocks.ResNeXtBlockA(256, 256, 14, 8)  # C and d swapped")
    _correct_message = N_("Right: 71,456 conv weights, 2.6% more than ResNet's bottleneck (69,632). "
                          "Table 2's \"about 70k\" allows for d being a whole number.")

    def _check(self, value):
        if not isinstance(value, nn.Module):
            raise Incorrect(_("Expected `block_8x14` to be a block (an nn.Module), but it is a {kind}. Did you "
                              "forget to call the class, `(...)`?").format(kind=type(value).__name__))
        x = torch.randn(2, 256, 8, 8, generator=torch.Generator().manual_seed(0))
        try:
            with torch.no_grad():
                y = copy.deepcopy(value).eval()(x)
        except RuntimeError as err:
            raise Incorrect(_("Your block fails on an input of shape (2, 256, 8, 8): it must take 256 channels. "
                              "(torch said: {error})").format(error=str(err).splitlines()[0])) from None
        if tuple(y.shape) != tuple(x.shape):
            raise Incorrect(_("Expected the block to keep the shape (2, 256, 8, 8), but it gives {shape}. "
                              "Use 256 channels in and out, and stride 1.").format(shape=tuple(y.shape)))
        n = _conv_weights(value)
        if n != self._expected_weights:
            paths = getattr(value, "paths", None)
            found = (ngettext(" It has {n} path.", " It has {n} paths.", len(paths)).format(n=len(paths))
                     if paths is not None else "")
            raise Incorrect(_("Expected 8 paths of width 14, that is {expected:,} conv weights, but your block has "
                              "{n:,}.{found} The arguments are (in_channels, out_channels, cardinality, "
                              "bottleneck_width): did you swap C and d?").format(
                                  expected=self._expected_weights, n=n, found=found))


class WidthFor16(EqualityProblem):
    """q5: the d that keeps a C = 16 block at ResNet's complexity (Table 2 skips C = 16)."""

    _var = "d_for_16"
    _expected = 8
    _hints = (
        N_("You want the whole number d for which 16·(256·d + 9·d² + d·256) is nearest to ResNet's 69,632."),
        N_("`complexity.block_params(256, 16, d)` gives the conv weights for any d. Table 2 brackets the answer: "
           "twice as many paths (C = 32) need d = 4, half as many need d = 14."),
        N_("Solve 16·(512·d + 9·d²) = 69,632 for a real d: it lies between two whole numbers. Compute the block's "
           "weights at both and keep the one nearer 69,632; the two are close, so compare the differences exactly."),
    )
    _solution = CS(
        "budget = complexity.block_params(256, 1, 64)  # ResNet's bottleneck: C = 1, d = 64\n"
        "d_for_16 = min(range(1, 65), key=lambda d: abs(complexity.block_params(256, 16, d) - budget))"
    )
    _typical_mistake = CS("d_for_16 = 64 // 16  # keep C·d = 64")
    _mistakes = {
        4: N_("d = 64 / 16 keeps the group width C·d at 64, but then the block has far fewer weights than "
              "ResNet's: the 1×1 convs cost C·d·512, and the 3×3 only C·9·d². The paper keeps the "
              "*parameters* fixed, so d shrinks more slowly than 1/C."),
        7: N_("Close, but one of the whole numbers next to it is nearer. Compute the block's weights for both "
              "and compare each with 69,632."),
        9: N_("Close, but one of the whole numbers next to it is nearer. Compute the block's weights for both "
              "and compare each with 69,632."),
    }
    _correct_message = N_("Right: d = 8, a group width of C·d = 128 with 74,752 conv weights. C = 16 sits "
                          "between Table 2's C = 8 (d = 14) and C = 32 (d = 4).")


bind_exercises(globals(), [PathParams, MergeLastConvs, FirstConvOfPath, Block8x14, WidthFor16])
