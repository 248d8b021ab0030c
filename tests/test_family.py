"""The ResNet family against timm: parameter counts, state_dict names and shapes, outputs, MACs;
the Inception-ResNet-A block and the error messages. (Diagrams: test_family_diagrams.py; formulas:
test_complexity.py.)"""

import pytest
import torch

from resnext_edu import family
from resnext_edu.blocks import ResNeXtBlockC
from resnext_edu.complexity import res2net_block_complexity, resnest_block_complexity
from resnext_edu.counting import count_macs, count_params
from resnext_edu.family import InceptionResNetA, InvertedResidual, Res2NetBlock, ResNeStBlock, SEModule, SplitAttention
from resnext_edu.references import fill_deterministic, load, reference_input
from resnext_edu.registry import MODELS, list_models

FAMILY_MODELS = {name: MODELS[name] for name in MODELS if name not in list_models("models")}  # notebook 06's
REFERENCE = load("timm")

# timm 1.0.31's parameter counts and GMACs at 224x224, as given in issue 9 (independent of the JSON).
TIMM_TABLE = {
    "seresnext50_32x4d": (27_559_896, 4.23),
    "resnest14d": (10_611_688, 2.75),
    "resnest26d": (17_069_448, 3.62),
    "resnest50d": (27_483_240, 5.37),
    "res2net50_26w_4s": (25_699_120, 4.26),
    "res2net50_14w_8s": (25_059_816, 4.18),
    "res2next50": (24_671_464, 4.17),
    "rexnet_100": (4_796_873, 0.398),
    "rexnet_150": (9_728_593, 0.876),
}
OUTPUT_MODELS = [name for name, entry in REFERENCE["models"].items() if "logits_2x64x64_first10" in entry]


@pytest.fixture(scope="module")
def meta_models():
    """Every builder once, on the meta device: shapes without memory, enough for counts and names."""
    with torch.device("meta"):
        models = {name: builder() for name, (builder, _) in FAMILY_MODELS.items()}
    yield models
    models.clear()


def shapes(module):
    return {k: list(v.shape) for k, v in module.state_dict().items()}


def test_registry_lists_every_builder():
    assert list(FAMILY_MODELS) == list(TIMM_TABLE) == list(REFERENCE["models"])  # in notebook 06's order
    assert all(size == (3, 224, 224) for _, size in FAMILY_MODELS.values())


@pytest.mark.parametrize("name", list(TIMM_TABLE))
def test_params_equal_timm(meta_models, name):
    assert count_params(meta_models[name]) == TIMM_TABLE[name][0] == REFERENCE["models"][name]["params"]


@pytest.mark.parametrize("name", list(TIMM_TABLE))
def test_state_dict_names_and_shapes_equal_timm(meta_models, name):
    assert shapes(meta_models[name]) == REFERENCE["models"][name]["state_dict"]


@pytest.mark.parametrize("name", list(TIMM_TABLE))
def test_timm_state_dict_loads_strict(meta_models, name):
    """timm's weights would load: same keys, same shapes, strict=True (meta tensors: no memory)."""
    fake = {k: torch.empty(shape, device="meta", dtype=torch.long if k.endswith("num_batches_tracked") else None)
            for k, shape in REFERENCE["models"][name]["state_dict"].items()}
    meta_models[name].load_state_dict(fake, strict=True, assign=True)


@pytest.mark.parametrize("name", list(TIMM_TABLE))
def test_macs_within_half_percent_of_timm(meta_models, name):
    macs = count_macs(meta_models[name], FAMILY_MODELS[name][1])
    assert macs == REFERENCE["models"][name]["macs_224"]  # torch's FlopCounterMode / 2 on timm's model
    assert abs(macs / 1e9 / TIMM_TABLE[name][1] - 1) < 0.005, macs


@pytest.mark.parametrize("name", OUTPUT_MODELS)
def test_outputs_equal_timm_with_the_same_weights(name):
    model = fill_deterministic(FAMILY_MODELS[name][0]()).eval()
    with torch.no_grad():
        logits = model(reference_input())
    del model
    expected = REFERENCE["models"][name]
    assert torch.allclose(logits[:, :10], torch.tensor(expected["logits_2x64x64_first10"]), atol=1e-4)
    assert torch.allclose(logits.mean(1), torch.tensor(expected["logits_2x64x64_mean"]), atol=1e-4)


def _block_output(module, entry):
    x = torch.rand(entry["input"], generator=torch.Generator().manual_seed(entry["input_seed"]))
    with torch.no_grad():
        return fill_deterministic(module).eval()(x)


def test_split_attention_with_cardinality_and_radix_equals_timm():
    entry = REFERENCE["split_attention_k2_r4"]
    block = SplitAttention(80, cardinality=2, radix=4)
    assert count_params(block) == entry["params"]
    assert shapes(block) == entry["state_dict"]
    out = _block_output(block, entry)
    assert torch.allclose(out.mean((0, 2, 3)), torch.tensor(entry["output_channel_means"]), atol=1e-5)
    assert torch.allclose(out.flatten(1)[:, :10], torch.tensor(entry["output_first10"]), atol=1e-5)


def test_inception_resnet_a_equals_timm_block35():
    entry = REFERENCE["block35"]
    block = InceptionResNetA(320)
    assert count_params(block) == 123_168 == entry["params"]
    assert shapes(block) == entry["state_dict"]
    assert block.scale == entry["scale"] and block.branch0.bn.eps == entry["bn_eps"]
    out = _block_output(block, entry)
    assert torch.allclose(out.flatten(1)[:, :10], torch.tensor(entry["output_first10"]), atol=1e-5)
    assert torch.allclose(out.mean((1, 2, 3)), torch.tensor(entry["output_mean"]), atol=1e-5)


def test_inception_resnet_a_beside_a_resnext_block_of_the_same_width():
    resnext = family.resnext_beside(320)
    assert isinstance(resnext, ResNeXtBlockC)
    x = torch.randn(1, 320, 35, 35)
    assert InceptionResNetA(320)(x).shape == resnext(x).shape == x.shape


def test_blocks_run_and_keep_shapes():
    """One forward in train mode of each new block, strided and not (shapes as (N, C, H, W))."""
    torch.manual_seed(0)
    x = torch.randn(2, 64, 8, 8)
    assert SEModule(64)(x).shape == x.shape
    assert ResNeStBlock(64, 256, radix=1, stride=2)(x).shape == (2, 256, 4, 4)
    assert Res2NetBlock(64, 128, cardinality=2, bottleneck_width=8, scale=3, stride=2)(x).shape == (2, 128, 4, 4)
    block = InvertedResidual(64, 80)
    out = block(x)
    assert out.shape == (2, 80, 8, 8) and block.use_shortcut
    assert not InvertedResidual(64, 80, stride=2).use_shortcut


def test_rexnet_partial_shortcut_adds_to_the_first_channels_only():
    block = InvertedResidual(16, 27).eval()
    x = torch.randn(1, 16, 5, 5)
    with torch.no_grad():
        branch = block.conv_pwl(block.act_dw(block.se(block.conv_dw(block.conv_exp(x)))))
        out = block(x)
    assert torch.allclose(out[:, :16], branch[:, :16] + x) and torch.equal(out[:, 16:], branch[:, 16:])


def test_rexnet_widths_grow_linearly():
    widths = [w for w, *_ in family.rexnet.block_config(1.0)]
    steps = [b - a for a, b in zip(widths, widths[1:])]
    assert widths[0] == 16 and widths[-1] == 185 and set(steps) <= {11, 12}


# ---------------------------------------------------------------------------------------------
# Bad input: a ValueError that names the value and says what would work.

@pytest.mark.parametrize("make, words", [
    (lambda: SplitAttention(64, radix=0), ["radix=0", "at least 1"]),
    (lambda: ResNeStBlock(256, 256, radix=-1), ["radix=-1"]),
    (lambda: resnest_block_complexity(256, 1, 64, 0), ["radix=0"]),
    (lambda: family.ResNeSt([1, 1, 1, 1], radix=0), ["radix=0"]),
    (lambda: SplitAttention(64, cardinality=3), ["cardinality=3", "channels=64", "try cardinality 1, 2, 4"]),
    (lambda: SplitAttention(64, radix=3), ["radix=3", "channels=64", "try radix 1, 2, 4, 8"]),
    (lambda: Res2NetBlock(256, 256, scale=1), ["scale=1", "at least 2"]),
    (lambda: res2net_block_complexity(256, 1, 26, 1), ["scale=1"]),
    (lambda: family.res2net([3, 4, 6, 3], 26, scale=0), ["scale=0"]),
    (lambda: Res2NetBlock(256, 256, cardinality=0), ["cardinality=0", "at least 1"]),
])
def test_bad_input_names_the_value(make, words):
    with pytest.raises(ValueError) as err:
        make()
    for word in words:
        assert word in str(err.value)
