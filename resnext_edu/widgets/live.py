"""What both explorers share: a live figure redrawn by blitting, its PNG, the busy guard and the error box.

CONTRIBUTING.md, Budgets: building and rendering a new figure costs about 140 ms, updating the
artists of a figure that stays alive and re-encoding it about 25 ms, and a slider change must
answer within 50 ms (median). So each explorer keeps one LiveFigure: every diagram layout gets
its own Axes (made once), and for each layout and set of plots the still parts are drawn once
into a saved background. An update puts the background back only under the labels whose text
changed and under the plots' data areas, draws just those, and encodes the canvas as a PNG for
an `Image` widget. The readouts (HTML) are set first, so they answer before the picture.
"""
import html
import io

import ipywidgets as widgets
import PIL.Image
from matplotlib.transforms import Bbox

from ..viz import Diagram, new_figure, spec_size

ERROR_STYLE = "color:#a33;border-left:4px solid #a33;padding:4px 8px"  # the explorers' error box
NOTE_STYLE = "color:#35577a;border-left:4px solid #7a9cc6;padding:4px 8px"  # a note: nothing is wrong
PNG_COLOURS = 64  # black, greys, the curve colours and their anti-aliased edges


def error_html(text):
    """A friendly message inside the widget, where a traceback would otherwise go."""
    return f"<div style='{ERROR_STYLE}'>{html.escape(text)}</div>"


def note_html(text):
    """A note inside the widget, e.g. that a value was moved to one that fits."""
    return f"<div style='{NOTE_STYLE}'>{html.escape(text)}</div>"


def encode_png(canvas, colours=PNG_COLOURS):
    """The canvas as a PNG of `colours` colours: quicker to encode than RGB (~5 ms, not ~8) and half the bytes."""
    size = canvas.get_width_height()
    image = PIL.Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    image = image.quantize(colours, method=PIL.Image.Quantize.FASTOCTREE, dither=PIL.Image.Dither.NONE)
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=1)  # speed matters more than size here
    return buf.getvalue()


IMAGE_HEIGHT = "48vh"  # an explorer's figure on the page, as a share of the window's height


class LiveFigure:
    """A figure kept alive for an explorer: a diagram region and plots whose moving artists are blitted.

    size: (width, height) in inches; diagram_box: (left, bottom, width, height), figure fraction,
    where the diagrams go. A subclass adds its plot Axes to self.panels and calls show().
    """

    def __init__(self, size, diagram_box, dpi=120):
        self.fig = new_figure(*size, dpi=dpi)
        self.canvas = self.fig.canvas
        self.diagram_box = diagram_box
        self.views = {}  # layout key -> (Axes, Diagram)
        self.panels = []  # the plot Axes; show() makes those it is given visible, hides the others
        self.backgrounds = {}  # state (layout key, panels) -> the still canvas
        self.frames = {}  # state -> (its diagram region as last drawn, its shown)
        self.state = None  # the state on the canvas now
        self.background = None
        self.shown = {}  # Text -> ((string, fontsize), pixel box) as it is on the canvas now

    def show(self, spec, panels, moving):
        """Draw the diagram of spec and the moving artists of the panels; return the figure as PNG bytes."""
        key = (spec.layout_key(), tuple(spec.edges))  # another radix line is another layout
        ax, diagram = self.views.get(key) or self._new_view(key, spec)
        diagram.update(spec)
        state = (key, tuple(panels))
        if state != self.state:  # another layout or other plots: their axes, their background
            self._switch(state, ax, panels, moving)
        self._draw_texts(ax, tuple(ax.texts))
        for panel in panels:  # the plots: put back their still parts, then draw what moves
            self._restore(panel.bbox.padded(2))
        for artist in moving:
            self.fig.draw_artist(artist)
        return encode_png(self.canvas)

    def _switch(self, state, ax, panels, moving):
        if self.state is not None:  # keep the diagram as drawn, labels and all, for a return
            self.frames[self.state] = (self.canvas.copy_from_bbox(self._diagram_bbox()), self.shown)
        self.state = state
        for other, _ in self.views.values():
            other.set_visible(other is ax)
        for other in self.panels:
            other.set_visible(other in panels)
        for artist in [*ax.texts, *moving]:
            artist.set_animated(True)  # left out of the background
        self.background = self.backgrounds.get(state)
        if self.background is None:
            self.canvas.draw()
            self.background = self.backgrounds[state] = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self.background)
        frame, self.shown = self.frames.get(state, (None, {}))
        if frame is not None:
            self.canvas.restore_region(frame)

    def _diagram_bbox(self):
        """The diagram region, in display pixels."""
        return Bbox.from_bounds(*self.diagram_box).transformed(self.fig.transFigure)

    def _new_view(self, key, spec):
        """An Axes for a new layout, sized so the diagram keeps its proportions (inches per data unit)."""
        width, height = spec_size(spec)
        left, bottom, box_w, box_h = self.diagram_box
        fig_w, fig_h = self.fig.get_size_inches()
        scale = min(box_w * fig_w / width, box_h * fig_h / height, 1.0)
        w, h = width * scale / fig_w, height * scale / fig_h
        ax = self.fig.add_axes((left + (box_w - w) / 2, bottom + (box_h - h) / 2, w, h))
        ax.set_axis_off()
        ax.set_visible(False)
        self.views[key] = (ax, Diagram(ax))
        return self.views[key]

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


def greyed(png):
    """The PNG, pale and grey: a diagram that no longer matches the controls above it."""
    picture = PIL.Image.open(io.BytesIO(png)).convert("L").point(lambda v: 160 + v * 95 // 255)
    out = io.BytesIO()
    picture.save(out, format="png")
    return out.getvalue()


class LiveExplorer(widgets.VBox):
    """An explorer: its controls, then readouts, a message line and the live figure as an Image.

    A subclass writes redraw(), which reads the controls, calls show(...) and raises ValueError
    for values that make no block; refresh() is the observer every control calls.
    """

    empty = "params and MACs: no block for these values"  # the readout while an error is shown

    def __init__(self, rows, plot):
        self.readout = widgets.HTML()
        self.message = widgets.HTML()  # friendly errors and notes; empty while all is well
        self.plot = plot
        self.figure = plot.fig
        # Drawn at 120 dpi and shown at 48% of the window's height: about 800 px wide on a laptop
        # (1366x768), so the whole explorer fits its screen, and about 1,100 px on a projector
        # (1920x1080), where the labels grow with it. Sharp at 150% zoom too.
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            height=IMAGE_HEIGHT, width="auto", max_width="100%", object_fit="contain"))
        self.numbers = None  # the numbers shown now, None after an error
        self.numbers_shown = None  # the numbers the image shows in colour; None once it is greyed
        self.busy = False  # True while redraw() runs: the controls it moves must not re-enter
        super().__init__([*rows, self.readout, self.message, self.image])

    def refresh(self, change=None):
        """Redraw once; an error becomes a message in the widget, never a traceback."""
        if self.busy:  # our own move of a control, from inside redraw()
            return
        self.busy = True
        try:
            self.redraw()
        except ValueError as e:
            self.show_error(str(e))
        except Exception as e:  # noqa: BLE001  a widget shows a message, never a traceback
            self.show_error(f"Something went wrong ({type(e).__name__}: {e}). Try other values.")
        finally:
            self.busy = False

    def quietly(self, move):
        """Run move() (which sets controls) without the observers redrawing; refresh() afterwards says what is wrong."""
        was, self.busy = self.busy, True
        try:
            move()
        except Exception:  # noqa: BLE001  never a traceback: the refresh that follows shows the error
            pass
        finally:
            self.busy = was

    def show(self, numbers, readout, draw, note=""):
        """The readouts first, then the slower figure: draw() returns its PNG bytes."""
        self.numbers = self.numbers_shown = numbers
        self.message.value = note_html(note) if note else ""
        self.readout.value = readout
        self.image.value = draw()

    def show_error(self, text):
        self.numbers = None
        self.readout.value = f"<p style='color:#888'>{html.escape(self.empty)}</p>"
        stale = bool(self.image.value) and self.numbers_shown is not None
        self.message.value = error_html(text + (" The greyed diagram below is the last valid setting, not the values "
                                                "above." if stale else ""))
        if stale:
            self.image.value = greyed(self.image.value)
            self.numbers_shown = None  # greyed once; the next valid setting draws afresh
