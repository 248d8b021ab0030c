"""Training: the three configurations, checkpoints, exact resume after SIGKILL, DDP, the experiment, the CLI.

Real processes only where a process is the point (SIGKILL, torchrun's ranks, the experiment's jobs,
one error printed by a real program); everything else runs in this process, through
`resnext_edu.__main__.main`, on a 10k-parameter net: each process costs seconds (torch's imports),
each step of the tiny net milliseconds.
"""
import csv
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from resnext_edu import checkpoints, complexity, counting, experiment, train
from resnext_edu.__main__ import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
# A tiny net (10k params) on a few images: each step takes milliseconds.
TINY = ["--cardinality", "2", "--bottleneck-width", "2", "--stage-widths", "8", "16", "32",
        "--stem-width", "8", "--batch-size", "16", "--threads", "1", "--quiet"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


@pytest.fixture(autouse=True)
def keep_thread_count():
    """main(["train", "--threads", "1", ...]) sets torch's thread count for the whole process; restore it."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def cli(*args):
    """Run `python -m resnext_edu ...` in a real process."""
    return subprocess.run([sys.executable, "-m", "resnext_edu", *args], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=300)


def final_weights(out):
    return checkpoints.load_checkpoint(checkpoints.latest_checkpoint(out))["model"]


def train_metrics(out):
    return checkpoints.load_checkpoint(checkpoints.latest_checkpoint(out))["metrics"]


def tiny_model():
    return train.build_model(2, 2, 1, (8, 16, 32), 8)


# --- the three equal-complexity configurations -------------------------------------------------


def test_three_configs_at_equal_complexity():
    specs = {name: train.model_spec(name) for name in train.CONFIGS}
    assert {n: (c, d) for n, (_, c, d) in specs.items()} == {"c1": (1, 32), "c2": (2, 20), "c4": (4, 12)}
    assert all(d >= 4 for _, _, d in specs.values())  # "a bottleneck width no smaller than 4d" (Sec. 5.1)
    with torch.device("meta"):  # counts need shapes only
        params = {n: counting.count_params(train.build_model(c, d)) for n, (_, c, d) in specs.items()}
        macs = {(n, s): counting.count_macs(train.build_model(c, d, s), (1, 28, 28))
                for n, (_, c, d) in specs.items() for s in (1, 2)}
        # why C stops at 4: 8x7d and 16x4d (the least d allowed) would cost 4% and 8% more MACs
        wider = {c: counting.count_macs(train.build_model(c, complexity.equal_complexity_width(c, 128, 32), 2),
                                        (1, 28, 28)) for c in (8, 16)}
    assert params == {"c1": 1_235_946, "c2": 1_227_626, "c4": 1_219_306}
    assert max(params.values()) / min(params.values()) - 1 < 0.03  # within 3% of one another
    for s in (1, 2):
        stride = [m for (n, t), m in macs.items() if t == s]
        assert max(stride) / min(stride) - 1 < 0.03
    assert wider[8] / macs["c1", 2] - 1 > 0.03 and wider[16] / macs["c1", 2] - 1 > 0.08
    # the CPU preset's stride-2 stem keeps the parameters and cuts the MACs about 4x
    assert 3.5 < macs["c4", 1] / macs["c4", 2] < 4.1


def test_model_spec_errors_name_the_values():
    with pytest.raises(ValueError, match="cardinality=3 does not divide group_width=128; try one of 1, 2, 4"):
        train.model_spec(cardinality=3, group_width=128)
    with pytest.raises(ValueError, match="config='c16' is unknown; use one of 'c1', 'c2', 'c4'"):
        train.model_spec("c16")
    with pytest.raises(ValueError, match="bottleneck_width=0 must be a whole number of at least 1"):
        train.model_spec(cardinality=4, bottleneck_width=0)
    assert train.model_spec(cardinality=4, group_width=64) == ("4x16d", 4, 16)


# --- checkpoints ---------------------------------------------------------------------------------


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "epoch_001.pt"
    checkpoints.save_checkpoint({"model": {"w": torch.arange(1000.0)}, "rng": checkpoints.rng_states(),
                                 "epoch": 1}, path)
    return path


def test_checkpoint_round_trip_with_sidecar(checkpoint):
    digest, name = checkpoints.sidecar(checkpoint).read_text().split()
    assert name == checkpoint.name and len(digest) == 64
    loaded = checkpoints.load_checkpoint(checkpoint)
    assert torch.equal(loaded["model"]["w"], torch.arange(1000.0)) and loaded["epoch"] == 1


@pytest.mark.parametrize("damage", ["tampered", "truncated", "no sidecar"])
def test_damaged_checkpoints_are_never_unpickled(checkpoint, damage, monkeypatch):
    raw = checkpoint.read_bytes()
    if damage == "tampered":
        checkpoint.write_bytes(raw[:-200] + bytes([raw[-200] ^ 1]) + raw[-199:])
    elif damage == "truncated":
        checkpoint.write_bytes(raw[: len(raw) // 2])
    else:
        checkpoints.sidecar(checkpoint).unlink()
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load ran on unverified bytes"))
    with pytest.raises(checkpoints.CheckpointError, match="sidecar") as err:
        checkpoints.load_checkpoint(checkpoint)
    assert str(checkpoint) in str(err.value)


def test_export_fp16_and_load_model(tmp_path):
    model = tiny_model()
    cfg = train.TrainConfig(config="2x2d", cardinality=2, bottleneck_width=2, stage_widths=(8, 16, 32), stem_width=8)
    ckpt = {"config": vars(cfg), "epoch": 1, "metrics": [], "model": model.state_dict()}
    checkpoints.export_weights(ckpt, tmp_path / "small.pt")
    saved = checkpoints.load_checkpoint(tmp_path / "small.pt")["model"]
    assert all(v.dtype in (torch.float16, torch.int64) for v in saved.values())
    loaded, _ = train.load_model(tmp_path / "small.pt")
    x = torch.randn(2, 1, 28, 28)
    assert torch.allclose(loaded(x), model.eval()(x), atol=1e-2)


# --- the GPU's code path (bf16 autocast, channels_last), run where CI can: on the CPU ---------------


def test_bf16_and_channels_last_train_and_export(tmp_path, monkeypatch):
    seen = []
    build = train.build_model

    def spy(*args):  # note the memory format and dtype around the last grouped conv in each forward
        model = build(*args)
        conv = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1][-1]
        conv.register_forward_hook(lambda m, i, o: seen.append(
            (i[0].is_contiguous(memory_format=torch.channels_last) and not i[0].is_contiguous(), o.dtype)))
        return model

    monkeypatch.setattr(train, "build_model", spy)
    # bf16 convs are slow on a CPU: the stride-2 stem and batches of 16 keep the 48 steps short
    cfg = train.TrainConfig(config="2x2d", cardinality=2, bottleneck_width=2, stage_widths=(8, 16, 32),
                            stem_width=8, stem_stride=2, batch_size=16, limit=256, epochs=3)
    metrics = train.fit(cfg, out=tmp_path, device="cpu", threads=1, progress=False, bf16=True, channels_last=True)
    assert seen[0] == (True, torch.bfloat16)  # the first training step (the last forward is counting's)
    # it learns: chance is 90% error; fp32 on the same run reaches 64%, this one 59%
    assert metrics[-1]["train_loss"] < 0.8 * metrics[0]["train_loss"] and metrics[-1]["test_error"] < 80
    ckpt = checkpoints.load_checkpoint(checkpoints.latest_checkpoint(tmp_path))
    assert all(v.dtype == torch.float32 for v in ckpt["model"].values() if v.is_floating_point())  # fp32 master weights
    checkpoints.export_weights(ckpt, tmp_path / "small.pt")
    model, _ = train.load_model(tmp_path / "small.pt")
    assert model(torch.randn(2, 1, 28, 28)).isfinite().all()


def test_throughput_benchmark_runs_the_gpu_code_path(tmp_path, capsys):
    """benchmarks/train_throughput.py --device cuda uses bf16 and channels_last; here they run on the CPU."""
    bench = runpy.run_path(str(ROOT / "benchmarks" / "train_throughput.py"), run_name="train_throughput")
    table = tmp_path / "throughput.csv"
    bench["main"](["--configs", "c4", "--threads", "1", "--steps", "1", "--warmup", "1", "--batch-size", "4",
                   "--bf16", "--channels-last", "--csv", str(table)])
    assert f"wrote {table}" in capsys.readouterr().out
    [row] = experiment.read_csv(table)
    assert row["mode"] == "1 process, 1 thread, bf16, channels_last" and row["params"] == 1_219_306
    assert row["images_per_s"] > 0


# --- exact resume after SIGKILL --------------------------------------------------------------------


def test_resume_after_sigkill_equals_an_uninterrupted_run(tmp_path):
    args = [*TINY, "--limit", "256", "--epochs", "3"]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    proc = subprocess.Popen([sys.executable, "-m", "resnext_edu", "train", *args, "--out", str(killed)],
                            cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marker = checkpoints.sidecar(checkpoints.epoch_path(killed, 1))  # written last: epoch 1 is complete
    deadline = time.time() + 120
    while not marker.exists():
        assert proc.poll() is None, "the run ended before writing its first checkpoint"
        assert time.time() < deadline
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be killed; make it longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert checkpoints.latest_checkpoint(killed).name in ("epoch_001.pt", "epoch_002.pt")
    # Resumed here, from the files alone: nothing of the killed process survives but its checkpoints.
    assert main(["train", *args, "--out", str(killed), "--resume"]) == 0
    assert main(["train", *args, "--out", str(whole)]) == 0  # uninterrupted
    a, b = final_weights(killed), final_weights(whole)
    assert all(torch.equal(a[k], b[k]) for k in b), "resumed weights differ from the uninterrupted run"
    metrics = checkpoints.load_checkpoint(checkpoints.latest_checkpoint(killed))["metrics"]
    assert [m["epoch"] for m in metrics] == [1, 2, 3]


def test_a_fresh_run_refuses_to_overwrite_checkpoints(tmp_path, capsys):
    args = [*TINY, "--limit", "32", "--epochs", "1", "--out", str(tmp_path)]
    assert main(["train", *args]) == 0
    assert main(["train", *args]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["train", *args, "--resume"]) == 0  # already finished: nothing to do


# --- DistributedDataParallel == gradient accumulation over the same micro-batches ---------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_on_two_cpu_processes_equals_accumulation_in_one(tmp_path):
    args = [*TINY, "--limit", "64", "--epochs", "1"]  # 4 steps of 16 images: 8 per rank
    ddp = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2",
                          "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
                          "-m", "resnext_edu", "train", *args, "--out", str(tmp_path / "ddp")],
                         cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert ddp.returncode == 0, ddp.stderr
    # one process, two micro-batches of 8 per step: the same slots, so the same images
    assert main(["train", *args, "--accumulate", "2", "--out", str(tmp_path / "one")]) == 0
    a, b = final_weights(tmp_path / "ddp"), final_weights(tmp_path / "one")
    start = tiny_model().state_dict()
    names = [n for n, _ in tiny_model().named_parameters()]
    for name in names:  # BN running statistics are buffers, and DDP keeps rank 0's
        assert torch.allclose(a[name], b[name], atol=1e-5, rtol=0), name
    assert any(not torch.allclose(a[n], start[n]) for n in names), "training did not change the weights"


# --- the command line's errors: one line, exit code 2 --------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--config", "c16"], "config='c16' is unknown"),
    (["--cardinality", "3", "--group-width", "128"], "cardinality=3 does not divide group_width=128"),
    (["--cardinality", "0"], "cardinality=0 must be a whole number of at least 1"),
    (["--epochs", "0"], "--epochs 0"),
    (["--epochs", "-2"], "--epochs -2"),
    (["--batch-size", "0"], "--batch-size 0: must be at least 1"),
    (["--data", "/nonexistent"], "does not hold the four Fashion-MNIST files"),
    (["--sync-bn", "--device", "cpu"], "--sync-bn needs CUDA"),
    pytest.param(["--device", "cuda"], "no CUDA GPU", marks=pytest.mark.skipif(
        torch.cuda.is_available(), reason="this machine has CUDA")),
    (["--epochs", "two"], "invalid int value"),
    (["--device", "gpu0"], "device='gpu0' is not a device"),
    (["--config", "c2", "--cardinality", "4"], "fixes C and d"),
    (["--resume"], "--resume: no complete checkpoint"),
])
def test_bad_input_gets_one_line_and_exit_code_2(args, message, capsys, tmp_path):
    assert main(["train", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_input_in_a_real_process(tmp_path):
    result = cli("train", "--config", "resnext", "--out", str(tmp_path))
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0
    assert "config='resnext' is unknown" in result.stderr and "'c1', 'c2', 'c4'" in result.stderr


def test_main_cli_has_train_and_results():
    assert {"train", "results"} <= set(COMMANDS)


# --- `results`: the experiment's command, on a tiny budget -----------------------------------------


def test_results_runs_jobs_side_by_side_exports_and_skips_finished_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # for the `train` processes the experiment starts
    runs = tmp_path / "runs"
    quick = ["results", "--preset", "cpu", "--configs", "c1", "c4", "--seeds", "0", "--epochs", "1",
             "--limit", "128", "--threads", "1", "--runs", str(runs), "--csv", str(tmp_path / "results.csv"),
             "--export", str(tmp_path / "export")]
    assert main([*quick, "--jobs", "2"]) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "2 run(s) to do" in out and "--config c4 --seed 0" in out
    second_start = out.index("started", out.index("started") + 1)
    assert second_start < out.index("finished"), "--jobs 2 should start both runs before either ends"
    rows = experiment.read_csv(tmp_path / "results.csv")
    assert [(r["config"], r["seed"], r["epochs"], r["train_images"]) for r in rows] == [("c1", 0, 1, 128),
                                                                                         ("c4", 0, 1, 128)]
    assert [r["params"] for r in rows] == [1_235_946, 1_219_306] and all(0 <= r["test_error_e1"] <= 100 for r in rows)
    for row in rows:  # the training error per epoch too: on the augmented batches, as the run measured it
        metrics = train_metrics(runs / f"{row['config']}-seed0")
        assert row["train_error_e1"] == row["final_train_error"] == round(metrics[-1]["train_error"], 2)
    assert all(r["parallel_runs"] == 2 and r["wall_seconds"] > 0 for r in rows)
    for row in rows:  # seed 0's fp16 exports belong to these very runs
        _, ckpt = train.load_model(tmp_path / "export" / f"fashion_mnist_cpu_{row['config']}_seed0.pt")
        assert ckpt["config"]["config"] == row["config"]
        assert round(ckpt["metrics"][-1]["test_error"], 2) == row["final_test_error"]
    # A run whose wall time was never written was interrupted: it is planned again, with --resume.
    wall = runs / "c4-seed0" / "wall_seconds"
    seconds = wall.read_text()
    wall.unlink()
    [again] = experiment.plan("cpu", ["c1", "c4"], [0], runs, ["--threads", 1])
    assert (again.config, again.cmd[-3:]) == ("c4", ["--threads", "1", "--resume"])
    wall.write_text(seconds)
    # A second call: the finished runs are skipped, and the CSV keeps their rows.
    assert main([*quick, "--configs", "c1", "--jobs", "2"]) == 0
    assert "0 run(s) to do" in capsys.readouterr().out
    assert experiment.read_csv(tmp_path / "results.csv") == rows


def test_write_results_merges_runs_by_config_and_seed(tmp_path):
    path = tmp_path / "results.csv"

    def row(config, seed, error):
        return dict(preset="cpu", config=config, seed=seed, final_test_error=error)

    experiment.write_results(path, [row("c4", 0, 20.5), row("c1", 0, 25.5)])
    experiment.write_results(path, [row("c1", 1, 23.5)])  # another seed, as from another machine: joins
    experiment.write_results(path, [row("c4", 0, 19.5)])  # a run trained again: replaces its old row
    assert [(r["config"], r["seed"], r["final_test_error"]) for r in experiment.read_csv(path)] == [
        ("c1", 0, 25.5), ("c4", 0, 19.5), ("c1", 1, 23.5)]


def test_a_failed_run_is_reported_with_its_log_and_exit_code_1(tmp_path, capsys, monkeypatch):
    fail = experiment.Run("c1", 0, tmp_path / "c1-seed0",
                          [sys.executable, "-c", "import sys; print('out of memory'); sys.exit(3)"])
    ok = experiment.Run("c2", 0, tmp_path / "c2-seed0", [sys.executable, "-c", "pass"])
    assert experiment.run_all([fail, ok], jobs=2) == [fail]
    out = capsys.readouterr().out
    assert f"FAILED (3): {fail.out}, see {fail.log}" in out and "out of memory" in fail.log.read_text()
    assert not (fail.out / "wall_seconds").exists() and (ok.out / "wall_seconds").is_file()
    # through the command: exit code 1, and no CSV from an incomplete experiment
    monkeypatch.setattr(experiment, "plan", lambda *args: [fail])
    assert main(["results", "--preset", "cpu", "--runs", str(tmp_path), "--csv", str(tmp_path / "r.csv")]) == 1
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("args, message", [
    (["--configs", "c16"], "config='c16' is unknown"),
    (["--jobs", "0"], "--jobs 0"),
    (["--epochs", "0"], "--epochs 0"),
    (["--data", "/nonexistent"], "does not hold the four Fashion-MNIST files"),
    (["--seeds", "one"], "invalid int value"),
])
def test_results_bad_input_gets_one_line_and_exit_code_2(args, message, capsys, tmp_path):
    assert main(["results", *args, "--runs", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


# --- the committed results --------------------------------------------------------------------------


RESULTS = sorted((ROOT / "results").glob("fashion_mnist_equal_complexity*.csv"))


def test_committed_results_and_checkpoints():
    assert RESULTS, "no results/fashion_mnist_equal_complexity*.csv committed"
    for path in RESULTS:
        rows = list(csv.DictReader(path.open()))
        seeds = {r["seed"] for r in rows}  # every config with the same seeds, each run once
        assert {"0", "1", "2"} <= seeds and len(rows) == len(train.CONFIGS) * len(seeds)
        assert {(r["config"], r["seed"]) for r in rows} == {(c, s) for c in train.CONFIGS for s in seeds}
        assert all(r["device"] and float(r["final_test_error"]) < 90 for r in rows)
    assert experiment.load_results() and experiment.committed_preset() in ("gpu", "cpu")
    exports = sorted((ROOT / "results" / "checkpoints").glob("*.pt"))
    assert exports and sum(p.stat().st_size for p in exports) <= 8_000_000
    assert experiment.committed_checkpoint("c4") in exports
    for path in exports:
        model, ckpt = train.load_model(path)  # checks the sidecar
        assert counting.count_params(model) in (1_235_946, 1_219_306)


def test_the_progress_bar_is_a_widget_in_a_notebook():
    """tqdm.auto draws tqdm's notebook bar in a kernel, not text in a red stderr box, and plain text in a terminal."""
    import tqdm.auto
    assert train.tqdm is tqdm.auto.tqdm
