"""Train the equal-complexity ResNeXt-29 minis on Fashion-MNIST: `python -m resnext_edu train --config c4`.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. The paper's claim (Sec. 5.1, Table 3; Sec. 5.3, Fig. 7) is
that at the same number of parameters and FLOPs, more paths (cardinality C) give lower error.
Counting can only show that the models cost the same; only training shows which one is better.

One run, read top to bottom, nanoGPT-style: the three configurations and the model, a run's
settings, the data batches, devices and ranks, evaluation and `fit`. Checkpoints are in
resnext_edu.checkpoints, the multi-run experiment in resnext_edu.experiment, and the command
line in resnext_edu.__main__.

    python -m resnext_edu train --config c4                   # the committed subset, 15 epochs
    python -m resnext_edu train --config c1 --full --epochs 1 # the full 60k set
    torchrun --nproc_per_node=2 -m resnext_edu train ...      # DistributedDataParallel
    python -m resnext_edu results --preset gpu                # 3 configs x 3 seeds: `make results`

Recipe (the paper's CIFAR recipe, Appendix A, shortened): SGD with Nesterov momentum 0.9,
weight decay 5e-4, batch 128, peak learning rate 0.1, here with a one-cycle schedule.
"""
import contextlib
import dataclasses
import json
import os
import platform
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler
from tqdm.auto import tqdm  # a widget bar in a notebook, text in a terminal

from . import checkpoints, counting, data, models
from .checks import check_choice, check_divides, check_size
from .complexity import equal_complexity_width
from .i18n import N_, _

# --- the models ------------------------------------------------------------------------------
# A "ResNeXt-29 mini": the paper's CIFAR network (Sec. 5.3) at half its widths, for 28x28 grey
# images. Stage output widths 128, 256, 512 (the paper: 256, 512, 1024), a 3x3 stem of 32.
STAGE_WIDTHS = (128, 256, 512)
STEM_WIDTH = 32
# The three equal-complexity configurations: Table 3's 1x64d, 2x40d and 4x24d at half width. Each d
# comes from Table 2's rule: the whole d that keeps a stage-1 block (128-d in and out) nearest
# ResNet's, whose bottleneck is a quarter of the block's width (d = 128 / 4 = 32). Params and MACs
# stay within 2% of the ResNet's; C = 8 (8x7d) or 16 (16x4d, the least d Sec. 5.1 allows) would
# cost 4% and 8% more MACs, so C stops at 4.
CONFIGS = {"c1": 1, "c2": 2, "c4": 4}  # name: cardinality C ("c1" is the ResNet)


def reference_width(stage_widths=STAGE_WIDTHS):
    """ResNet's bottleneck width in stage 1: a quarter of the block's output (He et al. 2016)."""
    return max(1, stage_widths[0] // 4)


def model_spec(config=None, cardinality=None, bottleneck_width=None, group_width=None,
               stage_widths=STAGE_WIDTHS):
    """(name, C, d) from a named config, or from C with d or the group width C·d; ValueError if they don't fit.

    C alone gets the equal-complexity d (Table 2's rule). A group width is C paths of d channels.
    """
    if config is not None:
        check_choice("config", config, tuple(CONFIGS),
                     hint=N_("or --cardinality with --bottleneck-width or --group-width"))
        if (cardinality, bottleneck_width, group_width) != (None, None, None):
            raise ValueError(_("config {config!r} fixes C and d; leave out --cardinality, --bottleneck-width and "
                               "--group-width, or leave out --config").format(config=config))
        cardinality = CONFIGS[config]
    for name, value in [("cardinality", cardinality), ("bottleneck_width", bottleneck_width),
                        ("group_width", group_width)]:
        if value is not None:
            check_size(name, value)
    if cardinality is None:
        raise ValueError(_("give a config ({configs}) or a cardinality").format(configs=", ".join(CONFIGS)))
    if bottleneck_width is not None and group_width is not None:
        raise ValueError(_("give either bottleneck_width (d) or group_width (C·d), not both"))
    if group_width is not None:
        check_divides("cardinality", cardinality, "group_width", group_width)
        bottleneck_width = group_width // cardinality
    if bottleneck_width is None:
        bottleneck_width = equal_complexity_width(cardinality, stage_widths[0], reference_width(stage_widths))
    return config or f"{cardinality}x{bottleneck_width}d", cardinality, bottleneck_width


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
    """The paper's name, e.g. 'ResNeXt-29 mini (4x12d)', with '= ResNet' for C = 1."""
    return f"ResNeXt-29 mini ({cardinality}x{bottleneck_width}d)" + (" = ResNet" if cardinality == 1 else "")


def load_model(path):
    """(model in eval mode, float32, and the checkpoint dict) from a verified checkpoint or export."""
    ckpt = checkpoints.load_checkpoint(path)
    cfg = ckpt["config"]
    model = build_model(cfg["cardinality"], cfg["bottleneck_width"], cfg["stem_stride"],
                        cfg["stage_widths"], cfg["stem_width"])
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ckpt["model"].items()})
    return model.eval(), ckpt


# --- a run's settings ------------------------------------------------------------------------


@dataclass
class TrainConfig:
    """Everything that defines a run; stored in every checkpoint, so --resume continues the same run."""

    config: str = "c4"               # model name: c1 (ResNet), c2, c4, or "CxDd" for explicit widths
    cardinality: int = 4             # C, paths per block
    bottleneck_width: int = 12       # d, channels per path in stage 1 (doubles per stage)
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
    "cpu": dict(full=False, epochs=6, stem_stride=2),   # a stand-in for 2 CPU cores, sized by scripts/pilot.py
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


def micro_batch(batch_size, world, accumulate):
    """Images per micro-batch: the global batch split over world ranks x accumulate micro-batches each."""
    per_slot, rest = divmod(batch_size, world * accumulate)
    if rest or per_slot == 0:
        raise ValueError(_("batch_size={batch_size} must split evenly over {world} rank(s) x {accumulate} "
                           "micro-batch(es)").format(batch_size=batch_size, world=world, accumulate=accumulate))
    return per_slot


def make_batch(images, labels, index, generator, device, padding, channels_last):
    """Augmented, normalised inputs (N, 1, 28, 28) and labels (N,) on the device."""
    x = data.normalize(data.augment(data.to_float(images[index]), generator, padding))
    x, y = x.to(device, non_blocking=True), labels[index].to(device, non_blocking=True)
    return (x.contiguous(memory_format=torch.channels_last) if channels_last else x), y


# --- devices and ranks ------------------------------------------------------------------------


def pick_device(name="auto", local_rank=0):
    """CUDA when present (auto), else the CPU; name overrides ('cpu', 'cuda', 'cuda:1')."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(_("device={name!r} is not a device; use auto, cpu or cuda").format(name=name)) from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(_("device={name!r} asked for CUDA, but torch finds no CUDA GPU; use --device cpu").format(
                name=name))
        if device.index is None:
            device = torch.device("cuda", local_rank)
    elif device.type != "cpu":
        raise ValueError(_("device={name!r} is not supported; use auto, cpu or cuda").format(name=name))
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
        raise ValueError(_("--sync-bn needs CUDA: torch's SyncBatchNorm has no CPU kernel; leave it out on CPU"))
    if threads:
        torch.set_num_threads(threads)
    ckpt = None
    if resume:
        path = checkpoints.latest_checkpoint(out) if out else None
        if path is None:
            folder = Path(out or ".") / "checkpoints"
            raise checkpoints.CheckpointError(_("--resume: no complete checkpoint in {folder}").format(folder=folder))
        ckpt = checkpoints.load_checkpoint(path)
        cfg = TrainConfig(**ckpt["config"])  # the checkpoint's settings win: it is the same run
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
        torch.backends.cudnn.benchmark = True  # picks the fastest conv algorithms for these shapes
    per_slot = micro_batch(cfg.batch_size, world, cfg.accumulate)
    if out and not resume and checkpoints.latest_checkpoint(out):
        raise ValueError(_("{out} already holds checkpoints of a run: pass --resume to continue it, or choose "
                           "another --out").format(out=out))
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
        raise ValueError(_("{n} training images are fewer than one batch of {batch_size}").format(
            n=len(train_x), batch_size=cfg.batch_size))
    scheduler = make_schedule(optimizer, cfg, cfg.epochs * steps)
    metrics, start = [], 0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        checkpoints.set_rng_states(ckpt["rng"])
        metrics, start = ckpt["metrics"], ckpt["epoch"]
    net = DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None) if world > 1 else model

    for epoch in range(start, cfg.epochs):
        shards = epoch_shards(len(train_x), cfg, epoch, slots, num_slots)
        gens = [epoch_generator(cfg.seed, epoch, s) for s in slots]
        desc = _("{config} epoch {epoch}/{epochs}").format(config=cfg.config, epoch=epoch + 1, epochs=cfg.epochs)
        bar = tqdm(range(steps), desc=desc, disable=not progress or rank, mininterval=0.5, leave=False,
                   file=sys.stderr)
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
                bar.set_postfix({_("acc"): f"{correct.item() / seen:.1%}",  # tqdm's order: keyword arguments sorted
                                 _("img_s"): f"{seen * world / (time.perf_counter() - t0):.0f}",
                                 _("loss"): f"{loss_sum.item() / seen:.3f}"}, refresh=False)
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
            tqdm.write(_("{config} epoch {epoch}/{epochs}: train loss {train_loss:.3f}, error {train_error:.2f}% | "
                         "test loss {test_loss:.3f}, error {test_error:.2f}% | {images_per_s:.0f} img/s, "
                         "{seconds:.1f} s").format(config=cfg.config, epochs=cfg.epochs, **m), file=sys.stderr)
            if out:
                state = dict(config=dataclasses.asdict(cfg), epoch=epoch + 1, model=model.state_dict(),
                             optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict(),
                             rng=checkpoints.rng_states(), metrics=metrics)
                checkpoints.save_checkpoint(state, checkpoints.epoch_path(out, epoch + 1))
                checkpoints.prune(out)
    if rank == 0 and out:
        summary = dict(config=dataclasses.asdict(cfg), name=describe(cfg.cardinality, cfg.bottleneck_width),
                       params=counting.count_params(model), macs=counting.count_macs(model, (1, 28, 28)),
                       device=device_label(dev, threads), world_size=world, torch=torch.__version__,
                       train_images=len(train_x), test_images=len(test_x), metrics=metrics)
        text = json.dumps(summary, indent=1).encode()
        checkpoints.atomic_write(Path(out, "metrics.json"), lambda f: f.write(text))
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return metrics
