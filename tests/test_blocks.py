"""The three forms of Fig. 3 are exactly equivalent; the loop equals the fused grouped conv; errors teach."""
import itertools

import pytest
import torch
from torch import nn

from resnext_edu import checks
from resnext_edu.blocks import (BasicBlock, Bottleneck, ResNeXtBlockA, ResNeXtBlockB, ResNeXtBlockC,
                                convert)
from resnext_edu.grouped import GroupedConv2dLoop

FORMS = {"a": ResNeXtBlockA, "b": ResNeXtBlockB, "c": ResNeXtBlockC}


def randomise(block, seed=0):
    """Random weights and random BN statistics, so equivalence is not an accident of the init.

    Scales are those of a trained net (activations of order 1): float32 keeps about 7 digits,
    so a test at activations of order 100 would measure rounding, not the forms."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in block.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) / m.weight[0].numel() ** 0.5)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(0.1 * torch.randn(m.num_features, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=g))
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.num_batches_tracked.fill_(7)
    return block


@pytest.mark.parametrize("source, target", list(itertools.product("abc", repeat=2)))
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("config", [(64, 64, 4, 4, 1), (32, 128, 8, 2, 2), (256, 256, 32, 4, 1)])
def test_forms_are_equivalent(source, target, train, config):
    torch.manual_seed(0)
    block = randomise(FORMS[source](*config)).train(train)
    other = convert(block, target)
    assert type(other) is FORMS[target] and other.training == train
    x = torch.randn(4, config[0], 9, 9)
    with torch.no_grad():
        diff = (block(x) - other(x)).abs().max().item()
    assert diff <= 1e-5


def test_convert_copies_bn_statistics_and_train_mode_updates_them_alike():
    block = randomise(ResNeXtBlockA(16, 16, 4, 2)).train()
    other = convert(block, "c")
    assert torch.equal(other.bn1.running_mean, torch.cat([p.bn1.running_mean for p in block.paths]))
    assert int(other.bn2.num_batches_tracked) == 7
    x = torch.randn(8, 16, 5, 5)
    block(x), other(x)
    # One training step later the running statistics still agree: BN is per channel.
    back = convert(other, "a")
    for p, q in zip(block.paths, back.paths):
        assert torch.allclose(p.bn2.running_var, q.bn2.running_var, atol=1e-6)


def test_layout_follows_the_paper():
    a = ResNeXtBlockA(256, 256, 32, 4)
    path = a.paths[0]
    assert len(a.paths) == 32
    assert (path.conv1.in_channels, path.conv1.out_channels) == (256, 4)
    assert path.conv2.kernel_size == (3, 3) and path.conv3.out_channels == 256
    assert not hasattr(path, "bn3")  # the paths are summed first, then one BN (Sec. 3.3)
    b = ResNeXtBlockB(256, 256, 32, 4)
    assert b.paths[0].conv3 is None and b.conv3.in_channels == 128
    c = ResNeXtBlockC(256, 256, 32, 4)
    assert c.conv2.groups == 32 and c.conv2.in_channels == 128
    assert c.downsample is None


def test_stride_sits_on_the_3x3_like_torchvision_v1_5():
    block = ResNeXtBlockC(256, 512, 32, 8, stride=2)
    assert block.conv1.stride == (1, 1) and block.conv2.stride == (2, 2)
    assert block.downsample[0].stride == (2, 2)
    assert block(torch.randn(1, 256, 8, 8)).shape == (1, 512, 4, 4)


def test_block_param_counts_match_table_2():
    # Xie et al. 2017, Table 2: ~70k conv params per conv2-stage block, C·(256·d + 9·d² + d·256).
    def conv_params(block):
        return sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))
    assert conv_params(Bottleneck(256, 256)) == 69_632
    assert conv_params(ResNeXtBlockC(256, 256, 32, 4)) == 70_144
    assert conv_params(ResNeXtBlockA(256, 256, 32, 4)) == 70_144


def test_basic_block():
    block = BasicBlock(64, 128, stride=2)
    assert block(torch.randn(2, 64, 8, 8)).shape == (2, 128, 4, 4)
    assert block.downsample is not None


@pytest.mark.parametrize("groups", [1, 2, 4, 16])
def test_loop_equals_fused_grouped_conv(groups):
    torch.manual_seed(groups)
    fused = nn.Conv2d(16, 32, 3, padding=1, groups=groups, bias=True)
    loop = GroupedConv2dLoop(16, 32, 3, groups, padding=1, bias=True).load_from(fused)
    x = torch.randn(2, 16, 7, 7)
    assert torch.allclose(loop(x), fused(x), atol=1e-6)
    back = loop.to_conv2d()
    assert back.groups == groups and torch.equal(back.weight, fused.weight)
    assert torch.allclose(back(x), fused(x), atol=1e-6)


def test_loop_copy_checks_shapes():
    with pytest.raises(ValueError, match="cannot copy weights"):
        GroupedConv2dLoop(16, 16, 3, 4).load_from(nn.Conv2d(16, 16, 3, groups=2, bias=False))


@pytest.mark.parametrize("make, words", [
    (lambda: GroupedConv2dLoop(128, 128, 3, 3), ["groups=3", "in_channels=128", "1, 2, 4, 8, 16, 32"]),
    (lambda: ResNeXtBlockC(256, 256, 0, 4), ["cardinality=0", "at least 1"]),
    (lambda: ResNeXtBlockA(256, 256, 32, 0), ["bottleneck_width=0"]),
    (lambda: ResNeXtBlockB(-1, 256, 32, 4), ["in_channels=-1"]),
    (lambda: ResNeXtBlockC(256, 256, 32, 4, stride=3), ["stride=3", "1", "2"]),
    (lambda: Bottleneck(256, 256, cardinality=32), ["cardinality=32", "ResNeXtBlockC"]),
    (lambda: BasicBlock(64, 64, cardinality=4), ["cardinality=4"]),
    (lambda: convert(ResNeXtBlockC(8, 8, 2, 2), "d"), ["form='d'", "'a', 'b', 'c'"]),
])
def test_errors_name_the_value_and_what_would_work(make, words):
    with pytest.raises(ValueError) as e:
        make()
    for word in words:
        assert word in str(e.value)


def test_convert_rejects_a_resnet_basic_block():
    with pytest.raises(TypeError, match="BasicBlock"):
        convert(BasicBlock(8, 8), "a")


def test_divisors():
    assert checks.divisors(12) == [1, 2, 3, 4, 6, 12]


def test_a_bottleneck_converts_exactly():
    # ResNet's bottleneck is form (c) with one path: convert reads it as such.
    block = Bottleneck(16, 16, bottleneck_width=8).eval()
    x = torch.randn(2, 16, 5, 5)
    with torch.no_grad():
        assert torch.allclose(convert(block, "a")(x), block(x), atol=1e-5)


@pytest.mark.parametrize("form", ["a", "b", "c"])
def test_convert_rejects_a_block_with_more_in_it(form):
    # SE-ResNeXt's block is a ResNeXtBlockC plus an SE module: form (a) would silently drop it,
    # form (c) would fail inside load_state_dict. Both must be a clear error that names what is extra.
    from resnext_edu.family import SEResNeXtBlock

    with pytest.raises(TypeError) as err:
        convert(SEResNeXtBlock(64, 64, 4, 4), form)
    assert "SEResNeXtBlock is a subclass of ResNeXtBlockC that adds se" in str(err.value)
    assert "ResNeXtBlockA, ResNeXtBlockB, ResNeXtBlockC and Bottleneck only" in str(err.value)


def test_convert_rejects_a_block_whose_forward_differs():
    # A pitfall of notebook 07: the same modules as form (c), another forward (its shortcut is dropped).
    from resnext_edu.pitfalls import KerasStridesBlock

    with pytest.raises(TypeError, match="KerasStridesBlock is a subclass of ResNeXtBlockC that changes what"):
        convert(KerasStridesBlock(64, 128, 4, 4, stride=2), "a")


@pytest.mark.parametrize("name", ["BasicBlock", "ResNeXtBlockA", "ResNeXtBlockB", "ResNeXtBlockC", "Bottleneck",
                                  "SEResNeXtBlock", "ResNeStBlock", "Res2NetBlock"])
def test_each_forward_shows_its_shortcut_and_sum_like_torchvision(name):
    import inspect

    from resnext_edu import blocks, family

    forward = inspect.getsource(getattr(blocks, name, None) or getattr(family, name))
    if name == "Bottleneck":  # form (c) with one path: it runs form (c)'s forward
        forward = inspect.getsource(blocks.ResNeXtBlockC)
    assert "identity = x" in forward and "identity = self.downsample(x)" in forward and "out += identity" in forward
