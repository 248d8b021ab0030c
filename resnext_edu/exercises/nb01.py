"""Questions for notebook 01, ResNet recap: residual learning, the two blocks, ResNet-50, shortcuts, gradients.

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016 (Fig. 2, Fig. 5, Table 1),
the network that Xie et al. 2017 (https://arxiv.org/abs/1611.05431) build ResNeXt from, and
He et al., "Identity Mappings in Deep Residual Networks", ECCV 2016
(https://arxiv.org/abs/1603.05027, Sec. 2, Eqs. 4-5) for the gradient through the shortcut.
"""
import copy

import torch
from torch import nn

from ..i18n import N_, _
from .core import CS, EqualityProblem, Incorrect, Problem, bind_exercises


def _convs(module):
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


class IdentityBlock(Problem):
    """q1: one change of weights turns a BasicBlock into the identity (residual learning, Fig. 2)."""

    _var = "identity_block"
    _hints = (
        N_("The block returns ReLU(F(x) + x). For a nonnegative x, what must the residual F(x) be "
           "for the output to equal x?"),
        N_("F(x) ends with `block.bn2`, which computes `weight * x_hat + bias` per channel, and its "
           "`bias` already starts at zero. Which of the two, set to zero, makes F(x) zero everywhere?"),
        N_("`nn.init` has a function that fills a tensor with zeros in place. Apply it to the scale of the "
           "block's last BatchNorm, then assign the block itself to `identity_block`."),
    )
    _solution = CS(
        "block = blocks.BasicBlock(64, 64)\n"
        "nn.init.zeros_(block.bn2.weight)  # the scale of the last BN: F(x) = 0, so the block returns ReLU(x)\n"
        "identity_block = block"
    )
    _typical_mistake = CS(
        "block = blocks.BasicBlock(64, 64)\n"
        "nn.init.zeros_(block.bn2.bias)  # the shift was zero already: nothing changes\n"
        "identity_block = block"
    )
    _correct_message = N_("Right: F(x) is now 0, so the block passes x through its shortcut, while its convs keep "
                          "their random weights. torchvision's `zero_init_residual=True` starts training from this "
                          "point, the last BN's scale at zero in every block, citing Goyal et al. (2017).")

    def _check(self, value):
        if not isinstance(value, nn.Module):
            raise Incorrect(_("Expected `identity_block` to be the block from the starter code (an "
                              "nn.Module), but it is a {kind}.").format(kind=type(value).__name__))
        convs = _convs(value)
        if len(convs) < 2 or not hasattr(value, "downsample"):
            raise Incorrect(_("Expected the residual block from the starter code, `blocks.BasicBlock(64, 64)`, "
                              "with its two convolutions, but got a {kind} with {n} convolution(s). Change its "
                              "weights rather than replacing it.").format(kind=type(value).__name__, n=len(convs)))
        block = copy.deepcopy(value).eval()  # a copy, so checking never touches your BN statistics
        x = torch.rand(2, convs[0].in_channels, 8, 8, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            y = block(x)
        if y.shape != x.shape:
            raise Incorrect(_("Your block maps an input of shape {shape_in} to {shape_out}, so it cannot be the "
                              "identity. Keep `blocks.BasicBlock(64, 64)` with stride 1.").format(
                                  shape_in=tuple(x.shape), shape_out=tuple(y.shape)))
        zeroed = [name for name, m in value.named_modules() if isinstance(m, nn.Conv2d) and not m.weight.any()]
        if zeroed:
            raise Incorrect(_("You zeroed the weights of {names}. That makes F(x) = 0, like the demo above, but "
                              "throws the conv's random start away. Rebuild the block and change one BatchNorm "
                              "parameter instead, keeping every conv as it is.").format(
                                  names=", ".join(f"`{n}`" for n in zeroed)))
        diff = (y - x).abs().max().item()
        if diff > 1e-5:
            raise Incorrect(_("On a nonnegative input your block's output still differs from its input by up "
                              "to {diff:.3g}, so it is not the identity yet. The residual branch F(x) must "
                              "give 0 everywhere. Which parameter of its last BatchNorm multiplies everything "
                              "that comes out? (Its `bias` starts at zero already.)").format(diff=diff))


class BasicBlockParams(EqualityProblem):
    """q2: the conv weights of a basic block at 64 channels, He et al. 2016, Fig. 5 (left)."""

    _var = "basic64_params"
    _expected = 73_728
    _hints = (
        N_("A k×k conv from c_in to c_out channels has k·k·c_in·c_out weights (no bias here)."),
        N_("How many convs does the basic block have, and what are their kernel size and channels? Print "
           "`blocks.BasicBlock(64, 64)` to see. Leave out the BatchNorms, as the paper does."),
        N_("The block has two 3×3 convs, each from 64 to 64 channels: write the formula for one of them, "
           "then count both."),
    )
    _solution = CS("basic64_params = 2 * (3 * 3 * 64 * 64)  # two 3x3 convs, 64 -> 64 channels")
    _typical_mistake = CS("basic64_params = sum(p.numel() for p in blocks.BasicBlock(64, 64).parameters())")
    _mistakes = {
        73_984: N_("That count includes the two BatchNorms (a scale and a shift per channel). The question "
                   "asks for the convolution weights only, the paper's convention."),
        36_864: N_("That is one 3×3 conv. The basic block has two."),
        8_192: N_("That counts one weight per channel pair, but a 3×3 conv has 3·3 = 9 per pair."),
        4_096: N_("That counts one weight per channel pair and one conv; a basic block has two 3×3 convs."),
        1_179_648: N_("That is the basic block at 256 channels, from the section above. This question asks "
                      "about 64 channels."),
    }
    _correct_message = N_("Right: 73,728, about the same as the bottleneck's 69,632 at 256-d. That is He et "
                          "al.'s Fig. 5: for the same cost, the bottleneck block has a 4× wider output.")


class Layer3Shape(Problem):
    """q3: the shape after layer3 for an input that is not 224×224 (He et al. 2016, Table 1)."""

    _var = "layer3_shape"
    _expected = (2, 1024, 10, 10)
    _hints = (
        N_("Which stages halve the height and width? The stem halves twice (conv1 and maxpool), and "
           "layer2, layer3 and layer4 each halve once."),
        N_("After layer3 the image is 16 times smaller on each side than the input, and layer3's blocks "
           "output 1024 channels. The batch size does not change."),
        N_("Divide the input's side by that factor for H and W. To check, run `torch.zeros(2, 3, 160, 160)` "
           "through the stem and layer1 to layer3 of `models.resnet50()`, in the order of the cell above, "
           "and read `.shape`."),
    )
    _solution = CS(
        "# stride 2 in conv1, maxpool and layer2's and layer3's first blocks: 2**4 = 16\n"
        "layer3_shape = (2, 1024, 160 // 16, 160 // 16)"
    )
    _typical_mistake = CS("layer3_shape = (2, 1024, 14, 14)  # copied from the 224x224 table")
    _correct_message = N_("Right: layer3 works at 1/16 of the input's side, whatever that side is. The "
                          "global average pool before `fc` is what lets the network take other sizes.")
    _mistakes = {
        (2, 1024, 14, 14): N_("That is layer3's output for a 224×224 image. Redo the halvings for 160×160."),
        (1, 1024, 10, 10): N_("The batch size passes through every stage unchanged; this input has 2 images."),
        (2, 1024, 20, 20): N_("That is 160 / 8, the size after layer2. layer3's first block halves it once more."),
        (2, 1024, 5, 5): N_("That is 160 / 32, the size after layer4. The question asks about layer3."),
        (2, 512, 20, 20): N_("That is layer2's output. The question asks about layer3."),
        (2, 2048, 5, 5): N_("That is layer4's output. The question asks about layer3."),
    }

    def _check(self, value):
        if isinstance(value, torch.Tensor):
            raise Incorrect(_("`layer3_shape` is a tensor, the feature map itself. Set it to the tensor's "
                              "`.shape` (or a tuple of four numbers)."))
        try:
            shape = tuple(int(s) for s in value)
        except (TypeError, ValueError):
            raise Incorrect(_("Expected a shape of four numbers (N, C, H, W), but `layer3_shape` is "
                              "{value!r}.").format(value=value)) from None
        if shape == self._expected:
            return
        if len(shape) != 4:
            raise Incorrect(_("Expected four numbers (N, C, H, W), but `layer3_shape` has {n}: {shape}.").format(
                n=len(shape), shape=shape))
        advice = self._mistakes.get(shape, N_("Check each part: the batch size, layer3's output channels, "
                                              "and how many times the height and width were halved."))
        raise Incorrect(_("`layer3_shape` is {shape}, which is not right. {advice}").format(
            shape=shape, advice=_(advice)))


class ProjectionBottleneck(Problem):
    """q5: the first block of a stage: 256 → 512 channels, stride 2, with a projection shortcut."""

    _var = "my_block"
    _hints = (
        N_("`blocks.Bottleneck(in_channels, out_channels, stride=...)` builds one bottleneck block."),
        N_("Which channel counts go in and out of layer2's first block, and which stride halves the height "
           "and width?"),
        N_("In and out channels are 256 and 512, and a stride of 2 halves the height and width. The block "
           "adds the projection shortcut (`downsample`) by itself when the shape changes."),
    )
    _solution = CS("my_block = blocks.Bottleneck(256, 512, stride=2)  # like layer2.0 of ResNet-50")
    _typical_mistake = CS("my_block = blocks.Bottleneck(256, 512)  # forgot the stride")
    _expected_params = 379_392  # Bottleneck(256, 512, stride=2) with BN, projection included
    _correct_message = N_("Right: (1, 256, 56, 56) → (1, 512, 28, 28), through a projection shortcut of "
                          "256·512 + 2·512 = 132,096 parameters. This is ResNet-50's `layer2[0]`.")

    def _check(self, value):
        if not isinstance(value, nn.Module):
            raise Incorrect(_("Expected `my_block` to be a block (an nn.Module), but it is a {kind}. Did you "
                              "forget the parentheses, `blocks.Bottleneck(...)`?").format(kind=type(value).__name__))
        x = torch.randn(1, 256, 56, 56, generator=torch.Generator().manual_seed(0))
        block = copy.deepcopy(value).eval()
        try:
            with torch.no_grad():
                y = block(x)
        except RuntimeError as err:
            raise Incorrect(_("Your block fails on an input of shape (1, 256, 56, 56): its first layer must take "
                              "256 channels. (torch said: {error})").format(error=str(err).splitlines()[0])) from None
        if tuple(y.shape) != (1, 512, 28, 28):
            advice = (_("The channels are right but the size is not halved: pass stride=2.")
                      if tuple(y.shape) == (1, 512, 56, 56) else _("Check in_channels, out_channels and stride."))
            raise Incorrect(_("Expected an output of shape (1, 512, 28, 28) for an input of (1, 256, 56, 56), "
                              "but your block gives {shape}. {advice}").format(shape=tuple(y.shape), advice=advice))
        if getattr(value, "downsample", None) is None:
            raise Incorrect(_("The output shape is right, but `my_block.downsample` is None: without a "
                              "projection, x cannot be added to F(x). Use `blocks.Bottleneck`, which adds one."))
        n = sum(p.numel() for p in value.parameters())
        if n != self._expected_params:
            raise Incorrect(_("Expected a bottleneck block with {expected:,} parameters (width 512/4 = 128 inside), "
                              "but yours has {n:,}. Leave bottleneck_width at its default.").format(
                                  expected=self._expected_params, n=n))


class ResNet101Params(EqualityProblem):
    """q4: ResNet-101's parameters from ResNet-50's, without building it (He et al. 2016, Table 1)."""

    _var = "resnet101_params"
    _expected = 44_549_160  # torchvision's resnet101
    _hints = (
        N_("ResNet-101 is ResNet-50 with more blocks in layer3: 23 instead of 6. Everything else is the same."),
        N_("Each extra block is a bottleneck with 1024 channels in and out, like `blocks.Bottleneck(1024, "
           "1024)`. Count all its parameters (BatchNorm included), since 25,557,032 includes them too."),
        N_("Build one such block, count its parameters with `sum(p.numel() for p in block.parameters())`, "
           "and add that count once for every layer3 block that ResNet-101 has and ResNet-50 does not."),
    )
    _solution = CS(
        "extra = blocks.Bottleneck(1024, 1024)  # one more layer3 block: 1024-d in and out, width 256\n"
        "resnet101_params = 25_557_032 + (23 - 6) * sum(p.numel() for p in extra.parameters())"
    )
    _typical_mistake = CS(
        "extra = blocks.Bottleneck(1024, 1024)\n"
        "resnet101_params = 25_557_032 + 23 * sum(p.numel() for p in extra.parameters())"
    )
    _mistakes = {
        51_252_264: N_("You added 23 blocks, but ResNet-50 already has 6 in layer3: only 23 - 6 = 17 are new."),
        44_496_936: N_("Close: you counted only the conv weights of the new blocks. ResNet-50's 25,557,032 "
                       "includes BatchNorm, so count the new blocks' BatchNorms too."),
        26_753_832: N_("You added 256-d blocks (like layer1's). layer3's blocks take and give 1024 channels."),
    }
    _correct_message = N_("Right: 44,549,160, torchvision's resnet101 figure. 17 blocks of 1.1M each are "
                          "74% more parameters for twice the depth.")


class ResidualJacobian(Problem):
    """q6: the Jacobian of two linear residual layers holds the identity (He et al. 2016b, Sec. 2, Eqs. 4-5)."""

    _var = "jacobian"
    _W1 = ((0.5, 0.0), (1.0, 0.0))  # the starter code's W1 and W2
    _W2 = ((0.0, 1.0), (0.0, 0.5))
    _setup = CS("W1 = torch.tensor([[0.5, 0.0], [1.0, 0.0]])\n"
                "W2 = torch.tensor([[0.0, 1.0], [0.0, 0.5]])")
    _hints = (
        N_("Write one layer as a single matrix times its input: x + W x = (something) x. What is the Jacobian "
           "of that layer, and what does the shortcut contribute to it?"),
        N_("The chain rule multiplies the two layers' Jacobians: d x_2 / d x_0 = (d x_2 / d x_1)(d x_1 / d x_0). "
           "Mind the order: the later layer stands on the left."),
        N_("`torch.eye(2)` is the 2×2 identity and `@` multiplies matrices. To check a result, "
           "`torch.autograd.functional.jacobian` takes a function of x_0 and a point such as `torch.zeros(2)`."),
    )
    _solution = CS(
        "I = torch.eye(2)\n"
        "jacobian = (I + W2) @ (I + W1)  # each layer is (I + W) x; the chain rule puts layer 2 on the left"
    )
    _typical_mistake = CS("jacobian = W2 @ W1  # the product of the layers' weights")
    _correct_message = N_("Right: (I + W2)(I + W1) = I + W1 + W2 + W2 W1. The I is the direct term of He et al.'s "
                          "Eq. 5: it passes the gradient from x_2 to x_0 whatever the weights are. The plain stack's "
                          "Jacobian, W2 W1, has a zero second column here, so the second entry of x_0 would get no "
                          "gradient at all.")

    def _check(self, value):
        if isinstance(value, torch.Tensor):
            value = value.detach()
        try:
            got = torch.as_tensor(value, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            raise Incorrect(_("Expected a 2×2 tensor (or nested list) of numbers, but `jacobian` is "
                              "{value!r}.").format(value=value)) from None
        if got.shape != (2, 2):
            raise Incorrect(_("Expected a 2×2 matrix: x_0 and x_2 have two entries each, so the Jacobian has "
                              "2 rows and 2 columns. Yours has shape {shape}.").format(shape=tuple(got.shape)))
        I = torch.eye(2, dtype=torch.float64)
        W1, W2 = torch.tensor(self._W1, dtype=torch.float64), torch.tensor(self._W2, dtype=torch.float64)
        expected = (I + W2) @ (I + W1)
        if torch.allclose(got, expected, atol=1e-6):
            return
        mistakes = [
            (W2 @ W1, N_("That is the Jacobian of the plain stack x_2 = W2 W1 x_0: you left out both shortcuts. "
                         "Each residual layer computes x + W x, so its Jacobian has the identity in it too.")),
            (W1 + W2, N_("You added the two layers' weights but left out the identity that the shortcuts carry, "
                         "and the path through both layers.")),
            (I + W1 + W2, N_("Close: that has the direct term I and each layer's own term, but multiplying the two "
                             "layers' Jacobians also gives a term for the path through both weight layers.")),
            (I + W2 @ W1, N_("That is the direct term plus the path through both weight layers, but the paths "
                             "through only one of them (one shortcut, one weight layer) are missing.")),
            ((I + W1) @ (I + W2), N_("The factors are in the wrong order. x_2 depends on x_1 through layer 2, so by "
                                     "the chain rule layer 2's Jacobian stands on the left.")),
            (expected.T, N_("That is the transpose. Row i of the Jacobian holds the derivatives of the i-th entry "
                            "of x_2 with respect to each entry of x_0.")),
            (I, N_("That is only the direct term, the identity. The weight layers add their own terms to it.")),
        ]
        advice = next((text for m, text in mistakes if torch.allclose(got, m, atol=1e-6)),
                      N_("Work layer by layer: write each layer's Jacobian, then multiply them (or call `.hint()`)."))
        raise Incorrect(_("`jacobian` is {value}, which is not right. {advice}").format(
            value=got.tolist(), advice=_(advice)))


bind_exercises(globals(), [IdentityBlock, BasicBlockParams, Layer3Shape, ResNet101Params, ProjectionBottleneck,
                           ResidualJacobian])
