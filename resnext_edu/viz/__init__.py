"""Pictures for the course: block diagrams, grouped-convolution masks and drawings, feature maps.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. Every drawing function returns a `matplotlib.figure.Figure` that
lives outside pyplot, so a notebook shows it once, when a cell returns it (save_grouping_gif writes a GIF).
    figures.py          new_figure (a Figure with its own Agg canvas), show (a PNG with alt text)
    style.py            the course style: a colour-blind-safe palette, labels on the lines
    engine.py           the diagram engine: Spec (nodes and edges), Diagram (draws one on an Axes)
    block_diagrams.py   ResNet's bottleneck and ResNeXt's forms a, b, c (Fig. 1 and 3)
    family_diagrams.py  SE, ResNeSt, Res2Net, ReXNet and Inception-ResNet-A blocks
    masks.py            which inputs feed which outputs in a grouped convolution (Sec. 3.3)
    grouped_drawing.py  a grouped conv as boxes and lines (the widget draws the same), the README GIF
    features.py         a grouped convolution's feature maps on a photo, one row per group
    breakdown.py        params and MACs per stage (Table 1)
    assets.py           `make assets`: the pictures in assets/
"""
from .block_diagrams import FORMS, block_labels, block_spec, draw_block, draw_block_forms
from .breakdown import plot_breakdown
from .engine import Diagram, Spec, draw, draw_row, meta_block, spec_size
from .family_diagrams import KINDS as FAMILY_KINDS
from .family_diagrams import draw_beside_resnext, draw_family_block, family_block_labels, family_spec
from .features import group_features, sample_image, show_group_features
from .figures import new_figure, show
from .grouped_drawing import draw_grouped_conv, grouped_conv_drawing, grouping_caption, save_grouping_gif
from .style import PALETTE, label_lines, use as use_style
from .masks import draw_connectivity, mask_axes, mask_title, weight_mask

__all__ = [
    "FAMILY_KINDS", "FORMS", "Diagram", "Spec", "block_labels", "block_spec", "draw_grouped_conv",
    "draw", "draw_beside_resnext", "draw_block", "draw_block_forms", "draw_connectivity", "draw_family_block",
    "draw_row", "family_block_labels", "family_spec", "group_features", "grouped_conv_drawing", "grouping_caption",
    "mask_axes", "mask_title", "meta_block", "new_figure", "plot_breakdown", "sample_image", "save_grouping_gif",
    "show_group_features", "spec_size", "weight_mask", "PALETTE", "label_lines", "show", "use_style",
]
