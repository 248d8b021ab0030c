"""Checkpoints you can trust: atomic writes, a sha256 sidecar, `torch.load(weights_only=True)`.

A checkpoint is written to a temporary file and renamed, so a reader sees the old file or the
new one, never half of one; its sha256 goes to `NAME.sha256` (sha256sum's format) last, so the
sidecar marks it complete. Loading checks the sha256 before torch.load ever sees the bytes, and
weights_only=True builds tensors and plain Python values but never runs code from the file.
Used by train.fit (one per epoch, exact resume) and by the experiment (fp16 exports).
"""
import os
import random
from pathlib import Path

import torch

from .data import sha256
from .i18n import _


class CheckpointError(Exception):
    """A checkpoint is missing, unverified, tampered with or truncated."""


def atomic_write(path, write):
    """write(f) into a temporary file, then rename it to path: never half a file at path."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())  # the bytes are on disk before the rename makes them visible
    os.replace(tmp, path)


def sidecar(path):
    """The sha256 file that vouches for a checkpoint: path + '.sha256'."""
    return Path(f"{path}.sha256")


def save_checkpoint(obj, path):
    """torch.save(obj) to path atomically, then its sha256 to path + '.sha256'.

    The sidecar is written last, so it marks the checkpoint complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: torch.save(obj, f))
    line = f"{sha256(path)}  {path.name}\n".encode()  # sha256sum's format: `sha256sum -c` checks it
    atomic_write(sidecar(path), lambda f: f.write(line))


def load_checkpoint(path):
    """Check path's sha256 against its sidecar, then torch.load(weights_only=True); CheckpointError otherwise."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(_("checkpoint {path} does not exist").format(path=path))
    if not sidecar(path).is_file():
        raise CheckpointError(_("checkpoint {path} has no sha256 sidecar ({sidecar}); refusing to load bytes that "
                                "cannot be verified").format(path=path, sidecar=sidecar(path).name))
    expected = (sidecar(path).read_text().split() or [""])[0]
    actual = sha256(path)
    if actual != expected:
        raise CheckpointError(_("checkpoint {path} has sha256 {actual}..., but its sidecar says {expected}...: the "
                                "file was changed or truncated; not loading it").format(
                                    path=path, actual=actual[:16], expected=expected[:16]))
    try:  # weights_only: tensors and plain Python types only, never arbitrary code
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise CheckpointError(_("checkpoint {path} matches its sidecar but does not load: {err}").format(
            path=path, err=err)) from None


def epoch_path(folder, epoch):
    """Where a run in folder keeps its checkpoint after an epoch: checkpoints/epoch_NNN.pt."""
    return Path(folder, "checkpoints", f"epoch_{epoch:03d}.pt")


def latest_checkpoint(folder):
    """The newest checkpoints/epoch_NNN.pt whose sidecar exists (a file without one was cut off), or None."""
    done = sorted(p for p in Path(folder, "checkpoints").glob("epoch_*.pt") if sidecar(p).is_file())
    return done[-1] if done else None


def prune(folder, keep=2):
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
    """Restore what rng_states() returned, so a resumed run draws the same numbers."""
    torch.set_rng_state(states["torch"])
    random.setstate(states["python"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def export_weights(checkpoint, path, dtype=torch.float16):
    """Write a small weights-only file (fp16 by default) with the config and metrics, and its sidecar."""
    state = {k: v.to(dtype) if v.is_floating_point() else v for k, v in checkpoint["model"].items()}
    save_checkpoint({"config": checkpoint["config"], "epoch": checkpoint["epoch"],
                     "metrics": checkpoint["metrics"], "model": state}, path)
