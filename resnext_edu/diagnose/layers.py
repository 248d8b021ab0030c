"""What a traced layer is: a conv, a pooling, global pooling; its stride, kernel and map size.

Read off the module and the shapes of one call (`trace.Call`), so they hold for any nn.Module.
Strided layers are convs and pools with stride > 1 and adaptive pools that shrink the map.
Global pooling (a pooling layer with a 1x1 output) is not strided: it reads the final map.
"""
from torch.nn.modules.conv import _ConvNd


def as_tuple(value):
    """A module's size argument as a tuple: 3 -> (3,), (3, 3) -> (3, 3)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def spatial(shape):
    """(H, W) of an (N, C, H, W) shape; () for a shape without spatial dimensions."""
    return tuple(shape[2:]) if len(shape) >= 3 else ()


def fmt(shape):
    """A size as the text writes it: (7, 7) -> "7x7"."""
    return "x".join(map(str, shape))


def is_conv(call):
    """A convolution, not a transposed one (that one grows the map)."""
    return isinstance(call.module, _ConvNd) and not call.module.transposed


def is_pool(call):
    return "Pool" in type(call.module).__name__


def is_global_pool(call):
    """A pooling layer with a 1x1 output: it reads the final feature map."""
    out = spatial(call.out_shape)
    return is_pool(call) and bool(out) and all(s == 1 for s in out)


def is_fixed_global_pool(call):
    """A pooling layer with a fixed kernel (not adaptive) that pools the map to 1x1."""
    return (call.leaf and is_global_pool(call) and hasattr(call.module, "kernel_size")
            and "Adaptive" not in type(call.module).__name__)


def stride_of(call):
    """How much this layer shrinks the map: its stride, or in/out for adaptive pooling; 1 for none."""
    if not call.leaf or is_global_pool(call) or (isinstance(call.module, _ConvNd) and call.module.transposed):
        return 1
    stride = getattr(call.module, "stride", None)
    if isinstance(stride, (int, tuple, list)) and stride:
        return max(as_tuple(stride))
    if len(call.in_shape) == len(call.out_shape) == 4 and 0 < call.out_shape[2] < call.in_shape[2]:
        # (N, C, H, W) in and out, e.g. an adaptive pool to 14x14; a padding-free crop is no stride
        return max(1, round(call.in_shape[2] / call.out_shape[2]))
    return 1


def kernel_of(call):
    return as_tuple(call.module.kernel_size)


def prefix(names):
    """The deepest module that holds all of these layers, e.g. "layer1.0.downsample"."""
    common = []
    for level in zip(*(n.split(".") for n in names)):
        if len(set(level)) > 1:
            break
        common.append(level[0])
    return ".".join(common)


def classifier(trace):
    """(number of classes, name of the layer that makes them) from the model's (N, classes) output."""
    outs = trace.outputs()
    if not outs or outs[0].dim() != 2:
        return None, None
    classes = outs[0].shape[1]
    for c in reversed(trace.calls):
        has_weights = next(c.module.parameters(recurse=False), None) is not None
        if c.leaf and has_weights and len(c.out_shape) == 2 and c.out_shape[1] == classes:
            return classes, c.name
    return classes, None
