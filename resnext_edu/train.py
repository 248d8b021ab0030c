"""Train the equal-complexity ResNeXt-29 minis on Fashion-MNIST: `python -m resnext_edu train --config c32`.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. The paper's claim (Sec. 5.1, Table 3; Sec. 5.3, Fig. 7) is
that at the same number of parameters and FLOPs, more paths (cardinality C) give lower error.
Counting can only show that the models cost the same; only training shows which one is better.

One file, read top to bottom, nanoGPT-style: the three configurations and the model, the data
batches, checkpoints (sha256 sidecar, atomic writes, exact resume), one training run (`fit`),
and the command line (`train`, and `results`, which runs the whole experiment).

    python -m resnext_edu train --config c32                  # the committed subset, 15 epochs
    python -m resnext_edu train --config c1 --full --epochs 1 # the full 60k set
    torchrun --nproc_per_node=2 -m resnext_edu train ...      # DistributedDataParallel
    python -m resnext_edu results --preset gpu                # 3 configs x 3 seeds: `make results`

Recipe (the paper's CIFAR recipe, Appendix A, shortened): SGD with Nesterov momentum 0.9,
weight decay 5e-4, batch 128, peak learning rate 0.1, here with a one-cycle schedule.
"""
import argparse
import contextlib
import csv
import dataclasses
import io
import json
import os
import platform
import random
import subprocess
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler
from tqdm import tqdm

from . import counting, data, models
from .checks import divisors

# --- the models ------------------------------------------------------------------------------
# A "ResNeXt-29 mini": the paper's CIFAR network (Sec. 5.3) at half its widths, for 28x28 grey
# images. Stage output widths 128, 256, 512 (the paper: 256, 512, 1024), a 3x3 stem of 32.
STAGE_WIDTHS = (128, 256, 512)
STEM_WIDTH = 32
# The three equal-complexity configurations. Each d comes from Table 2's rule: the whole d that
# keeps a stage-1 block (128-d in and out) nearest ResNet's, whose bottleneck is a quarter of the
# block's width (d = 128 / 4 = 32). All three have about 1.2M parameters.
CONFIGS = {"c1": 1, "c8": 8, "c32": 32}  # name: cardinality C ("c1" is the ResNet)


def reference_width(stage_widths=STAGE_WIDTHS):
    """ResNet's bottleneck width in stage 1: a quarter of the block's output (He et al. 2016)."""
    return max(1, stage_widths[0] // 4)


def model_spec(config=None, cardinality=None, bottleneck_width=None, group_width=None,
               stage_widths=STAGE_WIDTHS):
    """(name, C, d) from a named config, or from C with d or the group width C·d; ValueError if they don't fit.

    C alone gets the equal-complexity d. A group width must be a multiple of C (C paths of d channels).
    """
    if config is not None:
        if config not in CONFIGS:
            raise ValueError(f"unknown config {config!r}; use one of {', '.join(CONFIGS)} "
                             "(or --cardinality with --bottleneck-width or --group-width)")
        if (cardinality, bottleneck_width, group_width) != (None, None, None):
            raise ValueError(f"config {config!r} fixes C and d; leave out --cardinality, "
                             "--bottleneck-width and --group-width, or leave out --config")
        cardinality = CONFIGS[config]
    for name, value in [("cardinality", cardinality), ("bottleneck_width", bottleneck_width),
                        ("group_width", group_width)]:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name}={value!r} must be a whole number of at least 1")
    if cardinality is None:
        raise ValueError("give a config (c1, c8, c32) or a cardinality")
    if bottleneck_width is not None and group_width is not None:
        raise ValueError("give either bottleneck_width (d) or group_width (C·d), not both")
    if group_width is not None:
        if group_width % cardinality:
            raise ValueError(f"cardinality={cardinality} must divide group_width={group_width}: the group "
                             f"width is C paths of d channels each; try a cardinality in "
                             f"{divisors(group_width)}")
        bottleneck_width = group_width // cardinality
    if bottleneck_width is None:
        bottleneck_width = counting.equal_complexity_width(cardinality, stage_widths[0],
                                                           reference_width(stage_widths))
    name = config or f"{cardinality}x{bottleneck_width}d"
    return name, cardinality, bottleneck_width


def build_model(cardinality, bottleneck_width, stem_stride=1, stage_widths=STAGE_WIDTHS, stem_width=STEM_WIDTH):
    """ResNeXt-29 mini (C x d) for (N, 1, 28, 28) Fashion-MNIST: models.resnext with 10 classes.

    stem_stride=2 (the CPU preset) makes the stem output 14x14 instead of 28x28: the same
    parameters, about 4x fewer MACs in every layer after it.
    """
    model = models.resnext(29, cardinality, bottleneck_width, num_classes=10, in_channels=1,
                           stem_width=stem_width, stage_widths=tuple(stage_widths))
    model.conv1.stride = (stem_stride, stem_stride)
    return model


def describe(cardinality, bottleneck_width):
    """The paper's name, e.g. 'ResNeXt-29 mini (32x2d)', with '= ResNet' for C = 1."""
    return f"ResNeXt-29 mini ({cardinality}x{bottleneck_width}d)" + (" = ResNet" if cardinality == 1 else "")


# --- a run's settings ------------------------------------------------------------------------


@dataclass
class TrainConfig:
    """Everything that defines a run; stored in every checkpoint, so --resume continues the same run."""

    config: str = "c32"              # model name: c1 (ResNet), c8, c32, or "CxDd" for explicit widths
    cardinality: int = 32            # C, paths per block
    bottleneck_width: int = 2        # d, channels per path in stage 1 (doubles per stage)
    stage_widths: tuple = STAGE_WIDTHS
    stem_width: int = STEM_WIDTH
    stem_stride: int = 1             # 2 in the CPU preset
    epochs: int = 15
    batch_size: int = 128            # global batch per optimizer step, over all ranks
    accumulate: int = 1              # micro-batches per step on each rank (gradient accumulation)
    lr: float = 0.1                  # peak learning rate
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "onecycle"       # or "cosine"; both step once per batch
    seed: int = 0
    full: bool = False               # the full 60k set instead of the committed subset
    data: str = None                 # a folder with the four Fashion-MNIST files (implies full)
    limit: int = None                # use only the first N training and test images
    padding: int = 2                 # random-crop padding, in pixels
    sync_bn: bool = False            # SyncBatchNorm across ranks (CUDA only)
    preset: str = "default"          # label for results: default, gpu or cpu


PRESETS = {  # what --preset sets; options given explicitly win
    "default": dict(full=False, epochs=15, stem_stride=1),
    "gpu": dict(full=True, epochs=15, stem_stride=1),   # the experiment (`make results`)
    "cpu": dict(full=False, epochs=3, stem_stride=2),   # a stand-in for 2 CPU cores (`make results-cpu`)
}


# --- data ------------------------------------------------------------------------------------


def load_data(cfg):
    """(train images, train labels, test images, test labels), uint8 (N, 28, 28) and int64 (N,)."""
    train = data.load_fashion_mnist("train", full=cfg.full, path=cfg.data)
    test = data.load_fashion_mnist("test", full=cfg.full, path=cfg.data)
    if cfg.limit:
        train, test = [(x[:cfg.limit], y[:cfg.limit]) for x, y in (train, test)]
    return (*train, *test)


def epoch_generator(seed, epoch, slot):
    """The augmentation RNG of one micro-batch slot in one epoch.

    It depends on (seed, epoch, slot) alone, so a resumed run, and every rank, rebuild it
    without saving it; a slot is one rank's micro-batch position, see `fit`.
    """
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch * 1_009 + slot)


def epoch_shards(n, cfg, epoch, slots, num_slots):
    """Each slot's shuffled share of range(n) for this epoch, from DistributedSampler (seed + epoch)."""
    shards = []
    for slot in slots:
        sampler = DistributedSampler(range(n), num_replicas=num_slots, rank=slot, shuffle=True,
                                     seed=cfg.seed, drop_last=True)
        sampler.set_epoch(epoch)
        shards.append(torch.tensor(list(sampler)))
    return shards


def make_batch(images, labels, index, generator, device, padding, channels_last):
    """Augmented, normalised inputs (N, 1, 28, 28) and labels (N,) on the device."""
    x = data.normalize(data.augment(data.to_float(images[index]), generator, padding))
    x, y = x.to(device, non_blocking=True), labels[index].to(device, non_blocking=True)
    return (x.contiguous(memory_format=torch.channels_last) if channels_last else x), y


# --- checkpoints: sha256 sidecar, atomic writes, weights_only loads ---------------------------


class CheckpointError(Exception):
    """A checkpoint is missing, unverified, tampered with or truncated."""


def _atomic_write(path, write):
    """write(tmp) then rename: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())  # the bytes are on disk before the rename makes them visible
    os.replace(tmp, path)


def save_checkpoint(obj, path):
    """torch.save(obj) to path atomically, then its sha256 to path + '.sha256'.

    The sidecar is written last, so it marks the checkpoint complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, lambda f: torch.save(obj, f))
    line = f"{data.sha256(path)}  {path.name}\n".encode()  # sha256sum's format: `sha256sum -c` checks it
    _atomic_write(sidecar(path), lambda f: f.write(line))


def sidecar(path):
    return Path(f"{path}.sha256")


def load_checkpoint(path):
    """Check path's sha256 against its sidecar, then torch.load(weights_only=True); CheckpointError otherwise."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if not sidecar(path).is_file():
        raise CheckpointError(f"checkpoint {path} has no sha256 sidecar ({sidecar(path).name}); "
                              "refusing to load bytes that cannot be verified")
    expected = (sidecar(path).read_text().split() or [""])[0]
    actual = data.sha256(path)
    if actual != expected:
        raise CheckpointError(f"checkpoint {path} has sha256 {actual[:16]}..., but its sidecar says "
                              f"{expected[:16]}...: the file was changed or truncated; not loading it")
    try:  # weights_only: tensors and plain Python types only, never arbitrary code
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise CheckpointError(f"checkpoint {path} matches its sidecar but does not load: {err}") from None


def latest_checkpoint(folder):
    """The newest checkpoints/epoch_NNN.pt whose sidecar exists (a file without one was cut off), or None."""
    done = sorted(p for p in Path(folder, "checkpoints").glob("epoch_*.pt") if sidecar(p).is_file())
    return done[-1] if done else None


def _prune(folder, keep=2):
    """Keep the newest `keep` epoch checkpoints: enough to survive a damaged last one."""
    done = sorted(Path(folder, "checkpoints").glob("epoch_*.pt"))
    for old in done[:-keep]:
        old.unlink(missing_ok=True)
        sidecar(old).unlink(missing_ok=True)


def rng_states():
    """Every RNG's state, as tensors and plain Python values (storable with weights_only=True)."""
    return {"torch": torch.get_rng_state(), "python": random.getstate(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_states(states):
    torch.set_rng_state(states["torch"])
    random.setstate(states["python"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def export_weights(checkpoint, path, dtype=torch.float16):
    """Write a small weights-only file (fp16 by default) with the config and metrics, and its sidecar."""
    state = {k: v.to(dtype) if v.is_floating_point() else v for k, v in checkpoint["model"].items()}
    save_checkpoint({"config": checkpoint["config"], "epoch": checkpoint["epoch"],
                     "metrics": checkpoint["metrics"], "model": state}, path)


def load_model(path):
    """(model in eval mode, float32, and the checkpoint dict) from a verified checkpoint or export."""
    ckpt = load_checkpoint(path)
    cfg = ckpt["config"]
    model = build_model(cfg["cardinality"], cfg["bottleneck_width"], cfg["stem_stride"],
                        cfg["stage_widths"], cfg["stem_width"])
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ckpt["model"].items()})
    return model.eval(), ckpt


# --- devices and ranks ------------------------------------------------------------------------


def pick_device(name="auto", local_rank=0):
    """CUDA when present (auto), else the CPU; name overrides ('cpu', 'cuda', 'cuda:1')."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"device={name!r} is not a device; use auto, cpu or cuda") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={name!r} asked for CUDA, but torch finds no CUDA GPU; use --device cpu")
        if device.index is None:
            device = torch.device("cuda", local_rank)
    elif device.type != "cpu":
        raise ValueError(f"device={name!r} is not supported; use auto, cpu or cuda")
    return device


def distributed():
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) without torchrun."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world == 1:
        return 0, 1, 0
    return int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", 0))


def device_label(device, threads=None):
    """A short description of the hardware, for the results CSV."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"cpu ({cpu}; {threads or torch.get_num_threads()} thread(s) of {os.cpu_count()} cores)"


# --- one run ----------------------------------------------------------------------------------


@torch.no_grad()
def evaluate(model, images, labels, device, channels_last, autocast, batch_size=500):
    """(mean loss, error in %) on a whole split, in eval mode (BatchNorm's running statistics)."""
    model.eval()
    loss, wrong = 0.0, 0
    for i in range(0, len(images), batch_size):
        x = data.normalize(data.to_float(images[i:i + batch_size])).to(device)
        x = x.contiguous(memory_format=torch.channels_last) if channels_last else x
        y = labels[i:i + batch_size].to(device)
        with autocast():
            logits = model(x)
        loss += F.cross_entropy(logits.float(), y, reduction="sum").item()
        wrong += (logits.argmax(1) != y).sum().item()
    model.train()
    return loss / len(images), 100 * wrong / len(images)


def make_schedule(optimizer, cfg, total_steps):
    """One-cycle (warm up for 15% of the steps, then cosine down) or plain cosine, per step."""
    if cfg.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=total_steps,
                                                   pct_start=0.15, cycle_momentum=False)
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)


def fit(cfg, out=None, resume=False, device="auto", threads=None, progress=True, bf16=None, channels_last=None):
    """Train one run and return its metrics, a list with one dict per epoch.

    out: folder for checkpoints/epoch_NNN.pt (each with a .sha256 sidecar) and metrics.json;
    None writes nothing. resume: continue from the newest complete checkpoint in out; the
    run then ends with the same weights as an uninterrupted one (on CPU, bit for bit).
    bf16 (autocast) and channels_last: None means on CUDA only; True on the CPU runs the GPU's
    code path on a machine without one (slower there: it is for testing).
    Under torchrun every rank runs this; rank 0 alone evaluates and writes.
    """
    rank, world, local_rank = distributed()
    dev = pick_device(device, local_rank)
    if cfg.sync_bn and dev.type != "cuda":
        raise ValueError("--sync-bn needs CUDA: torch's SyncBatchNorm has no CPU kernel; leave it out on CPU")
    if threads:
        torch.set_num_threads(threads)
    ckpt = None
    if resume:
        path = latest_checkpoint(out) if out else None
        if path is None:
            raise CheckpointError(f"--resume: no complete checkpoint in {Path(out or '.') / 'checkpoints'}")
        ckpt = load_checkpoint(path)
        cfg = TrainConfig(**ckpt["config"])  # the checkpoint's settings win: it is the same run
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
        torch.backends.cudnn.benchmark = True  # picks the fastest conv algorithms for these shapes
    per_slot, rest = divmod(cfg.batch_size, world * cfg.accumulate)
    if rest or per_slot == 0:
        raise ValueError(f"batch_size={cfg.batch_size} must split evenly over {world} rank(s) x "
                         f"{cfg.accumulate} micro-batch(es)")

    if out and not resume and latest_checkpoint(out):
        raise ValueError(f"{out} already holds checkpoints of a run: pass --resume to continue it, "
                         "or choose another --out")
    torch.manual_seed(cfg.seed)  # the same initial weights on every rank
    random.seed(cfg.seed)
    # The whole set fits in memory (47 MB for 60k images); on a GPU it lives there, so batches
    # are cut and augmented without copies from the host.
    train_x, train_y, test_x, test_y = (t.to(dev) for t in load_data(cfg))
    model = build_model(cfg.cardinality, cfg.bottleneck_width, cfg.stem_stride, cfg.stage_widths, cfg.stem_width)
    # CUDA: channels_last (N, H, W, C) memory suits tensor cores, and bf16 autocast halves traffic.
    channels_last = dev.type == "cuda" if channels_last is None else channels_last
    bf16 = dev.type == "cuda" if bf16 is None else bf16
    autocast = (lambda: torch.autocast(dev.type, dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
    if cfg.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(dev, memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    # Weight decay on every parameter, BN included, as in the paper's (Caffe/Torch) recipe.
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=True,
                                weight_decay=cfg.weight_decay)
    # Each optimizer step sees batch_size images: world ranks x accumulate micro-batches each.
    # A "slot" is one micro-batch position; slot = rank * accumulate + a. Two ranks of one micro-batch
    # and one rank of two micro-batches have the same slots, so they see the same images.
    num_slots = world * cfg.accumulate
    slots = range(rank * cfg.accumulate, (rank + 1) * cfg.accumulate)
    steps = len(train_x) // num_slots // per_slot
    if steps == 0:
        raise ValueError(f"{len(train_x)} training images are fewer than one batch of {cfg.batch_size}")
    scheduler = make_schedule(optimizer, cfg, cfg.epochs * steps)
    metrics, start = [], 0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        set_rng_states(ckpt["rng"])
        metrics, start = ckpt["metrics"], ckpt["epoch"]
    net = DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None) if world > 1 else model

    for epoch in range(start, cfg.epochs):
        shards = epoch_shards(len(train_x), cfg, epoch, slots, num_slots)
        gens = [epoch_generator(cfg.seed, epoch, s) for s in slots]
        bar = tqdm(range(steps), desc=f"{cfg.config} epoch {epoch + 1}/{cfg.epochs}", disable=not progress or rank,
                   mininterval=0.5, leave=False, file=sys.stderr)
        # Running sums stay on the device; .item() would make a GPU wait at every step.
        loss_sum, correct, seen = torch.zeros((), device=dev), torch.zeros((), device=dev, dtype=torch.long), 0
        t0 = time.perf_counter()
        for step in bar:
            for a, (shard, gen) in enumerate(zip(shards, gens)):
                x, y = make_batch(train_x, train_y, shard[step * per_slot:(step + 1) * per_slot], gen, dev,
                                  cfg.padding, channels_last)
                # DDP all-reduces gradients on backward; skip that on all but the last micro-batch.
                sync = net.no_sync() if world > 1 and a < cfg.accumulate - 1 else contextlib.nullcontext()
                with sync:
                    with autocast():
                        logits = net(x)
                        loss = F.cross_entropy(logits, y)
                    (loss / cfg.accumulate).backward()  # accumulated grads = mean over the whole batch
                loss_sum += loss.detach() * len(y)
                correct += (logits.argmax(1) == y).sum()
                seen += len(y)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            scheduler.step()
            if step % 10 == 9 or step == steps - 1:
                bar.set_postfix(loss=f"{loss_sum.item() / seen:.3f}", acc=f"{correct.item() / seen:.1%}",
                                img_s=f"{seen * world / (time.perf_counter() - t0):.0f}", refresh=False)
        train_loss, train_acc = loss_sum.item() / seen, correct.item() / seen  # .item() waits for the GPU
        train_seconds = time.perf_counter() - t0
        bar.close()
        if rank == 0:
            test_loss, test_error = evaluate(model, test_x, test_y, dev, channels_last, autocast)
            metrics.append(dict(epoch=epoch + 1, train_loss=train_loss, train_error=100 * (1 - train_acc),
                                test_loss=test_loss, test_error=test_error, train_seconds=train_seconds,
                                images_per_s=steps * cfg.batch_size / train_seconds,
                                seconds=time.perf_counter() - t0))
            m = metrics[-1]
            tqdm.write(f"{cfg.config} epoch {epoch + 1}/{cfg.epochs}: train loss {m['train_loss']:.3f}, "
                       f"error {m['train_error']:.2f}% | test loss {m['test_loss']:.3f}, error "
                       f"{m['test_error']:.2f}% | {m['images_per_s']:.0f} img/s, {m['seconds']:.1f} s",
                       file=sys.stderr)
            if out:
                save_checkpoint(dict(config=dataclasses.asdict(cfg), epoch=epoch + 1, model=model.state_dict(),
                                     optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict(),
                                     rng=rng_states(), metrics=metrics),
                                Path(out, "checkpoints", f"epoch_{epoch + 1:03d}.pt"))
                _prune(out)
    if rank == 0 and out:
        summary = dict(config=dataclasses.asdict(cfg), name=describe(cfg.cardinality, cfg.bottleneck_width),
                       params=counting.count_params(model), macs=counting.count_macs(model, (1, 28, 28)),
                       device=device_label(dev, threads), world_size=world, torch=torch.__version__,
                       train_images=len(train_x), test_images=len(test_x), metrics=metrics)
        _atomic_write(Path(out, "metrics.json"), lambda f: f.write(json.dumps(summary, indent=1).encode()))
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return metrics


# --- command line: `train` --------------------------------------------------------------------


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
        epilog="configs: c1 (C = 1, the ResNet), c8, c32, all about 1.2M parameters. presets: default = "
               "the subset, 15 epochs; gpu = the full set, 15 epochs (make results); cpu = the subset, 3 epochs, "
               "stride-2 stem (make results-cpu).")
    _one_line_errors(p, "resnext_edu train")
    m = p.add_argument_group("model (a --config, or --cardinality with --bottleneck-width or --group-width)")
    m.add_argument("--config", "--model", dest="config", help="c1 (ResNet), c8 or c32 (default: c32)")
    m.add_argument("--cardinality", type=int, metavar="C", help="C, paths per block")
    m.add_argument("--bottleneck-width", type=int, metavar="D", help="d, channels per path in stage 1")
    m.add_argument("--group-width", "--width", dest="group_width", type=int, metavar="CD",
                   help="C·d, channels of the grouped 3x3 conv in stage 1")
    m.add_argument("--stage-widths", type=int, nargs=3, metavar="W", help="stage output widths (default 128 256 512)")
    m.add_argument("--stem-width", type=int, metavar="W", help=f"stem channels (default {STEM_WIDTH})")
    m.add_argument("--stem-stride", type=int, choices=(1, 2), help="2: 14x14 after the stem, ~4x fewer MACs")
    t = p.add_argument_group("training")
    t.add_argument("--preset", choices=tuple(PRESETS), default="default", help="a set of defaults (see below)")
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
    values = dict(PRESETS[args.preset], preset=args.preset)
    for field in dataclasses.fields(TrainConfig):
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
    config = args.config if args.config or explicit else "c32"
    stage_widths = values.get("stage_widths", STAGE_WIDTHS)
    name, c, d = model_spec(config, args.cardinality, args.bottleneck_width, args.group_width, stage_widths)
    return TrainConfig(**{**values, "config": name, "cardinality": c, "bottleneck_width": d})


def run_train(args):
    """`train`: one run. Bad input gets one line on stderr and exit code 2."""
    try:
        cfg = config_from_args(args)
        out = args.out or f"runs/{cfg.config}-seed{cfg.seed}"
        metrics = fit(cfg, out=out, resume=args.resume, device=args.device, threads=args.threads,
                      progress=not args.quiet)
    except (ValueError, data.DataError, CheckpointError) as err:
        print(f"resnext_edu train: error: {err}", file=sys.stderr)
        return 2
    if metrics and distributed()[0] == 0:
        print(f"{cfg.config} seed {cfg.seed}: test error {metrics[-1]['test_error']:.2f}% after "
              f"{metrics[-1]['epoch']} epochs; checkpoints and metrics.json in {out}")
    return 0


# --- command line: `results`, the whole experiment --------------------------------------------

RESULTS_CSV = {"gpu": "results/fashion_mnist_equal_complexity.csv",
               "cpu": "results/fashion_mnist_equal_complexity_cpu.csv"}
RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"


def committed_preset():
    """'gpu' when the full experiment's results are committed, else 'cpu' (the CPU stand-in)."""
    return "gpu" if (RESULTS_DIR.parent / RESULTS_CSV["gpu"]).is_file() else "cpu"


def _read_csv(path):
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
    return _read_csv(RESULTS_DIR.parent / RESULTS_CSV[preset or committed_preset()])


def load_throughput():
    """The committed CPU throughput table of benchmarks/train_throughput.py, one dict per measurement."""
    return _read_csv(RESULTS_DIR / "train_throughput_cpu.csv")


def committed_checkpoint(config, preset=None):
    """Path of the committed fp16 weights of seed 0's c1 or c32 (load with load_model)."""
    return RESULTS_DIR / "checkpoints" / f"fashion_mnist_{preset or committed_preset()}_{config}_seed0.pt"


def add_results(subparsers):
    p = subparsers.add_parser(
        "results", help="train c1, c8, c32 x 3 seeds and write the results CSV",
        description="The experiment: each configuration and seed in its own `train` process, then one "
                    "CSV row per run. Finished runs are skipped and interrupted ones resumed.")
    _one_line_errors(p, "resnext_edu results")
    p.add_argument("--preset", choices=tuple(RESULTS_CSV), default="gpu",
                   help="gpu: full set, 15 epochs (`make results`); cpu: the CPU stand-in (`make results-cpu`)")
    p.add_argument("--configs", nargs="+", default=list(CONFIGS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--epochs", type=int, metavar="N", help="default: the preset's (gpu 15, cpu 3)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N training and test images (a quick try)")
    p.add_argument("--jobs", type=int, default=1, help="runs at once (default 1)")
    p.add_argument("--threads", type=int, help="CPU threads per run")
    p.add_argument("--device", default="auto")
    p.add_argument("--data", metavar="FOLDER", help="a folder with the four Fashion-MNIST files (gpu preset; "
                   f"default {data.DEBIAN_DIR})")
    p.add_argument("--runs", metavar="FOLDER", help="where runs go (default runs/results-PRESET)")
    p.add_argument("--csv", help="default: " + ", ".join(f"{k}: {v}" for k, v in RESULTS_CSV.items())
                   + ". Rows of runs not in this call (other seeds, made elsewhere) are kept")
    p.add_argument("--export", default="results/checkpoints", metavar="FOLDER",
                   help="fp16 weights of seed 0's c1 and c32 go here")


def csv_row(summary, wall_seconds, parallel_runs=1):
    """One results row: the run's config, size, seed, per-epoch test error, time and device."""
    cfg, ms = summary["config"], summary["metrics"]
    row = dict(preset=cfg["preset"], config=cfg["config"], name=summary["name"], cardinality=cfg["cardinality"],
               bottleneck_width=cfg["bottleneck_width"], group_width=cfg["cardinality"] * cfg["bottleneck_width"],
               params=summary["params"], macs=summary["macs"], seed=cfg["seed"], epochs=cfg["epochs"],
               train_images=summary["train_images"], test_images=summary["test_images"],
               final_test_error=round(ms[-1]["test_error"], 2))
    row.update({f"test_error_e{m['epoch']}": round(m["test_error"], 2) for m in ms})
    row.update(train_seconds_per_epoch=round(sum(m["train_seconds"] for m in ms) / len(ms), 1),
               images_per_s=round(sum(m["images_per_s"] for m in ms) / len(ms), 1),
               wall_seconds=round(wall_seconds, 1), device=summary["device"], parallel_runs=parallel_runs,
               torch=summary["torch"])
    return row


def write_results(path, rows):
    """Write the results CSV, keeping the rows of other runs already in it (same preset).

    So the seeds can be trained in separate calls, or on separate machines, into one file.
    A run trained again replaces its old row.
    """
    path = Path(path)
    new = {(r["config"], r["seed"]) for r in rows}
    old = [r for r in (_read_csv(path) if path.is_file() else [])
           if r["preset"] == rows[0]["preset"] and (r["config"], r["seed"]) not in new]
    order = {c: i for i, c in enumerate(CONFIGS)}
    rows = sorted(old + rows, key=lambda r: (r["seed"], order.get(r["config"], len(order)), r["config"]))
    fields = list(dict.fromkeys(k for r in rows for k in r))  # the union, in order of first appearance
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, lambda f: f.write(text.getvalue().encode()))


def _results_error(args):
    """What is wrong with `results`' arguments, in one line; None when nothing is."""
    bad = [c for c in args.configs if c not in CONFIGS]
    if bad:
        return f"unknown config {bad[0]!r}; use {', '.join(CONFIGS)}"
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
    """`results`: every (config, seed) as a `train` subprocess, `--jobs` at a time; then the CSV."""
    error = _results_error(args)
    if error:
        print(f"resnext_edu results: error: {error}", file=sys.stderr)
        return 2
    runs = Path(args.runs or f"runs/results-{args.preset}")
    todo, procs = [], {}
    for seed in args.seeds:
        for config in args.configs:
            out = runs / f"{config}-seed{seed}"
            if (out / "metrics.json").is_file() and (out / "wall_seconds").is_file():
                continue  # finished before
            cmd = [sys.executable, "-m", "resnext_edu.train", "train", "--preset", args.preset, "--config", config,
                   "--seed", str(seed), "--out", str(out), "--device", args.device, "--quiet"]
            cmd += ["--threads", str(args.threads)] if args.threads else []
            cmd += ["--data", str(args.data)] if args.data else []
            for name in ("epochs", "limit"):
                if getattr(args, name) is not None:
                    cmd += [f"--{name}", str(getattr(args, name))]
            cmd += ["--resume"] if latest_checkpoint(out) else []
            todo.append((out, cmd))
    print(f"{len(todo)} run(s) to do in {runs}, {args.jobs} at a time", flush=True)
    failed = []
    while todo or procs:
        while todo and len(procs) < args.jobs:
            out, cmd = todo.pop(0)
            out.mkdir(parents=True, exist_ok=True)
            log = open(out / "log.txt", "a")
            procs[out] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log, time.time())
            print("started", " ".join(cmd[2:]), flush=True)
        time.sleep(1)
        for out, (proc, log, t0) in list(procs.items()):
            if proc.poll() is not None:
                log.close()
                del procs[out]
                if proc.returncode:
                    failed.append(out)
                    print(f"FAILED ({proc.returncode}): {out}, see {out / 'log.txt'}", flush=True)
                else:  # wall time accumulates over resumed pieces of the same run
                    previous = float((out / "wall_seconds").read_text()) if (out / "wall_seconds").is_file() else 0
                    (out / "wall_seconds").write_text(f"{previous + time.time() - t0:.1f}\n")
                    print(f"finished {out} in {time.time() - t0:.0f} s", flush=True)
    if failed:
        return 1
    rows = []
    for seed in args.seeds:
        for config in args.configs:
            out = runs / f"{config}-seed{seed}"
            summary = json.loads((out / "metrics.json").read_text())
            rows.append(csv_row(summary, float((out / "wall_seconds").read_text()), args.jobs))
    path = Path(args.csv or RESULTS_CSV[args.preset])
    write_results(path, rows)
    print(f"wrote {path}")
    for config in ("c1", "c32"):  # small fp16 copies of seed 0's ResNet and C = 32, for the notebook
        out = runs / f"{config}-seed0"
        if args.export and 0 in args.seeds and config in args.configs:
            target = Path(args.export, f"fashion_mnist_{args.preset}_{config}_seed0.pt")
            target.parent.mkdir(parents=True, exist_ok=True)
            export_weights(load_checkpoint(latest_checkpoint(out)), target)
            print(f"wrote {target} ({target.stat().st_size:,} bytes) and its .sha256")
    return 0


# --- `python -m resnext_edu.train train ...` before the main CLI knows the commands -----------


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m resnext_edu.train", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_train(subparsers)
    add_results(subparsers)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return exit.code
    return run_train(args) if args.command == "train" else run_results(args)


if __name__ == "__main__":
    sys.exit(main())
