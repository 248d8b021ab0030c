"""Convert a ResNeXt block between the paper's forms (a), (b) and (c), weights copied exactly.

Xie et al. 2017, Sec. 3.3: the three forms of Fig. 3 are equivalent. Form (a)'s C last 1x1 convs,
summed, are one 1x1 conv over the concatenated paths (form (b)), and form (b)'s C separate 3x3
convs are the C groups of one grouped conv (form (c)). With the weights and BatchNorm statistics
copied, the outputs agree to float32 precision, in training and in eval mode.
"""
import torch

from ..checks import check_choice
from ..i18n import _
from .form_a import ResNeXtBlockA
from .form_b import ResNeXtBlockB
from .form_c import ResNeXtBlockC
from .resnet import Bottleneck

FORMS = ("a", "b", "c")
BLOCK_FORMS = {"a": ResNeXtBlockA, "b": ResNeXtBlockB, "c": ResNeXtBlockC}
# The classes convert reads exactly, with their modules. A subclass may add modules (SE-ResNeXt's se)
# or change forward (the pitfalls of notebook 07), and another form has no place for either.
_FORM_OF_CLASS = {ResNeXtBlockA: "a", ResNeXtBlockB: "b", ResNeXtBlockC: "c", Bottleneck: "c"}
_MODULES = {"a": {"paths", "bn3", "relu", "downsample"}, "b": {"paths", "conv3", "bn3", "relu", "downsample"},
            "c": {"conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "relu", "downsample"}}


def form_of(block):
    """The paper's letter for a ResNeXt block: "a", "b" or "c"; TypeError for any other module."""
    cls = type(block)
    if cls in _FORM_OF_CLASS:
        return _FORM_OF_CLASS[cls]
    base = next((b for b in cls.__mro__ if b in _FORM_OF_CLASS), None)
    if base is None:
        raise TypeError(_("expected a ResNeXt block (ResNeXtBlockA, ResNeXtBlockB or ResNeXtBlockC), "
                          "got {kind}").format(kind=cls.__name__))
    extra = sorted(set(block._modules) - _MODULES[_FORM_OF_CLASS[base]])
    message = (_("{kind} is a subclass of {base} that adds {extra}: the paper's forms have no place for that, so "
                 "a converted copy would compute another function. convert takes ResNeXtBlockA, ResNeXtBlockB, "
                 "ResNeXtBlockC and Bottleneck only.") if extra else
               _("{kind} is a subclass of {base} that changes what {base} computes: the paper's forms have no "
                 "place for that, so a converted copy would compute another function. convert takes "
                 "ResNeXtBlockA, ResNeXtBlockB, ResNeXtBlockC and Bottleneck only."))
    raise TypeError(message.format(kind=cls.__name__, base=base.__name__, extra=", ".join(extra)))


def _config(block):
    """(in_channels, out_channels, cardinality, bottleneck_width, stride) read off a block."""
    if isinstance(block, ResNeXtBlockC):
        conv = block.conv2
        return (block.conv1.in_channels, block.conv3.out_channels, conv.groups,
                conv.out_channels // conv.groups, conv.stride[0])
    first = block.paths[0]
    return (first.conv1.in_channels, block.bn3.num_features, len(block.paths),
            first.conv1.out_channels, first.conv2.stride[0])


def _to_grouped(block):
    """Weights of any form as form-(c) tensors: {name: tensor} in form (c)'s state_dict layout."""
    if isinstance(block, ResNeXtBlockC):
        return {k: v.clone() for k, v in block.state_dict().items()}
    p = [path.state_dict() for path in block.paths]

    def cat(key):  # stack the paths along the channels
        return torch.cat([sd[key] for sd in p])

    sd = {"conv1.weight": cat("conv1.weight"), "conv2.weight": cat("conv2.weight")}
    for bn in ("bn1", "bn2"):
        for k in ("weight", "bias", "running_mean", "running_var"):
            sd[f"{bn}.{k}"] = cat(f"{bn}.{k}")
        sd[f"{bn}.num_batches_tracked"] = p[0][f"{bn}.num_batches_tracked"]
    if isinstance(block, ResNeXtBlockA):
        # Summing C 1x1 convs = one 1x1 conv over the concatenated paths.
        sd["conv3.weight"] = torch.cat([q["conv3.weight"] for q in p], dim=1)
    else:
        sd["conv3.weight"] = block.conv3.weight.detach().clone()
    for k, v in block.state_dict().items():
        if k.startswith(("bn3.", "downsample.")):
            sd[k] = v.clone()
    return sd


@torch.no_grad()
def convert(block, form):
    """Return an equivalent block of another form, weights and BN statistics copied (Sec. 3.3)."""
    check_choice("form", form, FORMS)
    form_of(block)  # a TypeError that names the class, for anything but the paper's forms
    in_channels, out_channels, cardinality, d, stride = _config(block)
    new = BLOCK_FORMS[form](in_channels, out_channels, cardinality, d, stride)
    new.train(block.training)
    sd = _to_grouped(block)
    if form == "c":
        new.load_state_dict(sd)
        return new
    for i, path in enumerate(new.paths):
        ch = slice(i * d, (i + 1) * d)  # path i owns channels [i·d, (i+1)·d) of the group width
        path_sd = {k: v[ch] for k, v in sd.items() if k.startswith(("conv1.", "conv2.", "bn1.", "bn2."))
                   and not k.endswith("num_batches_tracked")}
        path_sd |= {k: v for k, v in sd.items() if k.endswith("num_batches_tracked") and k[:3] in ("bn1", "bn2")}
        if form == "a":
            path_sd["conv3.weight"] = sd["conv3.weight"][:, ch]
        path.load_state_dict(path_sd)
    if form == "b":
        new.conv3.weight.copy_(sd["conv3.weight"])
    rest = {k: v for k, v in sd.items() if k.startswith(("bn3.", "downsample."))}
    new.load_state_dict(rest, strict=False)
    return new
