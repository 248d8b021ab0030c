"""Models against torchvision (parameter counts, state_dict names and shapes, outputs) and the paper."""

import pytest
import torch

from resnext_edu import models
from resnext_edu.references import fill_deterministic, load, reference_input
from resnext_edu.registry import create_model

REFERENCE = load("torchvision")["models"]

# torchvision's published parameter counts (CONTRIBUTING.md), independent of the JSON above.
TORCHVISION_PARAMS = {
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
    "resnet101": 44_549_160, "resnet152": 60_192_808, "resnext50_32x4d": 25_028_904,
    "resnext101_32x8d": 88_791_336, "resnext101_64x4d": 83_455_272, "wide_resnet50_2": 68_883_240,
}


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", sorted(TORCHVISION_PARAMS))
def test_params_and_state_dict_match_torchvision(name):
    with torch.device("meta"):  # names, shapes and counts need no weights
        model = create_model(name)
    assert n_params(model) == TORCHVISION_PARAMS[name] == REFERENCE[name]["params"]
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert ours == REFERENCE[name]["state_dict"]


@pytest.mark.parametrize("name", ["resnet50", "resnext50_32x4d"])
def test_torchvision_state_dict_loads_strict(name):
    fake = {k: torch.zeros(shape) for k, shape in REFERENCE[name]["state_dict"].items()}
    fake = {k: (v.long() if k.endswith("num_batches_tracked") else v) for k, v in fake.items()}
    create_model(name).load_state_dict(fake, strict=True)


# Forms (a) and (b) of the whole network equal form (c) because each block does: test_blocks.py
# converts blocks of every form, stride and shape both ways, in train and eval mode.
@pytest.mark.parametrize("name", ["resnet18", "resnet50", "resnext50_32x4d"])
def test_outputs_equal_torchvision_with_the_same_weights(name):
    model = fill_deterministic(create_model(name)).eval()
    with torch.no_grad():
        logits = model(reference_input())
    expected = torch.tensor(REFERENCE[name]["logits_2x64x64_first10"])
    assert torch.allclose(logits[:, :10], expected, atol=2e-5), (logits[:, :10] - expected).abs().max()


def test_cifar_resnext29_matches_paper():
    # Xie et al. 2017, Table 7: 34.4M and 68.1M parameters, printed to one decimal.
    # 16x64d has 68,155,210, so the paper truncates rather than rounds; allow 0.1M either way.
    with torch.device("meta"):  # counting needs no weights
        assert abs(n_params(models.resnext29_8x64d()) - 34.4e6) < 0.1e6
        assert abs(n_params(models.resnext29_16x64d()) - 68.1e6) < 0.1e6


def test_cifar_layout():
    with torch.device("meta"):
        model = models.resnext29_8x64d()
    assert model.conv1.kernel_size == (3, 3) and model.conv1.stride == (1, 1)
    assert not hasattr(model, "layer4")
    assert [getattr(model, f"layer{i}")[-1].conv3.out_channels for i in (1, 2, 3)] == [256, 512, 1024]
    # d doubles each stage: 64, 128, 256 channels per path, 8 paths.
    assert [getattr(model, f"layer{i}")[0].conv2.out_channels for i in (1, 2, 3)] == [512, 1024, 2048]
    assert model(torch.empty(2, 3, 32, 32, device="meta")).shape == (2, 10)


def test_forms_have_equal_parameter_counts():
    counts = {form: n_params(models.resnext(29, 4, 4, form=form, stage_widths=(64, 128, 256))) for form in "abc"}
    # Form (a) has C small last convs instead of one; their weights add up to the same count,
    # but every path's BN pairs up with a slice of form (c)'s BN, so all three are equal.
    assert counts["a"] == counts["b"] == counts["c"]


@pytest.mark.parametrize("size", [32, 64, 97, 160, 224])
def test_other_input_sizes(size):
    with torch.device("meta"):  # shapes only: the same layers, no arithmetic
        model = models.resnext(50, 2, 8).eval()
        assert model(torch.empty(1, 3, size, size)).shape == (1, 1000)


def test_channels_last():
    model = models.resnext(29, 4, 4, stage_widths=(64, 128, 256)).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model(x)
        model = model.to(memory_format=torch.channels_last)
        out = model(x.to(memory_format=torch.channels_last))
    assert torch.allclose(out, expected, atol=1e-5)


def test_general_builder_names_and_defaults():
    with torch.device("meta"):
        model = models.resnext(29, 8, 4, num_classes=10, in_channels=1, stem_width=32, stage_widths=(128, 256, 512))
        assert model(torch.empty(2, 1, 28, 28)).shape == (2, 10)
    assert model.layer1[0].conv2.groups == 8


@pytest.mark.parametrize("kwargs, words", [
    (dict(depth=34, cardinality=32, bottleneck_width=4), ["depth=34", "29", "50", "101", "152"]),
    (dict(depth=50, cardinality=32, bottleneck_width=4, form="d"), ["form='d'", "'a'", "'c'"]),
    (dict(depth=50, cardinality=0, bottleneck_width=4), ["cardinality=0", "at least 1"]),
    (dict(depth=50, cardinality=32, bottleneck_width=-4), ["bottleneck_width=-4", "at least 1"]),
    (dict(depth=50, cardinality=32, bottleneck_width=4, num_classes=0), ["num_classes=0"]),
    (dict(depth=50, cardinality=2.5, bottleneck_width=4), ["cardinality=2.5"]),
])
def test_builder_errors_name_the_value(kwargs, words):
    with pytest.raises(ValueError) as e:
        models.resnext(**kwargs)
    for word in words:
        assert word in str(e.value)


def test_resnet_unknown_depth():
    with pytest.raises(ValueError, match=r"depth=42 is unknown; use one of 18, 34, 50, 101, 152"):
        models.resnet(42)
