"""The weight mask of a grouped convolution: which input channels feed which output channel.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.3: a convolution with g groups splits its inputs and
outputs into g slices, and output slice k sees input slice k only, so its weight is
block-diagonal and it keeps 1/g of a dense layer's weights.
"""
import math

import torch
from matplotlib.colors import ListedColormap
from matplotlib.ticker import MaxNLocator

from ..checks import check_divides, check_size, divisors
from ..i18n import _
from .figures import new_figure
from .style import PALETTE

MASK_COLORS = ListedColormap(["white", PALETTE["blue"]])  # not connected, connected


def weight_mask(in_channels, out_channels, groups):
    """(C_out, C_in) bool mask: True where output o sees input i in Conv2d(groups=g) (Sec. 3.3).

    Group k holds inputs k·C_in/g .. (k+1)·C_in/g - 1 and the matching slice of outputs, so the
    mask is block-diagonal with g blocks and C_in·C_out/g True entries.
    """
    for name, value in [("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)]:
        check_size(name, value)
    common = divisors(math.gcd(in_channels, out_channels))  # the groups that fit both sides
    check_divides("groups", groups, "in_channels", in_channels, suggest=common)
    check_divides("groups", groups, "out_channels", out_channels, suggest=common)
    group_of_out = torch.arange(out_channels) // (out_channels // groups)
    group_of_in = torch.arange(in_channels) // (in_channels // groups)
    return group_of_out[:, None] == group_of_in[None, :]


def mask_title(groups, channels=None):
    """'groups=4: 1/4 of the weights', the share of a dense layer's weights that a grouped one keeps."""
    if groups == 1:
        return _("groups=1: all of the weights")
    depthwise = "\n" + _("(depthwise: one input per output)") if groups == channels else ""
    return _("groups={groups}: 1/{groups} of the weights").format(groups=groups) + depthwise


def mask_axes(ax, in_channels, out_channels):
    """Channel numbers on the axes of a mask picture, and a faint line between neighbouring channels."""
    ax.set_xlabel(_("input channel"), fontsize=8)
    ax.set_ylabel(_("output channel"), fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    if max(in_channels, out_channels) <= 64:  # denser grids would be solid grey
        ax.set_xticks([i - 0.5 for i in range(1, in_channels)], minor=True)
        ax.set_yticks([i - 0.5 for i in range(1, out_channels)], minor=True)
        ax.grid(which="minor", color="0.85", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
    ax.tick_params(labelsize=7)


def draw_connectivity(in_channels, out_channels, groups, ax=None):
    """Block-diagonal picture of which inputs feed each output of Conv2d(groups=g) (Sec. 3.3)."""
    mask = weight_mask(in_channels, out_channels, groups)
    if ax is None:
        ax = new_figure(3.4, 3.4).add_subplot()
    ax.imshow(mask.numpy(), cmap=MASK_COLORS, vmin=0, vmax=1, interpolation="nearest")
    mask_axes(ax, in_channels, out_channels)
    depthwise = in_channels if in_channels == out_channels else None
    ax.set_title(mask_title(groups, depthwise), fontsize=9)
    return ax.figure
