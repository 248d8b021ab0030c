"""Pictures for the course: block diagrams, grouped-convolution masks, an animation, feature maps.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. Every function returns a `matplotlib.figure.Figure` (or a
`FuncAnimation`) that lives outside pyplot, so a notebook shows it once, when a cell returns it.
"""
from .animation import animate_grouping, grouping_caption, grouping_cost, save_grouping_gif
from .diagrams import (FORMS, BlockDiagram, block_labels, draw_block, draw_block_forms, draw_connectivity,
                       weight_mask)
from .features import group_features, sample_image, show_group_features

__all__ = [
    "FORMS", "BlockDiagram", "block_labels", "draw_block", "draw_block_forms", "draw_connectivity",
    "weight_mask", "animate_grouping", "grouping_caption", "grouping_cost", "save_grouping_gif",
    "group_features", "sample_image", "show_group_features",
]
