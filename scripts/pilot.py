"""The pilot of notebook 05's experiment (issue 17): how the seed spread and the C = 1 vs C = 16 gap
change with epochs, data size and stem stride, measured before the CPU preset is chosen.

Each cell trains ResNeXt-29 minis with C = 1 (the ResNet, 1x32d) and C = 16 (16x4d, the equal-
complexity d of Table 2's rule), several seeds each, every run its own `python -m resnext_edu
train` process (resnext_edu.experiment's runner). The per-epoch training and test errors of every
run go to results/pilot_cpu.csv; `--summary` prints the table that results/README.md shows.

    .venv/bin/python scripts/pilot.py --runs /tmp/resnext_runs/pilot            # train what is missing
    .venv/bin/python scripts/pilot.py --runs /tmp/resnext_runs/pilot --summary  # CSV and table so far

The full cells need Debian's `dataset-fashion-mnist`. Runs already in pilot_cpu.csv, or finished
in the runs folder, are skipped, so an interrupted pilot continues where it stopped, in a later
sitting too.
"""
import argparse
import csv
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from resnext_edu import experiment  # noqa: E402

CSV = ROOT / "results" / "pilot_cpu.csv"
CARDINALITIES = (1, 16)
# name: (train options, seeds); every cell uses the CPU recipe (batch 128, one-cycle to lr 0.1)
CELLS = {
    "subset-s2-e6": (["--epochs", "6", "--stem-stride", "2"], (0, 1, 2)),
    "full20k-s2-e2": (["--full", "--limit", "20000", "--epochs", "2", "--stem-stride", "2"], (0, 1, 2)),
    "subset-s1-e3": (["--epochs", "3", "--stem-stride", "1"], (0,)),
}


def runs_of(root):
    """Every pilot run: (cell, C, seed, folder, command)."""
    for cell, (options, seeds) in CELLS.items():
        for seed in seeds:
            for c in CARDINALITIES:
                out = Path(root, cell, f"c{c}-seed{seed}")
                cmd = [sys.executable, "-m", "resnext_edu", "train", "--cardinality", str(c), "--preset", "cpu",
                       "--seed", str(seed), "--out", str(out), "--quiet", "--threads", "1", *options]
                yield cell, c, seed, out, cmd


def rows(root):
    """One CSV row per finished run, with its per-epoch training and test errors."""
    out_rows = []
    for cell, c, seed, out, _ in runs_of(root):
        if not experiment.finished(out):
            continue
        summary = json.loads((out / "metrics.json").read_text())
        cfg, ms = summary["config"], summary["metrics"]
        row = dict(cell=cell, cardinality=c, bottleneck_width=cfg["bottleneck_width"], seed=seed,
                   stem_stride=cfg["stem_stride"], epochs=cfg["epochs"], train_images=summary["train_images"],
                   test_images=summary["test_images"], params=summary["params"], macs=summary["macs"])
        for m in ms:
            row[f"train_error_e{m['epoch']}"] = round(m["train_error"], 2)
            row[f"test_error_e{m['epoch']}"] = round(m["test_error"], 2)
        row["images_per_s"] = round(statistics.mean(m["images_per_s"] for m in ms), 1)
        row["wall_seconds"] = float((out / "wall_seconds").read_text())
        out_rows.append(row)
    return out_rows


def committed_rows():
    """The rows already in pilot_cpu.csv: runs made in an earlier sitting, whose folders may be gone."""
    return experiment.read_csv(CSV) if CSV.is_file() else []


def merged(new_rows):
    """The committed rows, with the runs trained again or for the first time replacing or joining them."""
    keys = {(r["cell"], r["cardinality"], r["seed"]) for r in new_rows}
    return [r for r in committed_rows() if (r["cell"], r["cardinality"], r["seed"]) not in keys] + new_rows


def write(rows_):
    fields = list(dict.fromkeys(k for r in rows_ for k in r))
    with open(CSV, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows_)


def summary(rows_):
    """Per cell and epoch: mean ± sd of the test error per C, the gap C16 - C1 and its standard error."""
    lines = ["| cell | epoch | C = 1 test error | C = 16 test error | gap (16 - 1) | standard error | gap / SE "
             "| C = 1 train error | C = 16 train error |", "|---" * 9 + "|"]
    for cell in CELLS:
        mine = [r for r in rows_ if r["cell"] == cell]
        if not mine:
            continue
        for e in range(1, max(r["epochs"] for r in mine) + 1):
            test = {c: [r[f"test_error_e{e}"] for r in mine if r["cardinality"] == c] for c in CARDINALITIES}
            train = {c: [r[f"train_error_e{e}"] for r in mine if r["cardinality"] == c] for c in CARDINALITIES}
            if min(len(v) for v in test.values()) < 1:
                continue
            gap = statistics.mean(test[16]) - statistics.mean(test[1])
            n = min(len(v) for v in test.values())
            se = ((statistics.variance(test[1]) / len(test[1]) + statistics.variance(test[16]) / len(test[16])) ** 0.5
                  if n > 1 else float("nan"))  # one seed: no spread to measure
            cells = [f"{statistics.mean(v):.2f} ± {statistics.stdev(v):.2f}" if len(v) > 1 else f"{v[0]:.2f}"
                     for v in test.values()]
            tr = [f"{statistics.mean(v):.2f}" for v in train.values()]
            lines.append(f"| {cell} | {e} | {cells[0]} | {cells[1]} | {gap:+.2f} | {se:.2f} | {abs(gap) / se:.1f} "
                         f"| {tr[0]} | {tr[1]} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="/tmp/resnext_runs/pilot", help="folder for the run folders")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--summary", action="store_true", help="write the CSV of the finished runs and print "
                                                                 "the table; train nothing")
    args = parser.parse_args()
    done = {(r["cell"], r["cardinality"], r["seed"]) for r in committed_rows()}
    if not args.summary:
        todo = [experiment.Run(f"{cell}/c{c}", seed, out, cmd + (["--resume"] if (out / "checkpoints").is_dir()
                                                                  and any((out / "checkpoints").glob("*.pt")) else []))
                for cell, c, seed, out, cmd in runs_of(args.runs)
                if not experiment.finished(out) and (cell, c, seed) not in done]
        print(f"{len(todo)} pilot run(s) to do, {args.jobs} at a time", flush=True)
        experiment.run_all(todo, args.jobs)
    all_rows = merged(rows(args.runs))
    write(all_rows)
    print(f"wrote {CSV}")
    print(summary(all_rows))


if __name__ == "__main__":
    main()
