"""The ResNet family around ResNeXt: SE-ResNeXt, ResNeSt, Res2Net, ReXNet and Inception-ResNet-A.

One module per idea, each reusing models.ResNet where the network is a ResNet (so a new member
adds only a block, as in timm), with layer names that follow timm's so its weights load. Their
builders are registered by name (resnext_edu.registry); their pictures are in resnext_edu.viz,
their explorer in resnext_edu.widgets.
    se.py                SE module, SE-ResNeXt (Hu et al. 2018, arXiv:1709.01507)
    resnest.py           split attention, ResNeSt (Zhang et al. 2020, arXiv:2004.08955)
    res2net.py           hierarchical 3x3 parts, Res2Net and Res2NeXt (Gao et al. 2019, arXiv:1904.01169)
    rexnet.py            inverted residuals with linear widths, ReXNet (Han et al. 2021, arXiv:2007.00992)
    inception_resnet.py  Inception-ResNet-A (Szegedy et al. 2017, arXiv:1602.07261)
"""
# In notebook 06's order, which is also the order the builders are registered in.
from .se import SEModule, SEResNeXtBlock, seresnext, seresnext50_32x4d  # isort: skip
from .resnest import ResNeSt, ResNeStBlock, SplitAttention, resnest14d, resnest26d, resnest50d  # isort: skip
from .res2net import Res2NetBlock, res2net, res2net50_14w_8s, res2net50_26w_4s, res2next50  # isort: skip
from .rexnet import InvertedResidual, ReXNet, rexnet_100, rexnet_150  # isort: skip
from .inception_resnet import InceptionResNetA, resnext_beside  # isort: skip

__all__ = [
    "InceptionResNetA", "InvertedResidual", "Res2NetBlock", "ReXNet", "ResNeSt", "ResNeStBlock", "SEModule",
    "SEResNeXtBlock", "SplitAttention", "res2net", "res2net50_14w_8s", "res2net50_26w_4s", "res2next50",
    "resnest14d", "resnest26d", "resnest50d", "resnext_beside", "rexnet_100", "rexnet_150", "seresnext",
    "seresnext50_32x4d",
]
