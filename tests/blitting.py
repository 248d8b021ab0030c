"""For the widget tests: the explorers blit; this draws their figure from scratch to compare."""
import numpy as np


def full_render(plot):
    """The explorer's figure drawn from scratch, every artist included; the canvas is left as it was."""
    frame = plot.canvas.copy_from_bbox(plot.fig.bbox)
    moving = [a for a in plot.fig.findobj() if a.get_animated()]
    for artist in moving:
        artist.set_animated(False)
    plot.canvas.draw()
    pixels = np.asarray(plot.canvas.buffer_rgba()).copy()
    for artist in moving:
        artist.set_animated(True)
    plot.canvas.restore_region(frame)
    return pixels
