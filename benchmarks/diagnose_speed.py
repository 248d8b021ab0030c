"""How long diagnose() takes on ResNeXt-50 (32x4d) at 224x224: the first call in a fresh process, then later ones.

Targets (issue 18): the first call under 3 s, later calls under 1 s, on this 2-core machine.
The first call pays PyTorch's one-time set-up of its meta kernels; the model is built on the meta
device, as notebook 07 builds its patients' shapes. Usage: python benchmarks/diagnose_speed.py [--repeats N]
"""
import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_CALL = """
import time, torch
t0 = time.perf_counter()
from resnext_edu import models
from resnext_edu.diagnose import diagnose
imports = time.perf_counter() - t0
with torch.device("meta"):
    model = models.resnext50_32x4d()
times = []
for _ in range({repeats}):
    t0 = time.perf_counter()
    report = diagnose(model, (3, 224, 224), cardinality=32, num_classes=1000, expect="resnext50_32x4d")
    times.append(time.perf_counter() - t0)
print(imports, *times)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="calls in each fresh process")
    parser.add_argument("--processes", type=int, default=3, help="fresh processes (first calls measured)")
    args = parser.parse_args()
    firsts, laters = [], []
    for _ in range(args.processes):
        out = subprocess.run([sys.executable, "-c", ONE_CALL.format(repeats=args.repeats)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
        _, first, *later = map(float, out)
        firsts.append(first)
        laters += later
    print(f"diagnose(resnext50_32x4d at 224, cardinality, num_classes, expect): first call "
          f"{statistics.median(firsts):.2f} s (median of {len(firsts)} processes, max {max(firsts):.2f}), "
          f"later calls {statistics.median(laters):.2f} s (median of {len(laters)}, max {max(laters):.2f})")
    print(f"targets: first < 3 s: {'yes' if max(firsts) < 3 else 'NO'}; later < 1 s: "
          f"{'yes' if statistics.median(laters) < 1 else 'NO'}")


if __name__ == "__main__":
    main()
