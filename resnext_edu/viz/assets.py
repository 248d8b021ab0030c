"""`make assets`: regenerate every picture in assets/ (python -m resnext_edu.viz.assets).

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. The pictures are made from code, never edited by hand, and
the same code gives the same files: PNGs carry no version stamp, the random weights are seeded.
"""
import argparse
from pathlib import Path

import torch
from torch import nn

from ..i18n import _
from .block_diagrams import draw_block_forms
from .features import show_group_features
from .figures import new_figure
from .grouped_drawing import save_grouping_gif
from .masks import draw_connectivity

ROOT = Path(__file__).resolve().parents[2]
PNG = dict(dpi=100, metadata={"Software": None})  # no matplotlib version in the file: stable bytes


def connectivity_figure(channels=16, groups_list=(1, 2, 4, 16)):
    """Weight masks from dense to depthwise, side by side (Xie et al. 2017, Sec. 3.3)."""
    fig = new_figure(2.9 * len(groups_list), 3.0, layout="constrained")
    for ax, g in zip(fig.subplots(1, len(groups_list)), groups_list):
        draw_connectivity(channels, channels, g, ax=ax)
    return fig


def features_figure():
    """A seeded 5x5 conv with groups=3 on the photo: group k sees only colour k."""
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 12, 5, padding=2, groups=3, bias=False)
    fig = show_group_features(conv, groups_to_show=[0, 1, 2], channels_per_group=4)
    fig.suptitle(_("groups=3 on an RGB photo: rows see only red, green, blue"), fontsize=9)
    return fig


def main(out_dir=None):
    """Write grouping.gif, block_forms.png, connectivity.png and group_features.png; returns their paths."""
    out = Path(out_dir) if out_dir is not None else ROOT / "assets"
    out.mkdir(parents=True, exist_ok=True)
    paths = [save_grouping_gif(out / "grouping.gif")]
    for name, make in [("block_forms.png", draw_block_forms), ("connectivity.png", connectivity_figure),
                       ("group_features.png", features_figure)]:
        make().savefig(out / name, **PNG)
        paths.append(out / name)
    for p in paths:
        print(f"wrote {p} ({p.stat().st_size / 1024:.0f} KB)")
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="folder to write to (default: the repo's assets/)")
    main(parser.parse_args().out)
