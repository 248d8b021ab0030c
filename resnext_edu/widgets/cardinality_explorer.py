"""The cardinality explorer: trade cardinality (C) against bottleneck width (d) and watch the cost.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.4 and Table 2.

An anywidget: its ES module (cardinality_explorer.js, after explorer_common.js) computes the
counts with the closed forms of resnext_edu.complexity and draws the block diagram and the
curves as SVG in the page, so moving a slider needs no kernel, and the explorer keeps working
in a static export of the notebook. The diagram's geometry comes from viz (block_spec, per
layout); the page writes its labels. tests/test_explorer_page.py runs the module in Chromium
and asserts its numbers equal explorer_numbers, and its diagrams equal block_spec, for every
slider position. Measure: `python benchmarks/widget_latency.py`.
"""
import functools

import anywidget
import traitlets

from ..checks import check_choice, check_size
from ..complexity import block_params, equal_complexity_width, resnext_complexity
from ..counting import PAPER_TABLE2
from ..i18n import N_, _, get_language
from ..models import IMAGENET_LAYERS, STAGE_WIDTHS
from ..viz import block_spec
from .page import ON_EXPLORER, common_messages, esm

CARDINALITIES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)  # C doubles at each step, as in Table 2
MAX_WIDTH = 128  # d on the slider: 1..128
DEPTHS = (50, 101)
FORMS = ("a", "b", "c")
BLOCK_CHANNELS = 256  # Table 2's block: conv2 stage, 256-d in and out ...
BLOCK_SIZE = 56  # ... on a 56x56 map (224x224 input), stride 1
MAX_GROUP_WIDTH = 2048  # C·d of the conv2 stage; the paper's widest ImageNet model has 256 (64x4d, Table 4)
LOCK_TOLERANCE = 0.25  # a locked block may cost at most 25% more than ResNet's
RESNET_BLOCK = block_params(BLOCK_CHANNELS, 1, 64)  # conv weights of ResNet's bottleneck, 69,632

TOO_WIDE = N_("C·d = {c}·{d} = {width} channels is far too wide: the widest ImageNet ResNeXt of the paper, "
              "ResNeXt-101 (64×4d, Table 4), has 256 there, and this one block alone would hold {block} "
              "parameters. Lower C or d.")
NO_EQUAL_WIDTH = N_("With C = {c} paths, even d = 1 gives a block of {smallest} parameters, {ratio}x ResNet's "
                    "{resnet}: no width d ≥ 1 keeps the complexity equal. Pick a smaller C, or untick the lock.")


@functools.lru_cache(maxsize=None)
def resnet_numbers(depth):
    """(params, MACs) of ResNet-{depth}: the same network with C = 1 and d = 64."""
    return resnext_complexity(depth, 1, 64)


def explorer_numbers(depth, cardinality, bottleneck_width):
    """Params and MACs of one conv2 block and of ResNeXt-{depth} (C x d), and their ratios to ResNet."""
    check_choice("depth", depth, DEPTHS, what=ON_EXPLORER)
    check_size("cardinality", cardinality)
    check_size("bottleneck_width", bottleneck_width)
    group_width = cardinality * bottleneck_width
    block = block_params(BLOCK_CHANNELS, cardinality, bottleneck_width)
    if group_width > MAX_GROUP_WIDTH:
        raise ValueError(_(TOO_WIDE).format(c=cardinality, d=bottleneck_width, width=f"{group_width:,}",
                                            block=f"{block:,}"))
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
        raise ValueError(_(NO_EQUAL_WIDTH).format(c=cardinality, smallest=f"{smallest:,}",
                                                  ratio=f"{smallest / RESNET_BLOCK:.1f}", resnet=f"{RESNET_BLOCK:,}"))
    return d


def equal_complexity_curve():
    """[(C, d)] at ResNet's complexity for every C on the slider that has such a d (Table 2)."""
    points = []
    for c in CARDINALITIES:
        try:
            points.append((c, locked_width(c)))
        except ValueError:
            pass
    return points


CHOICES = {"cardinality": CARDINALITIES, "depth": DEPTHS, "form": FORMS}  # what each control offers
LAYOUTS = {"c": ("c", 32), "a1": ("a", 1), "a2": ("a", 2), "an": ("a", 4), "b1": ("b", 1), "b2": ("b", 2),
           "bn": ("b", 4)}  # the diagram's layouts: (form, a C that has it); more than 3 paths fold into "…"


def messages():
    """Every word the page shows, in the current language: templates with named fields that the page fills in."""
    return dict(
        common_messages(), too_wide=_(TOO_WIDE), no_equal_width=_(NO_EQUAL_WIDTH),
        lock=_("keep complexity equal to ResNet"), depth=_("depth"), form=_("form"),
        form_titles=[_("C paths, summed"), _("C paths, concatenated"), _("one grouped 3×3 conv")],
        whole=_("whole ResNeXt-{depth} ({c}×{d}d)"),
        network_ratios=_("{params}× params, {macs}× MACs of ResNet-{depth}"),
        group_width=_("group width C·d = {c}·{d} = <b>{width}</b> channels in the 3×3 stage"),
        no_network=_("params and MACs: no network for these values"),
        table2_title=_("Table 2: width d at equal complexity"), equal_complexity=_("equal complexity"),
        paper_table2=_("paper, Table 2"), you=_("you"), block_params_title=_("params of one conv2 block"),
        this_d=_("this d"),
        curves=_("Two plots. Top: Table 2's width d at equal complexity against C, with your point C = {c}, "
                 "d = {d}. Bottom: parameters of one conv2 block against C at d = {d}, {params} at C = {c}, "
                 "against ResNet's {resnet}."))


def page_config():
    """What the page needs besides the controls' values: the constants, the diagrams' layouts (viz) and the words."""
    return _page_config(get_language())


@functools.lru_cache(maxsize=None)
def _page_config(language):  # the layouts' labels and the words are the language's: one config per language
    return dict(cardinalities=CARDINALITIES, max_width=MAX_WIDTH, depths=DEPTHS, forms=FORMS,
                block_channels=BLOCK_CHANNELS, block_size=BLOCK_SIZE, max_group_width=MAX_GROUP_WIDTH,
                lock_tolerance=LOCK_TOLERANCE, paper_table2=[list(row) for row in PAPER_TABLE2],
                stages={depth: IMAGENET_LAYERS[depth][1] for depth in DEPTHS}, stage_widths=STAGE_WIDTHS,
                layouts={key: block_spec(form, c, 4, BLOCK_CHANNELS).as_layout() for key, (form, c) in LAYOUTS.items()},
                messages=messages())


class CardinalityExplorer(anywidget.AnyWidget):
    """Sliders for C and d, the lock, depth and form; the page computes the counts and draws the diagram.

    Python sets and reads the traits; the page follows them, and sets them back when the student
    moves a control. `numbers` is what the readout shows, computed here by explorer_numbers.
    """

    _esm = esm("cardinality_explorer")
    cardinality = traitlets.Int(32).tag(sync=True)
    bottleneck_width = traitlets.Int(4).tag(sync=True)
    depth = traitlets.Int(50).tag(sync=True)
    form = traitlets.Unicode("c").tag(sync=True)
    lock = traitlets.Bool(False).tag(sync=True)
    config = traitlets.Dict().tag(sync=True)

    def __init__(self, cardinality=32, bottleneck_width=4, depth=50, form="c", lock=False):
        super().__init__(cardinality=cardinality, bottleneck_width=bottleneck_width, depth=depth, form=form,
                         lock=lock, config=page_config())
        self.observe(self._follow_lock, names=["cardinality", "lock"])
        self._follow_lock()

    @traitlets.validate("cardinality", "depth", "form")
    def _check_choice(self, proposal):
        name = proposal["trait"].name
        check_choice(name, proposal["value"], CHOICES[name], what=ON_EXPLORER)
        return proposal["value"]

    @traitlets.validate("bottleneck_width")
    def _check_width(self, proposal):
        check_size("bottleneck_width", proposal["value"], maximum=MAX_WIDTH)
        return proposal["value"]

    def _follow_lock(self, change=None):
        """With the lock on, d follows C (Table 2), as the page does; an impossible C leaves d alone."""
        if self.lock:
            try:
                self.bottleneck_width = locked_width(self.cardinality)
            except ValueError:
                pass

    @property
    def numbers(self):
        """The readout's numbers for the controls now (explorer_numbers); ValueError where the page shows an error."""
        d = locked_width(self.cardinality) if self.lock else self.bottleneck_width
        return explorer_numbers(self.depth, self.cardinality, d)


def cardinality_explorer(cardinality=32, bottleneck_width=4, depth=50, form="c", lock=False):
    """The explorer, an anywidget: set or read .cardinality, .bottleneck_width, .depth, .form, .lock; see .numbers."""
    return CardinalityExplorer(cardinality, bottleneck_width, depth, form, lock)
