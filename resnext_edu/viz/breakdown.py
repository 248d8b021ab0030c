"""Where a network spends its parameters and MACs: a bar chart of counting.breakdown, stage by stage.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Table 1: the stages conv1 to conv5 and fc.
"""
from ..counting import Breakdown, breakdown
from .figures import new_figure
from .style import PALETTE


def plot_breakdown(module_or_breakdown, input_size=None, ax=None):
    """Bar chart of MACs and parameters per stage; returns the matplotlib Figure.

    Pass a model and its input_size, or a Breakdown. With ax (two Axes), draws into them.
    The figure lives outside pyplot, so it shows once: as the cell's value in a notebook.
    """
    if isinstance(module_or_breakdown, Breakdown):
        rows = module_or_breakdown
    else:
        if input_size is None:
            raise ValueError("plot_breakdown needs input_size=(channels, height, width) with a model")
        rows = breakdown(module_or_breakdown, input_size)
    if ax is None:
        ax = new_figure(9, 3.2, layout="constrained").subplots(1, 2)
    ax_macs, ax_params = ax
    labels = [f"{r.name}\n({r.paper_stage})" if r.paper_stage else r.name for r in rows]
    ax_macs.bar(labels, [r.macs / 1e9 for r in rows], color=PALETTE["blue"])
    ax_macs.set_ylabel("GMACs (paper: GFLOPs)")
    ax_macs.set_title(f"MACs per stage, total {sum(r.macs for r in rows) / 1e9:.2f} G")
    ax_params.bar(labels, [r.params / 1e6 for r in rows], color=PALETTE["orange"])
    ax_params.set_ylabel("parameters (M)")
    ax_params.set_title(f"Parameters per stage, total {sum(r.params for r in rows) / 1e6:.1f} M")
    for a in ax:
        a.tick_params(axis="x", labelsize=8)
        a.set_xlabel("stage (the paper's name, Table 1)")
    fig = ax_macs.figure
    fig.alt_text = ("Two bar charts, one bar per stage. MACs (billions): "
                    + ", ".join(f"{r.name} {r.macs / 1e9:.2f}" for r in rows)
                    + ". Parameters (millions): " + ", ".join(f"{r.name} {r.params / 1e6:.1f}" for r in rows) + ".")
    return fig
