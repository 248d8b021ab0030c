"""The experiment of notebook 05: c1, c2 and c4 x seeds, each run a `train` process, one CSV row per run.

Xie et al. 2017, Sec. 5.1, Table 3, at a small scale: does more cardinality give a lower error at
equal complexity? One run proves nothing (the seeds differ by more than the configurations), so
the experiment trains every (config, seed) and records the test error after every epoch.

    python -m resnext_edu results --preset gpu --jobs 9    # `make results`
    python -m resnext_edu results --preset cpu --jobs 2    # `make results-cpu`

Each run is `python -m resnext_edu train ...` in its own process, its output in RUN/log.txt;
`jobs` of them run at once from a thread pool (each thread waits on its process). Finished runs
are skipped and interrupted ones resume from their newest checkpoint, so running the same
command again after a crash continues it. Then the rows go to the results CSV, merged with the
rows of runs made elsewhere, and seed 0's c1 and c4 are exported as small fp16 files.
"""
import csv
import io
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import checkpoints
from .i18n import _
from .train import CONFIGS

RESULTS_CSV = {"gpu": "results/fashion_mnist_equal_complexity.csv",  # relative to where the command runs
               "cpu": "results/fashion_mnist_equal_complexity_cpu.csv"}
RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"
EXPORTED = ("c1", "c4")  # seed 0's ResNet and C = 4: small fp16 copies for the notebook


# --- the committed results --------------------------------------------------------------------


def committed_preset():
    """'gpu' when the full experiment's results are committed, else 'cpu' (the CPU stand-in)."""
    return "gpu" if (RESULTS_DIR.parent / RESULTS_CSV["gpu"]).is_file() else "cpu"


def read_csv(path):
    """A CSV file as a list of dicts, with numbers as int or float."""
    def number(text):
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text
    with open(path, newline="") as f:
        return [{k: number(v) for k, v in row.items()} for row in csv.DictReader(f)]


def load_results(preset=None):
    """The committed results CSV, one dict per run (default: committed_preset())."""
    return read_csv(RESULTS_DIR.parent / RESULTS_CSV[preset or committed_preset()])


def load_throughput():
    """The committed CPU throughput table of benchmarks/train_throughput.py, one dict per measurement."""
    return read_csv(RESULTS_DIR / "train_throughput_cpu.csv")


def export_name(preset, config):
    """The file name of an fp16 export, e.g. fashion_mnist_cpu_c4_seed0.pt."""
    return f"fashion_mnist_{preset}_{config}_seed0.pt"


def committed_checkpoint(config, preset=None):
    """Path of the committed fp16 weights of seed 0's c1 or c4 (load with train.load_model)."""
    return RESULTS_DIR / "checkpoints" / export_name(preset or committed_preset(), config)


# --- the results CSV ------------------------------------------------------------------------


def csv_row(summary, wall_seconds, parallel_runs=1):
    """One results row: the run's config, size, seed, per-epoch test and training error, time and device."""
    cfg, ms = summary["config"], summary["metrics"]
    row = dict(preset=cfg["preset"], config=cfg["config"], name=summary["name"], cardinality=cfg["cardinality"],
               bottleneck_width=cfg["bottleneck_width"], group_width=cfg["cardinality"] * cfg["bottleneck_width"],
               params=summary["params"], macs=summary["macs"], seed=cfg["seed"], epochs=cfg["epochs"],
               train_images=summary["train_images"], test_images=summary["test_images"],
               final_test_error=round(ms[-1]["test_error"], 2), final_train_error=round(ms[-1]["train_error"], 2))
    row.update({f"test_error_e{m['epoch']}": round(m["test_error"], 2) for m in ms})
    # the error on the augmented training batches, in train mode, as the paper's Fig. 5 plots it
    row.update({f"train_error_e{m['epoch']}": round(m["train_error"], 2) for m in ms})
    row.update(train_seconds_per_epoch=round(sum(m["train_seconds"] for m in ms) / len(ms), 1),
               images_per_s=round(sum(m["images_per_s"] for m in ms) / len(ms), 1),
               wall_seconds=round(wall_seconds, 1), device=summary["device"], parallel_runs=parallel_runs,
               torch=summary["torch"])
    return row


def write_results(path, rows):
    """Write the results CSV, keeping the rows of other runs already in it (same preset).

    So the seeds can be trained in separate calls, or on separate machines, into one file.
    A run trained again, the same (config, seed), replaces its old row.
    """
    path = Path(path)
    new = {(r["config"], r["seed"]) for r in rows}
    old = [r for r in (read_csv(path) if path.is_file() else [])
           if r["preset"] == rows[0]["preset"] and (r["config"], r["seed"]) not in new]
    order = {c: i for i, c in enumerate(CONFIGS)}
    rows = sorted(old + rows, key=lambda r: (r["seed"], order.get(r["config"], len(order)), r["config"]))
    fields = list(dict.fromkeys(k for r in rows for k in r))  # the union, in order of first appearance
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    checkpoints.atomic_write(path, lambda f: f.write(text.getvalue().encode()))


# --- the runs ---------------------------------------------------------------------------------


@dataclass
class Run:
    """One (config, seed) of the experiment: its folder and the command that trains it."""

    config: str
    seed: int
    out: Path
    cmd: list

    @property
    def log(self):
        """The run's output, appended to by each of its pieces (a resumed run adds to it)."""
        return self.out / "log.txt"


def run_folder(runs, config, seed):
    """Where one run keeps its checkpoints, metrics.json, wall_seconds and log.txt."""
    return Path(runs) / f"{config}-seed{seed}"


def finished(out):
    """A run is finished when its metrics and its wall time are written (the wall time last)."""
    return (out / "metrics.json").is_file() and (out / "wall_seconds").is_file()


def plan(preset, configs, seeds, runs, train_args=()):
    """The runs still to do, seed by seed: finished ones are left out, interrupted ones get --resume.

    train_args: more `train` options for every run, e.g. ["--device", "cuda", "--threads", "1"].
    """
    todo = []
    for seed in seeds:
        for config in configs:
            out = run_folder(runs, config, seed)
            if finished(out):
                continue
            cmd = [sys.executable, "-m", "resnext_edu", "train", "--preset", preset, "--config", config,
                   "--seed", str(seed), "--out", str(out), "--quiet", *map(str, train_args)]
            cmd += ["--resume"] if checkpoints.latest_checkpoint(out) else []
            todo.append(Run(config, seed, out, cmd))
    return todo


def run_one(run):
    """Run one job to its end, its output appended to its log; return its exit code.

    The wall time accumulates over the pieces of a run that was interrupted and resumed.
    """
    run.out.mkdir(parents=True, exist_ok=True)
    print(_("started {command}").format(command=" ".join(run.cmd[2:])), flush=True)
    t0 = time.time()
    with open(run.log, "a") as log:
        code = subprocess.run(run.cmd, stdout=log, stderr=subprocess.STDOUT).returncode
    seconds = time.time() - t0
    if code:
        print(_("FAILED ({code}): {out}, see {log}").format(code=code, out=run.out, log=run.log), flush=True)
        return code
    wall = run.out / "wall_seconds"
    previous = float(wall.read_text()) if wall.is_file() else 0.0
    wall.write_text(f"{previous + seconds:.1f}\n")
    print(_("finished {out} in {seconds:.0f} s").format(out=run.out, seconds=seconds), flush=True)
    return 0


def run_all(todo, jobs=1):
    """Run the jobs, `jobs` at a time; return the ones that failed (exit code not 0)."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, run) for run in todo]
        try:
            codes = [future.result() for future in futures]
        except BaseException:  # Ctrl-C reaches the running jobs too; start no more of them
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [run for run, code in zip(todo, codes) if code]


def run_experiment(preset, configs, seeds, runs, jobs=1, train_args=(), csv_path=None,
                   export="results/checkpoints"):
    """Train every (config, seed) not finished yet, then write the results CSV and the fp16 exports.

    Returns the runs that failed; the CSV and the exports are written only when none did.
    csv_path: default RESULTS_CSV[preset]. export: a folder for seed 0's fp16 c1 and c4, or "" for none.
    """
    todo = plan(preset, configs, seeds, runs, train_args)
    print(_("{n} run(s) to do in {runs}, {jobs} at a time").format(n=len(todo), runs=runs, jobs=jobs), flush=True)
    failed = run_all(todo, jobs)
    if failed:
        return failed
    rows = []
    for seed in seeds:
        for config in configs:
            out = run_folder(runs, config, seed)
            summary = json.loads((out / "metrics.json").read_text())
            rows.append(csv_row(summary, float((out / "wall_seconds").read_text()), jobs))
    path = Path(csv_path or RESULTS_CSV[preset])
    write_results(path, rows)
    print(_("wrote {path}").format(path=path))
    for config in EXPORTED:
        if export and 0 in seeds and config in configs:
            last = checkpoints.latest_checkpoint(run_folder(runs, config, 0))
            target = Path(export, export_name(preset, config))
            target.parent.mkdir(parents=True, exist_ok=True)
            checkpoints.export_weights(checkpoints.load_checkpoint(last), target)
            print(_("wrote {target} ({size:,} bytes) and its .sha256").format(target=target,
                                                                               size=target.stat().st_size))
    return []
