"""The family explorer: the cardinality explorer's sibling, with ResNeSt's radix and Res2Net's scale.

Xie et al. 2017 (ResNeXt, https://arxiv.org/abs/1611.05431) trade cardinality C against width d.
Its descendants add one knob each: SE-ResNeXt a channel gate (Hu et al. 2018,
https://arxiv.org/abs/1709.01507), ResNeSt the radix R, splits per cardinal group weighed by a
softmax (Zhang et al. 2020, https://arxiv.org/abs/2004.08955), Res2Net the scale s, parts of
the 3x3 stage chained into a hierarchy (Gao et al. 2019, https://arxiv.org/abs/1904.01169).
The explorer shows one conv2-stage block (256-d in and out, 56x56, stride 1) of the chosen kind,
its parameters and MACs, and its diagram.

Every number comes from resnext_edu.complexity, in closed form; a kind's paper configuration is
read off its registered 50-layer model, built once on the meta device. The figure stays alive
(widgets.live). Measure: `python benchmarks/family_widget_latency.py`.
"""
import functools
import html

import ipywidgets as widgets
import torch

from ..checks import check_choice, check_size
from ..complexity import BLOCK_KINDS, block_complexity, resnext_block_complexity
from ..family.resnest import check_split_attention
from ..family.se import se_channels
from ..registry import create_model
from ..viz import block_spec, family_spec
from ..viz.style import GREY, PALETTE
from .live import LiveExplorer, LiveFigure

KINDS = BLOCK_KINDS  # resnext, se, resnest, res2net
KIND_NAMES = {"resnext": "ResNeXt", "se": "SE-ResNeXt", "resnest": "ResNeSt (split attention)",
              "res2net": "Res2Net / Res2NeXt"}
PAPER_MODELS = {  # choosing a kind loads the conv2 block of its paper's 50-layer network
    "resnext": "resnext50_32x4d",  # Xie et al. 2017, Table 1
    "se": "seresnext50_32x4d",  # Hu et al. 2018, Table 1
    "resnest": "resnest50d",  # Zhang et al. 2020 (2s1x64d)
    "res2net": "res2net50_26w_4s",  # Gao et al. 2019 (26w x 4s)
}
CARDINALITIES = (1, 2, 4, 8, 16, 32, 64)
MAX_BOTTLENECK_WIDTH = 128  # d on the slider: 1..128
RADIXES = tuple(range(1, 9))  # R; only those that fit C and d are offered (the paper uses 1, 2 and 4)
SCALES = tuple(range(2, 9))  # s; the paper uses 4, 6 and 8 (s = 1 would be ResNet's bottleneck)
BLOCK_CHANNELS = 256  # the conv2 stage's block: 256-d in and out ...
BLOCK_SIZE = 56  # ... on a 56x56 map (224x224 input), stride 1: no projection shortcut
MAX_INNER_WIDTH = 1024  # widest layer inside the block: C·d (times s for Res2Net); ResNeXt-101 (64x4d) has 256
RESNET_PARAMS, RESNET_MACS = resnext_block_complexity(BLOCK_CHANNELS, 1, 64, BLOCK_SIZE)  # He et al.'s bottleneck


@functools.lru_cache(maxsize=None)
def paper_block(kind):
    """The second conv2-stage block (256-d in and out, stride 1) of the kind's registered model, on the meta device."""
    check_choice("kind", kind, KINDS, what="is not on the explorer")
    with torch.device("meta"):  # shapes only: no memory, and built once
        return create_model(PAPER_MODELS[kind]).layer1[1]


def preset(kind):
    """The paper configuration of a kind: C and d, and the radix or the scale, read off paper_block(kind)."""
    block = paper_block(kind)
    if kind == "resnest":
        attention = block.conv2
        return dict(cardinality=attention.cardinality, radix=attention.radix,
                    bottleneck_width=block.conv1.out_channels // attention.cardinality)
    if kind == "res2net":
        c = block.convs[0].groups
        return dict(cardinality=c, bottleneck_width=block.width // c, scale=block.scale)
    c = block.conv2.groups
    return dict(cardinality=c, bottleneck_width=block.conv2.out_channels // c)


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


def family_numbers(kind, cardinality, bottleneck_width, radix=2, scale=4):
    """Params and MACs of the block, of ResNeXt's block with the same C and d, and of ResNet's bottleneck."""
    check_choice("kind", kind, KINDS, what="is not on the explorer")
    check_choice("cardinality", cardinality, CARDINALITIES, what="is not on the explorer")
    check_size("bottleneck_width", bottleneck_width, maximum=MAX_BOTTLENECK_WIDTH)
    if kind == "resnest":
        check_choice("radix", radix, RADIXES, what="is not on the explorer")
    if kind == "res2net":
        check_choice("scale", scale, SCALES, what="is not on the explorer")
    c, d = cardinality, bottleneck_width
    widest = inner_width(kind, c, d, scale)
    if widest > MAX_INNER_WIDTH:
        what = f"s·C·d = {scale}·{c}·{d}" if kind == "res2net" else f"C·d = {c}·{d}"
        raise ValueError(f"{what} = {widest:,} channels inside one conv2 block is far too wide: ResNeXt-101 "
                         f"(64×4d, Xie et al. 2017, Table 4) has 256 there, and the explorer stops at "
                         f"{MAX_INNER_WIDTH:,}. Lower C or d" + (" or s." if kind == "res2net" else "."))
    params, macs = block_complexity(kind, BLOCK_CHANNELS, c, d, radix, scale, BLOCK_SIZE)
    base_params, base_macs = resnext_block_complexity(BLOCK_CHANNELS, c, d, BLOCK_SIZE)
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
    # line-height 1.4, not the widget's 28 px lines: the whole explorer fits a laptop's notebook panel
    return ("<table style='border-spacing:12px 2px;text-align:left;line-height:1.4'>"
            f"<tr><th>one conv2 block (256-d, 56×56)</th>{head}</tr>"
            f"<tr><th>params</th>{params}</tr><tr><th>MACs</th>{macs}</tr>"
            f"<tr><th>vs ResNet</th>{ratios}</tr></table><p style='line-height:1.4'>{describe(n)}</p>")


# ---------------------------------------------------------------------------------------------
# The figure: the block's diagram, and its cost as the kind's own knob moves.

KNOBS = {"resnext": ("cardinality", "cardinality C"), "se": ("cardinality", "cardinality C"),
         "resnest": ("radix", "radix R"), "res2net": ("scale", "scale s")}


def diagram_spec(n):
    """The diagram of n's block (n from family_numbers), from viz."""
    c, d = n["cardinality"], n["bottleneck_width"]
    if n["kind"] == "resnext":
        return block_spec("c", c, d, BLOCK_CHANNELS)
    knob = {"resnest": dict(radix=n["radix"]), "res2net": dict(scale=n["scale"])}.get(n["kind"], {})
    return family_spec(n["kind"], in_channels=BLOCK_CHANNELS, cardinality=c, bottleneck_width=d, **knob)


def knob_curve(n):
    """[(knob value, params ratio, MACs ratio)] over the kind's knob, the other values as in n."""
    kind, c, d = n["kind"], n["cardinality"], n["bottleneck_width"]
    if kind in ("resnext", "se"):
        configs = [(k, d, 2, 4) for k in CARDINALITIES if k * d <= MAX_INNER_WIDTH]
    elif kind == "resnest":
        configs = [(c, d, r, 4) for r in valid_radixes(c, d)]
    else:
        configs = [(c, d, 2, s) for s in SCALES if s * c * d <= MAX_INNER_WIDTH]
    knob = {"resnext": 0, "se": 0, "resnest": 2, "res2net": 3}[kind]  # where the knob is in a config
    points = []
    for config in configs:
        params, macs = block_complexity(kind, BLOCK_CHANNELS, *config, BLOCK_SIZE)
        points.append((config[knob], params / RESNET_PARAMS, macs / RESNET_MACS))
    return points


class FamilyFigure(LiveFigure):
    """The block's diagram (an Axes per layout) and, per kind, its cost against the kind's knob."""

    def __init__(self, dpi=120):
        super().__init__((10, 4.6), (0.0, 0.0, 0.57, 1.0), dpi)
        self.plots = {}  # kind -> (Axes, [moving Line2D])

    def update(self, n):
        """Show n (from family_numbers) and return the figure as PNG bytes."""
        ax, curves = self.plots.get(n["kind"]) or self._new_plot(n["kind"])
        xs, params, macs = zip(*knob_curve(n))
        knob = n[KNOBS[n["kind"]][0]]
        curves[0].set_data(xs, params)
        curves[1].set_data(xs, macs)
        curves[2].set_data([knob], [n["params_ratio"]])
        curves[3].set_data([knob], [n["macs_ratio"]])
        return self.show(diagram_spec(n), [ax], curves)

    def _new_plot(self, kind):
        """The cost plot of a kind: the block's params and MACs, relative to ResNet's, against its knob."""
        ax = self.fig.add_axes((0.655, 0.13, 0.32, 0.74))
        name, label = KNOBS[kind]
        ax.axhline(1.0, ls="--", color=GREY, lw=1, label="ResNet bottleneck")
        curves = [ax.plot([], [], "o-", color=PALETTE["blue"], ms=4, label="params")[0],
                  ax.plot([], [], "s-", color=PALETTE["orange"], ms=4, label="MACs")[0],
                  ax.plot([], [], "o", color=PALETTE["blue"], ms=11, mfc="none", mew=2)[0],
                  ax.plot([], [], "s", color=PALETTE["orange"], ms=11, mfc="none", mew=2)[0]]
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
        self.panels.append(ax)
        self.plots[kind] = (ax, curves)
        return self.plots[kind]


class FamilyExplorer(LiveExplorer):
    """A block kind, sliders for C, d, the radix R and the scale s; readouts; the live figure."""

    def __init__(self, kind="resnest", cardinality=None, bottleneck_width=None, radix=None, scale=None):
        check_choice("kind", kind, KINDS, what="is not on the explorer")
        given = dict(cardinality=cardinality, bottleneck_width=bottleneck_width, radix=radix, scale=scale)
        config = {"radix": 2, "scale": 4, **preset(kind), **{k: v for k, v in given.items() if v is not None}}
        check_choice("cardinality", config["cardinality"], CARDINALITIES, what="is not on the explorer")
        check_size("bottleneck_width", config["bottleneck_width"], maximum=MAX_BOTTLENECK_WIDTH)
        check_choice("radix", config["radix"], RADIXES, what="is not on the explorer")
        check_choice("scale", config["scale"], SCALES, what="is not on the explorer")

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
        self.wanted_radix = config["radix"]  # the student's last choice, taken back when it fits again
        super().__init__([widgets.HBox([self.kind]), widgets.HBox([self.cardinality, self.width]),
                          widgets.HBox([self.radix, self.scale])], FamilyFigure())
        self.kind.observe(self._on_kind, names="value")
        self.radix.observe(self._on_radix, names="value")  # before refresh: it reads wanted_radix
        for w in (self.cardinality, self.width, self.radix, self.scale):
            w.observe(self.refresh, names="value")
        self.refresh()

    def _on_kind(self, change):
        """A new kind loads its paper configuration (preset), then redraws once."""
        if self.busy:
            return
        self.quietly(lambda: self._load(preset(self.kind.value)))
        self.refresh()

    def _load(self, config):
        self.cardinality.value = config["cardinality"]
        self.width.value = config["bottleneck_width"]
        if "scale" in config:
            self.scale.value = config["scale"]
        if "radix" in config:
            self.wanted_radix = config["radix"]
            self._offer_radixes(config["cardinality"], config["bottleneck_width"], config["radix"])

    def _on_radix(self, change):
        if not self.busy:  # the student moved it, not _offer_radixes
            self.wanted_radix = change["new"]

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

    def redraw(self):
        kind = self.kind.value
        self.radix.layout.display = None if kind == "resnest" else "none"
        self.scale.layout.display = None if kind == "res2net" else "none"
        c, d = self.cardinality.value, self.width.value
        note = ""
        if kind == "resnest":
            self.radix.disabled = False
            try:
                note = self._offer_radixes(c, d, self.wanted_radix)
            except ValueError:
                self.radix.disabled = True
                raise
        n = family_numbers(kind, c, d, self.radix.value, self.scale.value)
        self.show(n, readout_html(n), lambda: self.plot.update(n), note)


def family_explorer(kind="resnest", cardinality=None, bottleneck_width=None, radix=None, scale=None):
    """The explorer, a VBox; see .kind, .cardinality, .width, .radix, .scale, .readout, .message, .image.

    kind: "resnext", "se", "resnest" or "res2net"; values left out come from the kind's paper
    configuration (preset). Every number is a conv2 block's, 256-d in and out, at 56x56.
    """
    return FamilyExplorer(kind, cardinality, bottleneck_width, radix, scale)
