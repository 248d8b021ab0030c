"""The grouped-conv picture and its explorer, headless: the picture's connections are torch's, found by autograd.

Xie et al. 2017, https://arxiv.org/abs/1611.05431, Sec. 3.3 and Fig. 3(c); the shuffle is ShuffleNet's
(Zhang et al. 2018, https://arxiv.org/abs/1707.01083, Sec. 3.1), here torch's own nn.ChannelShuffle.
tests/test_browser_grouped_conv.py checks the same in JupyterLab and Chromium, with torch_uses below.
"""
import json
import re

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from PIL import Image  # noqa: E402
from torch import nn  # noqa: E402

from resnext_edu.checks import divisors  # noqa: E402
from resnext_edu.viz import grouped_drawing  # noqa: E402
from resnext_edu.viz.grouped_drawing import draw_grouped_conv, grouped_conv_drawing, save_grouping_gif  # noqa: E402
from resnext_edu.widgets.grouped_conv import GroupedConvExplorer, grouped_conv_explorer  # noqa: E402


def torch_uses(channels, groups, shuffle=False):
    """uses[o]: the input channels whose gradient is nonzero for output channel o of the real layer(s)."""
    torch.manual_seed(0)
    layers = [nn.Conv2d(channels, channels, 3, padding=1, groups=groups, bias=False)]
    if shuffle:
        layers += [nn.ChannelShuffle(groups), nn.Conv2d(channels, channels, 3, padding=1, groups=groups, bias=False)]
    net = nn.Sequential(*layers)
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(0.5, 1.5)  # positive weights and inputs: no gradient cancels to zero by chance
    x = torch.rand(1, channels, 5, 5) + 0.5
    x.requires_grad_(True)
    y = net(x)
    uses = []
    for o in range(channels):
        (grad,) = torch.autograd.grad(y[0, o].sum(), x, retain_graph=True)
        uses.append(grad[0].abs().sum(dim=(1, 2)).nonzero().flatten().tolist())
    return uses


@pytest.mark.parametrize("channels", [8, 12, 16])
@pytest.mark.parametrize("shuffle", [False, True], ids=["plain", "shuffle"])
def test_the_picture_connects_what_torch_connects(channels, shuffle):
    for g in divisors(channels):
        drawing = grouped_conv_drawing(channels, g, shuffle)
        assert drawing["uses"] == torch_uses(channels, g, shuffle), f"channels={channels}, groups={g}"


def test_the_shuffle_lets_an_output_reach_other_groups():
    # 16 channels, g = 4: one layer reads its own group (4 inputs); with the shuffle, all 16.
    assert [len(u) for u in torch_uses(16, 4)] == [4] * 16
    assert [len(u) for u in torch_uses(16, 4, shuffle=True)] == [16] * 16
    assert grouped_conv_drawing(16, 4, shuffle=True)["uses"][5] == list(range(16))
    # g = 8: a group of conv 2 holds 2 channels, so it reaches 2 of conv 1's 8 groups, not all.
    assert grouped_conv_drawing(16, 8, shuffle=True)["uses"][5] == torch_uses(16, 8, True)[5] == [8, 9, 10, 11]


def test_the_drawing_is_plain_json_with_what_the_page_needs():
    drawing = grouped_conv_drawing(16, 4)
    assert json.loads(json.dumps(drawing)) == drawing
    assert [len(drawing[k]) for k in ("inputs", "filters", "outputs")] == [16, 16, 16]
    assert [i["group"] for i in drawing["inputs"]] == [i // 4 for i in range(16)]
    assert len({i["color"] for i in drawing["inputs"]}) == 4  # a colour per group
    assert all(0 <= b["x"] and b["x"] + b["w"] <= drawing["width"] for b in drawing["inputs"] + drawing["outputs"])
    assert len(drawing["filters"][5]["reads"]) == 4  # filter 5: k×k×(C_in/g) weights
    shuffled = grouped_conv_drawing(16, 4, shuffle=True)
    assert len(shuffled["filters"]) == 32 and len(shuffled["hidden"]) == 32  # two layers; conv 1's outputs, shuffled


def test_lit_links_end_at_the_selected_output():
    drawing = grouped_conv_drawing(16, 4)
    lit, links = grouped_drawing.lit_ids(drawing, 5)
    assert {i for i in lit if i.startswith("in:")} == {f"in:{i}" for i in range(4, 8)}
    assert sorted(a for a, _, kind in links if kind == "weight") == [f"in:{i}" for i in range(4, 8)]


def test_the_matplotlib_renderer_draws_the_same_boxes():
    drawing = grouped_conv_drawing(8, 2, shuffle=True)
    ax = draw_grouped_conv(drawing, selected=1).axes[0]
    filled = sorted((round(p.get_x(), 2), p.get_y(), round(p.get_width(), 2), p.get_height(), to_hex(p.get_facecolor()))
                    for p in ax.patches if p.get_fill())
    boxes = drawing["inputs"] + drawing["filters"] + drawing["hidden"] + drawing["outputs"]
    assert filled == sorted((b["x"], b["y"], b["w"], b["h"], b["color"].lower()) for b in boxes)
    lit = {p.get_x() for p in ax.patches if p.get_fill() and p.get_alpha() == 1.0 and p.get_y() == 16}
    assert lit == {b["x"] for b in drawing["inputs"] if b["index"] in drawing["uses"][1]}
    assert ax.get_xlim() == (0, drawing["width"]) and ax.get_ylim() == (drawing["height"], 0)


@pytest.mark.parametrize("kwargs, words", [
    (dict(groups=3), "groups=3 does not divide channels=16; try one of 1, 2, 4, 8, 16"),
    (dict(channels=12, groups=8), "groups=8 does not divide channels=12; try one of 1, 2, 3, 4, 6, 12"),
    (dict(channels=40), "channels=40 must be a whole number from 2 to 32"),
    (dict(channels=1), "channels=1 must be a whole number from 2 to 32"),
    (dict(groups=0), "groups=0 must be a whole number of at least 1"),
])
def test_bad_values_are_named(kwargs, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        grouped_conv_drawing(**kwargs)
    with pytest.raises(ValueError, match=re.escape(words.split(":")[0].split(";")[0])):
        grouped_conv_explorer(**kwargs)


def test_the_gif_has_a_frame_per_step_and_is_small(tmp_path):
    path = save_grouping_gif(tmp_path / "grouping.gif")
    steps = grouped_drawing.gif_steps(16)
    assert steps == [(1, False), (2, False), (4, False), (8, False), (16, False), (4, True)]
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(steps)
        assert gif.info["comment"].decode() == grouped_drawing.grouping_alt_text(16, steps)
    assert path.stat().st_size < 600_000
    with pytest.raises(ValueError, match="groups=3 does not divide channels=16"):
        save_grouping_gif(tmp_path / "bad.gif", groups_list=[1, 3])


def test_the_widget_sends_every_drawing_and_validates_its_traits():
    w = grouped_conv_explorer()
    assert isinstance(w, GroupedConvExplorer) and w.has_trait("_esm")
    assert (w.channels, w.groups, w.shuffle, w.selected) == (16, 4, False, -1)
    for mode in ("plain", "shuffle"):
        assert sorted(map(int, w.drawings[mode])) == [1, 2, 4, 8, 16]
        assert w.drawings[mode]["8"]["uses"] == torch_uses(16, 8, mode == "shuffle")
    synced = {name for name in w.trait_names(sync=True)}
    assert {"channels", "groups", "shuffle", "selected", "drawings"} <= synced
    with pytest.raises(ValueError, match=re.escape("groups=3 does not divide channels=16; try one of 1, 2, 4, 8, 16")):
        w.groups = 3
    with pytest.raises(ValueError, match="selected=16 should be an output channel from 0 to 15"):
        w.selected = 16
    with pytest.raises(ValueError, match="channels=64"):
        w.channels = 64
    with pytest.raises(ValueError, match=re.escape("shuffle='yes' should be True")):
        grouped_conv_explorer(shuffle="yes")
    w.groups, w.selected = 8, 15
    w.channels = 12  # 8 does not divide 12: the slider lands on the nearest divisor that does
    assert (w.groups, w.selected) == (6, -1) and sorted(map(int, w.drawings["plain"])) == divisors(12)
