"""Command line: `python -m resnext_edu COMMAND`, e.g. `tables` or `summary resnext50_32x4d`.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431.

Each command is a pair: `add_<command>(subparsers)` declares its arguments, and
`run_<command>(args) -> int` does the work. A new command adds one pair and one line in
COMMANDS. All argument parsing of the package is here; the models come from resnext_edu.registry.
"""
import argparse
import sys

import torch

from . import counting
from .registry import MODELS, unknown_model
from .train import add_results, add_train, run_results, run_train


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


def add_summary(subparsers):
    p = subparsers.add_parser("summary", help="torchinfo summary and per-stage breakdown of a model",
                              description="A torchinfo summary of MODEL, then its parameters and "
                                          "MACs per stage (the paper's FLOPs).",
                              epilog=_models_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="MODEL", help="a model name, e.g. resnext50_32x4d")
    p.add_argument("--input-size", type=int, nargs=3, metavar=("C", "H", "W"),
                   help="input size without the batch, e.g. 3 224 224 (default: the model's)")
    p.add_argument("--depth", type=int, default=2, help="torchinfo's nesting depth (default: 2)")
    p.set_defaults(parser=p)


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
    p = subparsers.add_parser("diagnose", help="inspect a model for the classic ResNeXt bugs",
                              description="resnext_edu.diagnose on a named model: one forward and backward "
                                          "pass on the meta device, then the findings.",
                              epilog=_models_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="MODEL", help="a model name, e.g. resnext50_32x4d")
    p.add_argument("--input-size", type=int, nargs=3, metavar=("C", "H", "W"),
                   help="input size without the batch (default: the model's)")
    p.add_argument("--cardinality", type=int, metavar="C", help="the C you meant: checks the grouped 3x3 convs")
    p.add_argument("--num-classes", type=int, metavar="N", help="the classes you meant: checks the classifier")
    p.set_defaults(parser=p)


def run_diagnose(args):
    from .diagnose import diagnose

    model, default_size = _model(args.parser, args.model)
    try:
        findings = diagnose(model, tuple(args.input_size or default_size), args.cardinality, args.num_classes)
    except ValueError as err:
        print(f"resnext_edu diagnose: error: {err}", file=sys.stderr)
        return 2
    print(findings)
    return 1 if findings.at_least("error") else 0


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
