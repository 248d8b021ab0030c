"""The cardinality explorer: trade cardinality (C) against bottleneck width (d) and watch the cost.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.4 and Table 2.

Every number comes from resnext_edu.complexity, in closed form: no model is built in a
callback (the diagram reads its labels off a block on the meta device, cached). The figure
stays alive (widgets.live): a change redraws only the artists that move and re-encodes the PNG,
well inside the 50 ms budget. Measure: `python benchmarks/widget_latency.py`.
"""
import functools

import ipywidgets as widgets

from ..checks import check_choice, check_size
from ..complexity import block_params, equal_complexity_width, resnext_complexity
from ..counting import PAPER_TABLE2
from ..viz import block_spec
from ..viz.style import GREY, PALETTE
from .live import LiveExplorer, LiveFigure

CARDINALITIES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)  # C doubles at each step, as in Table 2
MAX_WIDTH = 128  # d on the slider: 1..128
DEPTHS = (50, 101)
FORMS = ("a", "b", "c")
BLOCK_CHANNELS = 256  # Table 2's block: conv2 stage, 256-d in and out ...
BLOCK_SIZE = 56  # ... on a 56x56 map (224x224 input), stride 1
MAX_GROUP_WIDTH = 2048  # C·d of the conv2 stage; the paper's widest ImageNet model has 256 (64x4d, Table 4)
LOCK_TOLERANCE = 0.25  # a locked block may cost at most 25% more than ResNet's
RESNET_BLOCK = block_params(BLOCK_CHANNELS, 1, 64)  # conv weights of ResNet's bottleneck, 69,632


@functools.lru_cache(maxsize=None)
def resnet_numbers(depth):
    """(params, MACs) of ResNet-{depth}: the same network with C = 1 and d = 64."""
    return resnext_complexity(depth, 1, 64)


def explorer_numbers(depth, cardinality, bottleneck_width):
    """Params and MACs of one conv2 block and of ResNeXt-{depth} (C x d), and their ratios to ResNet."""
    check_choice("depth", depth, DEPTHS, what="is not on the explorer")
    check_size("cardinality", cardinality)
    check_size("bottleneck_width", bottleneck_width)
    group_width = cardinality * bottleneck_width
    block = block_params(BLOCK_CHANNELS, cardinality, bottleneck_width)
    if group_width > MAX_GROUP_WIDTH:
        raise ValueError(f"C·d = {cardinality}·{bottleneck_width} = {group_width:,} channels is far too "
                         f"wide: the widest ImageNet ResNeXt of the paper, ResNeXt-101 (64×4d, Table 4), has 256 there, "
                         f"and this one block alone would "
                         f"hold {block:,} parameters. Lower C or d.")
    params, macs = resnext_complexity(depth, cardinality, bottleneck_width)
    ref_params, ref_macs = resnet_numbers(depth)
    return dict(depth=depth, cardinality=cardinality, bottleneck_width=bottleneck_width,
                group_width=group_width,
                block_params=block,
                block_macs=block * BLOCK_SIZE**2,  # stride 1: one MAC per weight per output pixel
                block_ratio=block / RESNET_BLOCK,
                params=params, macs=macs,
                params_ratio=params / ref_params, macs_ratio=macs / ref_macs)


def locked_width(cardinality):
    """The d that keeps a conv2 block at ResNet's complexity (Table 2); ValueError if no d >= 1 does."""
    d = equal_complexity_width(cardinality)
    if d < 1 or block_params(BLOCK_CHANNELS, cardinality, d) > (1 + LOCK_TOLERANCE) * RESNET_BLOCK:
        smallest = block_params(BLOCK_CHANNELS, cardinality, 1)
        raise ValueError(f"With C = {cardinality} paths, even d = 1 gives a block of {smallest:,} "
                         f"parameters, {smallest / RESNET_BLOCK:.1f}x ResNet's {RESNET_BLOCK:,}: no width "
                         "d ≥ 1 keeps the complexity equal. Pick a smaller C, or untick the lock.")
    return d


def readout_html(n):
    """A small table of n (from explorer_numbers): one block and the whole network, against ResNet."""
    th = "<th style='text-align:left'>"
    row = f"<tr>{th}{{}}</th><td>{{}}</td><td>{{}}</td></tr>"
    c, d, depth = n["cardinality"], n["bottleneck_width"], n["depth"]
    return ("<table style='border-spacing:12px 2px;line-height:1.4'>"
            f"<tr><th></th>{th}one conv2 block (256-d, 56×56)</th>"
            f"{th}whole ResNeXt-{depth} ({c}×{d}d)</th></tr>"
            + row.format("params", f"{n['block_params']:,}", f"{n['params']:,}")
            + row.format("MACs", f"{n['block_macs']:,}", f"{n['macs']:,} ({n['macs'] / 1e9:.2f} G)")
            + row.format("vs ResNet", f"{n['block_ratio']:.2f}×",
                         f"{n['params_ratio']:.2f}× params, {n['macs_ratio']:.2f}× MACs of ResNet-{depth}")
            + f"</table><p>group width C·d = {c}·{d} = <b>{n['group_width']:,}</b> channels in the "
              "3×3 stage</p>")


def equal_complexity_curve():
    """[(C, d)] at ResNet's complexity for every C on the slider that has such a d (Table 2)."""
    points = []
    for c in CARDINALITIES:
        try:
            points.append((c, locked_width(c)))
        except ValueError:
            pass
    return points


class CardinalityFigure(LiveFigure):
    """The block diagram, Table 2's d against C, and block params against C, in one live figure."""

    def __init__(self, dpi=120):
        super().__init__((10, 4.4), (0.0, 0.0, 0.52, 1.0), dpi)
        grid = self.fig.add_gridspec(2, 2, width_ratios=(1.15, 1), hspace=0.55, wspace=0.3,
                                     left=0.02, right=0.97, top=0.93, bottom=0.12)
        curve = equal_complexity_curve()
        self.ax_d = self.fig.add_subplot(grid[0, 1])
        self.ax_d.plot(*zip(*curve), "o-", color=GREY, label="equal complexity")
        self.ax_d.plot([c for c, _, _ in PAPER_TABLE2], [d for _, d, _ in PAPER_TABLE2], "x", color="black",
                       ms=7, label="paper, Table 2")
        (self.point_d,) = self.ax_d.plot([], [], "o", color=PALETTE["vermillion"], ms=9, label="you")
        self.ax_d.set(yscale="log", ylim=(0.7, 200), ylabel="d", title="Table 2: width d at equal complexity")

        self.ax_p = self.fig.add_subplot(grid[1, 1])
        self.ax_p.axhline(RESNET_BLOCK, ls="--", color=GREY, label="ResNet")
        (self.line_p,) = self.ax_p.plot([], [], "-", color=PALETTE["blue"], label="this d")
        (self.point_p,) = self.ax_p.plot([], [], "o", color=PALETTE["vermillion"], ms=9)
        self.ax_p.set(yscale="log", ylim=(1e2, 2e8), ylabel="params", xlabel="cardinality C",
                      title="params of one conv2 block")
        for ax in (self.ax_d, self.ax_p):
            ax.set_xscale("log")
            ax.set_xlim(0.7, CARDINALITIES[-1] * 1.4)
            ax.set_xticks(CARDINALITIES, [str(c) for c in CARDINALITIES])
            ax.minorticks_off()
            ax.legend(loc="upper right" if ax is self.ax_d else "upper left", fontsize=7)
        self.panels += [self.ax_d, self.ax_p]
        self.moving = [self.point_d, self.line_p, self.point_p]

    def update(self, form, n):
        """Move the artists to n (from explorer_numbers) and return the figure as PNG bytes."""
        c, d = n["cardinality"], n["bottleneck_width"]
        self.point_d.set_data([c], [d])
        self.line_p.set_data(CARDINALITIES, [block_params(BLOCK_CHANNELS, k, d) for k in CARDINALITIES])
        self.point_p.set_data([c], [n["block_params"]])
        return self.show(block_spec(form, c, d, BLOCK_CHANNELS), self.panels, self.moving)


class CardinalityExplorer(LiveExplorer):
    """Sliders for C and d, readouts of params and MACs, and the live figure."""

    empty = "params and MACs: no network for these values"

    def __init__(self, cardinality=32, bottleneck_width=4, depth=50, form="c", lock=False):
        check_choice("cardinality", cardinality, CARDINALITIES, what="is not on the explorer")
        check_size("bottleneck_width", bottleneck_width, maximum=MAX_WIDTH)
        check_choice("depth", depth, DEPTHS, what="is not on the explorer")
        check_choice("form", form, FORMS, what="is not on the explorer")
        self.cardinality = widgets.SelectionSlider(options=CARDINALITIES, value=cardinality,
                                                   description="cardinality C")
        self.width = widgets.IntSlider(value=bottleneck_width, min=1, max=MAX_WIDTH, description="width d")
        self.depth = widgets.ToggleButtons(options=DEPTHS, value=depth, description="depth")
        self.form = widgets.ToggleButtons(options=FORMS, value=form, description="form",
                                          tooltips=["C paths, summed", "C paths, concatenated",
                                                    "one grouped 3×3 conv"])
        self.lock = widgets.Checkbox(value=lock, description="keep complexity equal to ResNet",
                                     indent=False, layout=widgets.Layout(width="auto"))
        for w in (self.cardinality, self.width, self.depth, self.form):
            w.style.description_width = "initial"
        for w in (self.depth, self.form):
            w.style.button_width = "3.5em"
        super().__init__([widgets.HBox([self.cardinality, self.width, self.lock]),
                          widgets.HBox([self.depth, self.form])], CardinalityFigure())
        for w in (self.cardinality, self.width, self.depth, self.form, self.lock):
            w.observe(self.refresh, names="value")
        self.refresh()

    def redraw(self):
        c = self.cardinality.value
        self.width.disabled = self.lock.value
        if self.lock.value:
            self.width.value = locked_width(c)  # busy: this move does not re-enter
        n = explorer_numbers(self.depth.value, c, self.width.value)
        self.show(n, readout_html(n), lambda: self.plot.update(self.form.value, n))


def cardinality_explorer(cardinality=32, bottleneck_width=4, depth=50, form="c", lock=False):
    """The explorer, a VBox; see .cardinality, .width, .depth, .form, .lock, .readout, .message, .image."""
    return CardinalityExplorer(cardinality, bottleneck_width, depth, form, lock)
