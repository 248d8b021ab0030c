"""The course's one figure style: colours that colour-blind readers can tell apart, labels on the lines.

Okabe and Ito's eight colours ("Color Universal Design", 2002; Wong, Nature Methods 8:441, 2011)
stay distinct under protanopia, deuteranopia and tritanopia, where matplotlib's default `tab10`
has two nearly identical ones. Every figure of the package takes its colours from PALETTE, and
`use()` makes them the default of a notebook's own plots too. Lines are told apart by a marker
as well as a colour, and `label_lines` writes each line's name at its end, so nobody has to
match colours with a legend.

Korean labels (after `set_language("ko")`) need a Hangul font that every student has. NanumGothic,
regular and bold (SIL Open Font License, fonts/OFL.txt), ships with the package and is registered
from its files, so matplotlib finds it offline, on Binder and in CI, with no font cache to go stale.
In Korean it comes first in the family: mathtext draws the words around a formula ("$d$ 채널")
in the first family only. In English the family is DejaVu Sans, as before.
"""
import dataclasses
from pathlib import Path

import matplotlib as mpl
from cycler import cycler
from matplotlib import font_manager

from ..i18n import get_language

FONTS = Path(__file__).resolve().with_name("fonts")
KOREAN_FONTS = (FONTS / "NanumGothic.ttf", FONTS / "NanumGothicBold.ttf")  # regular, and bold for titles

PALETTE = {  # Okabe-Ito, in the order a plot uses them
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "purple": "#CC79A7", "sky": "#56B4E9", "yellow": "#F0E442", "black": "#000000",
}
COLORS = tuple(PALETTE.values())[:7]  # the cycle: black is kept for text and reference lines
MARKERS = ("o", "s", "^", "D", "v", "P", "X")  # one per colour, so a line is told apart in grey too
GREY = "0.55"  # reference lines (ResNet, "equal complexity")

RC = {
    "axes.prop_cycle": cycler(color=COLORS) + cycler(marker=MARKERS),
    "lines.markersize": 4,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.dpi": 100,
    "image.cmap": "cividis",  # a colour map that reads the same to colour-blind readers
}
FAMILIES = {"en": ["DejaVu Sans"], "ko": ["NanumGothic", "DejaVu Sans"]}


def register_korean_font():
    """Tell matplotlib about the bundled NanumGothic (idempotent: a font file is added once)."""
    manager = font_manager.fontManager
    known = {Path(f.fname) for f in manager.ttflist}
    for path in KOREAN_FONTS:
        if path not in known:
            manager.addfont(str(path))
    # The bold file declares weight 600; matplotlib asks 700 for "bold" and would log a warning per title.
    manager.ttflist = [dataclasses.replace(f, weight=700) if Path(f.fname) == KOREAN_FONTS[1] else f
                       for f in manager.ttflist]


def use():
    """Make the course style matplotlib's default in this process (a notebook's first cell calls it).

    Call it after `set_language("ko")`: a Korean notebook's figures then draw in NanumGothic.
    """
    register_korean_font()
    mpl.rcParams.update(RC, **{"font.family": FAMILIES[get_language()]})


def label_lines(ax, lines=None, dx=4):
    """Write each line's label at its last point, in its colour: a direct label instead of a legend."""
    for line in lines or ax.get_lines():
        label = line.get_label()
        x, y = line.get_xdata(), line.get_ydata()
        if label.startswith("_") or len(x) == 0:
            continue
        ax.annotate(label, (x[-1], y[-1]), xytext=(dx, 0), textcoords="offset points", va="center",
                    fontsize=8, color=line.get_color(), annotation_clip=False)
