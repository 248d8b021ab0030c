"""Where a network spends its parameters and MACs: a bar chart of counting.breakdown, stage by stage.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Table 1: the stages conv1 to conv5 and fc.
"""
from ..counting import Breakdown, breakdown
from ..i18n import _
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
            raise ValueError(_("plot_breakdown needs input_size=(channels, height, width) with a model"))
        rows = breakdown(module_or_breakdown, input_size)
    if ax is None:
        ax = new_figure(9, 3.2, layout="constrained").subplots(1, 2)
    ax_macs, ax_params = ax
    labels = [f"{r.name}\n({r.paper_stage})" if r.paper_stage else r.name for r in rows]
    ax_macs.bar(labels, [r.macs / 1e9 for r in rows], color=PALETTE["blue"])
    ax_macs.set_ylabel(_("GMACs (paper: GFLOPs)"))
    ax_macs.set_title(_("MACs per stage, total {total:.2f} G").format(total=sum(r.macs for r in rows) / 1e9))
    ax_params.bar(labels, [r.params / 1e6 for r in rows], color=PALETTE["orange"])
    ax_params.set_ylabel(_("parameters (M)"))
    ax_params.set_title(_("Parameters per stage, total {total:.1f} M").format(total=sum(r.params for r in rows) / 1e6))
    for a in ax:
        a.tick_params(axis="x", labelsize=8)
        a.set_xlabel(_("stage (the paper's name, Table 1)"))
    fig = ax_macs.figure
    macs = ", ".join(f"{r.name} {r.macs / 1e9:.2f}" for r in rows)
    params = ", ".join(f"{r.name} {r.params / 1e6:.1f}" for r in rows)
    fig.alt_text = _("Two bar charts, one bar per stage. MACs (billions): {macs}. Parameters (millions): "
                     "{params}.").format(macs=macs, params=params)
    return fig
