"""Headless tests of the cardinality explorer (resnext_edu.widgets): its readouts, from complexity's
formulas, against real models counted by counting.

Xie et al. 2017, https://arxiv.org/abs/1611.05431, Table 1 (25.0M for ResNeXt-50 32x4d) and
Table 2 (C = 1, 2, 4, 8, 32 -> d = 64, 40, 24, 14, 4). Setting a slider's value fires the
observers synchronously, so every assertion reads the widget right after the change.
"""
import numpy as np
import pytest
from torch import nn

from blitting import full_render
from resnext_edu import complexity, counting, models
from resnext_edu.blocks import ResNeXtBlockC
from resnext_edu.widgets import CARDINALITIES, cardinality_explorer, explorer_numbers

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def app():
    return cardinality_explorer()


def png(app):
    return bytes(app.image.value)  # the Image widget holds a memoryview


def set_config(app, cardinality, bottleneck_width, depth=50):
    app.depth.value = depth
    app.cardinality.value = cardinality
    app.width.value = bottleneck_width


def test_starts_at_resnext50_32x4d(app):
    assert (app.cardinality.value, app.width.value, app.depth.value) == (32, 4, 50)
    assert "25,028,904" in app.readout.value  # torchvision's resnext50_32x4d
    assert app.message.value == ""
    assert png(app).startswith(PNG_MAGIC)


def test_network_readout_matches_a_built_model(app):
    for cardinality, bottleneck_width in [(32, 4), (8, 14), (2, 40)]:
        set_config(app, cardinality, bottleneck_width)
        expected = counting.count_params(models.resnext(50, cardinality, bottleneck_width))
        assert app.numbers["params"] == expected
        assert f"{expected:,}" in app.readout.value
        group_width = cardinality * bottleneck_width
        assert f"C·d = {cardinality}·{bottleneck_width} = <b>{group_width:,}</b>" in app.readout.value
        assert app.numbers == explorer_numbers(50, cardinality, bottleneck_width)


def test_network_macs_match_a_traced_model(app):
    expected = counting.count_macs(models.resnext50_32x4d(), (3, 224, 224))
    assert app.numbers["macs"] == expected
    assert f"{expected:,}" in app.readout.value
    assert "(4.23 G)" in app.readout.value  # torchvision's 4.23 GMACs


def test_depth_101_matches_torchvision(app):
    set_config(app, 64, 4, depth=101)
    assert "83,455,272" in app.readout.value  # torchvision's resnext101_64x4d
    resnet101 = 44_549_160  # torchvision's resnet101: the ratio's reference
    assert f"{83_455_272 / resnet101:.2f}× params" in app.readout.value


def test_block_readout_matches_a_built_block(app):
    for cardinality, bottleneck_width in [(32, 4), (4, 24), (64, 2)]:
        set_config(app, cardinality, bottleneck_width)
        block = ResNeXtBlockC(256, 256, cardinality, bottleneck_width)
        weights = sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))
        assert weights == complexity.block_params(256, cardinality, bottleneck_width)
        assert app.numbers["block_params"] == weights
        assert app.numbers["block_macs"] == counting.count_macs(block, (256, 56, 56))
        assert f"{weights:,}" in app.readout.value
        assert f"{app.numbers['block_macs']:,}" in app.readout.value


def test_ratio_to_resnet50(app):
    resnet50 = 25_557_032  # torchvision's resnet50
    assert app.numbers["params_ratio"] == pytest.approx(25_028_904 / resnet50)
    assert "0.98× params" in app.readout.value
    assert app.numbers["block_ratio"] == pytest.approx(70_144 / 69_632)


def test_lock_follows_table2(app):
    app.lock.value = True
    assert app.width.disabled
    for cardinality, width in [(8, 14), (32, 4), (1, 64), (2, 40), (4, 24)]:  # Table 2
        app.cardinality.value = cardinality
        assert app.width.value == width
        assert app.message.value == ""
        assert f"{complexity.block_params(256, cardinality, width):,}" in app.readout.value


def test_unlock_frees_the_width_slider(app):
    app.lock.value = True
    app.cardinality.value = 8
    app.lock.value = False
    assert not app.width.disabled
    app.width.value = 20
    assert app.numbers["bottleneck_width"] == 20


def test_lock_with_too_many_paths_shows_a_message(app):
    app.lock.value = True
    app.cardinality.value = 512  # even d = 1 costs 266,752 params, 3.8x ResNet's block
    assert "no width d ≥ 1 keeps the complexity equal" in app.message.value
    assert "Traceback" not in app.message.value
    assert app.numbers is None
    assert "25,028,904" not in app.readout.value
    app.cardinality.value = 32  # back to a valid choice: the message goes away
    assert app.message.value == ""
    assert app.width.value == 4


def test_an_error_greys_the_last_valid_diagram(app):
    import io

    import PIL.Image
    valid = app.image.value
    app.lock.value = True
    app.cardinality.value = 512  # no valid block: the diagram above no longer matches the sliders
    assert "The greyed diagram below is the last valid setting" in app.message.value
    picture = PIL.Image.open(io.BytesIO(app.image.value))
    assert app.image.value != valid and picture.mode == "L" and picture.getextrema()[0] >= 160  # pale grey
    app.cardinality.value = 32  # valid again: drawn in colour, no message
    assert app.message.value == "" and PIL.Image.open(io.BytesIO(app.image.value)).mode != "L"


def test_absurd_group_width_shows_a_message(app):
    set_config(app, 512, 128)  # C·d = 65,536 channels
    assert "far too wide" in app.message.value
    assert app.numbers is None
    with pytest.raises(ValueError, match="far too wide"):
        explorer_numbers(50, 512, 128)


def test_explorer_numbers_rejects_bad_values():
    with pytest.raises(ValueError, match="cardinality=0"):
        explorer_numbers(50, 0, 4)
    with pytest.raises(ValueError, match="depth=34"):
        explorer_numbers(34, 32, 4)


def test_image_changes_when_the_slider_moves(app):
    before = png(app)
    app.cardinality.value = 64
    after = png(app)
    assert after.startswith(PNG_MAGIC)
    assert after != before
    app.width.value = 8
    assert png(app) != after


def test_every_form_draws(app):
    for form in ["a", "b", "c"]:
        app.form.value = form
        for c in CARDINALITIES[:7]:  # 1..64: one, two, then three drawn paths in forms a and b
            app.cardinality.value = c
            assert app.message.value == ""
            assert png(app).startswith(PNG_MAGIC)


def test_blitted_figure_equals_a_full_redraw(app):
    """The figure only redraws what moves; after any change it must match a figure drawn anew."""
    steps = [("cardinality", 64), ("width", 9), ("form", "a"), ("cardinality", 4), ("cardinality", 2),
             ("cardinality", 8), ("form", "b"), ("width", 100), ("lock", True), ("cardinality", 1),
             ("form", "c"), ("cardinality", 128)]
    for name, value in steps:
        getattr(app, name).value = value
        blitted = np.asarray(app.plot.canvas.buffer_rgba()).copy()
        assert np.array_equal(blitted, full_render(app.plot)), f"after {name} = {value!r}"
