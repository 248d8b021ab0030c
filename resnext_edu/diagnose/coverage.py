"""What the trace could see, and the shape contract of a classifier: two checks that read the whole model.

The tracer watches every torch operation (`trace(..., ops=True)`), so it also sees layers that
module hooks miss. `check_coverage` says what it still could not see: weights that are not
parameters of the model (modules kept in a plain Python list), layers never reached. Below full
coverage no report may say "nothing to fix". `check_batch` checks that the model returns one row
per image, at both input sizes: a head that folds the map into the batch (`x.view(-1, C)` on a
map larger than 1x1) returns more rows than images, and trains on mislabelled rows without an error.
"""
from ..i18n import _, ngettext
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
            _("The forward pass uses {foreign:,} weights that are not parameters of the model: "
              "model.parameters() counts {params:,}.").format(foreign=cov.foreign, params=cov.params),
            _("Modules kept in a plain Python list or dict (or tensors stored as attributes) are not registered: "
              "the optimizer never trains them, .to(device) does not move them, state_dict() does not save them, "
              "and this inspector cannot name or check them."),
            _("Hold sub-modules in nn.ModuleList or nn.ModuleDict (and tensors in nn.Parameter or a buffer)."))
    if cov.unhooked:
        n = len(cov.unhooked)
        yield Finding(
            "info", "coverage", cov.unhooked,
            ngettext("{n} conv/linear layer ran without a module call, e.g. as `{name}.forward(x)`: the trace saw "
                     "them through their operations and checked them like the others.",
                     "{n} conv/linear layers ran without a module call, e.g. as `{name}.forward(x)`: the trace saw "
                     "them through their operations and checked them like the others.", n).format(
                         n=n, name=cov.unhooked[0]),
            _("Calling .forward() directly skips the module's hooks, which tools such as torchinfo, forward "
              "hooks for feature extraction and quantization rely on."),
            _("Call the layer itself, `{name}(x)`, rather than its .forward().").format(
                name=cov.unhooked[0].rpartition('.')[2]))


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
        what = ngettext("For {batch} image at {size} input the model returns {rows} rows of {shape}.",
                        "For {batch} images at {size} input the model returns {rows} rows of {shape}.", batch).format(
                            batch=batch, size=fmt(size[1:]), rows=rows, shape=fmt(outs[0].shape[1:]))
        if fold is not None:
            how = (_("{name} turns {a} into {b}, folding the {map} positions of each image into the batch.")
                   if spatial(fold.in_shape) else
                   _("{name} turns {a} into {b}, folding the extra positions of each image into the batch."))
            what += " " + how.format(name=fold.name, a=fmt(fold.in_shape), b=fmt(fold.out_shape),
                                     map=fmt(spatial(fold.in_shape)))
        yield Finding(
            "error", "batch", (where,), what,
            _("A classifier must return one row per image. With more rows than images the loss compares the "
              "wrong rows with the labels (or fails only when the counts happen to clash), and accuracy is "
              "meaningless."),
            _("Pool to 1x1 first (nn.AdaptiveAvgPool2d(1)) and flatten per image: x.flatten(1), or "
              "x.view(x.size(0), -1), never x.view(-1, channels)."))
        return
