"""Residual blocks: ResNet's basic and bottleneck blocks, and ResNeXt's three equivalent forms.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. The layout follows torchvision's models/resnet.py ("ResNet
v1.5": the stride sits on the 3x3 conv), and form (c) keeps its layer names, so torchvision's
weights load into our models. One module per block:
    layers.py   conv3x3, conv1x1, the projection shortcut, the blocks' argument check
    resnet.py   BasicBlock and Bottleneck (He et al. 2016, Fig. 5)
    form_a.py   Path and ResNeXtBlockA: C paths, summed (Fig. 3(a))
    form_b.py   ResNeXtBlockB: C paths, concatenated, one 1x1 (Fig. 3(b))
    form_c.py   ResNeXtBlockC: one grouped 3x3 (Fig. 3(c))
    convert.py  convert(block, form): the same block in another form, weights copied (Sec. 3.3)

Every block takes the same arguments, named as in the paper:
    in_channels, out_channels, cardinality (C), bottleneck_width (d, channels per path), stride.
The group width, C·d, is the number of channels inside the block's 3x3 stage.
"""
from .convert import BLOCK_FORMS, FORMS, convert, form_of
from .form_a import Path, ResNeXtBlockA
from .form_b import ResNeXtBlockB
from .form_c import ResNeXtBlockC
from .layers import check_block_args, conv1x1, conv3x3, shortcut
from .resnet import BasicBlock, Bottleneck

__all__ = ["BLOCK_FORMS", "FORMS", "BasicBlock", "Bottleneck", "Path", "ResNeXtBlockA", "ResNeXtBlockB",
           "ResNeXtBlockC", "check_block_args", "conv1x1", "conv3x3", "convert", "form_of", "shortcut"]
