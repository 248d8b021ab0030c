"""Learn ResNeXt (Xie et al., CVPR 2017, arXiv:1611.05431) by building it in PyTorch."""
from .diagnose import diagnose  # noqa: F401  resnext_edu.diagnose(model) inspects any nn.Module

__version__ = "0.1.0"
