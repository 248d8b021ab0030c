"""The grouped-convolution explorer: move g from dense to depthwise and see who reads whom, with no kernel needed.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.3 and Fig. 3(c); the channel shuffle is ShuffleNet's
(Zhang et al. 2018, https://arxiv.org/abs/1707.01083, Sec. 3.1).

An anywidget. Python draws the picture once for every groups value, with and without the shuffle
(viz.grouped_drawing), and sends them all as `drawings`; the page (grouped_conv.js) draws them as
SVG, lights what an output reads, and computes params and MACs by the formula. So the slider,
the shuffle and the play button work in the browser alone, after the kernel has stopped too.
Python reads and sets the traits; the page follows and sets them back. Its words are `messages`,
sent in the language set when the explorer is made (the drawings' own labels are viz's).
Measure: `python benchmarks/widget_latency.py`.
"""
import pathlib

import anywidget
import traitlets

from ..checks import check_divides, check_size, divisors
from ..i18n import N_, _, ngettext
from ..viz.grouped_drawing import MAX_CHANNELS, grouped_conv_drawing
from .page import forms

MIN_CHANNELS = 2  # one channel has nothing to group


def all_drawings(channels, kernel_size=3, spatial=(56, 56)):
    """{"plain": {g: drawing}, "shuffle": {g: drawing}} for every divisor g of channels (keys are strings: JSON)."""
    return {mode: {str(g): grouped_conv_drawing(channels, g, mode == "shuffle", kernel_size, spatial)
                   for g in divisors(channels)} for mode in ("plain", "shuffle")}


def messages():
    """Every word the page shows, in the current language: templates with named fields that the page fills in."""
    return dict(
        groups_label=_("groups g"), shuffle_label=_("channel shuffle between two grouped layers"),
        play=_("Play"), pause=_("Pause"), play_label=_("Play: step through the groups values"),
        pause_label=_("Pause stepping through the groups values"),
        groups=forms(lambda n: ngettext("{n} group", "{n} groups", n)),
        channels=forms(lambda n: ngettext("{n} channel", "{n} channels", n)),
        value=_("{groups} of {channels}"), dense=_("{value} (dense)"), depthwise=_("{value} (depthwise)"),
        params=_("params = k·k·(C_in/g)·C_out = {k}·{k}·({c}/{g})·{c} = {params}"),
        params_per_layer=_("params per layer = k·k·(C_in/g)·C_out = {k}·{k}·({c}/{g})·{c} = {params}"),
        macs=_("MACs = params · H·W = {params} · {h}·{w} = {macs}"),
        macs_per_layer=_("MACs per layer = params · H·W = {params} · {h}·{w} = {macs}"),
        reads_dense=_("Dense (g = 1): each output reads all {c} input channels."),
        reads_depthwise=_("Depthwise (g = C): each output reads one input channel, its own."),
        reads_group=_("Each output reads the {n} input channels of its own group: {n} of {c}."),
        shuffle_dense=_("Shuffle on: with g = 1 every output already reads every input, so the shuffle has nothing "
                        "to mix."),
        shuffle_depthwise=_("Shuffle on: depthwise groups hold one channel each, so the shuffle keeps the order and "
                            "each output still reaches one input."),
        shuffle=_("Shuffle on (ShuffleNet, Sec. 3.1): each group of conv 2 takes channels from {k} of conv 1's {g} "
                  "groups, so an output now reaches {reach} of {c} inputs; without the shuffle, only its group's {n}."),
        line=_("Each line is one {k}×{k} kernel."),
        hint=_("Hover, click or Tab to an output to light what it reads; Escape clears."),
        output_reads=forms(lambda n: ngettext("Output {o} (group {group}) reads input {inputs}.",
                                              "Output {o} (group {group}) reads inputs {inputs}.", n)),
        output_reaches=forms(lambda n: ngettext("Output {o} (group {group}) reaches input {inputs}.",
                                                "Output {o} (group {group}) reaches inputs {inputs}.", n)),
        picture=_("A grouped convolution, {groups} of {channels}"),
        picture_shuffle=_("Two grouped convolutions with a channel shuffle, {groups} of {channels}"),
        output_channel=_("output channel {o} (group {group})"),
        not_drawn=_("groups={groups} does not divide channels={channels}; use one of {divisors}."),
        failed=_("The explorer could not draw this ({error}). Run the cell again; if it stays, please report it."))


def nearest_divisor(channels, groups):
    """The divisor of channels nearest groups (the smaller one on a tie): where the slider lands for new channels."""
    return min(divisors(channels), key=lambda g: (abs(g - groups), g))


class GroupedConvExplorer(anywidget.AnyWidget):
    """A grouped conv of C channels: slider over g, output selection, shuffle toggle, play (Sec. 3.3).

    Setting `channels` redraws everything and moves `groups` to the nearest divisor that fits.
    """

    _esm = pathlib.Path(__file__).with_name("grouped_conv.js")
    channels = traitlets.Int(16).tag(sync=True)
    groups = traitlets.Int(4).tag(sync=True)  # the layer's groups argument: g, not a group width
    shuffle = traitlets.Bool(False).tag(sync=True)
    selected = traitlets.Int(-1).tag(sync=True)  # an output channel, -1 for none
    drawings = traitlets.Dict().tag(sync=True)
    messages = traitlets.Dict().tag(sync=True)  # the page's words, in the language set when it was made

    def __init__(self, channels=16, groups=4, shuffle=False):
        check_channels(channels)
        check_groups(channels, groups)
        if not isinstance(shuffle, bool):
            raise ValueError(_("shuffle={shuffle} should be True (two grouped layers, a channel shuffle between) "
                               "or False (one grouped layer)").format(shuffle=repr(shuffle)))
        super().__init__(channels=channels, groups=groups, shuffle=shuffle, drawings=all_drawings(channels),
                         messages=messages())

    @traitlets.validate("channels")
    def _check_channels(self, proposal):
        check_channels(proposal["value"])
        return proposal["value"]

    @traitlets.validate("groups")
    def _check_groups(self, proposal):
        check_groups(self.channels, proposal["value"])
        return proposal["value"]

    @traitlets.validate("selected")
    def _check_selected(self, proposal):
        o = proposal["value"]
        if isinstance(o, bool) or not -1 <= o < self.channels:
            raise ValueError(_("selected={o} should be an output channel from 0 to {last}, or -1 for none").format(
                o=repr(o), last=self.channels - 1))
        return o

    @traitlets.observe("channels")
    def _redraw(self, change):
        with self.hold_trait_notifications(), self.hold_sync():  # the page gets the new pictures and g at once
            self.drawings = all_drawings(change["new"])
            self.set_trait("groups", nearest_divisor(change["new"], self.groups))
            if self.selected >= change["new"]:
                self.selected = -1


def check_channels(channels):
    """ValueError unless channels is a whole number the picture can show, 2 to 32."""
    check_size("channels", channels, minimum=MIN_CHANNELS, maximum=MAX_CHANNELS,
               why=N_("the explorer draws one box per channel"))


def check_groups(channels, groups):
    """ValueError unless groups divides channels, listing the divisors that would."""
    check_size("groups", groups, why=_("use a divisor of channels={channels}: {divisors}").format(
        channels=channels, divisors=", ".join(map(str, divisors(channels)))))
    check_divides("groups", groups, "channels", channels)


def grouped_conv_explorer(channels=16, groups=4, shuffle=False):
    """The explorer of one 3×3 Conv2d(C, C, groups=g) on a 56×56 map (Xie et al. 2017, Sec. 3.3, Fig. 3(c)).

    The page steps g over the divisors of channels, from dense (1) to depthwise (channels).
    """
    return GroupedConvExplorer(channels, groups, shuffle)
