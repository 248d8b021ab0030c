"""Figures outside pyplot, and how a notebook shows one: as a PNG with alt text for screen readers.

A `matplotlib.figure.Figure` made here has its own Agg canvas and stays out of pyplot's list of
open figures (no memory kept, never a stray duplicate below the cell). `show(fig, alt)` turns
any figure into an IPython Image whose PNG carries the alt text in its metadata; the package's
diagrams describe themselves (`fig.alt_text`), a notebook's own plots say what they show.
"""
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..i18n import _

PNG = dict(format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})


def new_figure(width, height, dpi=100, layout=None):
    """A Figure with its own Agg canvas, outside pyplot (so notebooks show it exactly once)."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def show(fig, alt=None):
    """The figure as an IPython Image with alt text; closes it in pyplot if pyplot made it.

    alt: one or two sentences that say what the figure shows; default: the figure's own
    `alt_text` (the package's diagrams set it). A figure without either is a ValueError.
    """
    from IPython.display import Image  # only notebooks need it

    alt = alt or getattr(fig, "alt_text", None)
    if not alt or not str(alt).strip():
        raise ValueError(_("show(fig, alt) needs alt text: a sentence that says what the figure shows, "
                           "for readers who cannot see it"))
    buf = io.BytesIO()
    fig.savefig(buf, **PNG)
    if fig.canvas.manager is not None:  # made by pyplot: do not let the inline backend show it again
        import matplotlib.pyplot as plt
        plt.close(fig)
    return Image(data=buf.getvalue(), format="png", alt=" ".join(str(alt).split()))
