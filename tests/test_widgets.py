"""Headless tests of the cardinality explorer's Python side (resnext_edu.widgets): its numbers against
real models counted by counting, its traits, and what it sends the page.

Xie et al. 2017, https://arxiv.org/abs/1611.05431, Table 1 (25.0M for ResNeXt-50 32x4d) and
Table 2 (C = 1, 2, 4, 8, 32 -> d = 64, 40, 24, 14, 4). The page itself (the ES module: its
readouts, diagram and messages) is tested in Chromium by tests/test_explorer_page.py.
"""
import json

import pytest
from torch import nn

from resnext_edu import complexity, counting, models, widgets
from resnext_edu.blocks import ResNeXtBlockC
from resnext_edu.viz import block_spec
from resnext_edu.widgets import cardinality_explorer, explorer_numbers
from resnext_edu.widgets.cardinality_explorer import LAYOUTS, page_config


@pytest.fixture
def app():
    return cardinality_explorer()


def set_config(app, cardinality, bottleneck_width, depth=50):
    app.depth, app.cardinality, app.bottleneck_width = depth, cardinality, bottleneck_width


def test_starts_at_resnext50_32x4d(app):
    assert (app.cardinality, app.bottleneck_width, app.depth, app.form, app.lock) == (32, 4, 50, "c", False)
    assert app.numbers["params"] == 25_028_904  # torchvision's resnext50_32x4d


def test_network_numbers_match_a_built_model(app):
    for cardinality, bottleneck_width in [(32, 4), (8, 14), (2, 40)]:
        set_config(app, cardinality, bottleneck_width)
        assert app.numbers["params"] == counting.count_params(models.resnext(50, cardinality, bottleneck_width))
        assert app.numbers["group_width"] == cardinality * bottleneck_width
        assert app.numbers == explorer_numbers(50, cardinality, bottleneck_width)


def test_network_macs_match_a_traced_model(app):
    assert app.numbers["macs"] == counting.count_macs(models.resnext50_32x4d(), (3, 224, 224))
    assert round(app.numbers["macs"] / 1e9, 2) == 4.23  # torchvision's 4.23 GMACs


def test_depth_101_matches_torchvision(app):
    set_config(app, 64, 4, depth=101)
    assert app.numbers["params"] == 83_455_272  # torchvision's resnext101_64x4d
    assert app.numbers["params_ratio"] == pytest.approx(83_455_272 / 44_549_160)  # over torchvision's resnet101


def test_block_numbers_match_a_built_block(app):
    for cardinality, bottleneck_width in [(32, 4), (4, 24), (64, 2)]:
        set_config(app, cardinality, bottleneck_width)
        block = ResNeXtBlockC(256, 256, cardinality, bottleneck_width)
        weights = sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))
        assert app.numbers["block_params"] == weights
        assert app.numbers["block_macs"] == counting.count_macs(block, (256, 56, 56))


def test_ratio_to_resnet50(app):
    assert app.numbers["params_ratio"] == pytest.approx(25_028_904 / 25_557_032)  # torchvision's resnet50
    assert app.numbers["block_ratio"] == pytest.approx(70_144 / 69_632)


def test_lock_follows_table2(app):
    app.lock = True
    for cardinality, width in [(8, 14), (32, 4), (1, 64), (2, 40), (4, 24)]:  # Table 2
        app.cardinality = cardinality
        assert app.bottleneck_width == width
        assert app.numbers["block_params"] == complexity.block_params(256, cardinality, width)


def test_unlock_frees_the_width(app):
    app.lock = True
    app.cardinality = 8
    app.lock = False
    app.bottleneck_width = 20
    assert app.numbers["bottleneck_width"] == 20


def test_lock_with_too_many_paths_is_an_error_that_teaches(app):
    app.lock = True
    app.cardinality = 512  # even d = 1 costs 266,752 params, 3.8x ResNet's block
    with pytest.raises(ValueError, match="no width d ≥ 1 keeps the complexity equal"):
        app.numbers
    app.cardinality = 32  # back to a valid choice
    assert app.bottleneck_width == 4 and app.numbers["params"] == 25_028_904


def test_absurd_group_width_is_an_error_that_teaches(app):
    set_config(app, 512, 128)  # C·d = 65,536 channels
    with pytest.raises(ValueError, match="far too wide"):
        app.numbers


@pytest.mark.parametrize("name, value, message", [
    ("cardinality", 3, "cardinality=3 is not on the explorer; use one of 1, 2, 4"),
    ("bottleneck_width", 0, "bottleneck_width=0 must be a whole number from 1 to 128"),
    ("bottleneck_width", 129, "bottleneck_width=129 must be a whole number from 1 to 128"),
    ("depth", 34, "depth=34 is not on the explorer; use one of 50, 101"),
    ("form", "d", "form='d' is not on the explorer; use one of 'a', 'b', 'c'"),
])
def test_bad_values_are_refused_with_a_message(app, name, value, message):
    with pytest.raises(ValueError, match=message):
        setattr(app, name, value)
    with pytest.raises(ValueError, match=message):
        cardinality_explorer(**{name: value})


def test_explorer_numbers_rejects_bad_values():
    with pytest.raises(ValueError, match="cardinality=0"):
        explorer_numbers(50, 0, 4)
    with pytest.raises(ValueError, match="depth=34"):
        explorer_numbers(34, 32, 4)


def test_the_page_gets_the_layouts_of_viz_and_the_paper_table():
    config = page_config()
    for key, (form, c) in LAYOUTS.items():
        assert config["layouts"][key] == block_spec(form, c, 4).as_layout()
    assert config["paper_table2"] == [[1, 64, 64], [2, 40, 80], [4, 24, 96], [8, 14, 112], [32, 4, 128]]
    assert len(json.dumps(config)) < 40_000  # saved in the notebook with the widget's state


def test_the_page_module_is_shipped_with_the_package(app):
    assert "export default { render }" in app._esm
    assert "function resnextComplexity" in app._esm  # explorer_common.js comes first
    assert "http://" not in app._esm.replace("http://www.w3.org/2000/svg", "") and "https://" not in app._esm


def test_the_first_widget_waits_then_says_what_python_saw():
    w = widgets.first_widget()
    assert w.caption.startswith("Move the slider") and w.label == "cardinality C"
    w.cardinality = 1
    w.cardinality = 2
    assert w.caption == "<b>Widgets work.</b> C = 2: a block with 2 parallel paths."
    w.cardinality = 1
    assert w.caption.endswith("a block with 1 parallel path.")


@pytest.mark.parametrize("value", [0, 65, 2.5, "8"])
def test_the_first_widget_refuses_a_cardinality_it_cannot_show(value):
    with pytest.raises(ValueError, match=rf"cardinality={value!r} must be a whole number from 1 to 64"):
        widgets.first_widget(value)
