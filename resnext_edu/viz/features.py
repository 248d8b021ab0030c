"""Feature maps of a grouped convolution on a real photograph, one row per group.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.3: in a grouped convolution each group's output
channels are computed from that group's slice of the input channels only.

The photograph is Grace Hopper's portrait from matplotlib's bundled sample data, so nothing is
downloaded.
"""
import numpy as np
import torch
from matplotlib import cbook
from PIL import Image
from torch import nn

from ..checks import check_size
from ..i18n import _
from .figures import new_figure

MEAN = torch.tensor([0.485, 0.456, 0.406])  # ImageNet statistics, as torchvision's transforms use
STD = torch.tensor([0.229, 0.224, 0.225])


def sample_image(size=112):
    """Grace Hopper's photo from matplotlib's sample data: a normalised (1, 3, size, size) tensor."""
    check_size("size", size)
    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        s = min(w, h)
        im = im.crop(((w - s) // 2, (h - s) // 2, (w + s) // 2, (h + s) // 2))
        im = im.resize((size, size), Image.Resampling.BICUBIC)
        x = torch.from_numpy(np.asarray(im, dtype=np.float32) / 255).permute(2, 0, 1)  # (3, H, W)
    return ((x - MEAN[:, None, None]) / STD[:, None, None]).unsqueeze(0)


def _grouped_layer(module):
    """The layer whose output is split into groups, and its number of groups."""
    if isinstance(module, nn.Conv2d):
        return module, module.groups
    if isinstance(getattr(module, "groups", None), int):  # e.g. grouped.GroupedConv2dLoop
        return module, module.groups
    for m in module.modules():  # e.g. the 3x3 conv inside a form (c) block
        if isinstance(m, nn.Conv2d) and m.groups > 1:
            return m, m.groups
    raise ValueError(_("found no grouped convolution in {name}; pass an nn.Conv2d with groups > 1 or a module "
                       "that contains one (a form (c) block)").format(name=type(module).__name__))


def _in_channels(module):
    """How many input channels the module expects."""
    if isinstance(getattr(module, "in_channels", None), int):
        return module.in_channels
    convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(_("{name} has no Conv2d to tell its number of input channels").format(
            name=type(module).__name__))
    if isinstance(getattr(module, "groups", None), int) and len(convs) == module.groups:
        return sum(c.in_channels for c in convs)  # one small conv per group, side by side
    return convs[0].in_channels


def _as_input(image, channels):
    """(1, channels, H, W): the photo's colour channels repeated, so input channel i is colour i mod 3."""
    if image.dim() == 3:
        image = image.unsqueeze(0)
    if image.dim() != 4 or image.shape[0] != 1:
        raise ValueError(_("image should have shape (1, C, H, W), got {shape}").format(shape=tuple(image.shape)))
    if image.shape[1] == channels:
        return image
    repeats = -(-channels // image.shape[1])  # ceil
    return image.repeat(1, repeats, 1, 1)[:, :channels]


@torch.no_grad()
def group_features(block_or_conv, image=None):
    """(output of the grouped layer (1, C_out, H, W), groups) for the photo or a given image."""
    layer, groups = _grouped_layer(block_or_conv)
    x = _as_input(sample_image() if image is None else image, _in_channels(block_or_conv))
    captured = []
    hook = layer.register_forward_hook(lambda m, inputs, output: captured.append(output))
    training = block_or_conv.training
    block_or_conv.eval()  # BatchNorm uses its running statistics, so one image is enough
    try:
        block_or_conv(x)
    finally:
        hook.remove()
        block_or_conv.train(training)
    return captured[0], groups


def show_group_features(block_or_conv, image=None, groups_to_show=None, channels_per_group=4):
    """One row per group of a grouped convolution's output channels on a photo (Xie et al. 2017, Sec. 3.3).

    block_or_conv is an nn.Conv2d with groups > 1, a module with a `groups` attribute (such as
    GroupedConv2dLoop), or a block containing a grouped Conv2d (form (c)), whose output is
    captured with a forward hook. When the layer expects more than 3 input channels, the photo's
    colour channels are repeated (input channel i is colour i mod 3). groups_to_show defaults to
    the first 4 groups. Returns a Figure.
    """
    check_size("channels_per_group", channels_per_group)
    out, groups = group_features(block_or_conv, image)
    per_group = out.shape[1] // groups
    if groups_to_show is None:
        groups_to_show = range(min(groups, 4))
    groups_to_show = list(groups_to_show)
    for g in groups_to_show:
        if isinstance(g, bool) or not isinstance(g, int) or not 0 <= g < groups:
            raise ValueError(_("group {g!r} does not exist; this layer has groups 0 to {last}").format(
                g=g, last=groups - 1))
    if not groups_to_show:
        raise ValueError(_("groups_to_show is empty; pass at least one group number"))
    in_per_group = _in_channels(_grouped_layer(block_or_conv)[0]) // groups
    cols = min(channels_per_group, per_group)
    fig = new_figure(0.6 + 1.3 * cols, 0.4 + 1.4 * len(groups_to_show), layout="constrained")
    axes = fig.subplots(len(groups_to_show), cols, squeeze=False)
    for row, g in zip(axes, groups_to_show):
        for j, ax in enumerate(row):
            c = g * per_group + j  # output channel: group g owns channels g·C_out/g ..
            ax.imshow(out[0, c].numpy(), cmap="gray")
            ax.set_title(_("channel {c}").format(c=c), fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
        first, last = g * in_per_group, (g + 1) * in_per_group - 1
        inputs = (_("input {first}").format(first=first) if first == last
                  else _("inputs {first}–{last}").format(first=first, last=last))
        row[0].set_ylabel(_("group {g}\n{inputs}").format(g=g, inputs=inputs), fontsize=8)
    fig.suptitle(_("groups={groups}: each row sees only its own slice of the inputs").format(groups=groups), fontsize=9)
    return fig
