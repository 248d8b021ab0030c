"""Counting parameters and multiply-accumulates (MACs), the paper's measures of complexity.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. Tables 1 and 2 compare models of "preserved complexity"
(Sec. 3.4): about the same number of parameters and of FLOPs.

What counts what (at 224x224, batch 1):
- The paper's "FLOPs" are multiply-accumulates (MACs) of the conv and fc layers. So are ours:
  `count_macs` counts one MAC per weight of a conv per output position, and one per weight of
  a linear layer per row. BatchNorm, ReLU, pooling and the residual additions count nothing,
  as in the paper: they are cheap next to the convolutions.
- `torch.utils.flop_counter.FlopCounterMode` counts 2 FLOPs per MAC (a multiply and an add)
  and ignores biases. Its forward count of grouped convolutions is right; its backward count
  overstates the weight gradient of a grouped conv by a factor of `groups` (it uses all input
  channels instead of C_in/groups).
- torchinfo 1.8.0's "Mult-Adds" sums, over leaf modules, the module's parameter count times:
  the batch size and the output's spatial positions for a module whose class name contains
  "Conv" (so a conv bias adds one per output value), and the batch size alone for any other
  module with parameters. A Linear layer therefore adds its bias (out_features per row), and
  a BatchNorm2d adds its 2·C weights and biases once per image, not per position. For our
  models (convs without bias): Mult-Adds = MACs + fc.out_features + BatchNorm parameters.

count_macs learns each layer's output size from one forward pass (resnext_edu.trace), run on the
meta device (shapes, no data) so it costs no arithmetic and no memory. resnext_edu.complexity
gives the same numbers from formulas alone, fast enough for a slider.
"""
import math
import re
from dataclasses import dataclass

import torch
from torch import nn

from .blocks import ResNeXtBlockC
from .checks import check_module
from .complexity import equal_complexity_width
from .i18n import N_, _
from .registry import MODELS
from .tables import Column, Table
from .trace import trace

_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


# ---------------------------------------------------------------------------------------------
# Parameters and MACs of a built module.


def count_params(module, trainable_only=False):
    """Number of parameters (each shared tensor once), as a plain int; nanoGPT's get_num_params."""
    check_module(module, "count_params")
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def conv_macs(conv, output_shape):
    """H_out·W_out·k_h·k_w·(C_in/groups)·C_out: one MAC per weight per output position.

    The C_in/groups is why a grouped conv with C groups costs C times less (Sec. 3.3).
    output_shape is the conv's output (N, C_out, H_out, W_out); N counts too.
    """
    n, c_out, *spatial = output_shape
    in_per_group = conv.in_channels // conv.groups
    return n * math.prod(spatial) * math.prod(conv.kernel_size) * in_per_group * c_out


def linear_macs(linear, output_shape):
    """rows·in_features·out_features: one MAC per weight per row (bias adds not counted)."""
    rows = math.prod(output_shape) // linear.out_features
    return rows * linear.in_features * linear.out_features


def layer_macs(layer, output_shape):
    """MACs of one call of a conv or linear layer; 0 for every other layer (BN, ReLU, pools)."""
    if isinstance(layer, _CONVS):
        return conv_macs(layer, output_shape)
    if isinstance(layer, nn.Linear):
        return linear_macs(layer, output_shape)
    return 0


def _calls(module, input_size, caller):
    """[(name, layer, output_shape)] of one forward of an image of input_size, one per module call.

    Eval mode, no gradients; on the meta device when it can (shapes only), else on real data.
    A forward that fails is a ValueError that says what torch said.
    """
    check_module(module, caller)
    result = trace(module, input_size)
    if result.error:
        _kind, said = result.error
        raise ValueError(_("input_size {size} does not fit {model}: too small, or the wrong number of channels? "
                           "(torch said: {said})").format(size=tuple(input_size), model=type(module).__name__,
                                                          said=said))
    return [(c.name, c.module, c.out_shape) for c in result.calls if c.out_shape]


def count_macs(module, input_size):
    """Multiply-accumulates of all conv and fc layers for one input of size (C, H, W).

    These are the paper's "FLOPs" (Xie et al. 2017, Table 1): ResNeXt-50 (32x4d) has 4.2 G at
    (3, 224, 224). BN, ReLU, pooling and additions are not counted. A layer called twice
    counts twice.
    """
    return sum(layer_macs(layer, shape) for _name, layer, shape in _calls(module, input_size, "count_macs"))


# ---------------------------------------------------------------------------------------------
# Per-stage and per-layer breakdown, printable as a table.


def _stage_namer(module):
    """name -> stage: children before layer1 are the stem, those after the last layer the head."""
    names = [name for name, _child in module.named_children()]
    layers = [i for i, name in enumerate(names) if re.fullmatch(r"layer\d+", name)]
    if layers:
        first, last = layers[0], layers[-1]
        stage_of = {n: "stem" if i < first else "head" if i > last else n for i, n in enumerate(names)}
    else:
        stage_of = {n: n for n in names}  # not a ResNet: each top-level child is a stage
    own = type(module).__name__  # the model itself: its own parameters, or a model without children
    return lambda name: stage_of.get(name.split(".")[0], own) if name else own


def paper_stage(stage):
    """The paper's name of a stage (Table 1): stem -> conv1, layer1 -> conv2, ..., head -> fc."""
    if stage == "stem":
        return "conv1"
    if stage == "head":
        return "fc"
    match = re.fullmatch(r"layer(\d+)", stage)
    return f"conv{int(match[1]) + 1}" if match else ""


@dataclass(frozen=True)
class Row:
    """One stage (or one layer) of a breakdown: where it sits, its parameters and MACs."""

    name: str             # "layer1", or per layer "layer1.0.conv2"
    stage: str            # "stem", "layer1".."layer4", "head"
    paper_stage: str      # the paper's name, Table 1: "conv1".."conv5", "fc"
    kind: str             # module class, e.g. "Conv2d"; "" for a stage
    output_shape: tuple   # (C, H, W) of its output, without the batch dimension
    params: int
    macs: int
    params_share: float   # fraction of the whole model's parameters, 0..1
    macs_share: float     # fraction of the whole model's MACs, 0..1


def _share(part, whole):
    return part / whole if whole else 0.0


def _shape(shape):
    return "x".join(map(str, shape))


class Breakdown(Table):
    """Parameters and MACs per stage (or per layer), with their shares of the whole model."""

    def __init__(self, rows, title=""):
        super().__init__(rows)
        self.title = title
        self.total_params = sum(r.params for r in rows)
        self.total_macs = sum(r.macs for r in rows)
        first = N_("layer") if rows and rows[0].kind else N_("stage")  # headers are translated where shown
        self.columns = (
            Column(first, lambda r: r.name),
            Column(N_("paper"), lambda r: r.paper_stage),
            Column(N_("output"), lambda r: _shape(r.output_shape), "right"),
            Column(N_("params"), lambda r: f"{r.params:,}", "right"),
            Column("%", lambda r: f"{100 * r.params_share:.1f}", "right"),
            Column("MACs", lambda r: f"{r.macs:,}", "right"),
            Column("%", lambda r: f"{100 * r.macs_share:.1f}", "right"),
        )

    def footer(self):
        return [_("total"), "", "", f"{self.total_params:,}", "100.0", f"{self.total_macs:,}", "100.0"]


def breakdown(module, input_size, layers=False):
    """Parameters and MACs of each stage (Xie et al. 2017, Table 1's rows), or of each layer.

    Stages are the model's top-level children: the stem (conv1, bn1, relu, maxpool, the
    paper's conv1), layer1..layer4 (the paper's conv2..conv5) and the head (avgpool, fc).
    Table 1 puts the max pool at the start of conv2; it has no weights and no MACs, so only the
    stem's output size differs (56x56 here, 112x112 in the paper). With layers=True there is
    one row per layer that has parameters or MACs (convs, BNs, fc).
    """
    calls = _calls(module, input_size, "breakdown")
    rows = _layer_rows(module, calls)
    if not layers:
        rows = _stage_rows(module, calls, rows)
    title = (_("{model}, input {size}: per layer") if layers else _("{model}, input {size}: per stage")).format(
        model=model_name(module), size=tuple(input_size))
    return Breakdown(rows, title)


def model_name(module):
    """The paper's name of a ResNet-style model read off its stages: "ResNeXt-50 (32x4d)", "ResNet-18".

    Blocks per stage give the depth (3 layers per bottleneck, 2 per basic block, plus the stem conv
    and the fc); the first block's 3x3 conv gives C (its groups) and d (its width / C). Any other
    module keeps its class name.
    """
    stages = [getattr(module, f"layer{i}", None) for i in range(1, 5)]
    stages = [s for s in stages if isinstance(s, nn.Sequential) and len(s)]
    first = stages[0][0] if stages else None
    conv = getattr(first, "conv2", None)
    if not isinstance(conv, nn.Conv2d):
        return type(module).__name__
    per_block = 3 if isinstance(getattr(first, "conv3", None), nn.Conv2d) else 2
    depth = per_block * sum(len(s) for s in stages) + 2
    c, d = conv.groups, conv.out_channels // conv.groups
    se = "SE-" if isinstance(getattr(first, "se", None), nn.Module) else ""  # a squeeze-excitation gate
    if per_block == 2 or c == 1:
        return f"{se}ResNet-{depth}" + ("" if per_block == 2 or d == 64 else f" ({c}x{d}d)")
    return f"{se}ResNeXt-{depth} ({c}x{d}d)"


def _layer_rows(module, calls):
    """One Row per module with parameters of its own or MACs, in the model's order."""
    stage = _stage_namer(module)
    macs, shapes = {}, {}
    for name, layer, shape in calls:
        macs[name] = macs.get(name, 0) + layer_macs(layer, shape)
        shapes[name] = shape[1:]  # without the batch
    total_params, total_macs = count_params(module), sum(macs.values())
    rows = []
    for name, layer in module.named_modules():
        params = sum(p.numel() for p in layer.parameters(recurse=False))  # its own, not its children's
        n_macs = macs.get(name, 0)
        if params or n_macs:
            rows.append(Row(name or type(module).__name__, stage(name), paper_stage(stage(name)),
                            type(layer).__name__, shapes.get(name, ()), params, n_macs,
                            _share(params, total_params), _share(n_macs, total_macs)))
    return rows


def _stage_rows(module, calls, layer_rows):
    """Sum the layer rows of each stage; a stage's output is its last top-level child's."""
    stage = _stage_namer(module)
    top = [(name, shape) for name, _layer, shape in calls if "." not in name]
    out = {stage(name): shape[1:] for name, shape in top if name or len(top) == 1}
    sums = {}  # stage: (params, MACs, params share, MACs share), in the model's order
    for r in layer_rows:
        p, m, p_share, m_share = sums.get(r.stage, (0, 0, 0.0, 0.0))
        sums[r.stage] = (p + r.params, m + r.macs, p_share + r.params_share, m_share + r.macs_share)
    return [Row(s, s, paper_stage(s), "", out.get(s, ()), *sums[s]) for s in sums]


# ---------------------------------------------------------------------------------------------
# The paper's tables, recomputed from our models.


def _signed(x, digits):
    return f"{x:+.{digits}f}"


@dataclass(frozen=True)
class Table1Row:
    """One model of Xie et al. 2017, Table 1: our counts beside the paper's."""

    model: str            # the paper's name, e.g. "ResNeXt-50 (32x4d)"
    name: str             # key in registry.MODELS
    params: int           # counted on our model
    macs: int             # counted on our model, at 224x224
    paper_params: float   # millions, as printed
    paper_gflops: float   # billions of MACs, as printed ("FLOPs")

    @property
    def params_diff(self):
        """Ours minus the paper's, in millions."""
        return self.params / 1e6 - self.paper_params

    @property
    def gmacs_diff(self):
        """Ours minus the paper's, in billions."""
        return self.macs / 1e9 - self.paper_gflops


class PaperTable1(Table):
    title = N_("Xie et al. 2017, Table 1: ResNet-50 vs ResNeXt-50 (32x4d) at 224x224")  # translated where shown
    columns = (
        Column(N_("model"), lambda r: r.model),
        Column(N_("params"), lambda r: f"{r.params:,}", "right"),
        Column(N_("paper"), lambda r: f"{r.paper_params:.1f}M", "right"),
        Column(N_("diff"), lambda r: _signed(r.params_diff, 2) + "M", "right"),
        Column("GMACs", lambda r: f"{r.macs / 1e9:.2f}", "right"),
        Column(N_("paper GFLOPs"), lambda r: f"{r.paper_gflops:.1f}", "right"),
        Column(N_("diff"), lambda r: _signed(r.gmacs_diff, 2), "right"),
    )


# (paper name, models name, params in millions, GFLOPs), as printed in Table 1.
PAPER_TABLE1 = [
    ("ResNet-50", "resnet50", 25.5, 4.1),
    ("ResNeXt-50 (32x4d)", "resnext50_32x4d", 25.0, 4.2),
]


def paper_table1():
    """Xie et al. 2017, Table 1: params and FLOPs of ResNet-50 and ResNeXt-50, ours beside the paper's.

    The paper rounds 25.56M down to 25.5M; the FLOPs agree to the printed digit.
    """
    rows = []
    for model, name, paper_params, paper_gflops in PAPER_TABLE1:
        builder, input_size = MODELS[name]
        with torch.device("meta"):  # counting needs shapes, not weights: build without memory
            net = builder()
        rows.append(Table1Row(model, name, count_params(net), count_macs(net, input_size),
                              paper_params, paper_gflops))
    return PaperTable1(rows)


@dataclass(frozen=True)
class Table2Row:
    """One cardinality of Xie et al. 2017, Table 2: the paper's width beside ours."""

    cardinality: int        # C
    paper_width: int        # d as printed
    paper_group_width: int  # C·d as printed
    width: int              # our equal_complexity_width(C)
    block_params: int       # conv weights of our ResNeXtBlockC(256, 256, C, width)
    reference_params: int   # ResNet's bottleneck, C = 1, d = 64

    @property
    def group_width(self):
        """C·d, the channels of the grouped 3x3 conv."""
        return self.cardinality * self.width


class PaperTable2(Table):
    title = N_("Xie et al. 2017, Table 2: (C, d) pairs of about the same complexity, conv2 stage (256-d)")
    columns = (
        Column("C", lambda r: str(r.cardinality)),
        Column("d", lambda r: str(r.width), "right"),
        Column(N_("paper d"), lambda r: str(r.paper_width), "right"),
        Column(N_("group width C·d"), lambda r: str(r.group_width), "right"),
        Column(N_("paper"), lambda r: str(r.paper_group_width), "right"),
        Column(N_("block params"), lambda r: f"{r.block_params:,}", "right"),
        Column(N_("vs ResNet"), lambda r: f"{100 * (r.block_params / r.reference_params - 1):+.1f}%", "right"),
    )


# (C, d, group width C·d), as printed in Table 2.
PAPER_TABLE2 = [(1, 64, 64), (2, 40, 80), (4, 24, 96), (8, 14, 112), (32, 4, 128)]


def _conv_weights(module):
    """Conv weights only, the paper's block complexity (BN is left out)."""
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, _CONVS))


def paper_table2():
    """Xie et al. 2017, Table 2: our equal-complexity widths and block params beside the paper's."""
    reference = _conv_weights(ResNeXtBlockC(256, 256, 1, 64))
    rows = []
    for c, paper_d, paper_group_width in PAPER_TABLE2:
        d = equal_complexity_width(c)
        block = ResNeXtBlockC(256, 256, c, d)
        rows.append(Table2Row(c, paper_d, paper_group_width, d, _conv_weights(block), reference))
    return PaperTable2(rows)
