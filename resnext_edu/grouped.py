"""Grouped convolution written out as a loop: what `nn.Conv2d(groups=g)` computes, one group at a time.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.3: form (c) of the block is a grouped convolution
(Krizhevsky et al. 2012 used groups to split AlexNet over two GPUs).

The input channels are cut into g equal slices along axis 1 (PyTorch's NCHW layout); slice k
goes through its own small convolution and gives slice k of the output. No channel of one
group ever sees a channel of another group, so the fused weight is block-diagonal.
"""
import torch
from torch import nn

from .checks import check_divides, check_size, divisors
from .i18n import _


class GroupedConv2dLoop(nn.Module):
    """g independent convolutions over channel slices, concatenated: equal to Conv2d(groups=g)."""

    def __init__(self, in_channels, out_channels, kernel_size, groups, stride=1, padding=0, bias=False):
        super().__init__()
        for name, value in [("in_channels", in_channels), ("out_channels", out_channels),
                            ("kernel_size", kernel_size), ("groups", groups)]:
            check_size(name, value)
        common = [k for k in divisors(in_channels) if out_channels % k == 0]  # what fits both sides
        for name, channels in [("in_channels", in_channels), ("out_channels", out_channels)]:
            check_divides("groups", groups, name, channels, suggest=common)
        self.groups = groups
        self.convs = nn.ModuleList(
            nn.Conv2d(in_channels // groups, out_channels // groups, kernel_size, stride, padding, bias=bias)
            for _group in range(groups)
        )

    def forward(self, x):
        slices = x.chunk(self.groups, dim=1)  # g tensors of (N, C_in/g, H, W)
        return torch.cat([conv(s) for conv, s in zip(self.convs, slices)], dim=1)

    @torch.no_grad()
    def load_from(self, conv):
        """Copy the weights of an nn.Conv2d(groups=g): group k's filters are rows k·n .. (k+1)·n."""
        self._check_same_shape(conv)
        n = conv.out_channels // self.groups
        for k, small in enumerate(self.convs):
            small.weight.copy_(conv.weight[k * n:(k + 1) * n])
            if small.bias is not None:
                small.bias.copy_(conv.bias[k * n:(k + 1) * n])
        return self

    @torch.no_grad()
    def to_conv2d(self):
        """An nn.Conv2d(groups=g) holding the same weights: the fast, fused version of this loop."""
        first = self.convs[0]
        conv = nn.Conv2d(first.in_channels * self.groups, first.out_channels * self.groups,
                         first.kernel_size, first.stride, first.padding,
                         groups=self.groups, bias=first.bias is not None)
        conv.weight.copy_(torch.cat([c.weight for c in self.convs]))
        if conv.bias is not None:
            conv.bias.copy_(torch.cat([c.bias for c in self.convs]))
        return conv

    def _check_same_shape(self, conv):
        first = self.convs[0]
        mine = (first.in_channels * self.groups, first.out_channels * self.groups,
                first.kernel_size, self.groups, first.bias is not None)
        theirs = (conv.in_channels, conv.out_channels, conv.kernel_size, conv.groups, conv.bias is not None)
        if mine != theirs:
            raise ValueError(_("cannot copy weights: this loop is (in, out, kernel, groups, bias)={mine}, "
                               "the conv is {theirs}").format(mine=mine, theirs=theirs))
