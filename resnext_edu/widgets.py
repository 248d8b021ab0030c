"""The cardinality explorer: trade cardinality (C) against bottleneck width (d) and watch the cost.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 4 and Table 2.

Every number comes from resnext_edu.counting, analytically: no model is built in a callback.
The figure stays alive: a change restores its still background, redraws only the artists that
move and re-encodes it as PNG into an `Image` widget, well inside the 50 ms budget (a new
figure costs 140 ms or more; COURSE.md, Budgets). Measure: `python benchmarks/widget_latency.py`.
"""
import functools
import html
import io

import ipywidgets as widgets
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from . import counting
from .viz import BlockDiagram

CARDINALITIES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)  # C doubles at each step, as in Table 2
MAX_WIDTH = 128  # d on the slider: 1..128
DEPTHS = (50, 101)
FORMS = ("a", "b", "c")
BLOCK_CHANNELS = 256  # Table 2's block: conv2 stage, 256-d in and out ...
BLOCK_SIZE = 56  # ... on a 56x56 map (224x224 input), stride 1
MAX_GROUP_WIDTH = 2048  # C·d of the conv2 stage; the paper's widest is 256 (ResNeXt-101, 64x4d)
LOCK_TOLERANCE = 0.25  # a locked block may cost at most 25% more than ResNet's


@functools.lru_cache(maxsize=None)
def resnet_numbers(depth):
    """(params, MACs) of ResNet-{depth}: the same network with C = 1 and d = 64."""
    return counting.resnext_complexity(depth, 1, 64)


def explorer_numbers(depth, cardinality, bottleneck_width):
    """Params and MACs of one conv2 block and of ResNeXt-{depth} (C x d), and their ratios to ResNet."""
    if depth not in DEPTHS:
        raise ValueError(f"depth={depth!r} is not offered; use one of {DEPTHS}")
    for name, value in [("cardinality", cardinality), ("bottleneck_width", bottleneck_width)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r} must be a whole number of at least 1")
    group_width = cardinality * bottleneck_width
    block = counting.block_params(BLOCK_CHANNELS, cardinality, bottleneck_width)
    if group_width > MAX_GROUP_WIDTH:
        raise ValueError(f"C·d = {cardinality}·{bottleneck_width} = {group_width:,} channels is far too "
                         f"wide: the paper's widest conv2 stage has 256, and this one block alone would "
                         f"hold {block:,} parameters. Lower C or d.")
    params, macs = counting.resnext_complexity(depth, cardinality, bottleneck_width)
    ref_params, ref_macs = resnet_numbers(depth)
    return dict(depth=depth, cardinality=cardinality, bottleneck_width=bottleneck_width,
                group_width=group_width,
                block_params=block,
                block_macs=block * BLOCK_SIZE**2,  # stride 1: one MAC per weight per output pixel
                block_ratio=block / counting.block_params(BLOCK_CHANNELS, 1, 64),
                params=params, macs=macs,
                params_ratio=params / ref_params, macs_ratio=macs / ref_macs)


def locked_width(cardinality):
    """The d that keeps a conv2 block at ResNet's complexity (Table 2); ValueError if no d >= 1 does."""
    d = counting.equal_complexity_width(cardinality)
    ref = counting.block_params(BLOCK_CHANNELS, 1, 64)
    if d < 1 or counting.block_params(BLOCK_CHANNELS, cardinality, d) > (1 + LOCK_TOLERANCE) * ref:
        smallest = counting.block_params(BLOCK_CHANNELS, cardinality, 1)
        raise ValueError(f"With C = {cardinality} paths, even d = 1 gives a block of {smallest:,} "
                         f"parameters, {smallest / ref:.1f}x ResNet's {ref:,}: no width d ≥ 1 keeps the "
                         "complexity equal. Pick a smaller C, or untick the lock.")
    return d


def readout_html(n):
    """A small table of n (from explorer_numbers): one block and the whole network, against ResNet."""
    th = "<th style='text-align:left'>"
    row = f"<tr>{th}{{}}</th><td>{{}}</td><td>{{}}</td></tr>"
    c, d, depth = n["cardinality"], n["bottleneck_width"], n["depth"]
    return ("<table style='border-spacing:12px 2px'>"
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


ERROR_STYLE = "color:#a33;border-left:4px solid #a33;padding:4px 8px"  # the explorers' error box


def error_html(text):
    """A friendly message inside the widget, where a traceback would otherwise go."""
    return f"<div style='{ERROR_STYLE}'>{html.escape(text)}</div>"


def run_guarded(update, show_error):
    """Run a widget's update; any error becomes a message in the widget, never a traceback."""
    try:
        update()
    except ValueError as e:
        show_error(str(e))
    except Exception as e:  # noqa: BLE001  a widget shows a message, never a traceback
        show_error(f"Something went wrong ({type(e).__name__}: {e}). Try other values.")


class BlitFigure:
    """What both explorers' figures share: put the saved background back in a box, and redraw only
    the diagram labels whose string changed. A subclass sets fig, canvas, background and shown."""

    def _draw_texts(self, ax, texts):
        """Redraw the labels (Text artists on ax) whose string changed, and only those: a label costs ~1 ms."""
        renderer = self.canvas.get_renderer()
        changed = [t for t in texts if self.shown.get(t, (None,))[0] != (t.get_text(), t.get_fontsize())]
        boxes = {t: t.get_window_extent(renderer).padded(2) for t in changed}
        wipes = [Bbox.union([boxes[t], self.shown[t][1]]) if t in self.shown else boxes[t] for t in changed]
        still = [self.shown[t][1] for t in texts if t not in boxes]
        if any(wipe.overlaps(box) for wipe in wipes for box in still):  # would cut into a neighbour
            changed, boxes = texts, {t: t.get_window_extent(renderer).padded(2) for t in texts}
            wipes = [Bbox.union([ax.bbox, *boxes.values(), *wipes, *still])]
        for wipe in wipes:  # the background back under the old and the new string
            self._restore(wipe)
        for text in changed:
            self.fig.draw_artist(text)
            self.shown[text] = ((text.get_text(), text.get_fontsize()), boxes[text])

    def _restore(self, box):
        """Put the background back inside box (display pixels, y up)."""
        height = self.fig.bbox.height
        x0, y0, x1, y1 = box.extents
        # Agg counts rows from the top, and xy is where the whole saved region goes: unmoved.
        self.canvas.restore_region(self.background, bbox=(x0, height - y1, x1, height - y0), xy=(0, 0))


class ExplorerFigure(BlitFigure):
    """One figure, kept alive: the block diagram, Table 2's d against C, and block params against C.

    Blitting: the still parts (axes, ticks, boxes, curves) are drawn once into a background; an
    update puts back the background only where something moves (the two plots, the labels whose
    string changed) and draws just that. Drawing, not arithmetic, is what costs time here.
    """

    def __init__(self, dpi=80):
        self.fig = Figure(figsize=(10, 4.4), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        grid = self.fig.add_gridspec(2, 2, width_ratios=(1.15, 1), hspace=0.55, wspace=0.3,
                                     left=0.02, right=0.97, top=0.93, bottom=0.12)
        self.diagram = BlockDiagram(self.fig.add_subplot(grid[:, 0]))

        curve, paper = equal_complexity_curve(), counting.PAPER_TABLE2
        self.ax_d = self.fig.add_subplot(grid[0, 1])
        self.ax_d.plot(*zip(*curve), "o-", color="0.6", label="equal complexity")
        self.ax_d.plot([c for c, _, _ in paper], [d for _, d, _ in paper], "x", color="black", ms=7,
                       label="paper, Table 2")
        (self.point_d,) = self.ax_d.plot([], [], "o", color="tab:red", ms=9, label="you")
        self.ax_d.set(yscale="log", ylim=(0.7, 200), ylabel="d", title="Table 2: width d at equal complexity")

        self.ax_p = self.fig.add_subplot(grid[1, 1])
        self.ax_p.axhline(counting.block_params(BLOCK_CHANNELS, 1, 64), ls="--", color="0.6", label="ResNet")
        (self.line_p,) = self.ax_p.plot([], [], "-", color="tab:blue", label="this d")
        (self.point_p,) = self.ax_p.plot([], [], "o", color="tab:red", ms=9)
        self.ax_p.set(yscale="log", ylim=(1e2, 2e8), ylabel="params", xlabel="cardinality C",
                      title="params of one conv2 block")
        for ax in (self.ax_d, self.ax_p):
            ax.set_xscale("log")
            ax.set_xlim(0.7, CARDINALITIES[-1] * 1.4)
            ax.set_xticks(CARDINALITIES, [str(c) for c in CARDINALITIES])
            ax.minorticks_off()
            ax.legend(loc="upper right" if ax is self.ax_d else "upper left", fontsize=7)

        self.moving = [self.point_d, self.line_p, self.point_p]
        for artist in self.moving:
            artist.set_animated(True)  # left out of the backgrounds
        self.diagram.ax.set_visible(False)
        self.canvas.draw()
        self.plots = self.canvas.copy_from_bbox(self.fig.bbox)  # the still plots, an empty diagram
        self.diagram.ax.set_visible(True)
        self.background = None  # the still plots and the still diagram: boxes and arrows
        self.texts = ()  # the diagram's Text artists, all drawn over the background
        self.shown = {}  # Text -> ((string, fontsize), pixel box) as it is on the canvas now

    def update(self, form, n):
        """Move the artists to n (from explorer_numbers) and return the figure as PNG bytes."""
        c, d = n["cardinality"], n["bottleneck_width"]
        self.diagram.update(form, c, d, BLOCK_CHANNELS)
        self.point_d.set_data([c], [d])
        self.line_p.set_data(CARDINALITIES, [counting.block_params(BLOCK_CHANNELS, k, d)
                                             for k in CARDINALITIES])
        self.point_p.set_data([c], [n["block_params"]])

        texts = tuple(self.diagram.ax.texts)
        if texts != self.texts:  # first call, or the diagram was rebuilt (new form, more paths)
            for text in texts:
                text.set_animated(True)
            self.canvas.restore_region(self.plots)
            self.fig.draw_artist(self.diagram.ax)  # its still parts only: boxes and arrows
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            self.texts, self.shown = texts, {}
        self._draw_texts(self.diagram.ax, texts)
        for ax in (self.ax_d, self.ax_p):  # the plots: put back the still parts, then what moves
            self._restore(ax.bbox.padded(2))
        for artist in self.moving:
            self.fig.draw_artist(artist)
        return self.png()

    def png(self):
        """The canvas as PNG bytes, lightly compressed: speed matters more than size here."""
        size = self.canvas.get_width_height()
        image = PIL.Image.frombuffer("RGBA", size, self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="png", compress_level=1)
        return buf.getvalue()


class CardinalityExplorer(widgets.VBox):
    """Sliders for C and d, readouts of params and MACs, and the live figure."""

    def __init__(self, cardinality=32, bottleneck_width=4, depth=50, form="c", lock=False):
        for name, value, choices in [("cardinality", cardinality, CARDINALITIES), ("depth", depth, DEPTHS),
                                     ("form", form, FORMS)]:
            if value not in choices:
                raise ValueError(f"{name}={value!r} is not on the explorer; use one of {choices}")
        if bottleneck_width not in range(1, MAX_WIDTH + 1):
            raise ValueError(f"bottleneck_width={bottleneck_width!r} must be a whole number "
                             f"from 1 to {MAX_WIDTH}")
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
        self.readout = widgets.HTML()
        self.message = widgets.HTML()  # friendly errors; empty while the values make a network
        self.plot = ExplorerFigure()
        self.figure = self.plot.fig
        width, _ = self.plot.canvas.get_width_height()  # show the PNG at its own size, not stretched
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px", max_width="100%"))
        self.numbers = None  # the last valid explorer_numbers(...), None after an error
        self._busy = False
        super().__init__([widgets.HBox([self.cardinality, self.width, self.lock]),
                          widgets.HBox([self.depth, self.form]),
                          self.readout, self.message, self.image])
        for w in (self.cardinality, self.width, self.depth, self.form, self.lock):
            w.observe(self._on_change, names="value")
        self._on_change()

    def _on_change(self, change=None):
        if self._busy:  # our own move of the d slider in lock mode
            return
        self._busy = True
        try:
            run_guarded(self._update, self._show_error)
        finally:
            self._busy = False

    def _update(self):
        c = self.cardinality.value
        self.width.disabled = self.lock.value
        if self.lock.value:
            self.width.value = locked_width(c)
        n = explorer_numbers(self.depth.value, c, self.width.value)
        self.numbers = n
        self.message.value = ""
        self.readout.value = readout_html(n)  # readouts first, then the slower figure
        self.image.value = self.plot.update(self.form.value, n)

    def _show_error(self, text):
        self.numbers = None
        self.readout.value = "<p style='color:#888'>params and MACs: no network for these values</p>"
        self.message.value = error_html(text)


def cardinality_explorer(cardinality=32, bottleneck_width=4, depth=50, form="c", lock=False):
    """The explorer, a VBox; see .cardinality, .width, .depth, .form, .lock, .readout, .message, .image."""
    return CardinalityExplorer(cardinality, bottleneck_width, depth, form, lock)
