"""An animation that slides a convolution from dense (groups=1) to depthwise (groups=C_in).

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.3: a grouped convolution splits its channels into g
groups, so each output channel sees C_in/g inputs and the layer keeps 1/g of the weights and
of the multiply-accumulates (MACs).

Show it in a notebook with `animation_html(anim)`: matplotlib's JavaScript player (no ffmpeg
needed) with alt text on its frames; mark the cell `# NBVAL_IGNORE_OUTPUT`, as the HTML holds a
random id. Or save a GIF with `save_grouping_gif(path)`. The figure is a plain `Figure`, not a pyplot one, so the notebook
never shows an extra still picture of it below the cell.
"""
import html
import re
from pathlib import Path

from matplotlib.animation import FuncAnimation, PillowWriter

from ..checks import check_size
from ..complexity import grouped_conv_cost
from .figures import new_figure
from .masks import MASK_COLORS, mask_axes, mask_title, weight_mask


def grouping_caption(channels, groups, spatial=(56, 56), kernel_size=3):
    """The text under one frame: what each output sees, and the params and MACs formulas."""
    h, w = spatial
    k, per_group = kernel_size, channels // groups
    params, macs = grouped_conv_cost(channels, groups, spatial, kernel_size)
    return (f"each output sees {per_group:,} of {channels:,} inputs\n"
            f"params = {k}·{k}·{per_group:,}·{channels:,} = {params:,}\n"
            f"MACs = {h}·{w}·{k}·{k}·{per_group:,}·{channels:,} = {macs:,}")


def _check(channels, groups_list, spatial, kernel_size):
    check_size("kernel_size", kernel_size)
    if len(spatial) != 2:
        raise ValueError(f"spatial={spatial!r} should be (H, W)")
    for name, value in zip(("H", "W"), spatial):
        check_size(f"spatial {name}", value)
    if not groups_list:
        raise ValueError(f"groups_list={groups_list!r} should hold at least one groups value")
    for g in groups_list:
        weight_mask(channels, channels, g)  # raises ValueError, listing the divisors, if g doesn't fit


def animate_grouping(channels=16, groups_list=None, spatial=(56, 56), kernel_size=3):
    """One frame per groups value: the weight mask and its params/MACs (Xie et al. 2017, Sec. 3.3).

    groups_list defaults to every power of two that divides channels (1, 2, 4, 8, 16 for 16),
    from dense to depthwise. Returns a FuncAnimation with len(groups_list) frames.
    """
    check_size("channels", channels)
    if groups_list is None:
        groups_list = [2 ** i for i in range(channels.bit_length()) if channels % 2 ** i == 0]
    groups_list = list(groups_list)
    _check(channels, groups_list, spatial, kernel_size)

    fig = new_figure(3.4, 3.9, dpi=80)  # small, so the GIF stays small
    ax = fig.add_axes((0.17, 0.31, 0.76, 0.55))  # room above for a two-line title (depthwise)
    image = ax.imshow(weight_mask(channels, channels, groups_list[0]).numpy(), cmap=MASK_COLORS,
                      vmin=0, vmax=1, interpolation="nearest")
    mask_axes(ax, channels, channels)
    title = ax.set_title("", fontsize=9)
    caption = fig.text(0.04, 0.03, "", ha="left", va="bottom", fontsize=8, family="monospace")

    def draw(i):
        g = groups_list[i]
        image.set_data(weight_mask(channels, channels, g).numpy())
        title.set_text(mask_title(g, channels))
        caption.set_text(grouping_caption(channels, g, spatial, kernel_size))
        return image, title, caption

    anim = FuncAnimation(fig, draw, frames=len(groups_list), interval=1200, repeat=True)
    anim.alt_text = (f"Animation of the weight mask of a 3x3 convolution with {channels} input and output "
                     f"channels, one frame per groups value ({', '.join(map(str, groups_list))}): the blue "
                     "blocks on the diagonal, where an output channel reads an input channel, shrink from "
                     "the full square to one cell per row, and the caption's params and MACs fall by the "
                     "same factor.")
    return anim


def animation_html(anim, alt=None):
    """An IPython HTML of matplotlib's JavaScript player for anim, with alt text on its frame image.

    alt defaults to the animation's own `alt_text` (animate_grouping sets it).
    """
    from IPython.display import HTML  # only notebooks need it

    alt = alt or getattr(anim, "alt_text", None)
    if not alt:
        raise ValueError("animation_html(anim, alt) needs alt text: what the frames show, for screen readers")
    player = offline_player(anim.to_jshtml())
    tag = f'alt="{html.escape(" ".join(alt.split()))}"'
    return HTML(re.sub(r'<img id="(_anim_img\w+)"', lambda m: f'<img id="{m[1]}" {tag}', player, count=1))


# matplotlib's player draws its buttons with Font Awesome icons from a CDN: offline they are blank.
# The same buttons as text, so the player needs no network (each button keeps its title and aria-label).
ICONS = {"fa fa-minus": "\u2212", "fa fa-fast-backward": "\u23ee", "fa fa-step-backward": "\u23f4\u23f4",
         "fa fa-play fa-flip-horizontal": "\u25c0", "fa fa-pause": "\u23f8", "fa fa-play": "\u25b6",
         "fa fa-step-forward": "\u23f5\u23f5", "fa fa-fast-forward": "\u23ed", "fa fa-plus": "+"}


def offline_player(page):
    """matplotlib's jshtml player, made to work offline and in JupyterLab's windowed notebooks.

    - No Font Awesome stylesheet from a CDN: text glyphs on its buttons.
    - The first frame is in the <img> itself, so it shows before (or without) the script.
    - The player starts once its <img> is in the page: JupyterLab's windowing can run the
      output's script while the cell is off screen and detached, and matplotlib's player,
      started then, found no image and stayed blank until a button was pressed.
    """
    page = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">\s*', "", page)
    page = re.sub(r'<i class="(fa [^"]+)"></i>', lambda m: ICONS.get(m[1], ""), page)
    first = re.search(r'frames\[0\] = "([^"]*)"', page)
    if first:
        src = first[1].replace("\\\n", "")
        page = re.sub(r'<img id="(_anim_img\w+)"', lambda m: f'<img id="{m[1]}" src="{src}"', page, count=1)
    return re.sub(r"setTimeout\(function\(\) \{\s*(anim\w+ = new Animation\([^;]*\);)\s*\}, 0\);",
                  lambda m: "(function start() {\n        if (!document.getElementById(img_id)) { setTimeout(start, 100); "
                            "return; }  // not in the page yet\n        " + m[1] + "\n    })();", page, count=1)


def save_grouping_gif(path, channels=16, groups_list=None, spatial=(56, 56), kernel_size=3, fps=1):
    """Write animate_grouping(...) to a GIF at path with Pillow (no ffmpeg); returns the Path."""
    path = Path(path)
    anim = animate_grouping(channels, groups_list, spatial, kernel_size)
    anim.save(path, writer=PillowWriter(fps=fps))
    return path
