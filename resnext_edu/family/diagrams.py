"""Block diagrams of the family's blocks, drawn like Xie et al. 2017, Fig. 1 and 3.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, draws a block as boxes labelled "in, k×k, out", arrows and a
⊕ for the sum with the shortcut; `resnext_edu.viz.diagrams` redraws its forms (a)-(c). This
module draws the family's blocks from their configuration in the same style, with their extra
nodes: SE's pool, fc and scale (Hu et al. 2018, arXiv:1709.01507, Fig. 3), split attention's
softmax over the radix (Zhang et al. 2020, arXiv:2004.08955, Fig. 2), Res2Net's hierarchical
connections (Gao et al. 2019, arXiv:1904.01169, Fig. 2(b)), ReXNet's inverted residual with its
partial shortcut (Han et al. 2021, arXiv:2007.00992), and Inception-ResNet-A's branches
(Szegedy et al. 2017, arXiv:1602.07261, Fig. 16).

    draw_family_block(kind, **config)    a Figure (or draws into ax=...)
    family_block_labels(kind, **config)  the box labels, top to bottom, for tests
    FamilyDiagram(ax).update(...)        changes labels in place when the layout is the same
"""
import math
from dataclasses import dataclass, field

from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.path import Path

from ..checks import check_size, check_stride
from ..viz.diagrams import FONT, INCH, SUM_RADIUS, BlockDiagram, diagram_width, new_figure
from .res2net import _check_scale, _check_width
from .resnest import check_split_attention
from .se import se_channels

KINDS = ("se", "resnest", "res2net", "rexnet", "inception_resnet_a")
VINCH = 0.58  # inches per vertical data unit (viz.diagrams: 3.6 in for 6.25 units)
BOX_H, OP_H = 0.5, 0.4  # heights of a conv box and of an operation box (pool, softmax, concatenate)
ROW = 0.85  # vertical distance between consecutive boxes
MAX_PARTS = 4  # Res2Net parts drawn one by one; more are folded into "…"
MAX_SPLITS = 3  # ResNeSt radix lines drawn one by one


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
    """Nodes and edges of one diagram, built by the _spec_* functions and drawn by FamilyDiagram."""

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
        """Arrows from each node's bottom to the next one's top."""
        for a, b in zip(nodes, nodes[1:]):
            self.arrow(a.bottom(), b.top() if not b.round else (b.x, b.y), into=b)

    def labels(self):
        """Text of the conv and operation boxes, in the order they were added (top to bottom)."""
        return [n.label for n in self.nodes if n.kind in ("box", "op")]

    def layout_key(self):
        """The nodes without their text: equal keys mean FamilyDiagram can keep the boxes and set_text."""
        return (self.title, tuple((n.kind, n.x, n.y, n.width, tuple(sorted(n.style.items()))) for n in self.nodes))


def _conv(c_in, k, c_out, extra=""):
    """The paper's box label, "in, k×k, out" (Xie et al. 2017, Fig. 1)."""
    return f"{c_in}, {k}×{k}, {c_out}" + (f", {extra}" if extra else "")


def _top(spec, x, in_channels, shortcut_x=None):
    """ "n-d in" and the line along which the input fans out to the block and its shortcut; returns its y."""
    spec.add("text", x, -0.45, f"{in_channels}-d in")
    split = -0.9
    spec.line((x, -0.6), (x, split))
    if shortcut_x is not None:
        spec.line((min(x, shortcut_x), split), (max(x, shortcut_x), split))
    return split


def _bottom(spec, x, y_sum, out_channels, shortcut_x, shortcut=(), note=""):
    """The ⊕ with the shortcut (identity, or the given boxes), then "n-d out"."""
    total = spec.add("sum", x, y_sum)
    if shortcut_x is not None:
        top = -0.9
        if shortcut:
            ys = [top - (top - y_sum) * (i + 1) / (len(shortcut) + 1) for i in range(len(shortcut))]
            nodes = [spec.add(kind, shortcut_x, y, label, 1.3) for (kind, label), y in zip(shortcut, ys)]
            spec.arrow((shortcut_x, top), nodes[0].top(), into=nodes[0])
            spec.chain(nodes)
            spec.line(nodes[-1].bottom(), (shortcut_x, y_sum))
        else:
            spec.line((shortcut_x, top), (shortcut_x, y_sum))
            spec.add("text", shortcut_x - 0.08, (top + y_sum) / 2, "identity", rotation=90, ha="right",
                     color="0.35", fontsize=FONT - 1)
        spec.arrow((shortcut_x, y_sum), (x, y_sum), into=total)
    if note:
        spec.add("text", x + 0.25, y_sum, note, ha="left", style="italic")
    spec.arrow((x, y_sum), (x, y_sum - 0.6))
    spec.add("text", x, y_sum - 0.8, f"{out_channels}-d out")
    return total


def _projection(in_channels, out_channels, stride, avg_pool=False):
    """The shortcut's boxes: none for the identity, else [2x2 avg pool,] 1x1 conv (+ BN)."""
    if stride == 1 and in_channels == out_channels:
        return ()
    if avg_pool:  # ResNet-D: pool first, so the 1x1 conv sees every input position
        pool = [("op", "2×2 avg pool, /2")] if stride > 1 else []
        return (*pool, ("box", _conv(in_channels, 1, out_channels)))
    return (("box", _conv(in_channels, 1, out_channels, "/2" if stride > 1 else "")),)


def _se_column(spec, x, y0, channels, reduced):
    """SE's squeeze and excitation, top to bottom: pool, fc, fc, sigmoid (Hu et al. 2018, Fig. 3)."""
    nodes = [spec.op(x, y0, "global pool", 1.5), spec.box(x, y0 - ROW, f"{channels}, fc, {reduced}", 1.5),
             spec.box(x, y0 - 2 * ROW, f"{reduced}, fc, {channels}", 1.5),
             spec.op(x, y0 - 3 * ROW, "sigmoid", 1.5)]
    spec.chain(nodes)
    return nodes


def _spec_se(in_channels=256, out_channels=None, cardinality=32, bottleneck_width=4, reduction=16, stride=1):
    for name, value in [("in_channels", in_channels), ("cardinality", cardinality),
                        ("bottleneck_width", bottleneck_width), ("reduction", reduction)]:
        check_size(name, value)
    out_channels = in_channels if out_channels is None else out_channels
    check_size("out_channels", out_channels)
    check_stride(stride)
    n, w, r = in_channels, cardinality * bottleneck_width, se_channels(out_channels, reduction)
    spec, xs = Spec("SE-ResNeXt block"), -1.45
    projection = _projection(n, out_channels, stride)
    if projection:
        xs = -1.7
    split = _top(spec, 0, n, xs)
    y = split - 0.55
    main = [spec.box(0, y, _conv(n, 1, w)),
            spec.box(0, y - ROW, _conv(w, 3, w, f"grp={cardinality}" + (", /2" if stride > 1 else ""))),
            spec.box(0, y - 2 * ROW, _conv(w, 1, out_channels))]
    spec.arrow((0, split), main[0].top())
    spec.chain(main)
    branch_y = main[-1].y - 0.55
    se = _se_column(spec, 2.05, branch_y - 0.5, out_channels, r)
    spec.line(main[-1].bottom(), (0, branch_y), (2.05, branch_y))
    spec.arrow((2.05, branch_y), se[0].top())
    scale = spec.add("mul", 0, se[-1].y)
    spec.arrow((0, branch_y), (0, scale.y), into=scale)
    spec.arrow(se[-1].left(), (0, scale.y), into=scale)
    spec.add("text", -0.2, scale.y + 0.3, "scale", ha="right", style="italic")
    y_sum = scale.y - ROW
    spec.arrow((0, scale.y), (0, y_sum), into=Node("sum", 0, y_sum))
    _bottom(spec, 0, y_sum, out_channels, xs, projection)
    return spec


def _spec_resnest(in_channels=256, out_channels=None, cardinality=1, bottleneck_width=64, radix=2, stride=1):
    check_size("in_channels", in_channels)
    check_size("bottleneck_width", bottleneck_width)
    out_channels = in_channels if out_channels is None else out_channels
    check_size("out_channels", out_channels)
    check_stride(stride)
    n, k, r, w = in_channels, cardinality, radix, cardinality * bottleneck_width
    a = check_split_attention(w, k, r)
    spec = Spec("ResNeSt block (split attention)")
    projection = _projection(n, out_channels, stride, avg_pool=True)
    xs = -1.75 if projection else -1.45
    split = _top(spec, 0, n, xs)
    y = split - 0.55
    conv1 = spec.box(0, y, _conv(n, 1, w))
    grouped = spec.box(0, y - ROW, _conv(w, 3, w * r, f"grp={k * r}"))
    splits = spec.op(0, y - 2 * ROW, f"{r} split{'s' if r > 1 else ''} of {w}")
    spec.arrow((0, split), conv1.top())
    spec.chain([conv1, grouped, splits])
    xa = 2.2  # attention column: fuse the splits, pool, two fc, softmax over the radix
    attn = [spec.op(xa, splits.y, "sum of splits", 1.5), spec.op(xa, splits.y - ROW, "global pool", 1.5),
            spec.box(xa, splits.y - 2 * ROW, f"{w}, fc, {a}" + (f", grp={k}" if k > 1 else ""), 1.5),
            spec.box(xa, splits.y - 3 * ROW, f"{a}, fc, {w * r}" + (f", grp={k}" if k > 1 else ""), 1.5),
            spec.op(xa, splits.y - 4 * ROW, "softmax over radix" if r > 1 else "sigmoid", 1.5)]
    spec.arrow(splits.right(), attn[0].left())
    spec.chain(attn)
    weighted = spec.op(0, attn[-1].y, "weighted sum of splits" if r > 1 else "scale")
    spec.arrow(attn[-1].left(), weighted.right())
    shown = min(r, MAX_SPLITS)  # one line per split (the radix), so R is visible
    xs_lines = [0.0] if shown == 1 else [-0.5 + i / (shown - 1) for i in range(shown)]
    for x in xs_lines:
        spec.arrow((x, splits.bottom()[1]), (x, weighted.top()[1]))
    if r > MAX_SPLITS:
        spec.add("text", 0.25, (splits.y + weighted.y) / 2, "…", fontsize=12)
    rest = [weighted]
    if stride > 1:  # avd: the 3x3 kept the size; an average pool halves it
        rest.append(spec.op(0, weighted.y - ROW, "3×3 avg pool, /2"))
    rest.append(spec.box(0, rest[-1].y - ROW, _conv(w, 1, out_channels)))
    spec.chain(rest)
    y_sum = rest[-1].y - ROW
    spec.arrow(rest[-1].bottom(), (0, y_sum), into=Node("sum", 0, y_sum))
    _bottom(spec, 0, y_sum, out_channels, xs, projection)
    return spec


def _spec_res2net(in_channels=256, out_channels=None, width=26, scale=4, cardinality=1, stride=1):
    check_size("in_channels", in_channels)
    _check_scale(scale)
    _check_width(width, cardinality)
    out_channels = in_channels if out_channels is None else out_channels
    check_size("out_channels", out_channels)
    check_stride(stride)
    n, w, s = in_channels, width, scale
    first = stride != 1 or n != out_channels  # parts not chained, last part pooled
    convs = list(range(s - 1)) if s <= MAX_PARTS else [0, 1, s - 2]  # indices of drawn conv parts
    gap = s > MAX_PARTS  # a "…" column between the second and the last conv part
    cols = len(convs) + (1 if gap else 0) + 1
    dx = 1.05
    xs_col = [i * dx for i in range(cols)]
    conv_cols = xs_col[:2] + xs_col[3:-1] if gap else xs_col[:-1]
    xc = xs_col[-1] / 2
    title = "Res2NeXt block" if cardinality > 1 else "Res2Net block"
    spec = Spec(title + (" (first of a stage)" if first else ""))
    projection = _projection(n, out_channels, stride)
    xs = -1.15 if projection else -0.85
    split = _top(spec, xc, n, xs)
    conv1 = spec.box(xc, split - 0.55, _conv(n, 1, w * s), 1.9)
    spec.arrow((xc, split), conv1.top())
    fan = conv1.y - 0.55  # the s parts leave conv1 along this line
    spec.line(conv1.bottom(), (xc, fan))
    spec.line((xs_col[0], fan), (xs_col[-1], fan))
    step = 0.0 if first else 1.2  # the staircase: each conv waits for the previous one's output
    y0 = fan - 0.9
    extra = ", ".join(e for e in (f"grp={cardinality}" if cardinality > 1 else "", "/2" if stride > 1 else "") if e)
    ends, prev = [], None
    for j, x in enumerate(conv_cols):
        y = y0 - j * step
        box = spec.box(x, y, _conv(w, 3, w, extra), 0.95)
        if prev is None or first:
            spec.arrow((x, fan), box.top())
        else:  # hierarchical connection: y_i = K_i(x_i + y_(i-1)) (Gao et al. 2019, Eq. 1)
            plus = spec.add("sum", x, y + 0.6)
            spec.arrow((x, fan), (x, plus.y), into=plus)
            spec.arrow((prev.x, prev.y - BOX_H / 2), (prev.x, plus.y), (x, plus.y), into=plus)
            spec.arrow((x, plus.y), box.top())
        ends.append(box)
        prev = box
    if gap:
        spec.add("text", xs_col[2], y0 - step, "…", fontsize=14)
    concat_y = min(b.y for b in ends) - 0.95
    last_x = xs_col[-1]
    if first:
        pool = spec.op(last_x, y0, "3×3 avg pool" + (", /2" if stride > 1 else ""), 0.95)
        spec.arrow((last_x, fan), pool.top())
        ends.append(pool)
    else:
        spec.arrow((last_x, fan), (last_x, concat_y + OP_H / 2))
    concat = spec.op(xc, concat_y, "concatenate", xs_col[-1] + 0.95)
    for b in ends:
        spec.arrow(b.bottom(), (b.x, concat.top()[1]))
    conv3 = spec.box(xc, concat_y - ROW, _conv(w * s, 1, out_channels))
    spec.chain([concat, conv3])
    y_sum = conv3.y - ROW
    spec.arrow(conv3.bottom(), (xc, y_sum), into=Node("sum", xc, y_sum))
    _bottom(spec, xc, y_sum, out_channels, xs, projection)
    return spec


def _spec_rexnet(in_channels=50, out_channels=61, expansion=6, stride=1, se_ratio=1 / 12):
    for name, value in [("in_channels", in_channels), ("out_channels", out_channels), ("expansion", expansion)]:
        check_size(name, value)
    check_stride(stride)
    if not 0 <= se_ratio < 1:
        raise ValueError(f"se_ratio={se_ratio!r} must be in [0, 1): 0 for no SE, ReXNet uses 1/12")
    n, m = in_channels, in_channels * expansion
    shortcut = stride == 1 and n <= out_channels
    spec = Spec("ReXNet block (inverted residual)")
    xs = -1.45 if shortcut else None
    split = _top(spec, 0, n, xs)
    main = []
    if expansion != 1:
        main += [spec.box(0, split - 0.55, _conv(n, 1, m)), spec.op(0, split - 0.55 - ROW, "SiLU", 0.9)]
    y = (main[-1].y if main else split + 0.3) - ROW
    main.append(spec.box(0, y, _conv(m, 3, m, "depthwise" + (", /2" if stride > 1 else ""))))
    spec.arrow((0, split), main[0].top())
    spec.chain(main)
    last = main[-1]
    if se_ratio > 0:
        reduced = max(1, int(m * se_ratio))
        branch_y = last.y - 0.55
        se = _se_column(spec, 2.05, branch_y - 0.5, m, reduced)
        spec.line(last.bottom(), (0, branch_y), (2.05, branch_y))
        spec.arrow((2.05, branch_y), se[0].top())
        scale = spec.add("mul", 0, se[-1].y)
        spec.arrow((0, branch_y), (0, scale.y), into=scale)
        spec.arrow(se[-1].left(), (0, scale.y), into=scale)
        last = scale
    relu6 = spec.op(0, last.y - ROW, "ReLU6", 0.9)
    project = spec.box(0, relu6.y - ROW, _conv(m, 1, out_channels, "linear"))
    spec.arrow(last.bottom(), relu6.top())
    spec.chain([relu6, project])
    y_sum = project.y - ROW
    if shortcut:
        spec.arrow(project.bottom(), (0, y_sum), into=Node("sum", 0, y_sum))
        note = f"adds to channels 1–{n} of {out_channels}" if n < out_channels else ""
        _bottom(spec, 0, y_sum, out_channels, xs, note=note)
    else:  # stride 2 or fewer channels: no shortcut at all
        spec.arrow(project.bottom(), (0, y_sum + 0.2))
        spec.add("text", 0, y_sum, f"{out_channels}-d out (no shortcut)")
    return spec


def _spec_inception_resnet_a(in_channels=320, scale=0.17):
    check_size("in_channels", in_channels)
    if not 0 < scale <= 1:
        raise ValueError(f"scale={scale!r} must be in (0, 1]; Inception-ResNet-v2 uses 0.17 here")
    n = in_channels
    branches = [[_conv(n, 1, 32)], [_conv(n, 1, 32), _conv(32, 3, 32)],
                [_conv(n, 1, 32), _conv(32, 3, 48), _conv(48, 3, 64)]]
    xs_col, xc, xs = [0.0, 1.3, 2.6], 1.3, -1.0
    spec = Spec("Inception-ResNet-A (35×35 grid)")
    split = _top(spec, xc, n, xs)
    spec.line((xs_col[0], split), (xs_col[-1], split))
    y0 = split - 0.55
    concat_y = y0 - 3 * ROW
    ends = []
    for x, labels in zip(xs_col, branches):
        nodes = [spec.box(x, y0 - i * ROW, label, 1.2) for i, label in enumerate(labels)]
        spec.arrow((x, split), nodes[0].top())
        spec.chain(nodes)
        ends.append(nodes[-1])
    concat = spec.op(xc, concat_y, "concatenate", 3.8)
    for b in ends:
        spec.arrow(b.bottom(), (b.x, concat.top()[1]))
    conv = spec.box(xc, concat_y - ROW, _conv(128, 1, n, "linear"))
    scaled = spec.op(xc, conv.y - ROW, f"× {scale:g}", 0.9)
    spec.chain([concat, conv, scaled])
    y_sum = scaled.y - ROW
    spec.arrow(scaled.bottom(), (xc, y_sum), into=Node("sum", xc, y_sum))
    _bottom(spec, xc, y_sum, n, xs)
    return spec


SPECS = {"se": _spec_se, "resnest": _spec_resnest, "res2net": _spec_res2net, "rexnet": _spec_rexnet,
         "inception_resnet_a": _spec_inception_resnet_a}


def family_spec(kind, **config):
    """The diagram of one block as nodes and edges; validates the configuration."""
    if kind not in SPECS:
        raise ValueError(f"kind={kind!r} is not a family block; use one of {', '.join(map(repr, KINDS))}")
    return SPECS[kind](**config)


def family_block_labels(kind, **config):
    """The labels of the drawn boxes ("in, k×k, out", and operations such as "global pool"), top to bottom.

    kind and config as for draw_family_block. Res2Net with more than four parts folds the
    middle ones into "…", so only the drawn parts have labels.
    """
    return family_spec(kind, **config).labels()


def _head(direction, offset):
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
    for points, _, _ in spec.edges:
        xs += [p[0] for p in points]
        ys += [p[1] for p in points]
    return min(xs) - 0.15, max(xs) + 0.15, min(ys) - 0.25, 0.35


class FamilyDiagram:
    """A family block diagram on one Axes; update() only sets new text when the layout is unchanged."""

    def __init__(self, ax):
        self.ax = ax
        self.key = None  # (kind, layout) of the boxes on ax now; rebuilt only when it changes
        self.edges = None  # the edges drawn now, and their artists
        self.edge_artists = []
        self.texts = []  # (Text, node index, box width)

    def update(self, kind, **config):
        """Show the block; keep the boxes and only set_text (and redraw the arrows) when the layout is the same."""
        spec = family_spec(kind, **config)  # validates
        key = (kind, spec.layout_key())
        if key != self.key:
            self._build(spec)
            self.key = key
        if spec.edges != self.edges:  # e.g. one line per split when only the radix changed
            self._draw_edges(spec.edges)
        lo, hi = self.ax.get_xlim()
        inch = self.ax.get_position().width * self.ax.figure.get_figwidth() / (hi - lo)
        for text, i, width in self.texts:
            label = spec.nodes[i].label
            text.set_text(label)
            if width:  # shrink long labels so they stay inside their box
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
        """All arrows as one Line2D of segments plus one marker line per kind of head (fast to redraw)."""
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
                                                             zorder=4, **_head(direction, offset))))
        self.edges = edges


def _figsize(spec):
    x0, x1, y0, y1 = extent(spec)
    return (x1 - x0) * INCH, (y1 - y0) * VINCH


def draw_family_block(kind, ax=None, **config):
    """Draw a family block from its configuration (Xie et al. 2017, Fig. 3 style); returns the Figure.

    kind and its config (defaults in brackets):
      "se":      in_channels [256], out_channels [= in], cardinality [32], bottleneck_width [4],
                 reduction [16], stride [1]
      "resnest": in_channels [256], out_channels [= in], cardinality [1], bottleneck_width [64],
                 radix [2], stride [1]
      "res2net": in_channels [256], out_channels [= in], width [26], scale [4], cardinality [1], stride [1]
      "rexnet":  in_channels [50], out_channels [61] (rexnet_100's features.4), expansion [6], stride [1], se_ratio [1/12]
      "inception_resnet_a": in_channels [320], scale [0.17]
    """
    spec = family_spec(kind, **config)  # validate before making a figure
    if ax is None:
        fig = new_figure(*_figsize(spec))
        ax = fig.add_axes((0, 0, 1, 1))
    FamilyDiagram(ax).update(kind, **config)
    return ax.figure


def draw_beside_resnext(in_channels=320, cardinality=32, bottleneck_width=4, scale=0.17):
    """Inception-ResNet-A beside a ResNeXt block (form c) of the same in/out width (Xie et al. 2017, Sec. 3.3)."""
    spec = family_spec("inception_resnet_a", in_channels=in_channels, scale=scale)
    (w1, h1), w2 = _figsize(spec), diagram_width("c", cardinality) * INCH
    fig = new_figure(w1 + w2, h1)
    FamilyDiagram(fig.add_axes((0, 0, w1 / (w1 + w2), 1))).update(
        "inception_resnet_a", in_channels=in_channels, scale=scale)
    height = min(1.0, 3.6 / h1)  # viz's diagram is 3.6 in tall: keep its proportions, centred
    right = fig.add_axes((w1 / (w1 + w2), (1 - height) / 2, w2 / (w1 + w2), height))
    BlockDiagram(right).update("c", cardinality, bottleneck_width, in_channels)
    return fig
