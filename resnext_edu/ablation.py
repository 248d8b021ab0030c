"""Switch off one path of a trained block and measure what it carried (notebook 05).

The norms of a group's filters cannot say whether a path matters: the grouped 3x3 conv feeds a
per-channel BatchNorm, which undoes any scaling of the filters. So we ablate instead. In the
form-(c) block (Xie et al. 2017, Fig. 3(c)) path i owns channels i·d to (i+1)·d - 1 of the
grouped conv's output; setting bn2's scale and shift to zero on them makes BN output 0 there,
the ReLU keeps it 0, and the last 1x1 conv receives nothing from that path. For a ResNet block
(C = 1) the same cut removes `width` channels of its dense 3x3 conv, the comparison the notebook
makes: does a ResNeXt path carry more or less than as many channels of a dense layer?

It also tests the "ensemble" reading of the block (Xie et al., Sec. 2, "Ensembling"): with
keep=True every path but one is switched off, so each row says how well one path does alone.

    >>> table = ablation.ablate_paths(model, "layer1.1", images, labels)   # one row per path
    >>> alone = ablation.ablate_paths(model, "layer1.1", images, labels, keep=True)
    >>> dense = ablation.ablate_paths(resnet, "layer1.1", images, labels,
    ...                               slices=ablation.random_slices(32, 12, count=8))
"""
import random
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from .checks import check_size
from .data import normalize, to_float
from .i18n import N_, _
from .tables import Column, Table


@contextmanager
def channels_off(bn, channels):
    """Within the block, BatchNorm `bn` outputs 0 on `channels` (its scale and shift are zeroed, then restored)."""
    if not isinstance(bn, nn.BatchNorm2d):
        raise TypeError(_("expected an nn.BatchNorm2d, got {kind}").format(kind=type(bn).__name__))
    channels = list(channels)
    bad = [c for c in channels if not 0 <= c < bn.num_features]
    if bad:
        raise ValueError(_("channels {bad} are out of range: this BatchNorm has {n} channels, 0 to {last}").format(
            bad=bad, n=bn.num_features, last=bn.num_features - 1))
    saved = bn.weight.detach()[channels].clone(), bn.bias.detach()[channels].clone()
    with torch.no_grad():
        bn.weight[channels] = 0
        bn.bias[channels] = 0
    try:
        yield
    finally:
        with torch.no_grad():
            bn.weight[channels], bn.bias[channels] = saved


def path_slices(block, width=None):
    """[(path, channels)] of a form-(c) or bottleneck block: C groups of d channels of its 3x3 conv.

    width: cut the 3x3's output into slices of this many channels instead (for C = 1 blocks).
    """
    conv = getattr(block, "conv2", None)
    if not isinstance(conv, nn.Conv2d) or not isinstance(getattr(block, "bn2", None), nn.BatchNorm2d):
        raise TypeError(_("{kind} has no conv2 and bn2: pass a ResNeXtBlockC or a Bottleneck "
                          "(a stage's block, e.g. model.layer1[1])").format(kind=type(block).__name__))
    channels = conv.out_channels
    width = channels // conv.groups if width is None else width
    check_size("width", width, maximum=channels, why=N_("channels per slice"))
    if channels % width:
        raise ValueError(_("width={width} does not divide the 3x3 conv's {channels} output channels").format(
            width=width, channels=channels))
    return [(i, range(i * width, (i + 1) * width)) for i in range(channels // width)]


def random_slices(channels, width, count, seed=0):
    """`count` random sets of `width` of `channels` channels, each sorted: the dense 3x3's stand-in for a path.

    A dense conv's channels have no order, so a fair comparison for a path of d channels is any
    d of them; several random draws show the spread.
    """
    check_size("channels", channels)
    check_size("width", width, maximum=channels, why=N_("channels per set"))
    check_size("count", count)
    rng = random.Random(seed)
    return [(i, tuple(sorted(rng.sample(range(channels), width)))) for i in range(count)]


@torch.no_grad()
def accuracy(model, images, labels, batch_size=500):
    """Test accuracy in %, in eval mode, of uint8 images (N, 28, 28) or float inputs (N, 1, H, W)."""
    model.eval()
    correct = 0
    for i in range(0, len(images), batch_size):
        x = images[i:i + batch_size]
        x = normalize(to_float(x)) if x.dtype == torch.uint8 else x
        correct += (model(x).argmax(1) == labels[i:i + batch_size]).sum().item()
    return 100 * correct / len(images)


@dataclass(frozen=True)
class Ablation:
    """One path (or slice) switched off: its channels and the test accuracy without it."""

    path: int
    channels: tuple
    accuracy: float
    baseline: float

    @property
    def drop(self):
        """Points of accuracy lost with this path off (or, with keep=True, with all the others off)."""
        return self.baseline - self.accuracy


def _channel_text(channels):
    channels = list(channels)
    if channels == list(range(channels[0], channels[-1] + 1)):
        return f"{channels[0]}-{channels[-1]}"
    return ",".join(map(str, channels))


class AblationTable(Table):
    """One row per path of a block: the accuracy with that path off (or kept alone), and the drop."""

    columns = (  # headers are translated where the table is shown
        Column(N_("path"), lambda r: str(r.path), "right"),
        Column(N_("channels"), lambda r: _channel_text(r.channels), "right"),
        Column(N_("accuracy (%)"), lambda r: f"{r.accuracy:.2f}", "right"),
        Column(N_("drop (points)"), lambda r: f"{r.drop:.2f}", "right"),
    )

    def __init__(self, rows, name, baseline, keep=False):
        super().__init__(rows)
        title = (_("{name}: only this path kept on (all paths on: {baseline:.2f}%)") if keep else
                 _("{name}: each path of its 3x3 switched off in turn (all paths on: {baseline:.2f}%)"))
        self.title = title.format(name=name, baseline=baseline)
        self.keep = keep


def ablate_paths(model, block_name, images, labels, width=None, slices=None, keep=False):
    """Switch off each path of one block of `model` in turn; an AblationTable of the accuracies.

    block_name: e.g. "layer1.1" (stage 1's second block). width: for a C = 1 block, the slice
    of the dense 3x3's channels to remove, e.g. the d of the ResNeXt it is compared with.
    slices: [(name, channels)] to switch off instead, e.g. from random_slices.
    keep: switch off every channel but the slice's, so each row is one path alone.
    """
    blocks = dict(model.named_modules())
    if block_name not in blocks:
        stages = [n for n in blocks if n.count(".") == 1 and n.startswith("layer")]
        raise ValueError(_("block_name={name!r} is not a block of this model; try one of {blocks}, ...").format(
            name=block_name, blocks=", ".join(stages[:6])))
    block = blocks[block_name]
    if slices is None:
        slices = path_slices(block, width)
    elif width is not None:
        raise ValueError(_("give either width or slices, not both"))
    everything = range(block.bn2.num_features)
    baseline = accuracy(model, images, labels)
    rows = []
    for path, channels in slices:
        off = [c for c in everything if c not in set(channels)] if keep else channels
        with channels_off(block.bn2, off):
            rows.append(Ablation(path, tuple(channels), accuracy(model, images, labels), baseline))
    return AblationTable(rows, block_name, baseline, keep)
