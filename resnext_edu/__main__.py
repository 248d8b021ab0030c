"""Command line: `python -m resnext_edu COMMAND`, e.g. `tables`, `summary resnext50_32x4d` or `train --config c4`.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431.

Each command is a pair: `add_<command>(subparsers)` declares its arguments, and
`run_<command>(args) -> int` does the work. A new command adds one pair and one line in
COMMANDS. All argument parsing of the package is here; the models come from resnext_edu.registry,
one training run from resnext_edu.train, and the multi-run experiment (`results`, whose runs are
`train` processes) from resnext_edu.experiment.
"""
import argparse
import dataclasses
import sys
import types

import torch

from . import checkpoints, counting, data, experiment, train
from .checks import check_choice
from .registry import MODELS, unknown_model


def _models_epilog():
    """The model names and their input sizes, for --help."""
    lines = ["models (name: input size C H W):"]
    lines += [f"  {name}: {' '.join(map(str, entry.input_size))}" for name, entry in MODELS.items()]
    return "\n".join(lines)


def _model(parser, name):
    """(model on the meta device, its input size); exit 2 with one line for an unknown name."""
    if name not in MODELS:
        parser.exit(2, f"{parser.prog}: error: {unknown_model(name)}\n")
    builder, input_size = MODELS[name]
    with torch.device("meta"):  # shapes without weights: no memory, and forwards cost nothing
        return builder(), input_size


# --- tables -------------------------------------------------------------------------------


def add_tables(subparsers):
    subparsers.add_parser("tables", help="print the paper's Tables 1 and 2 beside our counts",
                          description="Xie et al. 2017, Tables 1 and 2, recomputed from our models.")


def run_tables(args):
    print(counting.paper_table1())
    print()
    print(counting.paper_table2())
    return 0


# --- summary ------------------------------------------------------------------------------


def _add_model_command(subparsers, name, help, description):
    """A command on one named model: MODEL and --input-size, with the models listed in --help."""
    p = subparsers.add_parser(name, help=help, description=description, epilog=_models_epilog(),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="MODEL", help="a model name, e.g. resnext50_32x4d")
    p.add_argument("--input-size", type=int, nargs=3, metavar=("C", "H", "W"),
                   help="input size without the batch, e.g. 3 224 224 (default: the model's)")
    p.set_defaults(parser=p)
    return p


def add_summary(subparsers):
    p = _add_model_command(subparsers, "summary", "torchinfo summary and per-stage breakdown of a model",
                           "A torchinfo summary of MODEL, then its parameters and MACs per stage (the paper's FLOPs).")
    p.add_argument("--depth", type=int, default=2, help="torchinfo's nesting depth (default: 2)")


def run_summary(args):
    import torchinfo

    model, default_size = _model(args.parser, args.model)
    input_size = tuple(args.input_size or default_size)
    try:  # our breakdown checks the input size first, with a clear message
        stages = counting.breakdown(model, input_size)
    except ValueError as err:
        print(f"resnext_edu summary: error: {err}", file=sys.stderr)
        return 2
    info = torchinfo.summary(model, input_size=(1, *input_size), depth=args.depth, verbose=0,
                             col_names=("output_size", "num_params", "mult_adds"),
                             row_settings=("var_names",), device="meta")
    stages.title = f"{args.model}, input {input_size}: per stage (the paper's Table 1 rows)"
    print(info)
    print()
    print(stages)
    extra = info.total_mult_adds - stages.total_macs
    print(f"\nMACs count conv and fc multiply-accumulates only, as the paper's FLOPs. torchinfo's "
          f"Mult-Adds are {extra:,} more: it adds the fc bias and each BatchNorm's weights and biases.")
    return 0


# --- diagnose -----------------------------------------------------------------------------


def add_diagnose(subparsers):
    p = _add_model_command(subparsers, "diagnose", "inspect a model for the classic ResNeXt bugs",
                           "resnext_edu.diagnose on a named model: one forward and backward pass on the meta "
                           "device, then the findings.")
    p.add_argument("--cardinality", type=int, metavar="C", help="the C you meant: checks the grouped 3x3 convs")
    p.add_argument("--num-classes", type=int, metavar="N", help="the classes you meant: checks the classifier")
    p.add_argument("--expect", metavar="NAME", help="a registered model it should equal: compares the configuration")


def run_diagnose(args):
    from .diagnose import diagnose

    model, default_size = _model(args.parser, args.model)
    try:
        findings = diagnose(model, tuple(args.input_size or default_size), args.cardinality, args.num_classes,
                            args.expect)
    except ValueError as err:
        print(f"resnext_edu diagnose: error: {err}", file=sys.stderr)
        return 2
    print(findings)
    return 1 if findings.at_least("error") else 0


# --- train and results: the training loop (resnext_edu.train) and the experiment ------------


def _one_line_errors(parser, prog):
    """argparse prints usage plus the error; we print the error alone on one line (exit code 2)."""
    def error(self, message):
        print(f"{prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)
    parser.error = types.MethodType(error, parser)
    return parser


def add_train(subparsers):
    p = subparsers.add_parser(
        "train", help="train a ResNeXt-29 mini on Fashion-MNIST",
        description="Train a ResNeXt-29 mini (Xie et al. 2017, Sec. 5.3, at half width) on Fashion-MNIST. "
                    "Runs on the committed subset unless --full or --data. Under torchrun: DDP.",
        epilog="configs: c1 (C = 1, the ResNet, 1x32d), c2 (2x20d), c4 (4x12d), all about 1.2M parameters. "
               "presets: default = the subset, 15 epochs; gpu = the full set, 15 epochs (make results); "
               "cpu = the subset, 6 epochs, stride-2 stem (make results-cpu).")
    _one_line_errors(p, "resnext_edu train")
    m = p.add_argument_group("model (a --config, or --cardinality with --bottleneck-width or --group-width)")
    m.add_argument("--config", "--model", dest="config", help="c1 (ResNet), c2 or c4 (default: c4)")
    m.add_argument("--cardinality", type=int, metavar="C", help="C, paths per block")
    m.add_argument("--bottleneck-width", type=int, metavar="D", help="d, channels per path in stage 1")
    m.add_argument("--group-width", "--width", dest="group_width", type=int, metavar="CD",
                   help="C·d, channels of the grouped 3x3 conv in stage 1")
    m.add_argument("--stage-widths", type=int, nargs=3, metavar="W", help="stage output widths (default 128 256 512)")
    m.add_argument("--stem-width", type=int, metavar="W", help=f"stem channels (default {train.STEM_WIDTH})")
    m.add_argument("--stem-stride", type=int, choices=(1, 2), help="2: 14x14 after the stem, ~4x fewer MACs")
    t = p.add_argument_group("training")
    t.add_argument("--preset", choices=tuple(train.PRESETS), default="default", help="a set of defaults (see below)")
    t.add_argument("--epochs", type=int, metavar="N", help="default: the preset's (15; cpu: 3)")
    t.add_argument("--batch-size", type=int, metavar="N", help="global batch per step (default 128)")
    t.add_argument("--accumulate", type=int, metavar="N", help="micro-batches per step on each rank (default 1)")
    t.add_argument("--lr", type=float, help="peak learning rate (default 0.1)")
    t.add_argument("--weight-decay", type=float, metavar="WD", help="default 5e-4")
    t.add_argument("--schedule", choices=("onecycle", "cosine"))
    t.add_argument("--seed", type=int, help="seeds the weights, the data order and the augmentation (default 0)")
    d = p.add_argument_group("data")
    d.add_argument("--full", action="store_true", default=None, help="the full 60k set (Debian's package)")
    d.add_argument("--data", metavar="FOLDER", help="a folder with the four Fashion-MNIST files")
    d.add_argument("--limit", type=int, metavar="N", help="use only the first N training and test images")
    r = p.add_argument_group("running")
    r.add_argument("--out", metavar="FOLDER", help="checkpoints and metrics.json (default runs/CONFIG-seedS)")
    r.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    r.add_argument("--device", default="auto", help="auto (CUDA if present), cpu or cuda")
    r.add_argument("--threads", type=int, metavar="N", help="CPU threads (torch.set_num_threads)")
    r.add_argument("--sync-bn", action="store_true", default=None, help="SyncBatchNorm across ranks (CUDA only)")
    r.add_argument("--quiet", action="store_true", help="no progress bar (one line per epoch only)")


def config_from_args(args):
    """A TrainConfig from parsed arguments: the preset's defaults, then what was given explicitly."""
    values = dict(train.PRESETS[args.preset], preset=args.preset)
    for field in dataclasses.fields(train.TrainConfig):
        given = getattr(args, field.name, None)
        if given is not None and field.name not in ("config", "cardinality", "bottleneck_width"):
            values[field.name] = tuple(given) if field.name == "stage_widths" else given
    if args.epochs is not None and args.epochs <= 0:
        raise ValueError(f"--epochs {args.epochs}: train for at least 1 epoch")
    for name in ("batch_size", "accumulate", "limit", "threads"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise ValueError(f"--{name.replace('_', '-')} {value}: must be at least 1")
    if args.data is not None and not data.full_set_available(args.data):
        raise data.DataError(f"--data {args.data}: the folder does not hold the four Fashion-MNIST files. "
                             + data.HOW_TO_GET_FULL)
    if args.data is None and values.get("full") and not data.full_set_available():
        raise data.DataError("the full set is not installed. " + data.HOW_TO_GET_FULL
                             + " Or leave out --full / --preset gpu to train on the committed subset.")
    explicit = (args.cardinality, args.bottleneck_width, args.group_width) != (None, None, None)
    config = args.config if args.config or explicit else "c4"
    stage_widths = values.get("stage_widths", train.STAGE_WIDTHS)
    name, c, d = train.model_spec(config, args.cardinality, args.bottleneck_width, args.group_width, stage_widths)
    return train.TrainConfig(**{**values, "config": name, "cardinality": c, "bottleneck_width": d})


def run_train(args):
    """`train`: one run. Bad input gets one line on stderr and exit code 2."""
    try:
        cfg = config_from_args(args)
        out = args.out or f"runs/{cfg.config}-seed{cfg.seed}"
        metrics = train.fit(cfg, out=out, resume=args.resume, device=args.device, threads=args.threads,
                            progress=not args.quiet)
    except (ValueError, data.DataError, checkpoints.CheckpointError) as err:
        print(f"resnext_edu train: error: {err}", file=sys.stderr)
        return 2
    if metrics and train.distributed()[0] == 0:
        print(f"{cfg.config} seed {cfg.seed}: test error {metrics[-1]['test_error']:.2f}% after "
              f"{metrics[-1]['epoch']} epochs; checkpoints and metrics.json in {out}")
    return 0


def add_results(subparsers):
    p = subparsers.add_parser(
        "results", help="train c1, c2, c4 x 3 seeds and write the results CSV",
        description="The experiment: each configuration and seed in its own `train` process, then one "
                    "CSV row per run. Finished runs are skipped and interrupted ones resumed.")
    _one_line_errors(p, "resnext_edu results")
    p.add_argument("--preset", choices=tuple(experiment.RESULTS_CSV), default="gpu",
                   help="gpu: full set, 15 epochs (`make results`); cpu: the CPU stand-in (`make results-cpu`)")
    p.add_argument("--configs", nargs="+", default=list(train.CONFIGS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--epochs", type=int, metavar="N", help="default: the preset's (gpu 15, cpu 6)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N training and test images (a quick try)")
    p.add_argument("--jobs", type=int, default=1, help="runs at once (default 1)")
    p.add_argument("--threads", type=int, help="CPU threads per run")
    p.add_argument("--device", default="auto")
    p.add_argument("--data", metavar="FOLDER", help="a folder with the four Fashion-MNIST files (gpu preset; "
                   f"default {data.DEBIAN_DIR})")
    p.add_argument("--runs", metavar="FOLDER", help="where runs go (default runs/results-PRESET)")
    p.add_argument("--csv", help="default: " + ", ".join(f"{k}: {v}" for k, v in experiment.RESULTS_CSV.items())
                   + ". Rows of runs not in this call (other seeds, made elsewhere) are kept")
    p.add_argument("--export", default="results/checkpoints", metavar="FOLDER",
                   help="fp16 weights of seed 0's c1 and c4 go here")


def _results_error(args):
    """What is wrong with `results`' arguments, in one line; None when nothing is."""
    try:
        for config in args.configs:
            check_choice("config", config, tuple(train.CONFIGS))
    except ValueError as err:
        return str(err)
    if args.jobs < 1:
        return f"--jobs {args.jobs}: must be at least 1"
    if args.epochs is not None and args.epochs < 1:
        return f"--epochs {args.epochs}: train for at least 1 epoch"
    if args.data and not data.full_set_available(args.data):
        return f"--data {args.data}: the folder does not hold the four Fashion-MNIST files. " + data.HOW_TO_GET_FULL
    if args.preset == "gpu" and not args.data and not data.full_set_available():
        return "the full set is not installed. " + data.HOW_TO_GET_FULL + " Or: make results-cpu"
    return None


def run_results(args):
    """`results`: every (config, seed) as a `train` process, `--jobs` at a time; then the CSV."""
    error = _results_error(args)
    if error:
        print(f"resnext_edu results: error: {error}", file=sys.stderr)
        return 2
    train_args = ["--device", args.device]  # the same for every run; the `train` process checks them
    for name in ("threads", "data", "epochs", "limit"):
        if getattr(args, name) is not None:
            train_args += [f"--{name}", str(getattr(args, name))]
    runs = args.runs or f"runs/results-{args.preset}"
    try:
        failed = experiment.run_experiment(args.preset, args.configs, args.seeds, runs, args.jobs, train_args,
                                           args.csv, args.export)
    except KeyboardInterrupt:
        print("resnext_edu results: interrupted; run the same command again to continue", file=sys.stderr)
        return 130
    return 1 if failed else 0


# name: (declare arguments, run) for each subcommand
COMMANDS = {
    "tables": (add_tables, run_tables),
    "summary": (add_summary, run_summary),
    "diagnose": (add_diagnose, run_diagnose),
    "train": (add_train, run_train),
    "results": (add_results, run_results),
}


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m resnext_edu",
        description="resnext-edu: learn ResNeXt (Xie et al., CVPR 2017) in PyTorch.",
        epilog=_models_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add, _ in COMMANDS.values():
        add(subparsers)
    return parser


def main(argv=None):
    """Parse argv (default: sys.argv[1:]), run the command and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help (0) or a usage error (2): return it, so tests can call main
        return exit.code
    _, run = COMMANDS[args.command]
    try:
        return run(args)
    except SystemExit as exit:  # a command's one-line error (parser.exit): return its code too
        return exit.code


if __name__ == "__main__":
    sys.exit(main())
