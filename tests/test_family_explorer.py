"""Headless tests of the family explorer (resnext_edu.widgets.family_explorer): its readouts against real blocks.

Every readout must equal count_params / count_macs of the block the explorer describes, built
for real: ResNeXtBlockC (Xie et al. 2017, Fig. 3(c)), SEResNeXtBlock (Hu et al. 2018, Fig. 3),
ResNeStBlock (Zhang et al. 2020, Fig. 1) and Res2NetBlock (Gao et al. 2019, Fig. 2(b)), 256-d in
and out at 56x56. Setting a widget's value fires the observers synchronously, so every assertion
reads the widget right after the change. No timing here: benchmarks/family_widget_latency.py.
"""
import numpy as np
import pytest
import torch
from torch import nn

from blitting import full_render
from resnext_edu.blocks import Bottleneck, ResNeXtBlockC
from resnext_edu.counting import count_macs, count_params
from resnext_edu.family import Res2NetBlock, ResNeStBlock, SEResNeXtBlock
from resnext_edu.complexity import block_complexity
from resnext_edu.registry import create_model
from resnext_edu.widgets import family_explorer, family_numbers, preset, valid_radixes
from resnext_edu.widgets.family_explorer import KINDS, PAPER_MODELS, RADIXES, RESNET_MACS, RESNET_PARAMS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SIZE = (256, 56, 56)  # a conv2-stage block's input (C, H, W)


@pytest.fixture
def app():
    return family_explorer()


def png(app):
    return bytes(app.image.value)  # the Image widget holds a memoryview


def set_config(app, kind, cardinality, bottleneck_width, radix=None, scale=None):
    """Choose the kind (which loads its preset), then move the sliders as a student would."""
    app.kind.value = kind
    app.cardinality.value = cardinality
    app.width.value = bottleneck_width
    if radix is not None:
        app.radix.value = radix
    if scale is not None:
        app.scale.value = scale


def real_block(kind, cardinality, bottleneck_width, radix=None, scale=None):
    """The block the explorer describes, built for real (256-d in and out, stride 1)."""
    if kind == "resnext":
        return ResNeXtBlockC(256, 256, cardinality, bottleneck_width)
    if kind == "se":
        return SEResNeXtBlock(256, 256, cardinality, bottleneck_width)
    if kind == "resnest":
        return ResNeStBlock(256, 256, cardinality, bottleneck_width, radix)
    return Res2NetBlock(256, 256, cardinality, bottleneck_width, scale)


def assert_readouts_match(app, block):
    params, macs = count_params(block), count_macs(block, SIZE)
    assert app.numbers["params"] == params
    assert app.numbers["macs"] == macs
    assert f"<td>{params:,}</td>" in app.readout.value
    assert f"<td>{macs:,} (" in app.readout.value
    assert "#a33" not in app.message.value  # no error shown


def test_starts_at_resnest50s_conv2_block(app):
    assert (app.kind.value, app.cardinality.value, app.width.value, app.radix.value) == ("resnest", 1, 64, 2)
    assert_readouts_match(app, ResNeStBlock(256, 256, 1, 64, radix=2))
    assert app.message.value == ""
    assert png(app).startswith(PNG_MAGIC)


CONFIGS = [
    ("resnext", 32, 4, None, None),  # ResNeXt-50 (32x4d)
    ("resnext", 8, 14, None, None),  # Table 2
    ("resnext", 1, 64, None, None),  # ResNet's bottleneck
    ("se", 32, 4, None, None),  # SE-ResNeXt-50
    ("se", 4, 24, None, None),
    ("resnest", 1, 64, 2, None),  # ResNeSt-50 (2s1x64d)
    ("resnest", 1, 64, 4, None),
    ("resnest", 2, 40, 4, None),
    ("resnest", 4, 24, 3, None),
    ("resnest", 8, 16, 1, None),  # R = 1: a sigmoid gate
    ("res2net", 1, 26, None, 4),  # Res2Net-50 (26w x 4s)
    ("res2net", 1, 14, None, 8),  # Res2Net-50 (14w x 8s)
    ("res2net", 8, 4, None, 4),  # Res2NeXt-50 (4s, 8x4d)
    ("res2net", 2, 15, None, 6),
]


@pytest.mark.parametrize("kind, cardinality, width, radix, scale", CONFIGS)
def test_readouts_equal_the_real_block(app, kind, cardinality, width, radix, scale):
    set_config(app, kind, cardinality, width, radix, scale)
    assert app.numbers["kind"] == kind
    block = real_block(kind, cardinality, width, radix, scale)
    assert_readouts_match(app, block)
    assert (app.numbers["params"], app.numbers["macs"]) == block_complexity(kind, 256, cardinality, width,
                                                                            radix or 2, scale or 4)
    # the comparison columns: ResNeXt's block with the same C and d, and ResNet's bottleneck
    resnext = ResNeXtBlockC(256, 256, cardinality, width)
    assert (app.numbers["resnext_params"], app.numbers["resnext_macs"]) == (count_params(resnext),
                                                                            count_macs(resnext, SIZE))
    assert (RESNET_PARAMS, RESNET_MACS) == (count_params(Bottleneck(256, 256)), count_macs(Bottleneck(256, 256), SIZE))
    assert f"{app.numbers['params'] / RESNET_PARAMS:.2f}× params" in app.readout.value


def test_presets_are_the_registered_models_blocks():
    # the paper's configurations, read off the registered 50-layer models: the registry is the one source
    expected = {"resnext": dict(cardinality=32, bottleneck_width=4), "se": dict(cardinality=32, bottleneck_width=4),
                "resnest": dict(cardinality=1, bottleneck_width=64, radix=2),
                "res2net": dict(cardinality=1, bottleneck_width=26, scale=4)}
    assert {kind: preset(kind) for kind in KINDS} == expected
    with torch.device("meta"):
        block = create_model(PAPER_MODELS["res2net"]).layer2[1]  # a later stage: 2x as wide, same C and s
    assert (block.width, block.scale, block.convs[0].groups) == (2 * 26, 4, 1)
    preset("se")["cardinality"] = 1  # a copy: the next explorer still gets the paper's C
    assert preset("se")["cardinality"] == 32


def test_kind_menu_loads_the_paper_configuration(app):
    for kind in KINDS:
        app.kind.value = kind
        config = preset(kind)
        assert app.cardinality.value == config["cardinality"]
        assert app.width.value == config["bottleneck_width"]
        assert app.radix.layout.display == (None if kind == "resnest" else "none")
        assert app.scale.layout.display == (None if kind == "res2net" else "none")
        assert_readouts_match(app, real_block(kind, **config))


def test_se_adds_params_but_almost_no_macs(app):
    app.kind.value = "se"
    n = app.numbers
    assert n["params"] - n["resnext_params"] == 256 * 16 + 16 + 16 * 256 + 256 == 8_464  # fc1 and fc2, with bias
    assert n["macs"] - n["resnext_macs"] == 2 * 256 * 16  # on the pooled 1x1 map
    assert "+8,464" in app.readout.value


@pytest.mark.parametrize("cardinality, width", [(1, 64), (1, 6), (2, 40), (4, 24), (8, 16), (32, 4), (16, 2)])
def test_radix_slider_offers_exactly_the_radixes_that_build(app, cardinality, width):
    set_config(app, "resnest", cardinality, width)
    offered = tuple(app.radix.options)
    assert offered == tuple(valid_radixes(cardinality, width))
    for r in RADIXES:
        if r in offered:
            app.radix.value = r
            assert_readouts_match(app, ResNeStBlock(256, 256, cardinality, width, r))
        else:
            with pytest.raises(ValueError, match=f"radix={r}|cardinality={cardinality}"):
                ResNeStBlock(256, 256, cardinality, width, r)


def test_radix_moves_to_a_valid_one_with_a_note_and_comes_back(app):
    app.radix.value = 4  # C = 1, d = 64
    app.width.value = 6  # 4 does not divide 6: R = 1, 2, 3, 6 remain
    assert tuple(app.radix.options) == (1, 2, 3, 6)
    assert app.radix.value == 3
    assert "the radix is 3 for now" in app.message.value and "#a33" not in app.message.value
    assert_readouts_match(app, ResNeStBlock(256, 256, 1, 6, 3))
    app.width.value = 64  # the student's R = 4 fits again: it comes back, and the note goes away
    assert app.radix.value == 4
    assert app.message.value == ""
    assert_readouts_match(app, ResNeStBlock(256, 256, 1, 64, 4))


def test_invalid_combination_shows_a_message_not_a_traceback(app):
    """ResNeSt with C = 64 paths of d = 1: 64 cardinal groups cannot share an attention layer of 32."""
    with pytest.raises(ValueError, match="cardinality=64 must divide the attention width 32"):
        ResNeStBlock(256, 256, 64, 1, 1)  # the real block refuses it too
    set_config(app, "resnest", 64, 1)
    assert "cardinality=64 must divide the attention width 32" in app.message.value
    assert "Traceback" not in app.message.value
    assert app.numbers is None
    assert "no block for these values" in app.readout.value
    assert app.radix.disabled
    app.cardinality.value = 32  # back to a valid choice: no error, only a note that R = 2 waits for a d it fits
    assert "#a33" not in app.message.value and "the radix is 1 for now" in app.message.value
    assert not app.radix.disabled
    assert_readouts_match(app, ResNeStBlock(256, 256, 32, 1, 1))


def test_absurd_width_shows_a_message(app):
    set_config(app, "resnext", 64, 128)  # C·d = 8,192 channels
    assert "far too wide" in app.message.value
    assert app.numbers is None
    set_config(app, "res2net", 1, 128, scale=8)  # s·C·d = 1,024: the largest the explorer shows
    assert_readouts_match(app, Res2NetBlock(256, 256, 1, 128, 8))
    with pytest.raises(ValueError, match="far too wide"):
        family_numbers("res2net", 2, 128, scale=8)


def test_family_numbers_rejects_bad_values():
    with pytest.raises(ValueError, match="kind='senet'"):
        family_numbers("senet", 32, 4)
    with pytest.raises(ValueError, match="cardinality=3"):
        family_numbers("resnext", 3, 4)
    with pytest.raises(ValueError, match="radix=9"):
        family_numbers("resnest", 1, 64, radix=9)
    with pytest.raises(ValueError, match="scale=1"):
        family_numbers("res2net", 1, 26, scale=1)
    with pytest.raises(ValueError, match="kind='senet'"):
        family_explorer("senet")


def test_scale_slider_starts_at_two(app):
    app.kind.value = "res2net"
    app.scale.value = 1  # an IntSlider clamps to its minimum: s = 1 would be ResNet's bottleneck
    assert app.scale.value == 2 == app.scale.min
    assert_readouts_match(app, Res2NetBlock(256, 256, 1, 26, 2))


def test_callbacks_build_on_the_meta_device_only_and_once(app, monkeypatch):
    """The numbers are formulas; the diagram reads its labels off a block on the meta device (no memory), cached."""
    built = []
    original = nn.Module.__init__

    def recording_init(self, *args, **kwargs):
        built.append((type(self).__name__, torch.get_default_device().type))
        original(self, *args, **kwargs)

    def moves():
        for kind in ("resnext", "se", "resnest", "res2net"):
            app.kind.value = kind
            app.cardinality.value = 2
            app.width.value = 8
        app.scale.value = 6

    monkeypatch.setattr(nn.Module, "__init__", recording_init)
    moves()
    assert built and {device for _, device in built} == {"meta"}
    built.clear()
    app.kind.value = "resnest"
    moves()  # the same values again: every block comes from the cache
    assert built == []


def test_image_changes_when_a_slider_moves(app):
    before = png(app)
    app.radix.value = 4
    after = png(app)
    assert after.startswith(PNG_MAGIC) and after != before
    app.kind.value = "res2net"
    app.scale.value = 6
    assert png(app) != after


def test_blitted_figure_equals_a_full_redraw(app):
    """The figure only redraws what changed; after any change it must match a figure drawn anew."""
    steps = [("radix", 4), ("radix", 8), ("radix", 1), ("width", 60), ("radix", 2), ("cardinality", 2),
             ("kind", "res2net"), ("scale", 2), ("scale", 8), ("width", 30), ("scale", 3), ("cardinality", 8),
             ("kind", "se"), ("cardinality", 1), ("width", 100), ("kind", "resnext"), ("cardinality", 64),
             ("kind", "resnest"), ("radix", 4), ("width", 60), ("kind", "res2net"), ("scale", 8)]
    for name, value in steps:
        getattr(app, name).value = value
        assert "#a33" not in app.message.value, (name, value, app.message.value)
        blitted = np.asarray(app.plot.canvas.buffer_rgba()).copy()
        assert np.array_equal(blitted, full_render(app.plot)), f"after {name} = {value!r}"


def test_explorer_is_deterministic():
    """Same values, same readouts and the same picture, whatever the path taken to them."""
    torch.manual_seed(0)
    a, b = family_explorer("res2net"), family_explorer("resnest")
    b.kind.value = "res2net"
    a.scale.value, b.scale.value = 6, 6
    assert a.readout.value == b.readout.value
    assert png(a) == png(b)
