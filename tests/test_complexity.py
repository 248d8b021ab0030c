"""The closed-form formulas (resnext_edu.complexity), each against the real module counted, and the paper.

Reference figures come from CONTRIBUTING.md (torchvision's models; Xie et al. 2017, Tables 1 and 2),
or from counting the block or network itself with counting.count_params and count_macs (which
test_counting.py checks against torch's FlopCounterMode and torchinfo).
"""
import re
import time

import pytest
import torch
from torch import nn

from resnext_edu.blocks import ResNeXtBlockC
from resnext_edu.complexity import (block_complexity, block_params, equal_complexity_width, grouped_conv_cost,
                                    res2net_block_complexity, resnest_block_complexity, resnext_complexity,
                                    se_complexity)
from resnext_edu.counting import count_macs, count_params
from resnext_edu.family import Res2NetBlock, ResNeStBlock, SEModule, SEResNeXtBlock
from resnext_edu.models import resnext
from resnext_edu.references import load
from resnext_edu.registry import MODELS

# resnext_complexity arguments (depth, C, d, num_classes, input side) of the bottleneck models.
CONFIGS = {
    "resnet50": (50, 1, 64, 1000, 224),
    "resnet101": (101, 1, 64, 1000, 224),
    "resnet152": (152, 1, 64, 1000, 224),
    "resnext50_32x4d": (50, 32, 4, 1000, 224),
    "resnext101_32x8d": (101, 32, 8, 1000, 224),
    "resnext101_64x4d": (101, 64, 4, 1000, 224),
    "wide_resnet50_2": (50, 1, 128, 1000, 224),
    "resnext29_8x64d": (29, 8, 64, 10, 32),
    "resnext29_16x64d": (29, 16, 64, 10, 32),
}



@pytest.mark.parametrize("name", list(CONFIGS))  # the bottleneck networks: ResNet-18/34 use basic blocks
def test_formulas_equal_counts_on_the_model(name):
    builder, input_size = MODELS[name]
    with torch.device("meta"):
        net = builder()
    depth, c, d, num_classes, side = CONFIGS[name]
    expected = (count_params(net), count_macs(net, input_size))
    assert resnext_complexity(depth, c, d, num_classes, side) == expected


# --- the analytic formulas against built models of other shapes -------------------------------


@pytest.mark.parametrize("depth, cardinality, width, num_classes, side", [
    (50, 1, 64, 1000, 224),  # ResNet-50
    (50, 32, 4, 1000, 224),  # ResNeXt-50 (32x4d)
    (50, 2, 40, 10, 97),     # odd input side: the floor in each stride-2 output size matters
    (101, 8, 14, 100, 160),
    (29, 4, 16, 10, 32),
    (29, 2, 8, 100, 33),
])
def test_resnext_complexity_equals_built_model(depth, cardinality, width, num_classes, side):
    with torch.device("meta"):  # shapes only: counting needs no weights
        net = resnext(depth, cardinality, width, num_classes)
    expected = (count_params(net), count_macs(net, (3, side, side)))
    assert resnext_complexity(depth, cardinality, width, num_classes, side) == expected


TABLE4 = load("torchvision_configs")["models"]  # torchvision's ResNet class, scripts/torchvision_configs.py
DEPTHS = {(3, 4, 23, 3): 101, (3, 24, 36, 3): 200}


@pytest.mark.parametrize("name", list(TABLE4))
def test_table4_networks_match_torchvision(name):
    ref = TABLE4[name]
    depth = DEPTHS[tuple(ref["layers"])]
    expected = (ref["params"], ref["macs_224"])
    assert resnext_complexity(depth, ref["groups"], ref["width_per_group"]) == expected
    with torch.device("meta"):
        net = resnext(depth, ref["groups"], ref["width_per_group"])
    assert (count_params(net), count_macs(net, (3, 224, 224))) == expected


def test_resnext_complexity_matches_torchvision_without_building():
    assert resnext_complexity(50, 1, 64)[0] == 25_557_032
    assert resnext_complexity(50, 32, 4)[0] == 25_028_904
    assert resnext_complexity(101, 32, 8)[0] == 88_791_336
    assert resnext_complexity(152, 1, 64)[1] / 1e9 == pytest.approx(11.51, rel=0.005)


@pytest.mark.parametrize("bad, message", [
    (dict(depth=34), "depth=34"),
    (dict(cardinality=0), "cardinality=0"),
    (dict(bottleneck_width=2.5), "bottleneck_width=2.5"),
    (dict(input_size=0), "input_size=0"),
])
def test_resnext_complexity_rejects_bad_arguments(bad, message):
    args = dict(depth=50, cardinality=32, bottleneck_width=4) | bad
    with pytest.raises(ValueError, match=re.escape(message)):
        resnext_complexity(**args)



# --- Table 2: equal complexity ------------------------------------------------------------------


@pytest.mark.parametrize("cardinality, width, group_width", [
    (1, 64, 64), (2, 40, 80), (4, 24, 96), (8, 14, 112), (32, 4, 128),  # Xie et al. 2017, Table 2
])
def test_equal_complexity_width_reproduces_table2(cardinality, width, group_width):
    assert equal_complexity_width(cardinality) == width
    assert cardinality * equal_complexity_width(cardinality) == group_width


def test_equal_complexity_width_in_every_stage_of_resnext50():
    # Table 1, ResNeXt-50 (32x4d): grouped 3x3 widths 128, 256, 512, 1024 in conv2..conv5,
    # each stage matching ResNet-50's block of width 64, 128, 256, 512.
    widths = [32 * equal_complexity_width(32, 256 * 2**i, 64 * 2**i) for i in range(4)]
    assert widths == [128, 256, 512, 1024]


def test_equal_complexity_width_is_at_least_one():
    assert equal_complexity_width(512) == 1


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_equal_complexity_width_rejects_bad_cardinality(bad):
    with pytest.raises(ValueError, match=re.escape(f"cardinality={bad!r}")):
        equal_complexity_width(bad)


def test_block_params_is_the_papers_formula():
    # C·(256·d + 3·3·d·d + d·256), CONTRIBUTING.md; ResNet's bottleneck is about 70k.
    assert block_params(256, 1, 64) == 256 * 64 + 9 * 64 * 64 + 64 * 256 == 69_632
    assert block_params(256, 32, 4) == 32 * (256 * 4 + 9 * 4 * 4 + 4 * 256)


def test_block_params_equals_conv_weights_of_a_built_block():
    block = ResNeXtBlockC(256, 256, 8, 14)
    weights = sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))
    assert block_params(256, 8, 14) == weights == 8 * (256 * 14 + 9 * 14 * 14 + 14 * 256)



# ---------------------------------------------------------------------------------------------
# Analytic complexity, for the explorer's radix and scale sliders.

RESNEST_CASES = [(256, 1, 64, 1), (256, 1, 64, 2), (256, 2, 40, 4), (512, 4, 24, 1), (256, 8, 16, 2)]
RES2NET_CASES = [(256, 26, 4, 1), (256, 14, 8, 1), (256, 32, 4, 8), (512, 48, 2, 1), (256, 30, 6, 3)]


@pytest.mark.parametrize("n, cardinality, width, radix", RESNEST_CASES)
def test_resnest_block_complexity_equals_counting_the_block(n, cardinality, width, radix):
    with torch.device("meta"):
        block = ResNeStBlock(n, n, cardinality, width, radix)
    expected = (count_params(block), count_macs(block, (n, 28, 28)))
    assert resnest_block_complexity(n, cardinality, width, radix, spatial=28) == expected


@pytest.mark.parametrize("n, width, scale, cardinality", RES2NET_CASES)
def test_res2net_block_complexity_equals_counting_the_block(n, width, scale, cardinality):
    with torch.device("meta"):
        block = Res2NetBlock(n, n, cardinality, width // cardinality, scale)
    expected = (count_params(block), count_macs(block, (n, 56, 56)))
    assert res2net_block_complexity(n, cardinality, width // cardinality, scale) == expected


def test_complexity_moves_with_radix_and_scale_and_is_fast():
    params = [resnest_block_complexity(256, 1, 64, r)[0] for r in (1, 2, 4)]
    assert params == sorted(params) and len(set(params)) == 3
    macs = [res2net_block_complexity(256, 1, 26, s)[1] for s in (2, 4, 8)]
    assert macs == sorted(macs)
    start = time.perf_counter()
    for r in (1, 2, 4, 8):  # radixes that divide the group width 64 (3 would not: a ValueError)
        resnest_block_complexity(256, 1, 64, r)
        res2net_block_complexity(256, 1, 26, r + 1)
    assert (time.perf_counter() - start) / 4 < 0.05  # a slider's budget, with room to spare


# --- the rest, each against the real module --------------------------------------------------------


@pytest.mark.parametrize("channels, groups", [(128, 1), (128, 32), (64, 64)])
def test_grouped_conv_cost_equals_counting_the_conv(channels, groups):
    conv = nn.Conv2d(channels, channels, 3, padding=1, groups=groups, bias=False)
    assert grouped_conv_cost(channels, groups, (14, 14)) == (count_params(conv), count_macs(conv, (channels, 14, 14)))


@pytest.mark.parametrize("channels, reduction", [(256, 16), (1024, 16), (64, 4)])
def test_se_complexity_equals_counting_the_module(channels, reduction):
    se = SEModule(channels, reduction)
    assert se_complexity(channels, reduction) == (count_params(se), count_macs(se, (channels, 7, 7)))


@pytest.mark.parametrize("kind, block", [
    ("resnext", lambda: ResNeXtBlockC(256, 256, 8, 14)),
    ("se", lambda: SEResNeXtBlock(256, 256, 8, 14)),
    ("resnest", lambda: ResNeStBlock(256, 256, 8, 14, radix=2)),
    ("res2net", lambda: Res2NetBlock(256, 256, 8, 14, scale=3)),
])
def test_block_complexity_equals_counting_the_block(kind, block):
    with torch.device("meta"):
        real = block()
    expected = (count_params(real), count_macs(real, (256, 56, 56)))
    assert block_complexity(kind, 256, 8, 14, radix=2, scale=3) == expected


def test_block_complexity_names_an_unknown_kind():
    with pytest.raises(ValueError, match="kind='senet' is unknown; use one of 'resnext', 'se'"):
        block_complexity("senet", 256, 32, 4)
