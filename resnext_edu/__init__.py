"""Learn ResNeXt (Xie et al., CVPR 2017, arXiv:1611.05431) by building it in PyTorch.

The layers, from the bottom up (tests/test_layers.py keeps the imports pointing down):
    checks, tables, registry, trace   argument checks, the table renderer, the model registry, the tracer
    grouped -> blocks -> models       grouped convolution, the blocks of Fig. 1 and 3, the networks
    family                            ResNeXt's relatives, built from blocks and models.ResNet
    complexity -> counting            closed-form params and MACs; counting real modules, the paper's tables
    data -> checkpoints -> train      Fashion-MNIST, checkpoints, the training loop; experiment runs many
    diagnose, pitfalls                the inspector (any nn.Module) and the bugs it finds
    viz, widgets, exercises           pictures, explorers and questions for the notebooks
"""
from . import family, models  # noqa: F401  importing them registers every named model

__version__ = "0.1.0"
from .i18n import set_language  # noqa: E402,F401  set_language("ko"): the package speaks Korean
