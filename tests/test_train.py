"""resnext_edu.train: the three configurations, checkpoints, exact resume after SIGKILL, DDP, the CLI."""
import csv
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from resnext_edu import counting, train

ROOT = Path(__file__).resolve().parents[1]
# A tiny net (10k params) on a few images: each step takes milliseconds.
TINY = ["--cardinality", "2", "--bottleneck-width", "2", "--stage-widths", "8", "16", "32",
        "--stem-width", "8", "--batch-size", "16", "--threads", "1", "--quiet"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


@pytest.fixture(autouse=True)
def keep_thread_count():
    """train.main(["train", "--threads", "1", ...]) sets torch's thread count for the whole process; restore it."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def cli(*args, cwd=ROOT):
    """Run `python -m resnext_edu.train ...` in a real process."""
    return subprocess.run([sys.executable, "-m", "resnext_edu.train", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=300)


def final_weights(out):
    return train.load_checkpoint(train.latest_checkpoint(out))["model"]


def parameter_names():
    return [n for n, _ in train.build_model(2, 2, 1, (8, 16, 32), 8).named_parameters()]


# --- the three equal-complexity configurations -------------------------------------------------


def test_three_configs_at_equal_complexity():
    specs = {name: train.model_spec(name) for name in train.CONFIGS}
    assert {n: (c, d) for n, (_, c, d) in specs.items()} == {"c1": (1, 32), "c8": (8, 7), "c32": (32, 2)}
    assert counting.equal_complexity_width(32, in_out_channels=128, reference_width=32) == 2
    params = {n: counting.count_params(train.build_model(c, d)) for n, (_, c, d) in specs.items()}
    assert params == {"c1": 1_235_946, "c8": 1_233_666, "c32": 1_202_666}
    assert max(params.values()) / min(params.values()) - 1 < 0.03  # within 3% of one another
    # the CPU preset's stride-2 stem keeps the parameters and cuts the MACs about 4x
    full, cpu = (counting.count_macs(train.build_model(32, 2, s), (1, 28, 28)) for s in (1, 2))
    assert 3.5 < full / cpu < 4.1


def test_model_spec_errors_name_the_values():
    with pytest.raises(ValueError, match="cardinality=3 must divide group_width=128"):
        train.model_spec(cardinality=3, group_width=128)
    with pytest.raises(ValueError, match="unknown config 'c16'"):
        train.model_spec("c16")
    assert train.model_spec(cardinality=4, group_width=64) == ("4x16d", 4, 16)


# --- checkpoints ---------------------------------------------------------------------------------


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "epoch_001.pt"
    train.save_checkpoint({"model": {"w": torch.arange(1000.0)}, "rng": train.rng_states(), "epoch": 1}, path)
    return path


def test_checkpoint_round_trip_with_sidecar(checkpoint):
    digest, name = train.sidecar(checkpoint).read_text().split()
    assert name == checkpoint.name and len(digest) == 64
    loaded = train.load_checkpoint(checkpoint)
    assert torch.equal(loaded["model"]["w"], torch.arange(1000.0)) and loaded["epoch"] == 1


@pytest.mark.parametrize("damage", ["tampered", "truncated", "no sidecar"])
def test_damaged_checkpoints_are_never_unpickled(checkpoint, damage, monkeypatch):
    raw = checkpoint.read_bytes()
    if damage == "tampered":
        checkpoint.write_bytes(raw[:-200] + bytes([raw[-200] ^ 1]) + raw[-199:])
    elif damage == "truncated":
        checkpoint.write_bytes(raw[: len(raw) // 2])
    else:
        train.sidecar(checkpoint).unlink()
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load ran on unverified bytes"))
    with pytest.raises(train.CheckpointError, match="sidecar") as err:
        train.load_checkpoint(checkpoint)
    assert str(checkpoint) in str(err.value)


def test_export_fp16_and_load_model(tmp_path):
    model = train.build_model(2, 2, 1, (8, 16, 32), 8)
    cfg = train.TrainConfig(config="2x2d", cardinality=2, bottleneck_width=2, stage_widths=(8, 16, 32), stem_width=8)
    ckpt = {"config": vars(cfg), "epoch": 1, "metrics": [], "model": model.state_dict()}
    train.export_weights(ckpt, tmp_path / "small.pt")
    saved = train.load_checkpoint(tmp_path / "small.pt")["model"]
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
    cfg = train.TrainConfig(config="2x2d", cardinality=2, bottleneck_width=2, stage_widths=(8, 16, 32),
                            stem_width=8, batch_size=32, limit=512, epochs=3)
    metrics = train.fit(cfg, out=tmp_path, device="cpu", threads=1, progress=False, bf16=True, channels_last=True)
    assert seen[0] == (True, torch.bfloat16)  # the first training step (the last forward is counting's)
    # it learns: chance is 90% error; fp32 on the same run reaches 54%, this one 57%
    assert metrics[-1]["train_loss"] < 0.8 * metrics[0]["train_loss"] and metrics[-1]["test_error"] < 80
    ckpt = train.load_checkpoint(train.latest_checkpoint(tmp_path))
    assert all(v.dtype == torch.float32 for v in ckpt["model"].values() if v.is_floating_point())  # fp32 master weights
    train.export_weights(ckpt, tmp_path / "small.pt")
    model, _ = train.load_model(tmp_path / "small.pt")
    assert model(torch.randn(2, 1, 28, 28)).isfinite().all()


def test_throughput_benchmark_runs_the_gpu_code_path(tmp_path):
    """benchmarks/train_throughput.py --device cuda uses bf16 and channels_last; here they run on the CPU."""
    table = tmp_path / "throughput.csv"
    args = ["--configs", "c32", "--threads", "1", "--steps", "1", "--warmup", "1", "--batch-size", "16",
            "--bf16", "--channels-last", "--csv", str(table)]
    result = subprocess.run([sys.executable, "benchmarks/train_throughput.py", *args],
                            cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    [row] = train._read_csv(table)
    assert row["mode"] == "1 process, 1 thread, bf16, channels_last" and row["params"] == 1_202_666
    assert row["images_per_s"] > 0


# --- exact resume after SIGKILL --------------------------------------------------------------------


def test_resume_after_sigkill_equals_an_uninterrupted_run(tmp_path):
    args = [*TINY, "--limit", "256", "--epochs", "3"]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    proc = subprocess.Popen([sys.executable, "-m", "resnext_edu.train", "train", *args, "--out", str(killed)],
                            cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marker = killed / "checkpoints" / "epoch_001.pt.sha256"  # written last: epoch 1's checkpoint is complete
    deadline = time.time() + 120
    while not marker.exists():
        assert proc.poll() is None, "the run ended before writing its first checkpoint"
        assert time.time() < deadline
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be killed; make it longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert train.latest_checkpoint(killed).name in ("epoch_001.pt", "epoch_002.pt")
    resumed = cli("train", *args, "--out", str(killed), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert train.main(["train", *args, "--out", str(whole)]) == 0  # in this process, uninterrupted
    a, b = final_weights(killed), final_weights(whole)
    assert all(torch.equal(a[k], b[k]) for k in b), "resumed weights differ from the uninterrupted run"
    metrics = train.load_checkpoint(train.latest_checkpoint(killed))["metrics"]
    assert [m["epoch"] for m in metrics] == [1, 2, 3]


def test_a_fresh_run_refuses_to_overwrite_checkpoints(tmp_path, capsys):
    args = [*TINY, "--limit", "32", "--epochs", "1", "--out", str(tmp_path)]
    assert train.main(["train", *args]) == 0
    assert train.main(["train", *args]) == 2
    assert "--resume" in capsys.readouterr().err
    assert train.main(["train", *args, "--resume"]) == 0  # already finished: nothing to do


# --- DistributedDataParallel == gradient accumulation over the same micro-batches ---------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_on_two_cpu_processes_equals_accumulation_in_one(tmp_path):
    args = [*TINY, "--limit", "64", "--epochs", "1"]  # 4 steps of 16 images: 8 per rank
    ddp = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2",
                          "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
                          "-m", "resnext_edu.train", "train", *args, "--out", str(tmp_path / "ddp")],
                         cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert ddp.returncode == 0, ddp.stderr
    # one process, two micro-batches of 8 per step: the same slots, so the same images
    assert train.main(["train", *args, "--accumulate", "2", "--out", str(tmp_path / "one")]) == 0
    a, b = final_weights(tmp_path / "ddp"), final_weights(tmp_path / "one")
    start = train.build_model(2, 2, 1, (8, 16, 32), 8).state_dict()
    for name in parameter_names():  # BN running statistics are buffers, and DDP keeps rank 0's
        assert torch.allclose(a[name], b[name], atol=1e-5, rtol=0), name
    assert any(not torch.allclose(a[n], start[n]) for n in parameter_names()), "training did not change the weights"


# --- the command line's errors: one line, exit code 2 --------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--config", "c16"], "unknown config 'c16'"),
    (["--cardinality", "3", "--group-width", "128"], "cardinality=3 must divide group_width=128"),
    (["--epochs", "0"], "--epochs 0"),
    (["--epochs", "-2"], "--epochs -2"),
    (["--data", "/nonexistent"], "does not hold the four Fashion-MNIST files"),
    (["--sync-bn", "--device", "cpu"], "--sync-bn needs CUDA"),
    pytest.param(["--device", "cuda"], "no CUDA GPU", marks=pytest.mark.skipif(
        torch.cuda.is_available(), reason="this machine has CUDA")),
    (["--epochs", "two"], "invalid int value"),
    (["--device", "gpu0"], "device='gpu0' is not a device"),
    (["--config", "c8", "--cardinality", "4"], "fixes C and d"),
])
def test_bad_input_gets_one_line_and_exit_code_2(args, message, capsys, tmp_path):
    assert train.main(["train", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_input_in_a_real_process(tmp_path):
    result = cli("train", "--config", "resnext", "--out", str(tmp_path))
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0
    assert "unknown config 'resnext'" in result.stderr and "c1, c8, c32" in result.stderr


def test_main_cli_runs_train_and_results():
    from resnext_edu.__main__ import COMMANDS, main
    assert {"train", "results"} <= set(COMMANDS)
    assert main(["train", "--epochs", "0"]) == 2


# --- `results`: the experiment's command, on a tiny budget -----------------------------------------


def test_results_runs_exports_and_merges_calls(tmp_path):
    quick = ["--preset", "cpu", "--epochs", "1", "--limit", "256", "--threads", "1", "--runs", str(tmp_path / "runs"),
             "--csv", str(tmp_path / "results.csv"), "--export", str(tmp_path / "export")]
    first = cli("results", "--configs", "c1", "c32", "--seeds", "0", "--jobs", "2", *quick)
    assert first.returncode == 0, first.stdout + first.stderr
    rows = train._read_csv(tmp_path / "results.csv")
    assert [(r["config"], r["seed"], r["epochs"], r["train_images"]) for r in rows] == [("c1", 0, 1, 256),
                                                                                         ("c32", 0, 1, 256)]
    assert [r["params"] for r in rows] == [1_235_946, 1_202_666] and all(0 <= r["test_error_e1"] <= 100 for r in rows)
    for row in rows:  # seed 0's fp16 exports belong to these very runs
        _, ckpt = train.load_model(tmp_path / "export" / f"fashion_mnist_cpu_{row['config']}_seed0.pt")
        assert ckpt["config"]["config"] == row["config"]
        assert round(ckpt["metrics"][-1]["test_error"], 2) == row["final_test_error"]
    # a second call (another seed, as on another machine): finished runs are skipped, rows are merged
    second = cli("results", "--configs", "c1", "--seeds", "0", "1", *quick)
    assert second.returncode == 0 and "1 run(s) to do" in second.stdout, second.stdout + second.stderr
    rows = train._read_csv(tmp_path / "results.csv")
    assert [(r["config"], r["seed"]) for r in rows] == [("c1", 0), ("c32", 0), ("c1", 1)]


@pytest.mark.parametrize("args, message", [
    (["--configs", "c16"], "unknown config 'c16'"),
    (["--jobs", "0"], "--jobs 0"),
    (["--epochs", "0"], "--epochs 0"),
    (["--data", "/nonexistent"], "does not hold the four Fashion-MNIST files"),
])
def test_results_bad_input_gets_one_line_and_exit_code_2(args, message, capsys, tmp_path):
    assert train.main(["results", *args, "--runs", str(tmp_path)]) == 2
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
    exports = sorted((ROOT / "results" / "checkpoints").glob("*.pt"))
    assert exports and sum(p.stat().st_size for p in exports) <= 8_000_000
    for path in exports:
        model, ckpt = train.load_model(path)  # checks the sidecar
        assert counting.count_params(model) in (1_235_946, 1_202_666)
