"""Tests for resnext_edu.viz: the pictures show the right numbers, not just that they draw.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431 (Fig. 1, Fig. 3, Sec. 3.3).
"""
import re
import socket
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from PIL import Image  # noqa: E402
from torch import nn  # noqa: E402

from resnext_edu import viz  # noqa: E402
from resnext_edu.blocks import Bottleneck, ResNeXtBlockC  # noqa: E402
from resnext_edu.complexity import grouped_conv_cost  # noqa: E402
from resnext_edu.viz import assets  # noqa: E402


def texts(fig):
    return [t.get_text() for t in fig.findobj(Text)]


# --- block diagrams (Fig. 1 left, Fig. 3) -----------------------------------------------------

@pytest.mark.parametrize("form, expected", [
    ("resnet", ["256, 1×1, 64", "64, 3×3, 64", "64, 1×1, 256"]),
    ("a", ["256, 1×1, 4", "4, 3×3, 4", "4, 1×1, 256"]),
    ("b", ["256, 1×1, 4", "4, 3×3, 4", "128, 1×1, 256"]),
    ("c", ["256, 1×1, 128", "128, 3×3, 128, grp=32", "128, 1×1, 256"]),
])
def test_block_labels_32x4d(form, expected):
    assert viz.block_labels(form, cardinality=32, bottleneck_width=4, in_channels=256) == expected


@pytest.mark.parametrize("C, d", [(1, 64), (2, 40), (4, 24), (8, 14), (32, 4)])  # Table 2
def test_form_c_labels_follow_table2(C, d):
    w = C * d  # group width
    expected = [f"256, 1×1, {w}", f"{w}, 3×3, {w}, grp={C}", f"{w}, 1×1, 256"]
    assert viz.block_labels("c", C, d, 256) == expected


def test_labels_keep_block_width_and_use_the_times_sign():
    for form in viz.FORMS:
        labels = viz.block_labels(form, 8, 14, in_channels=512)
        assert labels[0].startswith("512, ") and labels[-1].endswith(", 512")
        assert not any(re.search(r"\dx\d", label) for label in labels)


def test_draw_block_shows_every_label():
    for form in viz.FORMS:
        shown = texts(viz.draw_block(form))
        for label in viz.block_labels(form):
            assert label in shown, (form, label)
        assert "256-d in" in shown and "256-d out" in shown


def test_form_a_folds_paths_into_an_ellipsis_at_cardinality_32():
    shown = texts(viz.draw_block("a", cardinality=32))
    assert shown.count("…") == 3  # one per row of boxes
    assert shown.count("256, 1×1, 4") == 3  # paths 1, 2 and C drawn
    assert "total 32 paths" in shown


def test_no_ellipsis_when_every_path_is_drawn():
    shown = texts(viz.draw_block("a", cardinality=2, bottleneck_width=40))
    assert "…" not in shown
    assert shown.count("256, 1×1, 40") == 2
    assert "total 2 paths" in shown


def test_form_b_concatenates_then_one_1x1():
    shown = texts(viz.draw_block("b", cardinality=32, bottleneck_width=4))
    assert "concatenate" in shown
    assert shown.count("128, 1×1, 256") == 1
    assert shown.count("4, 3×3, 4") == 3


def test_form_c_and_resnet_have_one_column():
    for form in ("resnet", "c"):
        shown = texts(viz.draw_block(form))
        assert "…" not in shown and not any(s.startswith("total") for s in shown)


def test_every_glyph_is_in_the_font():
    fig = viz.draw_block_forms()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would fail here
        fig.canvas.draw()


def test_draw_block_into_given_axes():
    fig = viz.new_figure(4, 4)
    ax = fig.add_subplot()
    assert viz.draw_block("c", ax=ax) is fig
    assert "128, 3×3, 128, grp=32" in texts(fig)


def test_block_diagram_updates_labels_in_place():
    fig = viz.draw_block("c")
    diagram = viz.Diagram(fig.axes[0]).update(viz.block_spec("c", 32, 4))
    before = list(fig.axes[0].texts)
    diagram.update(viz.block_spec("c", cardinality=8, bottleneck_width=14, in_channels=256))
    fig.canvas.draw()
    assert list(fig.axes[0].texts) == before  # same Text objects, new strings: no rebuild
    assert "112, 3×3, 112, grp=8" in texts(fig)
    assert "128, 3×3, 128, grp=32" not in texts(fig)


def test_block_diagram_rebuilds_when_the_layout_changes():
    fig = viz.draw_block("a", cardinality=32)
    diagram = viz.Diagram(fig.axes[0]).update(viz.block_spec("a", 32, 4))
    diagram.update(viz.block_spec("a", cardinality=2, bottleneck_width=40))
    assert "…" not in texts(fig) and "total 2 paths" in texts(fig)
    diagram.update(viz.block_spec("c", cardinality=2, bottleneck_width=40))
    assert "80, 3×3, 80, grp=2" in texts(fig) and "concatenate" not in texts(fig)


def test_draw_block_forms_side_by_side():
    fig = viz.draw_block_forms()
    assert len(fig.axes) == 4
    shown = texts(fig)
    assert "64, 3×3, 64" in shown and "128, 3×3, 128, grp=32" in shown


@pytest.mark.parametrize("kwargs, value", [
    (dict(form="d"), "'d'"),
    (dict(form="c", cardinality=0), "cardinality=0"),
    (dict(form="c", bottleneck_width=-1), "bottleneck_width=-1"),
    (dict(form="a", in_channels=0), "in_channels=0"),
    (dict(form="b", cardinality=2.5), "cardinality=2.5"),
])
def test_bad_block_arguments(kwargs, value):
    for fn in (viz.draw_block, viz.block_labels):
        with pytest.raises(ValueError, match=re.escape(value)):
            fn(**kwargs)


@pytest.mark.parametrize("C, d, n", [(32, 4, 256), (8, 14, 512), (1, 64, 256), (64, 4, 1024)])
def test_labels_are_read_off_the_real_block(C, d, n):
    # the diagram's numbers are the block's: each box is one of its convs, "in, k×k, out"
    block = ResNeXtBlockC(n, n, C, d)
    convs = [block.conv1, block.conv2, block.conv3]
    expected = [f"{m.in_channels}, {m.kernel_size[0]}×{m.kernel_size[1]}, {m.out_channels}" for m in convs]
    expected[1] += f", grp={block.conv2.groups}"
    assert viz.block_labels("c", C, d, n) == expected
    conv2 = Bottleneck(n, n).conv2
    assert viz.block_labels("resnet", in_channels=n)[1] == f"{conv2.in_channels}, 3×3, {conv2.out_channels}"


def test_the_block_validates_the_diagram():
    with pytest.raises(ValueError) as from_block:
        ResNeXtBlockC(256, 256, 0, 4)
    with pytest.raises(ValueError) as from_diagram:
        viz.block_spec("a", cardinality=0)
    assert str(from_diagram.value) == str(from_block.value)  # the same message: the block's own
    viz.block_labels("c", 1, 64)  # cached now ...
    with pytest.raises(ValueError, match="cardinality=True"):  # ... but True (== 1) must not hit that entry
        viz.block_labels("c", True, 64)
    with pytest.raises(ValueError, match=re.escape("cardinality=[2]")):  # not hashable: built uncached
        viz.block_labels("c", [2], 64)


def test_the_meta_blocks_are_cached():
    viz.block_labels("c", 16, 8)
    block = viz.meta_block(ResNeXtBlockC, 256, 256, 16, 8)
    assert block.conv2.weight.is_meta  # shapes only, no memory
    assert viz.meta_block(ResNeXtBlockC, 256, 256, 16, 8) is block


def test_unknown_form_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        viz.draw_block("B")
    for form in ("'resnet'", "'a'", "'b'", "'c'"):
        assert form in str(info.value)


# --- connectivity (Sec. 3.3) ------------------------------------------------------------------

def mask_from_conv(in_channels, out_channels, groups):
    """Which inputs reach each output of a real Conv2d(groups=g): push one-hot inputs through it."""
    conv = nn.Conv2d(in_channels, out_channels, 1, groups=groups, bias=False)
    nn.init.ones_(conv.weight)
    one_hot = torch.eye(in_channels).view(in_channels, in_channels, 1, 1)  # sample i lights input i
    with torch.no_grad():
        reached = conv(one_hot)[:, :, 0, 0]  # (C_in samples, C_out)
    return (reached != 0).T  # (C_out, C_in)


@pytest.mark.parametrize("in_channels, out_channels, groups", [
    (16, 16, 1), (16, 16, 2), (16, 16, 4), (16, 16, 16), (16, 32, 4), (12, 6, 3), (128, 128, 32),
])
def test_weight_mask_is_block_diagonal(in_channels, out_channels, groups):
    mask = viz.weight_mask(in_channels, out_channels, groups)
    assert mask.shape == (out_channels, in_channels) and mask.dtype == torch.bool
    assert torch.equal(mask, mask_from_conv(in_channels, out_channels, groups))
    block = torch.ones(out_channels // groups, in_channels // groups)
    assert torch.equal(mask, torch.block_diag(*[block] * groups).bool())
    assert int(mask.sum()) == in_channels * out_channels // groups


def test_weight_mask_errors_name_the_value_and_the_divisors():
    message = "groups=3 does not divide in_channels=16; try one of 1, 2, 4, 8, 16"
    with pytest.raises(ValueError, match=re.escape(message)):
        viz.weight_mask(16, 16, 3)
    with pytest.raises(ValueError, match=re.escape("groups=8 does not divide out_channels=12; try one of 1, 2, 4")):
        viz.weight_mask(16, 12, 8)
    with pytest.raises(ValueError, match="groups=0"):
        viz.weight_mask(16, 16, 0)
    with pytest.raises(ValueError, match="groups=3"):
        viz.draw_connectivity(16, 16, 3)


def test_draw_connectivity_shows_the_mask():
    fig = viz.draw_connectivity(16, 16, 4)
    ax = fig.axes[0]
    assert ax.get_title() == "groups=4: 1/4 of the weights"
    assert ax.get_xlabel() == "input channel" and ax.get_ylabel() == "output channel"
    assert np.array_equal(np.asarray(ax.images[0].get_array()), viz.weight_mask(16, 16, 4).numpy())
    assert viz.draw_connectivity(16, 16, 1).axes[0].get_title() == "groups=1: all of the weights"
    assert "depthwise" in viz.draw_connectivity(16, 16, 16).axes[0].get_title()


# --- the grouping GIF (its picture: tests/test_grouped_conv.py) -------------------------------

def test_caption_shows_the_complexity_formula():
    for g in (1, 4, 16):
        params, macs = grouped_conv_cost(16, g)  # 576 params and 1,806,336 MACs for g = 4
        assert f"= {params:,}\n" in viz.grouping_caption(16, g) and viz.grouping_caption(16, g).endswith(f"= {macs:,}")


def test_caption_uses_thousands_separators():
    caption = viz.grouping_caption(16, 4)
    assert "params = k·k·(C_in/g)·C_out = 3·3·(16/4)·16 = 576" in caption
    assert "MACs = params · H·W = 576 · 56·56 = 1,806,336" in caption
    assert "= 589,824" in viz.grouping_caption(256, 1)


def test_gif_has_a_frame_per_groups_value_then_the_shuffle(tmp_path):
    path = viz.save_grouping_gif(tmp_path / "grouping.gif")
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 5 + 1  # g = 1, 2, 4, 8, 16, then g = 4 with the shuffle
        assert "Animation of a 3x3 convolution with 16 input and output channels" in gif.info["comment"].decode()
    assert path.stat().st_size < 600_000


def test_gif_rejects_groups_that_do_not_divide():
    with pytest.raises(ValueError, match=re.escape("groups=3 does not divide channels=16")):
        viz.save_grouping_gif("unused.gif", groups_list=[1, 3])
    with pytest.raises(ValueError, match="kernel_size=0"):
        viz.save_grouping_gif("unused.gif", kernel_size=0)


# --- feature maps per group -------------------------------------------------------------------

def test_sample_image_loads_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    x = viz.sample_image()
    assert x.shape == (1, 3, 112, 112) and x.dtype == torch.float32
    rgb = x[0] * viz.features.STD[:, None, None] + viz.features.MEAN[:, None, None]
    assert rgb.min() >= -1e-5 and rgb.max() <= 1 + 1e-5 and rgb.std() > 0.1  # a real photo
    assert torch.equal(x, viz.sample_image())
    assert viz.sample_image(size=64).shape == (1, 3, 64, 64)


def test_group_features_rows_are_the_conv_outputs():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 12, 5, padding=2, groups=3, bias=False)
    fig = viz.show_group_features(conv, groups_to_show=[0, 2], channels_per_group=3)
    images = [ax.images[0] for ax in fig.axes]
    assert len(images) == 2 * 3
    with torch.no_grad():
        expected = conv(viz.sample_image())[0]
    for image, channel in zip(images, [0, 1, 2, 8, 9, 10]):  # group 2 owns outputs 8..11
        assert np.allclose(np.asarray(image.get_array()), expected[channel].numpy())
    assert "group 2\ninput 2" in [ax.get_ylabel() for ax in fig.axes]


def test_group_features_of_a_block_hooks_its_grouped_conv():
    blocks = pytest.importorskip("resnext_edu.blocks")
    torch.manual_seed(0)
    block = blocks.ResNeXtBlockC(64, 64, cardinality=8, bottleneck_width=4)
    out, groups = viz.group_features(block, viz.sample_image(32))
    assert groups == 8 and out.shape == (1, 32, 32, 32)
    assert block.training  # put back in train mode afterwards
    fig = viz.show_group_features(block, viz.sample_image(32))
    assert len(fig.axes) == 4 * 4


def test_group_features_errors():
    conv = nn.Conv2d(4, 8, 3, groups=2)
    with pytest.raises(ValueError, match="group 5"):
        viz.show_group_features(conv, groups_to_show=[5])
    with pytest.raises(ValueError, match="channels_per_group=0"):
        viz.show_group_features(conv, channels_per_group=0)
    with pytest.raises(ValueError, match="no grouped convolution"):
        viz.show_group_features(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()))


# --- make assets ------------------------------------------------------------------------------

def test_assets_main_writes_every_asset(tmp_path):
    paths = assets.main(tmp_path)
    names = {p.name for p in paths}
    assert {"grouping.gif", "block_forms.png", "connectivity.png"} <= names
    assert sum(p.stat().st_size for p in paths) < 1_000_000
    with Image.open(tmp_path / "grouping.gif") as gif:
        assert gif.n_frames == 6  # five groups values, then the shuffle
    with Image.open(tmp_path / "block_forms.png") as png:
        assert png.width > 2 * png.height  # four diagrams side by side
    first = (tmp_path / "block_forms.png").read_bytes()
    viz.draw_block_forms().savefig(tmp_path / "again.png", **assets.PNG)
    assert (tmp_path / "again.png").read_bytes() == first  # deterministic
