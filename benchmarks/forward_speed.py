"""Forward speed of our resnext50_32x4d against torchvision's, the same weights, interleaved in one run.

    python benchmarks/forward_speed.py                      # batches 8 and 32, 25 pairs each
    python benchmarks/forward_speed.py --batches 8 --pairs 41

Each pair times one forward of each model on the same input, in alternating order, and the
result is the median of the per-pair ratios ours / torchvision's, with its interquartile range:
a ratio taken within a pair cancels the drift of a noisy machine (other jobs, clock changes)
that separate runs would measure instead. 1.00 means as fast; the course's budget is <= 1.05.

torchvision is not a dependency of the course. `make benchmarks` installs PyPI's wheel into
.venv/torchvision-bench without its dependencies; that wheel is a CUDA build whose C++ ops do not
load beside the CPU torch, but its model code runs once the two modules that register those ops'
fake kernels are stubbed (CONTRIBUTING.md). The stubs stay in this script.
"""
import argparse
import os
import statistics
import sys
import time
import types
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from resnext_edu.models import resnext50_32x4d  # noqa: E402

BENCH_PATH = ROOT / ".venv" / "torchvision-bench"


def import_torchvision():
    """torchvision.models, or None: the installed one, else the CPU-stubbed wheel in .venv/torchvision-bench."""
    try:
        from torchvision import models
        return models
    except Exception:  # noqa: BLE001  not installed, or its C++ ops do not load beside this torch
        for name in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[name]
    path = os.environ.get("TORCHVISION_PATH", str(BENCH_PATH))
    if not Path(path, "torchvision").is_dir():
        return None
    sys.path.insert(0, path)
    for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules[name] = types.ModuleType(name)
    try:
        from torchvision import models
        return models
    except Exception as err:  # noqa: BLE001
        print(f"torchvision at {path} does not import ({type(err).__name__}: {err})")
        return None


def quartiles(values):
    q = statistics.quantiles(values, n=4)
    return q[0], statistics.median(values), q[2]


@torch.no_grad()
def measure(ours, theirs, batch, pairs, warmup=3):
    """Per-pair ratios of forward times, ours / theirs, on one random batch of (batch, 3, 224, 224)."""
    x = torch.randn(batch, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(ours(x), theirs(x), atol=1e-4), "the two models disagree: not the same weights?"
    for _ in range(warmup):
        ours(x), theirs(x)
    ratios = []
    for i in range(pairs):
        times = {}
        for name in (("ours", "theirs") if i % 2 == 0 else ("theirs", "ours")):  # alternate who goes first
            model = ours if name == "ours" else theirs
            start = time.perf_counter()
            model(x)
            times[name] = time.perf_counter() - start
        ratios.append(times["ours"] / times["theirs"])
    return ratios, times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--pairs", type=int, default=25)
    args = parser.parse_args()
    tv = import_torchvision()
    if tv is None:
        print("torchvision cannot be imported: nothing to compare with. `make benchmarks` installs it into "
              f"{BENCH_PATH.relative_to(ROOT)}, or set TORCHVISION_PATH to a folder that holds it.")
        return 0
    torch.manual_seed(0)
    ours = resnext50_32x4d().eval()
    theirs = tv.resnext50_32x4d(weights=None).eval()
    theirs.load_state_dict(ours.state_dict(), strict=True)  # the same names, so the same weights
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; resnext50_32x4d at 224x224, eval, no_grad")
    print(f"{'batch':>5}  {'pairs':>5}  {'ours / torchvision (median)':>27}  {'IQR':>11}  {'last pair, s':>14}")
    for batch in args.batches:
        ratios, last = measure(ours, theirs, batch, args.pairs)
        q1, median, q3 = quartiles(ratios)
        print(f"{batch:>5}  {args.pairs:>5}  {median:>27.2f}  {q1:.2f}–{q3:.2f}  "
              f"{last['ours']:.2f} vs {last['theirs']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
