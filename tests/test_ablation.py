"""ablation: switching off one path of a block equals removing its channels from the last 1x1 conv.

The reference is computed another way: a copy of the block whose conv3 ignores the path's
channels (their input columns zeroed). Tiny blocks and models, on random data: milliseconds.
"""
import copy

import pytest
import torch

from resnext_edu import ablation, train
from resnext_edu.blocks import Bottleneck, ResNeXtBlockC


def trained_like(module, seed=0):
    """Random BN statistics and affine parameters, as after training, in eval mode."""
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g))
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.num_features, generator=g))
                m.bias.copy_(torch.randn(m.num_features, generator=g))
    return module.eval()


@pytest.mark.parametrize("path", [0, 2])
def test_a_path_off_is_the_last_conv_without_its_channels(path):
    torch.manual_seed(0)
    block = trained_like(ResNeXtBlockC(16, 16, cardinality=4, bottleneck_width=3))
    x = torch.randn(2, 16, 5, 5)
    [(_, channels)] = [s for s in ablation.path_slices(block) if s[0] == path]
    assert list(channels) == list(range(3 * path, 3 * path + 3))
    reference = copy.deepcopy(block)
    with torch.no_grad():
        reference.conv3.weight[:, list(channels)] = 0  # the last 1x1 conv never reads the path
        expected = reference(x)
    before = {k: v.clone() for k, v in block.state_dict().items()}
    with torch.no_grad(), ablation.channels_off(block.bn2, channels):
        off = block(x)
    assert torch.allclose(off, expected, atol=1e-6)
    assert not torch.allclose(off, block(x).detach(), atol=1e-3)  # the path did carry something
    assert all(torch.equal(v, block.state_dict()[k]) for k, v in before.items())  # restored exactly


def test_slices_of_a_dense_bottleneck_and_bad_widths():
    block = Bottleneck(32, 32, bottleneck_width=8)  # ResNet's bottleneck: a dense 3x3 of 8 channels
    n = block.conv2.out_channels
    assert [list(c) for _, c in ablation.path_slices(block)] == [list(range(n))]  # C = 1: one path
    assert len(ablation.path_slices(block, width=4)) == n // 4
    with pytest.raises(ValueError, match=f"width=3 does not divide the 3x3 conv's {n} output channels"):
        ablation.path_slices(block, width=3)
    with pytest.raises(TypeError, match="pass a ResNeXtBlockC or a Bottleneck"):
        ablation.path_slices(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"channels \[99\] are out of range"):
        with ablation.channels_off(block.bn2, [99]):
            pass


def test_ablate_paths_on_a_tiny_model():
    torch.manual_seed(0)
    model = trained_like(train.build_model(4, 2, 2, (8, 16, 32), 8))
    images = torch.randint(0, 256, (64, 28, 28), dtype=torch.uint8)
    labels = torch.randint(0, 10, (64,))
    table = ablation.ablate_paths(model, "layer1.1", images, labels)
    assert [r.path for r in table] == [0, 1, 2, 3] and all(len(r.channels) == 2 for r in table)
    assert all(r.baseline == ablation.accuracy(model, images, labels) for r in table)  # weights restored
    assert all(r.drop == pytest.approx(r.baseline - r.accuracy) for r in table)
    assert "layer1.1: each path of its 3x3 switched off in turn" in str(table)
    with pytest.raises(ValueError, match="block_name='layer9.0' is not a block of this model; try one of layer1.0"):
        ablation.ablate_paths(model, "layer9.0", images, labels)


def test_keep_one_path_is_the_last_conv_reading_only_that_path():
    torch.manual_seed(0)
    block = trained_like(ResNeXtBlockC(16, 16, cardinality=4, bottleneck_width=3))
    x = torch.randn(2, 16, 5, 5)
    reference = copy.deepcopy(block)
    with torch.no_grad():
        reference.conv3.weight[:, [c for c in range(12) if c not in (3, 4, 5)]] = 0  # reads path 1 only
        expected = reference(x)
    others = [c for c in range(12) if c not in (3, 4, 5)]
    with torch.no_grad(), ablation.channels_off(block.bn2, others):
        assert torch.allclose(block(x), expected, atol=1e-6)


def test_random_slices_are_reproducible_sets_of_distinct_channels():
    slices = ablation.random_slices(32, 12, count=8, seed=0)
    assert slices == ablation.random_slices(32, 12, count=8, seed=0)
    assert slices != ablation.random_slices(32, 12, count=8, seed=1)
    assert [i for i, _ in slices] == list(range(8))
    assert all(len(set(c)) == 12 and list(c) == sorted(c) and set(c) <= set(range(32)) for _, c in slices)
    assert len({c for _, c in slices}) > 1  # different draws, not one set 8 times
    with pytest.raises(ValueError, match="width=40 must be a whole number from 1 to 32: channels per set"):
        ablation.random_slices(32, 40, count=2)


def test_ablate_paths_keep_and_slices_on_a_tiny_model():
    torch.manual_seed(0)
    model = trained_like(train.build_model(1, 8, 2, (8, 16, 32), 8))  # a ResNet: one dense path of 8
    images = torch.randint(0, 256, (64, 28, 28), dtype=torch.uint8)
    labels = torch.randint(0, 10, (64,))
    slices = ablation.random_slices(8, 3, count=4)
    off = ablation.ablate_paths(model, "layer1.1", images, labels, slices=slices)
    assert [r.channels for r in off] == [c for _, c in slices]
    block = model.layer1[1]
    for row in off:  # each row is that set switched off, computed directly
        with ablation.channels_off(block.bn2, row.channels):
            assert row.accuracy == ablation.accuracy(model, images, labels)
    alone = ablation.ablate_paths(model, "layer1.1", images, labels, slices=slices, keep=True)
    for row in alone:
        with ablation.channels_off(block.bn2, [c for c in range(8) if c not in row.channels]):
            assert row.accuracy == ablation.accuracy(model, images, labels)
    assert "only this path kept on" in str(alone) and "switched off in turn" in str(off)
    with pytest.raises(ValueError, match="either width or slices"):
        ablation.ablate_paths(model, "layer1.1", images, labels, width=2, slices=slices)
