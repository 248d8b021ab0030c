"""Learn ResNeXt (Xie et al., CVPR 2017, arXiv:1611.05431) by building it in PyTorch."""

__version__ = "0.1.0"
