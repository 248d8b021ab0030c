"""Counting params and MACs (resnext_edu.counting), against torchvision's and the paper's figures.

Reference figures come from CONTRIBUTING.md (torchvision's models; Xie et al. 2017, Tables 1, 2 and
the CIFAR table), or are worked out by hand in the test; never from our own code's output.
Every model in MODELS is also cross-checked with torch's FlopCounterMode and with torchinfo.
"""
import re

import matplotlib
import pytest
import torch
import torchinfo
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from resnext_edu.blocks import BLOCK_FORMS, ResNeXtBlockC
from resnext_edu.counting import breakdown, count_macs, count_params, paper_table1, paper_table2
from resnext_edu.grouped import GroupedConv2dLoop
from resnext_edu.models import resnet18, resnet50, resnext, resnext50_32x4d
from resnext_edu.registry import MODELS, list_models
from resnext_edu.viz.breakdown import plot_breakdown

matplotlib.use("Agg")

# torchvision: parameters and GMACs at 224x224 (CONTRIBUTING.md, "Reference figures").
TORCHVISION = {
    "resnet18": (11_689_512, 1.81),
    "resnet34": (21_797_672, 3.66),
    "resnet50": (25_557_032, 4.09),
    "resnet101": (44_549_160, 7.80),
    "resnet152": (60_192_808, 11.51),
    "resnext50_32x4d": (25_028_904, 4.23),
    "resnext101_32x8d": (88_791_336, 16.41),
    "resnext101_64x4d": (83_455_272, 15.46),
    "wide_resnet50_2": (68_883_240, 11.40),
}
CIFAR_PARAMS_M = {"resnext29_8x64d": 34.4, "resnext29_16x64d": 68.1}  # Xie et al. 2017, CIFAR table

@pytest.fixture(scope="module", params=list_models("models"))
def model(request):
    """(name, model, input_size) for each model of MODELS, built once, on the meta device.

    Meta tensors have shapes but no data: the same layers and counts, no memory, and forwards
    that cost nothing, so the whole zoo (up to 16 GMACs a model) is checked in seconds.
    """
    builder, input_size = MODELS[request.param]
    with torch.device("meta"):
        net = builder()
    yield request.param, net, input_size
    del net


@pytest.fixture(scope="module")
def resnet50_model():
    return resnet50()


def test_every_reference_model_is_in_models():
    assert set(TORCHVISION) | set(CIFAR_PARAMS_M) <= set(MODELS)


# --- every model: references, FlopCounterMode, torchinfo, formulas ---------------------------


def test_params_and_macs_match_references(model):
    name, net, input_size = model
    params, macs = count_params(net), count_macs(net, input_size)
    assert type(params) is int and type(macs) is int
    if name in TORCHVISION:
        ref_params, ref_gmacs = TORCHVISION[name]
        assert params == ref_params
        assert macs / 1e9 == pytest.approx(ref_gmacs, rel=0.005)
    elif name in CIFAR_PARAMS_M:
        # The paper truncates to one decimal (as 25.56M -> 25.5M in Table 1): 68.16M -> 68.1M.
        assert CIFAR_PARAMS_M[name] <= params / 1e6 < CIFAR_PARAMS_M[name] + 0.1
    else:
        pytest.skip(f"no reference figure for {name} in CONTRIBUTING.md")


def test_macs_equal_flop_counter_forward_over_two(model):
    # FlopCounterMode counts 2 FLOPs per MAC and ignores biases, BN, ReLU and pooling.
    name, net, input_size = model
    net.eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net(torch.zeros(1, *input_size, device="meta"))
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    assert count_macs(net, input_size) == flops // 2


def test_macs_equal_torchinfo_mult_adds_less_bias_and_bn(model):
    # torchinfo 1.8.0 adds, for a batch of 1: each Linear's bias (out_features) and each
    # BatchNorm's weight and bias (2·C). Our convs have no bias, else it would add C_out·H·W.
    name, net, input_size = model
    assert all(m.bias is None for m in net.modules() if isinstance(m, nn.Conv2d))
    fc_bias = sum(m.bias.numel() for m in net.modules() if isinstance(m, nn.Linear))
    bn = sum(p.numel() for m in net.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters())
    info = torchinfo.summary(net, input_size=(1, *input_size), verbose=0, device="meta")
    assert info.total_mult_adds == count_macs(net, input_size) + fc_bias + bn
    assert info.total_params == count_params(net)


# --- the three forms ----------------------------------------------------------------------------


def test_form_a_has_torchvision_resnext50_params():
    # Forms (a), (b) and (c) are equivalent (Sec. 3.3): the same weights, arranged differently.
    # Form (a) is the farthest from torchvision's layout; form (b) is checked on a small network.
    with torch.device("meta"):  # 512 paths: skip allocating and initialising their weights
        net = resnext50_32x4d(form="a")
    assert count_params(net) == 25_028_904


@pytest.mark.parametrize("form", ["a", "b", "c"])
def test_block_macs_by_hand_in_every_form(form):
    # Table 2's block on conv2's 56x56 map: C·(256·d + 3·3·d·d + d·256) weights, each used at
    # every position. 32x4d: 56·56·32·2192 = 219,971,584, in every form.
    block = BLOCK_FORMS[form](256, 256, 32, 4)
    assert count_macs(block, (256, 56, 56)) == 56 * 56 * 32 * (256 * 4 + 9 * 4 * 4 + 4 * 256) == 219_971_584


def test_forms_count_the_same_on_a_small_network():
    counts = set()
    for form in "abc":
        net = resnext(29, 4, 4, 10, form)
        counts.add((count_params(net), count_macs(net, (3, 32, 32))))
    assert len(counts) == 1


# --- single layers, worked out by hand ---------------------------------------------------------


def test_conv_macs_by_hand():
    # ResNet's stem: 7x7, 3 -> 64, stride 2: 112·112 positions · 7·7·3·64 weights.
    stem = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
    assert count_macs(stem, (3, 224, 224)) == 112 * 112 * 7 * 7 * 3 * 64 == 118_013_952


def test_grouped_conv_macs_by_hand():
    # 4 groups: each output channel sees 8 / 4 = 2 input channels. 10·10·3·3·2·16 = 28,800.
    assert count_macs(nn.Conv2d(8, 16, 3, padding=1, groups=4, bias=False), (8, 10, 10)) == 28_800
    assert count_macs(GroupedConv2dLoop(8, 16, 3, 4, padding=1), (8, 10, 10)) == 28_800


def test_linear_macs_by_hand_and_bias_not_counted():
    head = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 10))
    assert count_macs(head, (3, 4, 4)) == 48 * 10
    assert count_params(head) == 48 * 10 + 10


def test_bn_relu_pool_count_no_macs():
    assert count_macs(nn.Sequential(nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2)), (3, 8, 8)) == 0


def test_a_layer_called_twice_counts_twice():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 1, bias=False)

        def forward(self, x):
            return self.conv(self.conv(x))

    assert count_macs(Twice(), (4, 5, 5)) == 2 * 5 * 5 * 4 * 4
    assert count_params(Twice()) == 16


def test_counts_for_real_when_an_operation_cannot_run_on_meta():
    class DataDependent(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 1, bias=False)

        def forward(self, x):
            if x.sum().item() == 0:  # needs data: fails on the meta device
                x = self.conv(x)
            return x

    assert count_macs(DataDependent(), (2, 4, 4)) == 4 * 4 * 2 * 3  # once, not twice


def test_trainable_only():
    net = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 5))
    net[0].requires_grad_(False)
    assert count_params(net) == 16 + 25
    assert count_params(net, trainable_only=True) == 25


def test_counting_leaves_the_model_as_it_was():
    net = resnext(29, 2, 4, 10)
    net.train()
    net.fc.eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    count_macs(net, (3, 32, 32))
    breakdown(net, (3, 32, 32))
    assert net.training and net.layer1.training and not net.fc.training
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BN statistics untouched
    assert all(p.device.type == "cpu" for p in net.parameters())


# --- bad input: a clear message, never a crash deep inside torch -------------------------------


def test_input_size_of_wrong_rank():
    message = "input_size should be (channels, height, width), got (224, 224)"
    with pytest.raises(ValueError, match=re.escape(message)):
        count_macs(resnet18(), (224, 224))
    with pytest.raises(ValueError, match="leave out the batch"):
        count_macs(nn.Conv2d(3, 3, 1), (1, 3, 224, 224))
    with pytest.raises(ValueError, match=re.escape("got (3, 0, 224)")):
        count_macs(nn.Conv2d(3, 3, 1), (3, 0, 224))


def test_input_with_wrong_channels_or_too_small():
    with pytest.raises(ValueError, match=re.escape("input_size (1, 224, 224) does not fit ResNet")):
        count_macs(resnet18(), (1, 224, 224))
    with pytest.raises(ValueError, match=re.escape("input_size (3, 2, 2) does not fit Conv2d: too small")):
        count_macs(nn.Conv2d(3, 8, 5), (3, 2, 2))


@pytest.mark.parametrize("not_a_module, message", [
    (resnet50, "got the function resnet50; did you forget the parentheses, resnet50()?"),
    (nn.Conv2d, "did you forget the parentheses, Conv2d(...)?"),
    ("resnet50", "got 'resnet50', a string"),
    (42, "got 42 (int)"),
])
def test_not_a_module(not_a_module, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        count_params(not_a_module)
    with pytest.raises(TypeError, match=re.escape(message)):
        count_macs(not_a_module, (3, 224, 224))
    with pytest.raises(TypeError, match=re.escape(message)):
        breakdown(not_a_module, (3, 224, 224))


# --- breakdown ----------------------------------------------------------------------------------


def test_breakdown_per_stage_of_resnet50(resnet50_model):
    rows = breakdown(resnet50_model, (3, 224, 224))
    assert [r.name for r in rows] == ["stem", "layer1", "layer2", "layer3", "layer4", "head"]
    assert [r.paper_stage for r in rows] == ["conv1", "conv2", "conv3", "conv4", "conv5", "fc"]
    # Output sizes of Xie et al. 2017, Table 1 (conv2..conv5: 56, 28, 14, 7).
    assert [r.output_shape for r in rows[1:5]] == [(256, 56, 56), (512, 28, 28), (1024, 14, 14), (2048, 7, 7)]
    stem, head = rows[0], rows[-1]
    assert (stem.params, stem.macs) == (7 * 7 * 3 * 64 + 2 * 64, 118_013_952)
    assert (head.params, head.macs) == (2048 * 1000 + 1000, 2048 * 1000)
    assert sum(r.params for r in rows) == rows.total_params == 25_557_032
    assert sum(r.macs for r in rows) / 1e9 == pytest.approx(4.09, rel=0.005)
    assert sum(r.params_share for r in rows) == pytest.approx(1)
    assert sum(r.macs_share for r in rows) == pytest.approx(1)


def test_breakdown_per_layer_of_resnet50(resnet50_model):
    rows = breakdown(resnet50_model, (3, 224, 224), layers=True)
    assert sum(r.params for r in rows) == 25_557_032
    conv = {r.name: r for r in rows}["layer1.0.conv2"]
    assert (conv.stage, conv.paper_stage, conv.kind) == ("layer1", "conv2", "Conv2d")
    assert conv.macs == 56 * 56 * 3 * 3 * 64 * 64
    assert {r.kind for r in rows} == {"Conv2d", "BatchNorm2d", "Linear"}


def test_breakdown_prints_as_a_table(resnet50_model):
    rows = breakdown(resnet50_model, (3, 224, 224))
    text = str(rows)
    assert "layer4" in text and "conv5" in text and "25,557,032" in text
    assert text.splitlines()[-1].startswith("total")
    assert rows._repr_html_().startswith("<table")


def test_plot_breakdown_returns_a_figure(resnet50_model):
    fig = plot_breakdown(resnet50_model, (3, 224, 224))
    assert isinstance(fig, matplotlib.figure.Figure)
    assert [len(ax.patches) for ax in fig.axes] == [6, 6]
    fig = plot_breakdown(breakdown(resnet50_model, (3, 224, 224)))
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="input_size"):
        plot_breakdown(resnet50_model)


# --- the paper's tables -------------------------------------------------------------------------


def test_paper_table1():
    rows = paper_table1()
    assert [(r.params, r.paper_params, r.paper_gflops) for r in rows] == [
        (25_557_032, 25.5, 4.1), (25_028_904, 25.0, 4.2)]
    for r in rows:
        assert abs(r.gmacs_diff) < 0.05  # the paper prints one decimal
        assert 0 <= r.params_diff < 0.1  # the paper truncates 25.56M to 25.5M
    text = str(rows)
    assert "ResNeXt-50 (32x4d)" in text and "25,028,904" in text and "4.23" in text


def test_paper_table2():
    rows = paper_table2()
    assert [(r.cardinality, r.paper_width, r.paper_group_width) for r in rows] == [
        (1, 64, 64), (2, 40, 80), (4, 24, 96), (8, 14, 112), (32, 4, 128)]
    assert [r.width for r in rows] == [64, 40, 24, 14, 4]
    assert [r.group_width for r in rows] == [64, 80, 96, 112, 128]
    assert all(r.reference_params == 69_632 for r in rows)
    assert all(abs(r.block_params / 70_000 - 1) < 0.03 for r in rows)  # "about 70k"
    assert "112" in str(rows) and "Table 2" in str(rows)


# --- what the other tools count (the docstring's claims) ----------------------------------------


def test_flop_counter_backward_overstates_grouped_weight_gradient():
    # Documented in counting's docstring: forward = 2·MACs; backward = 2·MACs for the input
    # gradient + groups·2·MACs for the weight gradient (it should be 2·MACs).
    conv = nn.Conv2d(8, 16, 3, padding=1, groups=4, bias=False)
    macs = 28_800
    x = torch.zeros(1, 8, 10, 10, requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        conv(x).sum().backward()
    assert counter.get_total_flops() == 2 * macs + 2 * macs + 4 * 2 * macs


@pytest.mark.parametrize("builder, name", [
    ("resnet18", "ResNet-18"), ("resnet50", "ResNet-50"), ("resnext50_32x4d", "ResNeXt-50 (32x4d)"),
    ("resnext29_8x64d", "ResNeXt-29 (8x64d)"), ("seresnext50_32x4d", "SE-ResNeXt-50 (32x4d)"),
    ("wide_resnet50_2", "ResNet-50 (1x128d)"),
])
def test_breakdown_names_the_configuration(builder, name):
    entry = MODELS[builder]
    with torch.device("meta"):
        model = entry.builder()
    assert breakdown(model, entry.input_size).title.startswith(f"{name}, input ")
