"""Headless tests of the family explorer's Python side (resnext_edu.widgets.family_explorer): its numbers
against real blocks, its traits, and what it sends the page.

Every number must equal count_params / count_macs of the block the explorer describes, built
for real: ResNeXtBlockC (Xie et al. 2017, Fig. 3(c)), SEResNeXtBlock (Hu et al. 2018, Fig. 3),
ResNeStBlock (Zhang et al. 2020, Fig. 1) and Res2NetBlock (Gao et al. 2019, Fig. 2(b)), 256-d in
and out at 56x56. The page (readouts, diagram, notes) is tested in Chromium by
tests/test_explorer_page.py; its speed by benchmarks/family_widget_latency.py.
"""
import pytest
import torch
from torch import nn

from resnext_edu.blocks import Bottleneck, ResNeXtBlockC
from resnext_edu.counting import count_macs, count_params
from resnext_edu.family import Res2NetBlock, ResNeStBlock, SEResNeXtBlock
from resnext_edu.complexity import block_complexity
from resnext_edu.registry import create_model
from resnext_edu.widgets import family_explorer, family_numbers, preset, valid_radixes
from resnext_edu.widgets.family_explorer import (KINDS, LAYOUTS, PAPER_MODELS, RADIXES, RESNET_MACS, RESNET_PARAMS,
                                             diagram_spec, page_config)

SIZE = (256, 56, 56)  # a conv2-stage block's input (C, H, W)


@pytest.fixture
def app():
    return family_explorer()


def set_config(app, kind, cardinality, bottleneck_width, radix=None, scale=None):
    """Choose the kind (which loads its preset), then move the sliders as a student would."""
    app.kind = kind
    app.cardinality = cardinality
    app.bottleneck_width = bottleneck_width
    if radix is not None:
        app.radix = radix
    if scale is not None:
        app.scale = scale


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


def test_starts_at_resnest50s_conv2_block(app):
    assert (app.kind, app.cardinality, app.bottleneck_width, app.radix) == ("resnest", 1, 64, 2)
    assert_readouts_match(app, ResNeStBlock(256, 256, 1, 64, radix=2))


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


def test_kind_loads_the_paper_configuration(app):
    for kind in KINDS:
        app.kind = kind
        config = preset(kind)
        assert (app.cardinality, app.bottleneck_width) == (config["cardinality"], config["bottleneck_width"])
        assert_readouts_match(app, real_block(kind, **config))


def test_se_adds_params_but_almost_no_macs(app):
    app.kind = "se"
    n = app.numbers
    assert n["params"] - n["resnext_params"] == 256 * 16 + 16 + 16 * 256 + 256 == 8_464  # fc1 and fc2, with bias
    assert n["macs"] - n["resnext_macs"] == 2 * 256 * 16  # on the pooled 1x1 map


@pytest.mark.parametrize("cardinality, width", [(1, 64), (1, 6), (2, 40), (4, 24), (8, 16), (32, 4), (16, 2)])
def test_the_radixes_offered_are_exactly_those_that_build(app, cardinality, width):
    set_config(app, "resnest", cardinality, width)
    offered = valid_radixes(cardinality, width)
    for r in RADIXES:
        if r in offered:
            app.radix = r
            assert app.radix == r
            assert_readouts_match(app, ResNeStBlock(256, 256, cardinality, width, r))
        else:
            with pytest.raises(ValueError, match=f"radix={r}|cardinality={cardinality}"):
                ResNeStBlock(256, 256, cardinality, width, r)


def test_radix_moves_to_a_valid_one_and_comes_back(app):
    app.radix = 4  # C = 1, d = 64
    app.bottleneck_width = 6  # 4 does not divide 6: R = 1, 2, 3, 6 remain
    assert (app.radix, app.wanted_radix) == (3, 4)
    assert_readouts_match(app, ResNeStBlock(256, 256, 1, 6, 3))
    app.bottleneck_width = 64  # the student's R = 4 fits again: it comes back
    assert app.radix == 4
    assert_readouts_match(app, ResNeStBlock(256, 256, 1, 64, 4))


def test_invalid_combination_is_an_error_that_teaches(app):
    """ResNeSt with C = 64 paths of d = 1: 64 cardinal groups cannot share an attention layer of 32."""
    with pytest.raises(ValueError, match="cardinality=64 must divide the attention width 32"):
        ResNeStBlock(256, 256, 64, 1, 1)  # the real block refuses it too
    set_config(app, "resnest", 64, 1)
    with pytest.raises(ValueError, match="cardinality=64 must divide the attention width 32"):
        app.numbers
    app.cardinality = 32  # back to a valid choice: R = 1, the one radix that fits d = 1
    assert app.radix == 1
    assert_readouts_match(app, ResNeStBlock(256, 256, 32, 1, 1))


def test_absurd_width_is_an_error_that_teaches(app):
    set_config(app, "resnext", 64, 128)  # C·d = 8,192 channels
    with pytest.raises(ValueError, match="far too wide"):
        app.numbers
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


@pytest.mark.parametrize("name, value, message", [
    ("kind", "senet", "kind='senet' is not on the explorer"), ("cardinality", 3, "cardinality=3 is not on"),
    ("bottleneck_width", 129, "from 1 to 128"), ("radix", 9, "radix=9 is not on"),
    ("scale", 1, "scale=1 is not on the explorer; use one of 2, 3"),
])
def test_bad_values_are_refused_with_a_message(app, name, value, message):
    with pytest.raises(ValueError, match=message):
        setattr(app, name, value)


def test_the_page_gets_the_layouts_of_viz_and_the_presets():
    config = page_config()
    for key, spec in LAYOUTS.items():
        assert config["layouts"][key] == diagram_spec(*spec).as_layout()
    assert config["presets"] == {kind: preset(kind) for kind in KINDS}
    assert "export default { render }" in family_explorer()._esm
