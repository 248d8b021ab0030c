"""Time counting ResNeXt-50 (32x4d): count_params + count_macs, with and without building the model.

Target (issue 4): counting the ResNeXt-50 takes under 2 s. Each run builds a fresh model, as a
notebook cell does; the first run of a process also pays one-time warm-up (torch loads its
meta-device kernels on first use), so it is shown apart from the median of the others.
Usage: python benchmarks/counting_speed.py [--runs 7]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from resnext_edu.complexity import resnext_complexity  # noqa: E402
from resnext_edu.counting import count_macs, count_params  # noqa: E402
from resnext_edu.registry import MODELS  # noqa: E402

NAME = "resnext50_32x4d"
TARGET_S = 2.0


def one_run(builder, input_size, device):
    """(build seconds, count seconds) for one fresh model."""
    t0 = time.perf_counter()
    with torch.device(device):
        model = builder()
    t1 = time.perf_counter()
    count_params(model)
    count_macs(model, input_size)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def analytic_seconds(repeats=1000):
    """Mean seconds of one resnext_complexity(50, 32, 4): formulas only, what the widget calls."""
    t0 = time.perf_counter()
    for _ in range(repeats):
        resnext_complexity(50, 32, 4)
    return (time.perf_counter() - t0) / repeats


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs after the first (default: 7)")
    args = parser.parse_args(argv)
    builder, input_size = MODELS[NAME]
    print(f"{NAME}, input {input_size}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'what':<52} {'first s':>8} {'median s':>9}")
    worst = 0.0
    for device, label in [("cpu", "real weights"), ("meta", "built on the meta device")]:
        first = one_run(builder, input_size, device)
        runs = [one_run(builder, input_size, device) for _ in range(args.runs)]
        count = statistics.median(c for _, c in runs)
        both = statistics.median(b + c for b, c in runs)
        print(f"{'count, building excluded (' + label + ')':<52} {first[1]:>8.3f} {count:>9.3f}")
        print(f"{'build + count (' + label + ')':<52} {sum(first):>8.3f} {both:>9.3f}")
        if device == "cpu":
            worst = count
    print(f"{'resnext_complexity(50, 32, 4), formulas only':<52} {'':>8} {analytic_seconds():>9.6f}")
    print(f"target: counting under {TARGET_S} s (median, building excluded): "
          f"{'yes' if worst < TARGET_S else 'NO'}")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
