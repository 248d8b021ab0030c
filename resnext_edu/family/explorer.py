"""The family explorer: the cardinality explorer's sibling, with ResNeSt's radix and Res2Net's scale.

Xie et al. 2017 (ResNeXt, https://arxiv.org/abs/1611.05431) trade cardinality C against width d.
Its descendants add one knob each: SE-ResNeXt a channel gate (Hu et al. 2018,
https://arxiv.org/abs/1709.01507), ResNeSt the radix R, splits per cardinal group weighed by a
softmax (Zhang et al. 2020, https://arxiv.org/abs/2004.08955), Res2Net the scale s, parts of
the 3x3 stage chained into a hierarchy (Gao et al. 2019, https://arxiv.org/abs/1904.01169).
The explorer shows one conv2-stage block (256-d in and out, 56x56, stride 1) of the chosen kind,
its parameters and MACs, and its diagram.

Every number comes from formulas (counting.block_params, resnest_block_complexity,
res2net_block_complexity): no model is built in a callback. As in resnext_edu.widgets, the
figure stays alive: each diagram layout gets its own Axes and a saved background of its still
parts (boxes), and a change draws only the lines and texts over it, then re-encodes the PNG;
the readouts (HTML) are updated first. Measure: `python benchmarks/family_widget_latency.py`.
"""
import html
import io

import ipywidgets as widgets
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from .. import counting
from ..viz.diagrams import INCH as BLOCK_INCH
from ..viz.diagrams import BlockDiagram, diagram_width
from ..widgets import BlitFigure, error_html, run_guarded
from .diagrams import INCH, VINCH, FamilyDiagram, extent, family_spec
from .res2net import res2net_block_complexity
from .resnest import check_split_attention, resnest_block_complexity
from .se import se_channels

KINDS = ("resnext", "se", "resnest", "res2net")
KIND_NAMES = {"resnext": "ResNeXt", "se": "SE-ResNeXt", "resnest": "ResNeSt (split attention)",
              "res2net": "Res2Net / Res2NeXt"}
# Choosing a kind loads the conv2 block of its paper's 50-layer network.
PRESETS = {
    "resnext": dict(cardinality=32, bottleneck_width=4),  # ResNeXt-50 (32x4d), Xie et al. 2017, Table 1
    "se": dict(cardinality=32, bottleneck_width=4),  # SE-ResNeXt-50 (32x4d), Hu et al. 2018, Table 1
    "resnest": dict(cardinality=1, bottleneck_width=64, radix=2),  # ResNeSt-50 (2s1x64d), Zhang et al. 2020
    "res2net": dict(cardinality=1, bottleneck_width=26, scale=4),  # Res2Net-50 (26w x 4s), Gao et al. 2019
}
CARDINALITIES = (1, 2, 4, 8, 16, 32, 64)
MAX_BOTTLENECK_WIDTH = 128  # d on the slider: 1..128
RADIXES = tuple(range(1, 9))  # R; only those that fit C and d are offered (the paper uses 1, 2 and 4)
SCALES = tuple(range(2, 9))  # s; the paper uses 4, 6 and 8 (s = 1 would be ResNet's bottleneck)
BLOCK_CHANNELS = 256  # the conv2 stage's block: 256-d in and out ...
BLOCK_SIZE = 56  # ... on a 56x56 map (224x224 input), stride 1: no projection shortcut
MAX_INNER_WIDTH = 1024  # widest layer inside the block: C·d (times s for Res2Net); the paper's widest is 256


def resnext_block_complexity(in_out_channels, cardinality, bottleneck_width, spatial=BLOCK_SIZE):
    """(params, MACs) of ResNeXtBlockC(n, n, C, d): Sec. 3.4's conv weights plus the three BNs."""
    weights = counting.block_params(in_out_channels, cardinality, bottleneck_width)
    width = cardinality * bottleneck_width
    return weights + 2 * (width + width + in_out_channels), weights * spatial * spatial


def se_complexity(channels, reduction=16):
    """(params, MACs) of SEModule(channels): two 1x1 convs with bias, on the pooled 1x1 map."""
    reduced = se_channels(channels, reduction)
    return 2 * channels * reduced + reduced + channels, 2 * channels * reduced


def _check_knob(name, value, choices):
    if isinstance(value, bool) or value not in choices:
        raise ValueError(f"{name}={value!r} is not on the explorer; use one of {', '.join(map(str, choices))}")


def valid_radixes(cardinality, bottleneck_width):
    """The radixes R on the slider that fit C and d: R must divide d, and C the attention width."""
    fits = []
    for r in RADIXES:
        try:
            check_split_attention(cardinality * bottleneck_width, cardinality, r)
        except ValueError:
            continue
        fits.append(r)
    return fits


def inner_width(kind, cardinality, bottleneck_width, scale=4):
    """Channels of the widest layer inside the block: C·d, or s·C·d for Res2Net."""
    return cardinality * bottleneck_width * (scale if kind == "res2net" else 1)


def block_complexity(kind, cardinality, bottleneck_width, radix=2, scale=4):
    """(params, MACs) of one conv2 block of the kind, from formulas alone; ValueError if it cannot be built.

    params and MACs as counting.count_params and count_macs give them for the real block:
    resnext ResNeXtBlockC(256, 256, C, d), se SEResNeXtBlock(256, 256, C, d),
    resnest ResNeStBlock(256, 256, C, d, R), res2net Res2NetBlock(256, 256, C, d, s).
    """
    _check_knob("kind", kind, KINDS)
    for name, value in [("cardinality", cardinality), ("bottleneck_width", bottleneck_width)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r} must be a whole number of at least 1")
    n = BLOCK_CHANNELS
    if kind == "resnest":
        return resnest_block_complexity(n, cardinality, bottleneck_width, radix, BLOCK_SIZE)
    if kind == "res2net":
        return res2net_block_complexity(n, cardinality * bottleneck_width, scale, cardinality, BLOCK_SIZE)
    params, macs = resnext_block_complexity(n, cardinality, bottleneck_width)
    if kind == "se":
        se_params, se_macs = se_complexity(n)
        params, macs = params + se_params, macs + se_macs
    return params, macs


RESNET_PARAMS, RESNET_MACS = resnext_block_complexity(BLOCK_CHANNELS, 1, 64)  # He et al.'s bottleneck


def family_numbers(kind, cardinality, bottleneck_width, radix=2, scale=4):
    """Params and MACs of the block, of ResNeXt's block with the same C and d, and of ResNet's bottleneck."""
    _check_knob("kind", kind, KINDS)
    _check_knob("cardinality", cardinality, CARDINALITIES)
    _check_knob("bottleneck_width", bottleneck_width, range(1, MAX_BOTTLENECK_WIDTH + 1))
    if kind == "resnest":
        _check_knob("radix", radix, RADIXES)
    if kind == "res2net":
        _check_knob("scale", scale, SCALES)
    c, d = cardinality, bottleneck_width
    widest = inner_width(kind, c, d, scale)
    if widest > MAX_INNER_WIDTH:
        what = f"s·C·d = {scale}·{c}·{d}" if kind == "res2net" else f"C·d = {c}·{d}"
        raise ValueError(f"{what} = {widest:,} channels inside one conv2 block is far too wide: the papers' "
                         f"widest is 256 (ResNeXt-101, 64×4d), and the explorer stops at "
                         f"{MAX_INNER_WIDTH:,}. Lower C or d" + (" or s." if kind == "res2net" else "."))
    params, macs = block_complexity(kind, c, d, radix, scale)
    base_params, base_macs = resnext_block_complexity(BLOCK_CHANNELS, c, d)
    return dict(kind=kind, cardinality=c, bottleneck_width=d, radix=radix if kind == "resnest" else None,
                scale=scale if kind == "res2net" else None, params=params, macs=macs,
                resnext_params=base_params, resnext_macs=base_macs,
                params_ratio=params / RESNET_PARAMS, macs_ratio=macs / RESNET_MACS)


def describe(n):
    """One sentence on what the kind's knob does to this block (n from family_numbers)."""
    c, d = n["cardinality"], n["bottleneck_width"]
    kind = n["kind"]
    if kind == "resnext":
        return (f"group width C·d = {c}·{d} = <b>{c * d:,}</b> channels in the grouped 3×3 "
                f"({c} group{'s' if c > 1 else ''} of {d}).")
    if kind == "se":
        r = se_channels(BLOCK_CHANNELS)
        extra = n["params"] - n["resnext_params"]
        return (f"the SE gate squeezes {BLOCK_CHANNELS} channels to {r} and back (r = 16): "
                f"<b>+{extra:,}</b> params but only +{n['macs'] - n['resnext_macs']:,} MACs, "
                "because its two fc layers see one pooled value per channel.")
    if kind == "resnest":
        r = n["radix"]
        return (f"K = {c} cardinal group{'s' if c > 1 else ''} × R = {r} split{'s' if r > 1 else ''}: the "
                f"3×3 conv has K·R = <b>{c * r}</b> groups and R·K·d = {r * c * d:,} output channels, each "
                f"split reading d/R = {d // r} of a group's {d}; "
                + ("a softmax over the splits weighs them." if r > 1 else "with R = 1 a sigmoid gates each channel."))
    s = n["scale"]
    return (f"s = {s} parts of w = C·d = {c * d} channels; {s - 1} chained 3×3 convs"
            + (f" of cardinality {c}" if c > 1 else "")
            + f", so the 1×1 convs are s·w = <b>{s * c * d:,}</b> wide.")


def readout_html(n):
    """A small table of n (from family_numbers): this block, ResNeXt's with the same C and d, ResNet's."""
    columns = [(KIND_NAMES[n["kind"]].split(" (")[0], n["params"], n["macs"])]
    if n["kind"] != "resnext":
        columns.append((f"ResNeXt, {n['cardinality']}×{n['bottleneck_width']}d", n["resnext_params"],
                        n["resnext_macs"]))
    columns.append(("ResNet bottleneck", RESNET_PARAMS, RESNET_MACS))
    head = "".join(f"<th>{html.escape(name)}</th>" for name, _, _ in columns)
    params = "".join(f"<td>{p:,}</td>" for _, p, _ in columns)
    macs = "".join(f"<td>{m:,} ({m / 1e6:.1f} M)</td>" for _, _, m in columns)
    ratios = "".join(f"<td>{p / RESNET_PARAMS:.2f}× params, {m / RESNET_MACS:.2f}× MACs</td>"
                     for _, p, m in columns)
    return ("<table style='border-spacing:12px 2px;text-align:left'>"
            f"<tr><th>one conv2 block (256-d, 56×56)</th>{head}</tr>"
            f"<tr><th>params</th>{params}</tr><tr><th>MACs</th>{macs}</tr>"
            f"<tr><th>vs ResNet</th>{ratios}</tr></table><p>{describe(n)}</p>")


# ---------------------------------------------------------------------------------------------
# The figure: the block's diagram, and its cost as the kind's own knob moves.

KNOBS = {"resnext": ("cardinality", "cardinality C"), "se": ("cardinality", "cardinality C"),
         "resnest": ("radix", "radix R"), "res2net": ("scale", "scale s")}
DIAGRAM_BOX = (0.0, 0.0, 0.57, 1.0)  # figure fraction (left, bottom, width, height) for the diagram
PNG_COLOURS = 64  # black, greys, two curve colours and their anti-aliased edges


def diagram_config(n):
    """(kind for FamilyDiagram or "c" for viz's BlockDiagram, keyword arguments) of n's block."""
    c, d = n["cardinality"], n["bottleneck_width"]
    if n["kind"] == "resnext":
        return "c", dict(cardinality=c, bottleneck_width=d, in_channels=BLOCK_CHANNELS)
    if n["kind"] == "se":
        return "se", dict(in_channels=BLOCK_CHANNELS, cardinality=c, bottleneck_width=d)
    if n["kind"] == "resnest":
        return "resnest", dict(in_channels=BLOCK_CHANNELS, cardinality=c, bottleneck_width=d, radix=n["radix"])
    return "res2net", dict(in_channels=BLOCK_CHANNELS, width=c * d, scale=n["scale"], cardinality=c)


def knob_curve(n):
    """[(knob value, params ratio, MACs ratio)] over the kind's knob, the other values as in n."""
    kind, c, d = n["kind"], n["cardinality"], n["bottleneck_width"]
    if kind in ("resnext", "se"):
        xs = [k for k in CARDINALITIES if k * d <= MAX_INNER_WIDTH]
        configs = [dict(cardinality=k, bottleneck_width=d) for k in xs]
    elif kind == "resnest":
        xs = valid_radixes(c, d)
        configs = [dict(cardinality=c, bottleneck_width=d, radix=r) for r in xs]
    else:
        xs = [s for s in SCALES if s * c * d <= MAX_INNER_WIDTH]
        configs = [dict(cardinality=c, bottleneck_width=d, scale=s) for s in xs]
    points = []
    for x, cfg in zip(xs, configs):
        params, macs = block_complexity(kind, **cfg)
        points.append((x, params / RESNET_PARAMS, macs / RESNET_MACS))
    return points


class FamilyFigure(BlitFigure):
    """One figure, kept alive: a diagram Axes per drawn layout (made once), and a cost plot per kind.

    Blitting, as in resnext_edu.widgets.ExplorerFigure: for each (layout, kind) the still parts
    (boxes, arrows, the plot's axes and legend) are drawn once into a saved background. An update
    puts the background back only under the diagram labels whose text changed and under the
    plot's data area, and draws just those labels and the plot's curves. A layout is the set of
    boxes and arrows: another radix line or another Res2Net part is another layout.
    """

    def __init__(self, dpi=80):
        self.fig = Figure(figsize=(10, 4.6), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.views = {}  # layout key -> (Axes, FamilyDiagram or BlockDiagram)
        self.plots = {}  # kind -> (Axes, [moving Line2D])
        self.backgrounds = {}  # (layout key, kind) -> saved canvas
        self.state = None  # (layout key, kind) on the canvas now
        self.background = None
        self.frames = {}  # (layout key, kind) -> (its diagram region as last drawn, its shown)
        self.shown = {}  # Text -> ((string, fontsize), pixel box) as it is on the canvas now

    def update(self, n):
        """Show n (from family_numbers) and return the figure as PNG bytes."""
        kind, config = diagram_config(n)
        if kind == "c":
            key = ("c",)
        else:
            spec = family_spec(kind, **config)
            key = (kind, spec.layout_key(), tuple(spec.edges))
        ax, diagram = self.views.get(key) or self._new_view(key, kind, config)
        ax_plot, curves = self.plots.get(n["kind"]) or self._new_plot(n["kind"])
        diagram.update(kind, **config)
        xs, params, macs = zip(*knob_curve(n))
        knob = n[KNOBS[n["kind"]][0]]
        curves[0].set_data(xs, params)
        curves[1].set_data(xs, macs)
        curves[2].set_data([knob], [n["params_ratio"]])
        curves[3].set_data([knob], [n["macs_ratio"]])

        if self.state != (key, n["kind"]):  # another layout or kind: show its axes, its background
            if self.state is not None:  # keep the diagram as drawn, labels and all, for a return
                self.frames[self.state] = (self.canvas.copy_from_bbox(self._diagram_bbox()), self.shown)
            self.state = (key, n["kind"])
            for other, _ in self.views.values():
                other.set_visible(other is ax)
            for other, _ in self.plots.values():
                other.set_visible(other is ax_plot)
            for artist in [*ax.texts, *curves]:
                artist.set_animated(True)  # left out of the background
            self.background = self.backgrounds.get(self.state)
            if self.background is None:
                self.canvas.draw()
                self.background = self.backgrounds[self.state] = self.canvas.copy_from_bbox(self.fig.bbox)
            else:
                self.canvas.restore_region(self.background)
            frame, self.shown = self.frames.get(self.state, (None, {}))
            if frame is not None:
                self.canvas.restore_region(frame)
        self._draw_texts(ax, tuple(ax.texts))
        self._restore(ax_plot.bbox.padded(2))  # the plot: its still parts back, then the curves
        for curve in curves:
            self.fig.draw_artist(curve)
        return self.png()

    def _diagram_bbox(self):
        """The diagram's part of the figure, in display pixels."""
        left, bottom, width, height = DIAGRAM_BOX
        return Bbox.from_bounds(left, bottom, width, height).transformed(self.fig.transFigure)

    def _new_view(self, key, kind, config):
        """An Axes for a new layout, sized so the diagram keeps its proportions (inches per data unit)."""
        if kind == "c":
            width, height = diagram_width("c", config["cardinality"]) * BLOCK_INCH, 3.6
        else:
            x0, x1, y0, y1 = extent(family_spec(kind, **config))
            width, height = (x1 - x0) * INCH, (y1 - y0) * VINCH
        left, bottom, box_w, box_h = DIAGRAM_BOX
        fig_w, fig_h = self.fig.get_size_inches()
        scale = min(box_w * fig_w / width, box_h * fig_h / height, 1.0)
        w, h = width * scale / fig_w, height * scale / fig_h
        ax = self.fig.add_axes((left + (box_w - w) / 2, bottom + (box_h - h) / 2, w, h))
        ax.set_axis_off()
        ax.set_visible(False)
        self.views[key] = (ax, BlockDiagram(ax) if kind == "c" else FamilyDiagram(ax))
        return self.views[key]

    def _new_plot(self, kind):
        """The cost plot of a kind: the block's params and MACs, relative to ResNet's, against its knob."""
        ax = self.fig.add_axes((0.655, 0.13, 0.32, 0.74))
        name, label = KNOBS[kind]
        ax.axhline(1.0, ls="--", color="0.6", lw=1, label="ResNet bottleneck")
        curves = [ax.plot([], [], "o-", color="tab:blue", ms=4, label="params")[0],
                  ax.plot([], [], "s-", color="tab:orange", ms=4, label="MACs")[0],
                  ax.plot([], [], "o", color="tab:blue", ms=11, mfc="none", mew=2)[0],
                  ax.plot([], [], "s", color="tab:orange", ms=11, mfc="none", mew=2)[0]]
        ticks = {"cardinality": CARDINALITIES, "radix": RADIXES, "scale": SCALES}[name]
        if name == "cardinality":
            ax.set_xscale("log")
            ax.set_xlim(0.7, ticks[-1] * 1.4)
        else:
            ax.set_xlim(ticks[0] - 0.5, ticks[-1] + 0.5)
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_yscale("log")
        ax.set_ylim(0.005, 800)  # the curves stay below 30x: the legend on top never covers them
        ax.set_yticks([0.01, 0.1, 1, 10, 100], ["0.01×", "0.1×", "1×", "10×", "100×"])
        ax.set_xlabel(label)
        ax.set_ylabel("one block / ResNet's bottleneck")
        ax.set_title(f"{KIND_NAMES[kind].split(' (')[0]}: cost as {label.split()[-1]} changes", fontsize=10)
        ax.legend(loc="upper center", ncols=3, fontsize=7, handlelength=1.5, columnspacing=1)
        ax.set_visible(False)
        self.plots[kind] = (ax, curves)
        return self.plots[kind]

    def png(self):
        """The canvas as a 64-colour PNG: quicker to encode than RGB (PNG's row filters), half the bytes."""
        size = self.canvas.get_width_height()
        image = PIL.Image.frombuffer("RGBA", size, self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
        image = image.quantize(PNG_COLOURS, method=PIL.Image.Quantize.FASTOCTREE, dither=PIL.Image.Dither.NONE)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=1)
        return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# The widget.

NOTE_STYLE = "color:#35577a;border-left:4px solid #7a9cc6;padding:4px 8px"


class FamilyExplorer(widgets.VBox):
    """A block kind, sliders for C, d, the radix R and the scale s; readouts; the live figure."""

    def __init__(self, kind="resnest", cardinality=None, bottleneck_width=None, radix=None, scale=None):
        _check_knob("kind", kind, KINDS)
        preset = {"radix": 2, "scale": 4, **PRESETS[kind]}
        given = dict(cardinality=cardinality, bottleneck_width=bottleneck_width, radix=radix, scale=scale)
        config = {**preset, **{k: v for k, v in given.items() if v is not None}}
        _check_knob("cardinality", config["cardinality"], CARDINALITIES)
        _check_knob("bottleneck_width", config["bottleneck_width"], range(1, MAX_BOTTLENECK_WIDTH + 1))
        _check_knob("radix", config["radix"], RADIXES)
        _check_knob("scale", config["scale"], SCALES)

        self.kind = widgets.Dropdown(options=[(KIND_NAMES[k], k) for k in KINDS], value=kind,
                                     description="block")
        self.cardinality = widgets.SelectionSlider(options=CARDINALITIES, value=config["cardinality"],
                                                   description="cardinality C")
        self.width = widgets.IntSlider(value=config["bottleneck_width"], min=1, max=MAX_BOTTLENECK_WIDTH,
                                       description="width d")
        self.radix = widgets.SelectionSlider(options=RADIXES, value=config["radix"], description="radix R")
        self.scale = widgets.IntSlider(value=config["scale"], min=SCALES[0], max=SCALES[-1],
                                       description="scale s")
        for w in (self.kind, self.cardinality, self.width, self.radix, self.scale):
            w.style.description_width = "initial"
        self.readout = widgets.HTML()
        self.message = widgets.HTML()  # friendly errors and notes; empty while all is well
        self.plot = FamilyFigure()
        self.figure = self.plot.fig
        width, _ = self.plot.canvas.get_width_height()  # show the PNG at its own size, not stretched
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px", max_width="100%"))
        self.numbers = None  # the last valid family_numbers(...), None after an error
        self._wanted_radix = config["radix"]  # the student's last choice, taken back when it fits again
        self._busy = False
        super().__init__([widgets.HBox([self.kind]), widgets.HBox([self.cardinality, self.width]),
                          widgets.HBox([self.radix, self.scale]), self.readout, self.message, self.image])
        self.kind.observe(self._on_kind, names="value")
        for w in (self.cardinality, self.width, self.radix, self.scale):
            w.observe(self._on_change, names="value")
        self._on_change()

    def _on_kind(self, change):
        """A new kind loads its paper configuration (PRESETS), then updates once."""
        if self._busy:
            return
        self._busy = True
        try:
            preset = PRESETS[self.kind.value]
            self.cardinality.value = preset["cardinality"]
            self.width.value = preset["bottleneck_width"]
            if "scale" in preset:
                self.scale.value = preset["scale"]
            if "radix" in preset:
                self._wanted_radix = preset["radix"]
                self._offer_radixes(preset["cardinality"], preset["bottleneck_width"], preset["radix"])
        except Exception:  # never a traceback: _on_change below shows what is wrong
            pass
        finally:
            self._busy = False
        self._on_change()

    def _on_change(self, change=None):
        if self._busy:  # our own moves of the sliders
            return
        if change is not None and change["owner"] is self.radix:
            self._wanted_radix = change["new"]
        self._busy = True
        try:
            run_guarded(self._update, self._show_error)
        finally:
            self._busy = False

    def _offer_radixes(self, cardinality, bottleneck_width, wanted):
        """Offer only the radixes that fit; return a note if the wanted one had to move, else ''."""
        fits = valid_radixes(cardinality, bottleneck_width)
        if not fits:  # no radix works: check_split_attention says why (cardinality vs attention width)
            check_split_attention(cardinality * bottleneck_width, cardinality, 1)
        if tuple(self.radix.options) != tuple(fits):
            self.radix.options = fits  # resets the value to the first option
        chosen = wanted if wanted in fits else min(fits, key=lambda r: (abs(r - wanted), -r))
        self.radix.value = chosen
        if chosen == wanted:
            return ""
        return (f"R = {wanted} does not fit C = {cardinality}, d = {bottleneck_width}: each of the R splits of a "
                f"cardinal group needs d/R whole channels (and C must divide the attention width), so the radix "
                f"is {chosen} for now, and goes back to {wanted} when it fits again. With these values the slider "
                f"offers R = {', '.join(map(str, fits))}.")

    def _update(self):
        kind = self.kind.value
        self.radix.layout.display = None if kind == "resnest" else "none"
        self.scale.layout.display = None if kind == "res2net" else "none"
        c, d = self.cardinality.value, self.width.value
        note = ""
        if kind == "resnest":
            self.radix.disabled = False
            try:
                note = self._offer_radixes(c, d, self._wanted_radix)
            except ValueError:
                self.radix.disabled = True
                raise
        n = family_numbers(kind, c, d, self.radix.value, self.scale.value)
        self.numbers = n
        self.message.value = f"<div style='{NOTE_STYLE}'>{html.escape(note)}</div>" if note else ""
        self.readout.value = readout_html(n)  # readouts first, then the slower figure
        self.image.value = self.plot.update(n)

    def _show_error(self, text):
        self.numbers = None
        self.readout.value = "<p style='color:#888'>params and MACs: no block for these values</p>"
        self.message.value = error_html(text)


def family_explorer(kind="resnest", cardinality=None, bottleneck_width=None, radix=None, scale=None):
    """The explorer, a VBox; see .kind, .cardinality, .width, .radix, .scale, .readout, .message, .image.

    kind: "resnext", "se", "resnest" or "res2net"; values left out come from the kind's paper
    configuration (PRESETS). Every number is a conv2 block's, 256-d in and out, at 56x56.
    """
    return FamilyExplorer(kind, cardinality, bottleneck_width, radix, scale)
