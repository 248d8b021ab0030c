"""A grouped convolution as a picture: input channels, each group's filters, output channels, and who reads whom.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.3 and Fig. 3(c): a convolution with g groups splits its
C channels into g groups of C/g, and each output channel reads the C/g inputs of its own group
only. With `shuffle=True` the picture holds two such layers with ShuffleNet's channel shuffle
between them (Zhang et al. 2018, "ShuffleNet", https://arxiv.org/abs/1707.01083, Sec. 3.1), so
an output of the second layer can reach inputs of other groups.

`grouped_conv_drawing` describes the picture as plain JSON-able dicts, with coordinates in a
fixed 800-wide viewBox (y down). Two renderers draw exactly these primitives: the browser's
(widgets/grouped_conv.js, SVG) and `draw_grouped_conv` here (matplotlib), which also makes the
README's GIF (`save_grouping_gif`).
"""
from pathlib import Path

from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from ..checks import check_divides, check_size, divisors
from ..complexity import grouped_conv_cost
from ..i18n import N_, _, get_language
from .figures import new_figure
from .masks import mask_title
from .style import COLORS, FAMILIES, GREY, PALETTE, register_korean_font

WIDTH, HEIGHT = 800, 276  # the viewBox; the same in both modes, so toggling the shuffle never resizes it
LEFT, RIGHT = 96, 10  # room for the row labels on the left
ROW_H, FILTER_H = 16, 8  # a channel's box, a filter's bar
MAX_CHANNELS = 32  # wider rows would make each channel a few pixels wide
EDGE_GREY = to_hex(GREY)  # "#8c8c8c": the browser needs a hex colour
ROWS = {  # top y of each row: plain = one layer, shuffle = conv 1, shuffle, conv 2
    False: {"input": 16, "filter": 208, "output": 220},
    True: {"input": 16, "filter1": 80, "hidden": 92, "shuffled": 148, "filter": 208, "output": 220},
}


def check_layer(channels, groups, kernel_size=3, spatial=(56, 56)):
    """Raise ValueError unless the picture can be drawn: 2 ≤ channels ≤ 32 and groups divides channels."""
    check_size("channels", channels, minimum=2, maximum=MAX_CHANNELS, why=N_("the picture draws one box per channel"))
    check_size("groups", groups)
    check_divides("groups", groups, "channels", channels)
    check_size("kernel_size", kernel_size)
    if len(spatial) != 2:
        raise ValueError(_("spatial={spatial!r} should be (H, W)").format(spatial=spatial))
    for name, value in zip(("H", "W"), spatial):
        check_size(f"spatial {name}", value)


def shuffle_order(channels, groups):
    """ShuffleNet's channel shuffle: position p of the result holds channel order[p] (Zhang et al. 2018, Sec. 3.1).

    Reshape the channels to (g, n), transpose to (n, g), flatten: position j·g + k gets channel k·n + j.
    """
    n = channels // groups
    return [k * n + j for j in range(n) for k in range(groups)]


def group_color(group):
    """Neighbouring groups get different colour-blind-safe colours (PALETTE, black kept for text)."""
    return COLORS[group % len(COLORS)]


def _row(kind, layer, y, h, channels, group_of, color_of, prefix):
    """One row of boxes, one per channel, centred in the channel's column."""
    pitch = (WIDTH - LEFT - RIGHT) / channels
    w = round(min(22.0, 0.72 * pitch), 2)
    return [dict(id=f"{prefix}:{i}", kind=kind, layer=layer, index=i, group=group_of[i], color=color_of[i],
                 x=round(LEFT + pitch * (i + 0.5) - w / 2, 2), y=y, w=w, h=h) for i in range(channels)]


def _layer(layer, sources, channels, groups, y_filter, prefix, kind="output"):
    """Filters and outputs of one grouped conv reading `sources`: filter o reads its group's C/g sources."""
    n = channels // groups
    group = [o // n for o in range(channels)]
    colors = [group_color(k) for k in group]
    filters = _row("filter", layer, y_filter, FILTER_H, channels, group, colors, f"f{layer}")
    made = _row(kind, layer, y_filter + FILTER_H + 4, ROW_H, channels, group, colors, prefix)
    links = []
    for f, out in zip(filters, made):
        f["out"] = out["index"]
        f["reads"] = [s["id"] for s in sources[group[f["index"]] * n:(group[f["index"]] + 1) * n]]
        links += [[r, f["id"], "weight"] for r in f["reads"]]  # one k×k kernel: k·k weights
        links.append([f["id"], out["id"], "makes"])
    pad = min(3.0, (made[1]["x"] - made[0]["x"] - made[0]["w"]) / 2 - 0.5)  # neighbouring boxes never touch
    boxes = []
    for k in range(groups):
        first, last = filters[k * n], filters[(k + 1) * n - 1]
        boxes.append(dict(layer=layer, group=k, color=group_color(k), x=round(first["x"] - pad, 2), y=y_filter - 4,
                          w=round(last["x"] + last["w"] - first["x"] + 2 * pad, 2), h=FILTER_H + ROW_H + 12))
    return filters, made, links, boxes


def lit_ids(drawing, output):
    """Ids of every box and link that output channel `output` depends on: walk the links backwards."""
    by_target = {}
    for link in drawing["links"]:
        by_target.setdefault(link[1], []).append(link)
    lit, todo, links = {f"out:{output}"}, [f"out:{output}"], []
    while todo:
        for link in by_target.get(todo.pop(), []):
            links.append(link)
            if link[0] not in lit:
                lit.add(link[0])
                todo.append(link[0])
    return lit, links


def grouped_conv_drawing(channels=16, groups=4, shuffle=False, kernel_size=3, spatial=(56, 56)):
    """The picture of Conv2d(C, C, k, groups=g) as JSON-able dicts (Xie et al. 2017, Sec. 3.3, Fig. 3(c)).

    Keys: inputs, filters, outputs (boxes with id, index, group, colour, x, y, w, h), hidden (the
    first layer's outputs and their shuffled order, shuffle only), links ([from id, to id, kind]:
    a "weight" is one k×k kernel from a channel to a filter, "makes" a filter's output, "shuffle"
    the channel shuffle), boxes (one per group and layer), labels, and uses[o]: the sorted input
    channels that output o reads (with shuffle: the first layer's inputs it can reach).
    """
    check_layer(channels, groups, kernel_size, spatial)
    rows = ROWS[bool(shuffle)]
    n = channels // groups
    inputs = _row("input", 0, rows["input"], ROW_H, channels, [i // n for i in range(channels)],
                  [group_color(i // n) for i in range(channels)], "in")
    filters, hidden, links, boxes, labels = [], [], [], [], [dict(text=_("input"), x=8, y=rows["input"] + 12)]
    sources = inputs
    if shuffle:
        f1, mid, l1, b1 = _layer(1, inputs, channels, groups, rows["filter1"], "c1", kind="hidden")
        order = shuffle_order(channels, groups)
        # A shuffled channel keeps its colour: conv 2's groups now hold a mix of conv 1's.
        shuffled = _row("shuffled", 1, rows["shuffled"], ROW_H, channels, [mid[c]["group"] for c in order],
                        [mid[c]["color"] for c in order], "sh")
        for s, c in zip(shuffled, order):
            s["source"] = c
        links = l1 + [[mid[c]["id"], s["id"], "shuffle"] for s, c in zip(shuffled, order)]
        filters, hidden, boxes, sources = f1, mid + shuffled, b1, shuffled
        labels += [dict(text=_("conv 1"), x=8, y=rows["hidden"] + 12),
                   dict(text=_("shuffle"), x=8, y=(rows["hidden"] + ROW_H + rows["shuffled"]) / 2 + 4),
                   dict(text=_("shuffled"), x=8, y=rows["shuffled"] + 12)]
    layer = 2 if shuffle else 1
    f2, outputs, l2, b2 = _layer(layer, sources, channels, groups, rows["filter"], "out")
    filters, links, boxes = filters + f2, links + l2, boxes + b2
    labels.append(dict(text=_("conv 2") if shuffle else _("output"), x=8, y=rows["output"] + 12))
    labels += [dict(text=str(o["index"]), x=round(o["x"] + o["w"] / 2, 2), y=rows["output"] + ROW_H + 12,
                    anchor="middle", size=9) for o in outputs]
    for box in b2:  # a group's name under it, where it fits
        if box["w"] >= 44:
            labels.append(dict(text=_("group {g}").format(g=box["group"]), x=round(box["x"] + box["w"] / 2, 2),
                               y=rows["output"] + ROW_H + 26, anchor="middle", size=9))
    drawing = dict(channels=channels, groups=groups, shuffle=bool(shuffle), kernel_size=kernel_size,
                   spatial=list(spatial), group_width=n, width=WIDTH, height=HEIGHT, inputs=inputs,
                   filters=filters, hidden=hidden, outputs=outputs, links=links, boxes=boxes, labels=labels)
    drawing["uses"] = [sorted(int(i[3:]) for i in lit_ids(drawing, o)[0] if i.startswith("in:"))
                       for o in range(channels)]
    return drawing


# --- matplotlib: the same primitives --------------------------------------------------------------

def _centre_line(a, b):
    """A link: from the bottom centre of box a to the top centre of box b (the browser draws the same)."""
    return [(a["x"] + a["w"] / 2, a["y"] + a["h"]), (b["x"] + b["w"] / 2, b["y"])]


def draw_grouped_conv(drawing, ax=None, selected=None):
    """Draw a grouped_conv_drawing on a matplotlib Axes; selected lights output o's inputs and weights (Sec. 3.3)."""
    if ax is None:
        ax = new_figure(8.0, 8.0 * HEIGHT / WIDTH).add_axes((0, 0, 1, 1))
    boxes = {b["id"]: b for b in drawing["inputs"] + drawing["filters"] + drawing["hidden"] + drawing["outputs"]}
    lit, lit_links = lit_ids(drawing, selected) if selected is not None and selected >= 0 else (None, [])
    fade = (lambda key: 1.0) if lit is None else (lambda key: 1.0 if key in lit else 0.25)
    points = ax.figure.dpi_scale_trans.inverted().transform([[0, 0], [ax.bbox.width, 0]])
    pt = (points[1][0] - points[0][0]) * 72 / WIDTH  # font points per viewBox unit

    for box in drawing["boxes"]:
        ax.add_patch(Rectangle((box["x"], box["y"]), box["w"], box["h"], fill=False, linestyle=(0, (3, 2)),
                               linewidth=0.8 * pt, edgecolor=box["color"], alpha=0.25 if lit is not None else 0.9))
    drawn = [link for link in drawing["links"] if link[2] != "makes"]
    ax.add_collection(LineCollection([_centre_line(boxes[a], boxes[b]) for a, b, _kind in drawn], colors=EDGE_GREY,
                                     linewidths=0.6 * pt, alpha=0.2 if lit is not None else 0.6))
    bright = [link for link in lit_links if link[2] != "makes"]
    ax.add_collection(LineCollection([_centre_line(boxes[a], boxes[b]) for a, b, _kind in bright],
                                     colors=[boxes[a]["color"] for a, _b, _kind in bright], linewidths=1.6 * pt))
    for box in boxes.values():
        width = 2.0 if box["id"] == f"out:{selected}" else 0.5  # the selected output stands out
        ax.add_patch(Rectangle((box["x"], box["y"]), box["w"], box["h"], facecolor=box["color"],
                               edgecolor=PALETTE["black"], linewidth=width * pt, alpha=fade(box["id"])))
    for label in drawing["labels"]:
        ax.text(label["x"], label["y"], label["text"], ha={"middle": "center"}.get(label.get("anchor"), "left"),
                va="baseline", fontsize=label.get("size", 11) * pt, color=PALETTE["black"])
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(HEIGHT, 0)  # y down, as in SVG
    ax.set_aspect("equal")
    ax.axis("off")
    return ax.figure


# --- the README's GIF -------------------------------------------------------------------------------

def grouping_caption(channels, groups, spatial=(56, 56), kernel_size=3):
    """The text under one frame: what each output reads, and the params and MACs formulas (Sec. 3.3)."""
    h, w = spatial
    k, n = kernel_size, channels // groups
    params, macs = grouped_conv_cost(channels, groups, spatial, kernel_size)
    return "\n".join([
        _("each output reads {n:,} of {channels:,} inputs").format(n=n, channels=channels),
        _("params = k·k·(C_in/g)·C_out = {k}·{k}·({channels}/{groups})·{channels} = {params:,}").format(
            k=k, channels=channels, groups=groups, params=params),
        _("MACs = params · H·W = {params:,} · {h}·{w} = {macs:,}").format(params=params, h=h, w=w, macs=macs)])


def shuffle_caption(drawing, output):
    """What the shuffle changes for one output of conv 2 (Zhang et al. 2018, Sec. 3.1)."""
    reach, c, n = len(drawing["uses"][output]), drawing["channels"], drawing["group_width"]
    return _("output {output} of conv 2 reaches {reach} of {c} inputs ({groups} groups of conv 1); "
             "without the shuffle, {n}").format(output=output, reach=reach, c=c, groups=reach // n, n=n)


def gif_steps(channels=16, groups_list=None, shuffle_groups=None):
    """[(groups, shuffle)] of the GIF: every divisor from dense to depthwise, then one layer pair with the shuffle.

    shuffle_groups defaults to the largest g with g·g ≤ C, where each of conv 2's groups gets a channel
    from every group of conv 1.
    """
    groups_list = divisors(channels) if groups_list is None else list(groups_list)
    if not groups_list:
        raise ValueError(_("groups_list={groups_list!r} should hold at least one groups value").format(
            groups_list=groups_list))
    if shuffle_groups is None:
        shuffle_groups = max(g for g in divisors(channels) if g * g <= channels)
    return [(g, False) for g in groups_list] + [(shuffle_groups, True)]


def grouping_alt_text(channels=16, steps=None, selected=5, kernel_size=3):
    """The GIF's alt text: what its frames show, for readers who cannot see it."""
    steps = gif_steps(channels) if steps is None else steps
    plain = ", ".join(str(g) for g, s in steps if not s)
    k = f"{kernel_size}x{kernel_size}"
    text = _("Animation of a {k} convolution with {channels} input and output channels, one frame per groups value "
             "({plain}): the input channels are coloured by group, and the lines into output channel {selected}, "
             "one per {k} kernel it reads, fall from all inputs to one as the groups grow, with the params and "
             "MACs.").format(k=k, channels=channels, plain=plain, selected=selected)
    for g, shuffle in steps:
        if shuffle:
            reach = len(grouped_conv_drawing(channels, g, True, kernel_size)["uses"][selected])
            text += " " + _("Then a channel shuffle (ShuffleNet) between two layers with {g} groups: output {selected} "
                            "reaches {reach} of {channels} inputs instead of {n}.").format(
                g=g, selected=selected, reach=reach, channels=channels, n=channels // g)
    return text


def grouping_frame(channels, groups, shuffle=False, selected=5, spatial=(56, 56), kernel_size=3, dpi=100):
    """One frame of the GIF: a title, the drawing with output `selected` lit, and the formulas below."""
    drawing = grouped_conv_drawing(channels, groups, shuffle, kernel_size, spatial)
    fig = new_figure(8.0, 4.0, dpi=dpi)
    ax = fig.add_axes((0.0, 0.16, 1.0, 8.0 * HEIGHT / WIDTH / 4.0))  # full width, the viewBox's aspect
    draw_grouped_conv(drawing, ax=ax, selected=selected)
    title = mask_title(groups, channels).replace("\n", " ")
    fig.text(0.02, 0.95, title + (_(", twice, with a channel shuffle between") if shuffle else ""), fontsize=11,
             va="top", weight="bold")
    caption = grouping_caption(channels, groups, spatial, kernel_size)
    if shuffle:
        formulas = caption.split("\n")[1:]
        per_layer = [f.replace(" = ", _(" per layer = "), 1) for f in formulas]
        caption = "\n".join([shuffle_caption(drawing, selected)] + per_layer)
    fig.text(0.02, 0.03, caption, fontsize=9, family=_caption_family(), va="bottom")
    return fig


def _caption_family():
    """Monospace for the formulas; in Korean with the course's Hangul font after it, for the words (style.py)."""
    if get_language() == "en":
        return "monospace"
    register_korean_font()
    return ["DejaVu Sans Mono", *FAMILIES[get_language()]]


def save_grouping_gif(path, channels=16, groups_list=None, spatial=(56, 56), kernel_size=3, fps=1,
                      selected=5, shuffle_groups=None):
    """Write the README's GIF with Pillow: one frame per gif_steps(...) step; returns the Path (Sec. 3.3)."""
    from PIL import Image  # matplotlib's own dependency

    check_size("fps", fps)
    steps = gif_steps(channels, groups_list, shuffle_groups)
    for g, _shuffle in steps:
        check_layer(channels, g, kernel_size, spatial)
    if not 0 <= selected < channels:
        raise ValueError(_("selected={selected!r} should be an output channel from 0 to {last}").format(
            selected=selected, last=channels - 1))
    frames = []
    for g, shuffle in steps:
        fig = grouping_frame(channels, g, shuffle, selected, spatial, kernel_size)
        fig.canvas.draw()
        rgb = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba()).convert("RGB")
        frames.append(rgb.quantize(colors=48, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    path = Path(path)
    durations = [1000 // fps] * (len(frames) - 1) + [2500]  # the shuffle frame stays longer
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   comment=grouping_alt_text(channels, steps, selected, kernel_size).encode())
    return path
