"""Block diagrams in the paper's figure style, and the weight mask of a grouped convolution.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. `draw_block` redraws Fig. 1 (left: ResNet's bottleneck) and
Fig. 3 (a, b, c: the three equivalent ResNeXt forms) from the block's parameters, with each
layer's box labelled "in, k×k, out" as in the paper. `draw_connectivity` shows which input
channels feed which output channel in a grouped convolution (Sec. 3.3).

Figures are `matplotlib.figure.Figure` objects with an Agg canvas, not pyplot figures: a
notebook shows one when a cell returns it, and never shows a stray duplicate.
"""
import math

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator

from ..checks import check_size, divisors

FORMS = ("resnet", "a", "b", "c")
TITLES = {
    "resnet": "ResNet bottleneck",
    "a": "(a) aggregated paths",
    "b": "(b) early concatenation",
    "c": "(c) grouped convolution",
}
MAX_PATHS = 3  # paths drawn one by one; more are folded into "…" so C=32 stays legible
INCH = 1.1  # inches per horizontal data unit when draw_block makes its own figure
FONT = 8  # points, for the box labels
MASK_COLORS = ListedColormap(["white", "tab:blue"])  # not connected, connected


def new_figure(width, height, dpi=100, layout=None):
    """A Figure with its own Agg canvas, outside pyplot (so notebooks show it exactly once)."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _check_form(form):
    if form not in FORMS:
        raise ValueError(f"form={form!r} is not a block form; use one of {', '.join(map(repr, FORMS))}")


def block_labels(form, cardinality=32, bottleneck_width=4, in_channels=256):
    """The box labels "in, k×k, out", top to bottom, of one path (Xie et al. 2017, Fig. 1 and 3).

    Form "resnet" is He et al.'s bottleneck: width in_channels/4, cardinality and
    bottleneck_width unused. Form (b)'s last label is the 1×1 conv after the concatenation.
    """
    _check_form(form)
    for name, value in [("cardinality", cardinality), ("bottleneck_width", bottleneck_width),
                        ("in_channels", in_channels)]:
        check_size(name, value)
    n, d = in_channels, bottleneck_width
    width = cardinality * bottleneck_width  # group width C·d
    if form == "resnet":
        w = max(n // 4, 1)  # expansion 4: 256-d in, 64-d inside
        return [f"{n}, 1×1, {w}", f"{w}, 3×3, {w}", f"{w}, 1×1, {n}"]
    if form == "a":
        return [f"{n}, 1×1, {d}", f"{d}, 3×3, {d}", f"{d}, 1×1, {n}"]
    if form == "b":
        return [f"{n}, 1×1, {d}", f"{d}, 3×3, {d}", f"{width}, 1×1, {n}"]
    return [f"{n}, 1×1, {width}", f"{width}, 3×3, {width}, grp={cardinality}", f"{width}, 1×1, {n}"]


def _columns(form, cardinality):
    """x centres of the drawn paths, and of the "…" column (None when every path is drawn)."""
    if form in ("resnet", "c"):
        return [0.0], None
    if cardinality <= MAX_PATHS:
        return [float(i) for i in range(cardinality)], None
    return [0.0, 1.0, 2.6], 1.8  # paths 1, 2, …, C


def _layout(form, cardinality):
    """Everything about the picture that does not depend on the channel numbers."""
    xs, dots = _columns(form, cardinality)
    single = form in ("resnet", "c")
    xc = (xs[0] + xs[-1]) / 2
    box_w = 1.9 if single else 0.86
    shortcut = xs[-1] + box_w / 2 + 0.3
    left = xs[0] - box_w / 2 - 0.1
    if not single:
        left = min(left, xc - 1.45)  # room for "total C paths" left of the sum
    # y of the box rows; form (b) puts a "concatenate" node and one wide 1x1 conv after two rows
    rows = [4.7, 3.75, 2.1] if form == "b" else [4.7, 3.6, 2.5]
    sum_y = 1.2 if form == "b" else 1.35
    return dict(xs=xs, dots=dots, xc=xc, box_w=box_w, rows=rows, sum_y=sum_y,
                shortcut=shortcut, xlim=(left, shortcut + 0.3), ylim=(0.25, 6.5))


def diagram_width(form, cardinality):
    """Width, in data units, of the block diagram of this form and cardinality (for sizing figures)."""
    lo, hi = _layout(form, cardinality)["xlim"]
    return hi - lo


class BlockDiagram:
    """A block diagram on one Axes whose labels update in place, fast enough for a widget (Fig. 3)."""

    def __init__(self, ax):
        self.ax = ax
        self.layout = None  # (form, paths drawn) of the artists on ax now; rebuilt only when it changes
        self.boxes = []  # (Text, index into block_labels, box width in data units)

    def update(self, form="c", cardinality=32, bottleneck_width=4, in_channels=256):
        """Show the block (form, C, d, in_channels); only set_text when the layout is unchanged."""
        labels = block_labels(form, cardinality, bottleneck_width, in_channels)  # validates
        key = (form, len(_columns(form, cardinality)[0]))
        if key != self.layout:
            self._build(form, cardinality)
            self.layout = key
        lo, hi = self.ax.get_xlim()
        inch = self.ax.get_position().width * self.ax.figure.get_figwidth() / (hi - lo)  # per data unit
        for text, i, width in self.boxes:
            text.set_text(labels[i])
            # shrink long labels (e.g. "1024, 1×1, 1024") so they stay inside their box
            text.set_fontsize(min(FONT, width * inch * 72 / (0.62 * len(labels[i]))))
        self.in_text.set_text(f"{in_channels}-d in")
        self.out_text.set_text(f"{in_channels}-d out")
        if self.total is not None:
            self.total.set_text(f"total {cardinality} path{'s' if cardinality > 1 else ''}")
        return self

    def _build(self, form, cardinality):
        ax, L = self.ax, _layout(form, cardinality)
        ax.clear()
        ax.set_axis_off()
        ax.set_xlim(*L["xlim"])
        ax.set_ylim(*L["ylim"])
        xs, xc, rows, sum_y, h = L["xs"], L["xc"], L["rows"], L["sum_y"], 0.5
        self.boxes, self.total = [], None
        # Arrows are line segments plus triangle markers whose tip sits on the target: drawing
        # three Line2D objects is several times faster than one FancyArrowPatch per arrow.
        lines, heads_down, heads_into_sum = [], [], []

        def arrow_down(x, y0, y1, into_sum=False):
            lines.append([(x, y0), (x, y1)])
            (heads_into_sum if into_sum else heads_down).append((x, y1))

        def box(x, y, width, label_index):
            ax.add_patch(Rectangle((x - width / 2, y - h / 2), width, h, facecolor="white",
                                   edgecolor="black", linewidth=0.8))
            text = ax.text(x, y, "", ha="center", va="center", fontsize=FONT)
            self.boxes.append((text, label_index, width))

        ax.text(sum(L["xlim"]) / 2, 6.35, TITLES[form], ha="center", va="center", fontsize=FONT + 1,
                fontweight="bold")
        self.in_text = ax.text(xc, 5.95, "", ha="center", va="center", fontsize=FONT)
        split = 5.45  # the input fans out along this line, to the paths and to the shortcut
        lines.append([(xc, 5.8), (xc, split)])
        lines.append([(xs[0], split), (L["shortcut"], split)])
        if form in ("resnet", "c"):
            for i, y in enumerate(rows):
                box(xc, y, L["box_w"], i)
            arrow_down(xc, split, rows[0] + h / 2)
            for y0, y1 in zip(rows, rows[1:]):
                arrow_down(xc, y0 - h / 2, y1 + h / 2)
            arrow_down(xc, rows[-1] - h / 2, sum_y, into_sum=True)
        else:
            path_rows = rows if form == "a" else rows[:2]
            for x in xs:
                for i, y in enumerate(path_rows):
                    box(x, y, L["box_w"], i)
                arrow_down(x, split, path_rows[0] + h / 2)
                for y0, y1 in zip(path_rows, path_rows[1:]):
                    arrow_down(x, y0 - h / 2, y1 + h / 2)
            if L["dots"] is not None:
                for y in path_rows:
                    ax.text(L["dots"], y, "…", ha="center", va="center", fontsize=14)
            if form == "a":  # the paths meet on one line and are summed
                merge = (path_rows[-1] - h / 2 + sum_y) / 2
                for x in xs:
                    lines.append([(x, path_rows[-1] - h / 2), (x, merge)])
                lines.append([(xs[0], merge), (xs[-1], merge)])
                arrow_down(xc, merge, sum_y, into_sum=True)
            else:  # concatenate the paths, then one 1x1 conv over all C·d channels
                cat_y, cat_h = 2.95, 0.36
                width = xs[-1] - xs[0] + L["box_w"]
                ax.add_patch(Rectangle((xc - width / 2, cat_y - cat_h / 2), width, cat_h, facecolor="0.92",
                                       edgecolor="0.5", linewidth=0.6))
                ax.text(xc, cat_y, "concatenate", ha="center", va="center", fontsize=FONT)
                for x in xs:
                    arrow_down(x, path_rows[-1] - h / 2, cat_y + cat_h / 2)
                box(xc, rows[2], 1.2, 2)
                arrow_down(xc, cat_y - cat_h / 2, rows[2] + h / 2)
                arrow_down(xc, rows[2] - h / 2, sum_y, into_sum=True)
            self.total = ax.text(xc - 0.35, sum_y, "", ha="right", va="center", fontsize=FONT,
                                 style="italic")
        # the shortcut: around the block, into the same sum
        x_sc = L["shortcut"]
        lines.append([(x_sc, split), (x_sc, sum_y), (xc, sum_y)])
        ax.text(x_sc + 0.08, (split + sum_y) / 2, "identity", rotation=90, ha="left", va="center",
                fontsize=FONT - 1, color="0.35")
        arrow_down(xc, sum_y, 0.75)
        self.out_text = ax.text(xc, 0.55, "", ha="center", va="center", fontsize=FONT)

        nan = [(float("nan"), float("nan"))]
        points = sum((segment + nan for segment in lines), [])
        ax.add_line(Line2D(*zip(*points), color="black", linewidth=0.8))
        for heads, marker in [(heads_down, HEAD_DOWN), (heads_into_sum, HEAD_INTO_SUM),
                              ([(xc + 0.01, sum_y)], HEAD_FROM_RIGHT)]:
            ax.add_line(Line2D(*zip(*heads), linestyle="none", color="black", zorder=4, **marker))
        # ⊕: a white circle hides the lines under it, a plus sign on top (Fig. 1 and 3)
        ax.add_line(Line2D([xc], [sum_y], marker="o", markersize=2 * SUM_RADIUS, markerfacecolor="white",
                           markeredgecolor="black", markeredgewidth=0.9, zorder=3, gid="sum"))
        ax.add_line(Line2D([xc], [sum_y], marker="+", markersize=2 * SUM_RADIUS, markeredgewidth=0.9,
                           color="black", zorder=3))


def _head(tip_offset, direction):
    """Marker style for an arrowhead whose tip is tip_offset points from the data point."""
    r, length, half = tip_offset, 5.0, 2.2  # points
    verts = [(0, r), (-half, r + length), (half, r + length), (0, r)]  # pointing down, tip below
    if direction == "left":
        verts = [(y, x) for x, y in verts]
    # matplotlib scales a custom marker so its largest |coordinate| is markersize/2: keep points
    return dict(marker=Path(verts, closed=True), markersize=2 * (r + length), markeredgewidth=0)


SUM_RADIUS = 6  # points
HEAD_DOWN = _head(0, "down")
HEAD_INTO_SUM = _head(SUM_RADIUS, "down")
HEAD_FROM_RIGHT = _head(SUM_RADIUS, "left")


def draw_block(form, cardinality=32, bottleneck_width=4, in_channels=256, ax=None):
    """Draw ResNet's bottleneck or ResNeXt's form "a", "b" or "c" (Xie et al. 2017, Fig. 1, Fig. 3).

    Draws into `ax` when given, else into a new Figure; returns the Figure. For a widget, keep a
    `BlockDiagram(ax)` and call its `update(...)` instead: that changes the labels in place.
    """
    block_labels(form, cardinality, bottleneck_width, in_channels)  # validate before making a figure
    if ax is None:
        fig = new_figure(diagram_width(form, cardinality) * INCH, 3.6)
        ax = fig.add_axes((0, 0, 1, 1))
    BlockDiagram(ax).update(form, cardinality, bottleneck_width, in_channels)
    return ax.figure


def draw_block_forms(cardinality=32, bottleneck_width=4, in_channels=256, forms=FORMS):
    """ResNet's bottleneck and the three ResNeXt forms side by side (Xie et al. 2017, Fig. 1 and 3)."""
    for form in forms:
        block_labels(form, cardinality, bottleneck_width, in_channels)
    spans = [diagram_width(form, cardinality) for form in forms]
    fig = new_figure(sum(spans) * INCH, 3.6)
    left = 0.0
    for form, span in zip(forms, spans):  # widths in proportion, so all fonts have the same scale
        ax = fig.add_axes((left, 0, span / sum(spans), 1))
        BlockDiagram(ax).update(form, cardinality, bottleneck_width, in_channels)
        left += span / sum(spans)
    return fig


def weight_mask(in_channels, out_channels, groups):
    """(C_out, C_in) bool mask: True where output o sees input i in Conv2d(groups=g) (Sec. 3.3).

    Group k holds inputs k·C_in/g .. (k+1)·C_in/g - 1 and the matching slice of outputs, so the
    mask is block-diagonal with g blocks and C_in·C_out/g True entries.
    """
    for name, value in [("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)]:
        check_size(name, value)
    for name, channels in [("in_channels", in_channels), ("out_channels", out_channels)]:
        if channels % groups:
            common = divisors(math.gcd(in_channels, out_channels))  # valid for both sides
            raise ValueError(f"groups={groups} does not divide {name}={channels}; "
                             f"try {', '.join(map(str, common))}")
    group_of_out = torch.arange(out_channels) // (out_channels // groups)
    group_of_in = torch.arange(in_channels) // (in_channels // groups)
    return group_of_out[:, None] == group_of_in[None, :]


def mask_title(groups, channels=None):
    """'groups=4: 1/4 of the weights', the share of a dense layer's weights that a grouped one keeps."""
    if groups == 1:
        return "groups=1: all of the weights"
    depthwise = "\n(depthwise: one input per output)" if groups == channels else ""
    return f"groups={groups}: 1/{groups} of the weights{depthwise}"


def draw_connectivity(in_channels, out_channels, groups, ax=None):
    """Block-diagonal picture of which inputs feed each output of Conv2d(groups=g) (Sec. 3.3)."""
    mask = weight_mask(in_channels, out_channels, groups)
    if ax is None:
        fig = new_figure(3.4, 3.4)
        ax = fig.add_subplot()
    ax.imshow(mask.numpy(), cmap=MASK_COLORS, vmin=0, vmax=1, interpolation="nearest")
    _mask_axes(ax, in_channels, out_channels)
    depthwise = in_channels if in_channels == out_channels else None
    ax.set_title(mask_title(groups, depthwise), fontsize=9)
    return ax.figure


def _mask_axes(ax, in_channels, out_channels):
    """Channel numbers on the axes and a faint line between neighbouring channels."""
    ax.set_xlabel("input channel", fontsize=8)
    ax.set_ylabel("output channel", fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    if max(in_channels, out_channels) <= 64:  # denser grids would be solid grey
        ax.set_xticks([i - 0.5 for i in range(1, in_channels)], minor=True)
        ax.set_yticks([i - 0.5 for i in range(1, out_channels)], minor=True)
        ax.grid(which="minor", color="0.85", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
    ax.tick_params(labelsize=7)
