"""The family explorer: the cardinality explorer's sibling, with ResNeSt's radix and Res2Net's scale.

Xie et al. 2017 (ResNeXt, https://arxiv.org/abs/1611.05431) trade cardinality C against width d.
Its descendants add one knob each: SE-ResNeXt a channel gate (Hu et al. 2018,
https://arxiv.org/abs/1709.01507), ResNeSt the radix R, splits per cardinal group weighed by a
softmax (Zhang et al. 2020, https://arxiv.org/abs/2004.08955), Res2Net the scale s, parts of
the 3x3 stage chained into a hierarchy (Gao et al. 2019, https://arxiv.org/abs/1904.01169).
The explorer shows one conv2-stage block (256-d in and out, 56x56, stride 1) of the chosen kind,
its parameters and MACs, and its diagram.

An anywidget: its ES module (family_explorer.js, after explorer_common.js) computes the counts
with the closed forms of resnext_edu.complexity and draws the diagram (geometry from viz, per
layout) and the cost curve as SVG, so no control needs a kernel. A kind's paper configuration
is read here off its registered 50-layer model, built once on the meta device, and sent to the
page. tests/test_explorer_page.py asserts the page's numbers equal family_numbers, and its
diagrams family_spec, for every slider position. Measure: `python benchmarks/family_widget_latency.py`.
"""
import functools

import anywidget
import torch
import traitlets

from ..checks import check_choice, check_size, divisors
from ..complexity import BLOCK_KINDS, block_complexity, resnext_block_complexity
from ..family.resnest import check_split_attention
from ..i18n import N_, _, get_language, ngettext
from ..registry import create_model
from ..viz import block_spec, family_spec
from .page import ON_EXPLORER, common_messages, esm, forms, learn

KINDS = BLOCK_KINDS  # resnext, se, resnest, res2net
KIND_NAMES = {"resnext": "ResNeXt", "se": "SE-ResNeXt", "resnest": N_("ResNeSt (split attention)"),
              "res2net": "Res2Net / Res2NeXt"}  # the block menu; the model names stay as they are
SHORT_NAMES = {"resnext": "ResNeXt", "se": "SE-ResNeXt", "resnest": "ResNeSt", "res2net": "Res2Net / Res2NeXt"}
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

TOO_WIDE = N_("{what} = {widest} channels inside one conv2 block is far too wide: ResNeXt-101 (64×4d, Xie et al. "
              "2017, Table 4) has 256 there, and the explorer stops at {limit}. Lower C or d.")
TOO_WIDE_RES2NET = N_("{what} = {widest} channels inside one conv2 block is far too wide: ResNeXt-101 (64×4d, Xie "
                      "et al. 2017, Table 4) has 256 there, and the explorer stops at {limit}. Lower C or d or s.")


@functools.lru_cache(maxsize=None)
def paper_block(kind):
    """The second conv2-stage block (256-d in and out, stride 1) of the kind's registered model, on the meta device."""
    check_choice("kind", kind, KINDS, what=ON_EXPLORER)
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
    check_choice("kind", kind, KINDS, what=ON_EXPLORER)
    check_choice("cardinality", cardinality, CARDINALITIES, what=ON_EXPLORER)
    check_size("bottleneck_width", bottleneck_width, maximum=MAX_BOTTLENECK_WIDTH)
    if kind == "resnest":
        check_choice("radix", radix, RADIXES, what=ON_EXPLORER)
    if kind == "res2net":
        check_choice("scale", scale, SCALES, what=ON_EXPLORER)
    c, d = cardinality, bottleneck_width
    widest = inner_width(kind, c, d, scale)
    if widest > MAX_INNER_WIDTH:
        what = f"s·C·d = {scale}·{c}·{d}" if kind == "res2net" else f"C·d = {c}·{d}"  # notation, not words
        raise ValueError(_(TOO_WIDE_RES2NET if kind == "res2net" else TOO_WIDE).format(
            what=what, widest=f"{widest:,}", limit=f"{MAX_INNER_WIDTH:,}"))
    params, macs = block_complexity(kind, BLOCK_CHANNELS, c, d, radix, scale, BLOCK_SIZE)
    base_params, base_macs = resnext_block_complexity(BLOCK_CHANNELS, c, d, BLOCK_SIZE)
    return dict(kind=kind, cardinality=c, bottleneck_width=d, radix=radix if kind == "resnest" else None,
                scale=scale if kind == "res2net" else None, params=params, macs=macs,
                resnext_params=base_params, resnext_macs=base_macs,
                params_ratio=params / RESNET_PARAMS, macs_ratio=macs / RESNET_MACS)


KNOBS = {"resnext": ("cardinality", N_("cardinality C"), "C"), "se": ("cardinality", N_("cardinality C"), "C"),
         "resnest": ("radix", N_("radix R"), "R"), "res2net": ("scale", N_("scale s"), "s")}  # trait, label, symbol


def diagram_spec(n):
    """The diagram of n's block (n from family_numbers), from viz."""
    c, d = n["cardinality"], n["bottleneck_width"]
    if n["kind"] == "resnext":
        return block_spec("c", c, d, BLOCK_CHANNELS)
    knob = {"resnest": dict(radix=n["radix"]), "res2net": dict(scale=n["scale"])}.get(n["kind"], {})
    return family_spec(n["kind"], in_channels=BLOCK_CHANNELS, cardinality=c, bottleneck_width=d, **knob)


CHOICES = {"kind": KINDS, "cardinality": CARDINALITIES, "radix": RADIXES, "scale": SCALES}  # what each control offers
LAYOUTS = {  # the diagram's layouts: (kind, C, d, radix, scale) of one block that has it
    "resnext": ("resnext", 32, 4, 2, 4), "se": ("se", 32, 4, 2, 4),
    "resnest-1": ("resnest", 1, 64, 1, 4), "resnest-2": ("resnest", 1, 64, 2, 4),
    "resnest-3": ("resnest", 1, 48, 3, 4), "resnest-n": ("resnest", 1, 64, 4, 4),  # more than 3 splits: "…"
    "res2net-2": ("res2net", 1, 26, 2, 2), "res2net-3": ("res2net", 1, 26, 2, 3),
    "res2net-4": ("res2net", 1, 26, 2, 4), "res2net-n": ("res2net", 1, 26, 2, 5),  # more than 3 parts: "…"
}


def diagram_spec(kind, cardinality, bottleneck_width, radix=2, scale=4):
    """The diagram of the block, from viz: the spec the page's drawing must equal."""
    if kind == "resnext":
        return block_spec("c", cardinality, bottleneck_width, BLOCK_CHANNELS)
    knob = {"resnest": dict(radix=radix), "res2net": dict(scale=scale)}.get(kind, {})
    return family_spec(kind, in_channels=BLOCK_CHANNELS, cardinality=cardinality, bottleneck_width=bottleneck_width,
                       **knob)


def _split_error(channels, k, r):
    """check_split_attention's message for values it refuses: family/resnest.py's words."""
    try:
        check_split_attention(channels, k, r)
    except ValueError as e:
        return str(e)
    raise AssertionError(f"check_split_attention({channels}, {k}, {r}) passed")  # pragma: no cover


def split_attention_words():
    """check_split_attention's three messages as templates for the page's copy of the check (explorer_common.js)."""
    def shown(numbers):
        return ", ".join(map(str, numbers))

    def group_width(channels, k):  # k does not divide the group width
        return _split_error(channels, k, 1), {"fits": shown(divisors(channels)), "k": k, "channels": channels}

    def radix(channels, k, r):  # k·r does not divide it
        fits = [x for x in divisors(channels // k) if x <= 8]
        return _split_error(channels, k, r), {"fits": shown(fits), "r": r, "k": k, "channels": channels}

    def attention(channels, k):  # k does not divide the attention width: 40 for 160 channels, 56 for 224
        attn = channels // 4
        fits = [x for x in divisors(attn) if channels % x == 0]
        return _split_error(channels, k, 1), {"fits": shown(fits), "k": k, "attn": attn}

    # probe values unlike the messages' constants (3x3, 8, 32), so none is taken for a field
    return dict(group_width=learn(group_width, (30, 7), (44, 9)), radix=learn(radix, (30, 5, 7), (60, 6, 7)),
                attention=learn(attention, (160, 160), (224, 224)))


def diagram_words():
    """The words of viz's family diagrams that the page writes itself (family_diagram in family_explorer.js)."""
    def labels(kind, **config):
        return [n.label for n in family_spec(kind, in_channels=BLOCK_CHANNELS, **config).nodes]

    def splits(r, w):  # "2 splits of 64"
        return labels("resnest", cardinality=1, bottleneck_width=w, radix=r)[3], {"r": r, "w": w}

    se = labels("se", cardinality=32, bottleneck_width=4)
    gate, softmax = (labels("resnest", cardinality=1, bottleneck_width=64, radix=r) for r in (1, 4))
    res2net = family_spec("res2net", in_channels=BLOCK_CHANNELS, cardinality=1, bottleneck_width=26, scale=4)
    res2next = family_spec("res2net", in_channels=BLOCK_CHANNELS, cardinality=2, bottleneck_width=26, scale=4)
    return dict(se_pool=se[4], se_sigmoid=se[7], se_scale=se[9], splits=[learn(splits, (1, 64), (1, 48)),
                learn(splits, (2, 64), (4, 48))], sum_of_splits=softmax[4], pool=softmax[5],
                softmax=softmax[8], weighted_sum=softmax[9], sigmoid=gate[8], scale=gate[9],
                concatenate=next(n.label for n in res2net.nodes if n.kind == "op"),
                titles=dict(resnext=block_spec("c").title, se=family_spec("se").title,
                            resnest=family_spec("resnest").title, res2net=res2net.title, res2next=res2next.title))


def messages():
    """Every word the page shows, in the current language: templates with named fields that the page fills in."""
    return dict(
        common_messages(), kind_names={kind: _(name) for kind, name in KIND_NAMES.items()}, short_names=SHORT_NAMES,
        knobs={kind: [name, _(label), symbol] for kind, (name, label, symbol) in KNOBS.items()},
        block=_("block"), radix=_("radix R"), scale=_("scale s"), too_wide=_(TOO_WIDE),
        too_wide_res2net=_(TOO_WIDE_RES2NET), split_attention=split_attention_words(),
        family_diagram=diagram_words(), resnext_column="ResNeXt, {c}×{d}d",
        resnet_bottleneck=block_spec("resnet").title,  # viz's words
        block_ratios=_("{params}× params, {macs}× MACs"),
        no_block=_("params and MACs: no block for these values"),
        describe_resnext=_("group width C·d = {c}·{d} = <b>{width}</b> channels in the grouped 3×3 "
                           "({groups} of {d})."),
        groups=forms(lambda n: ngettext("{n} group", "{n} groups", n)),
        describe_se=_("the SE gate squeezes {n} channels to {reduced} and back (r = 16): <b>+{params}</b> params but "
                      "only +{macs} MACs, because its two fc layers see one pooled value per channel."),
        describe_resnest=_("{groups} × {splits}: the 3×3 conv has K·R = <b>{kr}</b> groups and R·K·d = {out} "
                           "output channels, each split reading d/R = {dr} of a group's {d}; {gate}"),
        cardinal_groups=forms(lambda n: ngettext("K = {n} cardinal group", "K = {n} cardinal groups", n)),
        splits=forms(lambda n: ngettext("R = {n} split", "R = {n} splits", n)),
        softmax_gate=_("a softmax over the splits weighs them."),
        sigmoid_gate=_("with R = 1 a sigmoid gates each channel."),
        describe_res2net=_("s = {s} parts of w = C·d = {w} channels; {chained} chained 3×3 convs, so the 1×1 convs "
                           "are s·w = <b>{sw}</b> wide."),
        describe_res2next=_("s = {s} parts of w = C·d = {w} channels; {chained} chained 3×3 convs of cardinality "
                            "{c}, so the 1×1 convs are s·w = <b>{sw}</b> wide."),
        radix_moved=_("R = {wanted} does not fit C = {c}, d = {d}: each of the R splits of a cardinal group needs "
                      "d/R whole channels (and C must divide the attention width), so the radix is {radix} for now, "
                      "and goes back to {wanted} when it fits again. With these values the slider offers R = {fits}."),
        cost_ylabel=_("one block / ResNet's bottleneck"), cost_title=_("{name}: cost as {symbol} changes"),
        cost=_("Cost of one {name} block against {knob}, relative to ResNet's bottleneck: {params}× the params and "
               "{macs}× the MACs at {symbol} = {value}."))


def page_config():
    """What the page needs besides the controls' values: the constants, the presets, the layouts (viz), the words."""
    return _page_config(get_language())


@functools.lru_cache(maxsize=None)
def _page_config(language):  # the layouts' labels and the words are the language's: one config per language
    return dict(kinds=KINDS, cardinalities=CARDINALITIES, max_width=MAX_BOTTLENECK_WIDTH, radixes=RADIXES,
                scales=SCALES, block_channels=BLOCK_CHANNELS, block_size=BLOCK_SIZE, max_inner_width=MAX_INNER_WIDTH,
                presets={kind: preset(kind) for kind in KINDS},
                layouts={key: diagram_spec(*config).as_layout() for key, config in LAYOUTS.items()},
                messages=messages())


def fitted_radix(cardinality, bottleneck_width, wanted):
    """The radix the explorer shows: the wanted one if it fits C and d, else the nearest that does (None: none)."""
    fits = valid_radixes(cardinality, bottleneck_width)
    if not fits:
        return None
    return wanted if wanted in fits else min(fits, key=lambda r: (abs(r - wanted), -r))


class FamilyExplorer(anywidget.AnyWidget):
    """A block kind, C, d, the radix R and the scale s; the page computes the counts and draws the diagram.

    Python sets and reads the traits, and the page follows; a new kind loads its paper
    configuration (preset). wanted_radix is the student's last radix, taken back when it fits.
    """

    _esm = esm("family_explorer")
    kind = traitlets.Unicode("resnest").tag(sync=True)
    cardinality = traitlets.Int(1).tag(sync=True)
    bottleneck_width = traitlets.Int(64).tag(sync=True)
    radix = traitlets.Int(2).tag(sync=True)
    scale = traitlets.Int(4).tag(sync=True)
    wanted_radix = traitlets.Int(2).tag(sync=True)
    config = traitlets.Dict().tag(sync=True)

    def __init__(self, kind="resnest", cardinality=None, bottleneck_width=None, radix=None, scale=None):
        check_choice("kind", kind, KINDS, what=ON_EXPLORER)
        given = dict(cardinality=cardinality, bottleneck_width=bottleneck_width, radix=radix, scale=scale)
        values = {"radix": 2, "scale": 4, **preset(kind), **{k: v for k, v in given.items() if v is not None}}
        super().__init__(kind=kind, wanted_radix=values["radix"], config=page_config(), **values)
        self.observe(self._on_kind, names="kind")
        self._fitting = False  # True while _fit_radix moves the radix: that move is not the student's choice
        self.observe(self._on_radix, names="radix")
        self.observe(self._fit_radix, names=["cardinality", "bottleneck_width", "wanted_radix"])
        self._fit_radix()

    @traitlets.validate("kind", "cardinality", "radix", "wanted_radix", "scale")
    def _check_choice(self, proposal):
        name = proposal["trait"].name.replace("wanted_", "")
        check_choice(name, proposal["value"], CHOICES[name], what=ON_EXPLORER)
        return proposal["value"]

    @traitlets.validate("bottleneck_width")
    def _check_width(self, proposal):
        check_size("bottleneck_width", proposal["value"], maximum=MAX_BOTTLENECK_WIDTH)
        return proposal["value"]

    def _on_kind(self, change):
        """A new kind loads its paper configuration, as the page does."""
        config = preset(change["new"])
        with self.hold_trait_notifications():
            self.cardinality, self.bottleneck_width = config["cardinality"], config["bottleneck_width"]
            if "scale" in config:
                self.scale = config["scale"]
            if "radix" in config:
                self.radix = self.wanted_radix = config["radix"]

    def _on_radix(self, change):
        if not self._fitting:  # set from Python: the student's choice, as a move of the page's slider
            self.wanted_radix = change["new"]

    def _fit_radix(self, change=None):
        """The radix follows C and d to one that fits, as on the page; it goes back to wanted_radix when it can."""
        if self.kind == "resnest":
            fitted = fitted_radix(self.cardinality, self.bottleneck_width, self.wanted_radix)
            if fitted is not None:
                self._fitting = True
                try:
                    self.radix = fitted
                finally:
                    self._fitting = False

    @property
    def numbers(self):
        """The readout's numbers for the controls now (family_numbers); ValueError where the page shows an error."""
        if self.kind == "resnest" and fitted_radix(self.cardinality, self.bottleneck_width, self.wanted_radix) is None:
            check_split_attention(self.cardinality * self.bottleneck_width, self.cardinality, 1)  # says why
        return family_numbers(self.kind, self.cardinality, self.bottleneck_width, self.radix, self.scale)


def family_explorer(kind="resnest", cardinality=None, bottleneck_width=None, radix=None, scale=None):
    """The explorer, an anywidget: set or read .kind, .cardinality, .bottleneck_width, .radix, .scale; see .numbers.

    kind: "resnext", "se", "resnest" or "res2net"; values left out come from the kind's paper
    configuration (preset). Every number is a conv2 block's, 256-d in and out, at 56x56.
    """
    return FamilyExplorer(kind, cardinality, bottleneck_width, radix, scale)
