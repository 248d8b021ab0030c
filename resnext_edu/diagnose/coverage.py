"""What the trace could see, and the shape contract of a classifier: two checks that read the whole model.

The tracer watches every torch operation (`trace(..., ops=True)`), so it also sees layers that
module hooks miss. `check_coverage` says what it still could not see: weights that are not
parameters of the model (modules kept in a plain Python list), layers never reached. Below full
coverage no report may say "nothing to fix". `check_batch` checks that the model returns one row
per image, at both input sizes: a head that folds the map into the batch (`x.view(-1, C)` on a
map larger than 1x1) returns more rows than images, and trains on mislabelled rows without an error.
"""
from .findings import Finding
from .layers import fmt, spatial


def check_coverage(trace, blocks, ctx):
    """Weights the model does not register, layers never reached, layers seen only through their operations."""
    cov = trace.coverage
    if cov is None:
        return
    if cov.foreign:
        yield Finding(
            "error", "coverage", ("(model)",),
            f"The forward pass uses {cov.foreign:,} weights that are not parameters of the model: "
            f"model.parameters() counts {cov.params:,}.",
            "Modules kept in a plain Python list or dict (or tensors stored as attributes) are not registered: "
            "the optimizer never trains them, .to(device) does not move them, state_dict() does not save them, "
            "and this inspector cannot name or check them.",
            "Hold sub-modules in nn.ModuleList or nn.ModuleDict (and tensors in nn.Parameter or a buffer).")
    if cov.unhooked:
        yield Finding(
            "info", "coverage", cov.unhooked,
            f"{len(cov.unhooked)} conv/linear layer{'s' if len(cov.unhooked) != 1 else ''} ran without a module "
            f"call, e.g. as `{cov.unhooked[0]}.forward(x)`: the trace saw them through their operations and "
            "checked them like the others.",
            "Calling .forward() directly skips the module's hooks, which tools such as torchinfo, forward "
            "hooks for feature extraction and quantization rely on.",
            f"Call the layer itself, `{cov.unhooked[0].rpartition('.')[2]}(x)`, rather than its .forward().")


def check_batch(trace, blocks, ctx):
    """The model must return one row per image: the output keeps the input's batch size."""
    for tr, size, batch in ((trace, ctx.size, ctx.batch), (ctx.second, ctx.size2, 1)):
        outs = tr.outputs()
        if tr.error or not outs or outs[0].dim() == 0 or outs[0].shape[0] == batch:
            continue
        rows = outs[0].shape[0]
        fold = next((c for c in tr.calls if c.op in ("view", "reshape", "flatten")
                     and c.in_shape and c.in_shape[0] == batch and c.out_shape and c.out_shape[0] != batch), None)
        where = fold.name if fold is not None else "(model)"
        how = (f" {fold.name} turns {fmt(fold.in_shape)} into {fmt(fold.out_shape)}, folding the "
               f"{fmt(spatial(fold.in_shape)) or 'extra'} positions of each image into the batch."
               if fold is not None else "")
        yield Finding(
            "error", "batch", (where,),
            f"For {batch} image{'s' if batch > 1 else ''} at {fmt(size[1:])} input the model returns {rows} rows "
            f"of {fmt(outs[0].shape[1:])}.{how}",
            "A classifier must return one row per image. With more rows than images the loss compares the "
            "wrong rows with the labels (or fails only when the counts happen to clash), and accuracy is "
            "meaningless.",
            "Pool to 1x1 first (nn.AdaptiveAvgPool2d(1)) and flatten per image: x.flatten(1), or "
            "x.view(x.size(0), -1), never x.view(-1, channels).")
        return
