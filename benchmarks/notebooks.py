"""Run every notebook top to bottom in a fresh kernel; print wall time and the kernel's peak memory.

Budgets (CONTRIBUTING.md): at most 90 s and 1.5 GB per notebook on a 2-core machine, 2 MB on disk.
Usage: python benchmarks/notebooks.py [notebooks/03_grouped_convolution.ipynb ...]
Nothing is written back: each notebook runs from a copy.
"""
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from execute_notebooks import execute  # noqa: E402

BUDGET_S, BUDGET_MB, BUDGET_FILE_MB = 90, 1536, 2


def main(argv=None):
    paths = [Path(p) for p in (argv or sys.argv[1:])] or [p for folder in (ROOT / "notebooks", ROOT / "notebooks" / "ko")
                                                           for p in sorted(folder.glob("[0-9]*.ipynb"))]
    print(f"{'notebook':<34} {'wall s':>7} {'peak MB':>8} {'file MB':>8}  within budget")
    worst = True
    for path in paths:
        with tempfile.TemporaryDirectory() as tmp:
            # Run from a copy inside a copy of notebooks/, so relative paths (../assets) still resolve.
            copy_dir = Path(tmp) / "notebooks"
            shutil.copytree(path.parent, copy_dir)
            (Path(tmp) / "assets").symlink_to(ROOT / "assets")
            seconds, peak = execute(copy_dir / path.name, write=False)
        size = path.stat().st_size / 1e6
        ok = seconds <= BUDGET_S and (peak or 0) <= BUDGET_MB and size <= BUDGET_FILE_MB
        worst &= ok
        name = f"ko/{path.name}" if path.parent.name == "ko" else path.name
        print(f"{name:<34} {seconds:>7.1f} {peak or float('nan'):>8.0f} {size:>8.2f}  {'yes' if ok else 'NO'}",
              flush=True)
    print(f"budgets: {BUDGET_S} s, {BUDGET_MB} MB peak RSS, {BUDGET_FILE_MB} MB on disk")
    return 0 if worst else 1


if __name__ == "__main__":
    sys.exit(main())
