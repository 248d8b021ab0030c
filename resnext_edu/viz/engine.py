"""The diagram engine: a block as nodes and edges (a Spec), drawn on one Axes by a Diagram.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, draws a block as boxes labelled "in, k×k, out", arrows, and
a ⊕ for the sum with the shortcut (Fig. 1 and 3). A Spec says where each box, operation, ⊕/⊗
and text goes, in data units (x to the right, y down from 0); a Diagram draws it and, when the
next Spec has the same layout, only sets new text, which is fast enough for a widget.

The specs (block_diagrams, family_diagrams) build the real block on the meta device with
`meta_block` and read the channel numbers off it: the model is the only source of truth, and
the block's own ValueError is the diagram's validation.
"""
import functools
import math
from dataclasses import dataclass, field

import torch
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from torch import nn

from ..i18n import _, ngettext
from .figures import new_figure

FONT = 8  # points, for the box labels
INCH, VINCH = 1.1, 0.58  # inches per horizontal and per vertical data unit
BOX_H, OP_H = 0.5, 0.4  # heights of a conv box and of an operation box (pool, softmax, concatenate)
ROW = 0.85  # vertical distance between consecutive boxes
SPLIT = -0.9  # y of the line along which the input fans out to the block and its shortcut
SUM_RADIUS = 6  # points, of the ⊕ and ⊗ circles


@functools.lru_cache(maxsize=512, typed=True)  # typed: True must not hit the cache entry of 1
def _cached_block(block_class, *args):
    with torch.device("meta"):
        return block_class(*args)


def meta_block(block_class, *args):
    """block_class(*args) built on the meta device: shapes without memory (a form (c) block takes ~2 ms).

    Cached on the arguments, as the explorers redraw often; a ValueError means they make no block.
    """
    try:
        hash(args)
    except TypeError:  # e.g. a list: not cacheable, so build it once to get the block's own error
        with torch.device("meta"):
            return block_class(*args)
    return _cached_block(block_class, *args)


def conv_label(conv, *extras):
    """The paper's box label "in, k×k, out" of a Conv2d, plus the extras that are not empty (Fig. 1)."""
    k = conv.kernel_size[0]
    return ", ".join([f"{conv.in_channels}, {k}×{k}, {conv.out_channels}", *filter(None, extras)])


def fc_label(conv, *extras):
    """ "in, fc, out" of a 1x1 conv on a pooled map (an fc layer), plus the extras that are not empty."""
    return ", ".join([f"{conv.in_channels}, fc, {conv.out_channels}", *filter(None, extras)])


def halves(layer):
    """"/2" when the layer has stride 2 (it halves the map), else ""."""
    stride = layer.stride if isinstance(layer.stride, int) else layer.stride[0]
    return f"/{stride}" if stride > 1 else ""


def pool_label(pool):
    """ "k×k avg pool[, /s]" of an nn.AvgPool2d."""
    k = pool.kernel_size if isinstance(pool.kernel_size, int) else pool.kernel_size[0]
    return ", ".join(filter(None, [_("{k}×{k} avg pool").format(k=k), halves(pool)]))


def shortcut_boxes(downsample):
    """The boxes of a projection shortcut, top to bottom: [pool,] 1x1 conv; () for the identity (None)."""
    boxes = []
    for layer in downsample or ():
        if isinstance(layer, nn.AvgPool2d):
            boxes.append(("op", pool_label(layer)))
        elif isinstance(layer, nn.Conv2d):
            boxes.append(("box", conv_label(layer, halves(layer))))
    return tuple(boxes)


@dataclass
class Node:
    """One drawn element: a conv box, an operation box, a ⊕ or ⊗, or free text."""

    kind: str  # "box", "op", "sum", "mul", "text"
    x: float
    y: float
    width: float = 0.0
    label: str = ""
    style: dict = field(default_factory=dict)  # extra matplotlib text options for "text"

    @property
    def height(self):
        return {"box": BOX_H, "op": OP_H}.get(self.kind, 0.0)

    @property
    def round(self):
        return self.kind in ("sum", "mul")

    def top(self):
        return (self.x, self.y + self.height / 2)

    def bottom(self):
        return (self.x, self.y - self.height / 2)

    def left(self):
        return (self.x - self.width / 2, self.y)

    def right(self):
        return (self.x + self.width / 2, self.y)


class Spec:
    """Nodes and edges of one diagram; the spec functions build it, a Diagram draws it."""

    def __init__(self, title):
        self.title = title
        self.nodes, self.edges = [], []  # edges: (points, head direction or None, tip offset in points)

    def add(self, kind, x, y, label="", width=0.0, **style):
        node = Node(kind, x, y, width, label, style)
        self.nodes.append(node)
        return node

    def box(self, x, y, label, width=1.9):
        return self.add("box", x, y, label, width)

    def op(self, x, y, label, width=1.9):
        return self.add("op", x, y, label, width)

    def line(self, *points):
        self.edges.append((points, None, 0))

    def arrow(self, *points, into=None):
        """A polyline with an arrowhead at its last point; into a ⊕/⊗ the tip sits on the circle."""
        (x0, y0), (x1, y1) = points[-2], points[-1]
        direction = ("down" if y1 < y0 else "up") if x0 == x1 else ("right" if x1 > x0 else "left")
        self.edges.append((points, direction, SUM_RADIUS if into is not None and into.round else 0))

    def chain(self, nodes):
        """Arrows from each node's bottom to the next one's top (or centre, for a ⊕/⊗)."""
        for a, b in zip(nodes, nodes[1:]):
            self.arrow(a.bottom(), (b.x, b.y) if b.round else b.top(), into=b)

    def input(self, x, channels, left=None, right=None):
        """ "n-d in" above x, and the line from left to right along which the input fans out; returns its y."""
        self.add("text", x, SPLIT + 0.45, _("{channels}-d in").format(channels=channels))
        self.line((x, SPLIT + 0.3), (x, SPLIT))
        left, right = x if left is None else left, x if right is None else right
        if left != right:
            self.line((left, SPLIT), (right, SPLIT))
        return SPLIT

    def output(self, x, y_sum, channels, shortcut_x=None, shortcut=(), note=""):
        """The ⊕ with the shortcut at shortcut_x (identity, or the given (kind, label) boxes), then "n-d out".

        Returns the ⊕; the residual branch's arrow into it is the caller's.
        """
        total = self.add("sum", x, y_sum)
        if shortcut_x is not None:
            if shortcut:
                ys = [SPLIT - (SPLIT - y_sum) * (i + 1) / (len(shortcut) + 1) for i in range(len(shortcut))]
                nodes = [self.add(kind, shortcut_x, y, label, 1.3) for (kind, label), y in zip(shortcut, ys)]
                self.arrow((shortcut_x, SPLIT), nodes[0].top(), into=nodes[0])
                self.chain(nodes)
                self.line(nodes[-1].bottom(), (shortcut_x, y_sum))
            else:
                self.line((shortcut_x, SPLIT), (shortcut_x, y_sum))
                side = 1 if shortcut_x > x else -1  # the label sits outside the block
                self.add("text", shortcut_x + side * 0.08, (SPLIT + y_sum) / 2, _("identity"), rotation=90,
                         ha="left" if side > 0 else "right", color="0.35", fontsize=FONT - 1)
            self.arrow((shortcut_x, y_sum), (x, y_sum), into=total)
        if note:
            self.add("text", x + 0.25, y_sum, note, ha="left", style="italic")
        self.arrow((x, y_sum), (x, y_sum - 0.6))
        self.add("text", x, y_sum - 0.8, _("{channels}-d out").format(channels=channels))
        return total

    def labels(self):
        """Text of the conv and operation boxes, in the order they were added (top to bottom)."""
        return [n.label for n in self.nodes if n.kind in ("box", "op")]

    def describe(self):
        """One sentence for a screen reader: the title, the boxes top to bottom, then the notes ("total 32 paths")."""
        notes = [n.label for n in self.nodes if n.kind == "text" and n.label.strip("…")]
        boxes = "; ".join(self.labels())
        if notes:
            return _("Block diagram, {title}: {boxes}; then the sum with the shortcut ({notes}).").format(
                title=self.title, boxes=boxes, notes=", ".join(notes))
        return _("Block diagram, {title}: {boxes}; then the sum with the shortcut.").format(title=self.title,
                                                                                             boxes=boxes)

    def as_layout(self):
        """The spec as plain data (JSON) for a page that draws it itself: the explorers' ES modules (widgets)."""
        return dict(title=self.title, extent=list(extent(self)),
                    nodes=[dict(kind=n.kind, x=n.x, y=n.y, width=n.width, height=n.height, label=n.label,
                                style=n.style) for n in self.nodes],
                    edges=[dict(points=[list(p) for p in points], head=head, offset=offset)
                           for points, head, offset in self.edges])

    def layout_key(self):
        """The nodes without their text: equal keys mean a Diagram can keep the boxes and set_text."""
        return (self.title, tuple((n.kind, n.x, n.y, n.width, tuple(sorted(n.style.items()))) for n in self.nodes))


def extent(spec):
    """(xmin, xmax, ymin, ymax) of everything drawn, with a margin."""
    xs, ys = [], []
    for n in spec.nodes:
        if n.kind == "text":  # about 0.06 data units per character at FONT points
            w = 0.2 if n.style.get("rotation") == 90 else 0.06 * len(n.label)
            lo = n.x - {"left": 0, "right": w}.get(n.style.get("ha"), w / 2)
            xs += [lo, lo + w]
        else:
            xs += [n.x - n.width / 2, n.x + n.width / 2]
        ys += [n.y - n.height / 2, n.y + n.height / 2]
    for points, _head, _offset in spec.edges:
        xs += [p[0] for p in points]
        ys += [p[1] for p in points]
    return min(xs) - 0.15, max(xs) + 0.15, min(ys) - 0.25, 0.35


def spec_size(spec):
    """(width, height) in inches at which the spec keeps the course's scale (INCH, VINCH)."""
    x0, x1, y0, y1 = extent(spec)
    return (x1 - x0) * INCH, (y1 - y0) * VINCH


@functools.lru_cache(maxsize=None)
def head(direction, offset):
    """Arrowhead marker pointing in direction, its tip offset points short of the data point."""
    length, half = 5.0, 2.2  # points
    verts = [(0, offset), (-half, offset + length), (half, offset + length), (0, offset)]  # down
    if direction == "up":
        verts = [(x, -y) for x, y in verts]
    elif direction in ("left", "right"):
        sign = 1 if direction == "left" else -1
        verts = [(sign * y, x) for x, y in verts]
    # matplotlib scales a custom marker so its largest |coordinate| is markersize/2: keep points
    return dict(marker=Path(verts, closed=True), markersize=2 * (offset + length), markeredgewidth=0)


class Diagram:
    """A block diagram on one Axes; update(spec) only sets new text when the layout is unchanged."""

    def __init__(self, ax):
        self.ax = ax
        self.key = None  # the layout of the boxes on ax now; rebuilt only when it changes
        self.edges = None  # the edges drawn now, and their artists
        self.edge_artists = []
        self.texts = []  # (Text, node index, box width)

    def update(self, spec):
        """Show spec; keep the boxes and only set_text (and redraw the arrows) when the layout is the same."""
        key = spec.layout_key()
        if key != self.key:
            self._build(spec)
            self.key = key
        if spec.edges != self.edges:  # e.g. one line per split when only the radix changed
            self._draw_edges(spec.edges)
        lo, hi = self.ax.get_xlim()
        inch = self.ax.get_position().width * self.ax.figure.get_figwidth() / (hi - lo)  # per data unit
        for text, i, width in self.texts:
            label = spec.nodes[i].label
            text.set_text(label)
            if width:  # shrink long labels (e.g. "1024, 1×1, 1024") so they stay inside their box
                text.set_fontsize(min(FONT, width * inch * 72 / (0.62 * max(1, len(label)))))
        return self

    def _build(self, spec):
        ax = self.ax
        ax.clear()
        ax.set_axis_off()
        x0, x1, y0, y1 = extent(spec)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.text((x0 + x1) / 2, 0.1, spec.title, ha="center", va="center", fontsize=FONT + 1, fontweight="bold")
        self.texts = []
        circles = {"sum": [], "mul": []}
        for i, n in enumerate(spec.nodes):
            if n.kind in ("box", "op"):
                face, edge, lw = ("white", "black", 0.8) if n.kind == "box" else ("0.92", "0.5", 0.6)
                ax.add_patch(Rectangle((n.x - n.width / 2, n.y - n.height / 2), n.width, n.height,
                                       facecolor=face, edgecolor=edge, linewidth=lw))
                self.texts.append((ax.text(n.x, n.y, "", ha="center", va="center", fontsize=FONT), i, n.width))
            elif n.round:
                circles[n.kind].append((n.x, n.y))
            else:
                style = {"ha": "center", "va": "center", "fontsize": FONT, **n.style}
                self.texts.append((ax.text(n.x, n.y, "", **style), i, 0))
        self.edges, self.edge_artists = None, []
        for kind, marker in (("sum", "+"), ("mul", "x")):
            if circles[kind]:  # ⊕ and ⊗: a white circle hides the lines under it, the sign on top
                xs, ys = zip(*circles[kind])
                ax.add_line(Line2D(xs, ys, linestyle="none", marker="o", markersize=2 * SUM_RADIUS,
                                   markerfacecolor="white", markeredgecolor="black", markeredgewidth=0.9, zorder=3))
                size = 2 * SUM_RADIUS if marker == "+" else 1.4 * SUM_RADIUS
                ax.add_line(Line2D(xs, ys, linestyle="none", marker=marker, markersize=size,
                                   markeredgewidth=0.9, color="black", zorder=3))

    def _draw_edges(self, edges):
        """All arrows as one Line2D of segments plus one marker line per kind of head: quick to draw."""
        for artist in self.edge_artists:
            artist.remove()
        lines, heads = [], {}
        for points, direction, offset in edges:
            lines += list(points) + [(math.nan, math.nan)]
            if direction is not None:
                heads.setdefault((direction, offset), []).append(points[-1])
        self.edge_artists = [self.ax.add_line(Line2D(*zip(*lines), color="black", linewidth=0.8))]
        for (direction, offset), tips in heads.items():
            self.edge_artists.append(self.ax.add_line(Line2D(*zip(*tips), linestyle="none", color="black",
                                                             zorder=4, **head(direction, offset))))
        self.edges = list(edges)


def draw(spec, ax=None):
    """Draw spec into ax, or into a new Figure of spec_size(spec); returns the Figure."""
    if ax is None:
        ax = new_figure(*spec_size(spec)).add_axes((0, 0, 1, 1))
    Diagram(ax).update(spec)
    ax.figure.alt_text = spec.describe()
    return ax.figure


def draw_row(specs):
    """Diagrams side by side, tops aligned, all at the same scale (so every font has the same size)."""
    sizes = [spec_size(spec) for spec in specs]
    width, height = sum(w for w, _h in sizes), max(h for _w, h in sizes)
    fig = new_figure(width, height)
    left = 0.0
    for spec, (w, h) in zip(specs, sizes):
        Diagram(fig.add_axes((left / width, 1 - h / height, w / width, h / height))).update(spec)
        left += w
    side_by_side = ngettext("{n} block diagram side by side.", "{n} block diagrams side by side.", len(specs))
    fig.alt_text = " ".join([side_by_side.format(n=len(specs)), *(spec.describe() for spec in specs)])
    return fig
