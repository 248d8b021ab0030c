"""Figures outside pyplot: each has its own Agg canvas, so a notebook shows it exactly once.

A `matplotlib.figure.Figure` made here is shown when a cell returns it, never as a stray
duplicate below the cell, and stays out of pyplot's list of open figures (no memory kept).
"""
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def new_figure(width, height, dpi=100, layout=None):
    """A Figure with its own Agg canvas, outside pyplot (so notebooks show it exactly once)."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig
