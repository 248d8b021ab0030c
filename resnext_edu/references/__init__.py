"""What torchvision and timm give for their models, saved once, so the course can check against them offline.

torchvision_resnets.json holds, for torchvision's nine ResNets and ResNeXts, the parameter count,
every state_dict key with its shape, and for three of them the first ten logits of the model
filled with `fill_deterministic` on `reference_input()`; timm_family.json the same for timm's
models of notebook 06; torchvision_configs.json the parameters and MACs of Table 4's networks
built from torchvision's `ResNet` class. scripts/torchvision_reference.py, timm_reference.py and
torchvision_configs.py wrote them, in an environment that had those libraries (neither is a
dependency of the course).

`torchvision_state_dict(name)` rebuilds such a state_dict, torchvision's names and shapes
filled deterministically: what `torchvision.models.NAME().state_dict()` holds after the same
filling, so a model that loads it strictly and gives `torchvision_logits(name)` computes what
torchvision's does. This module imports nothing from the rest of the package.
"""
import json
from functools import lru_cache
from pathlib import Path

import torch

FOLDER = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def load(library):
    """The saved figures of "torchvision", "timm" or "torchvision_configs", as a dict (see the files)."""
    files = {"torchvision": "torchvision_resnets.json", "timm": "timm_family.json",
             "torchvision_configs": "torchvision_configs.json"}
    if library not in files:
        raise ValueError(f"library={library!r} is unknown; use one of {', '.join(map(repr, files))}")
    return json.loads((FOLDER / files[library]).read_text())


def fill_deterministic(model_or_state):
    """Fill every float tensor of a state_dict from a generator seeded by its position (BN variances > 0).

    The same in any model with the same keys and shapes, so ours and torchvision's (or timm's)
    can be compared without sharing a weights file. Takes a module or a state_dict; returns it.
    """
    sd = model_or_state.state_dict() if isinstance(model_or_state, torch.nn.Module) else model_or_state
    with torch.no_grad():
        for i, (key, tensor) in enumerate(sorted(sd.items())):
            if tensor.dtype != torch.float32:
                continue
            g = torch.Generator().manual_seed(i)
            values = torch.rand(tensor.shape, generator=g)
            if key.endswith("running_var"):
                values = values + 0.5
            elif key.endswith(("weight", "bias")) and tensor.dim() > 1:
                values = (values - 0.5) * (2.0 / max(1, tensor[0].numel())) ** 0.5
            else:
                values = values - 0.5 if not key.endswith("weight") else values + 0.5
            tensor.copy_(values)
    return model_or_state


def reference_input():
    """The input the saved logits were computed on: (2, 3, 64, 64), uniform in [0, 1), seed 1234."""
    return torch.rand((2, 3, 64, 64), generator=torch.Generator().manual_seed(1234))


def torchvision_state_dict(name):
    """A state_dict with torchvision's keys and shapes for model `name`, filled deterministically."""
    models = load("torchvision")["models"]
    if name not in models:
        raise ValueError(f"no torchvision reference for {name!r}; saved: {', '.join(models)}")
    state = {k: torch.zeros(shape, dtype=torch.long if k.endswith("num_batches_tracked") else torch.float32)
             for k, shape in models[name]["state_dict"].items()}
    return fill_deterministic(state)


def torchvision_logits(name):
    """torchvision's first ten logits of `name` on reference_input(), its weights from fill_deterministic."""
    entry = load("torchvision")["models"].get(name, {})
    if "logits_2x64x64_first10" not in entry:
        raise ValueError(f"no saved torchvision logits for {name!r}; saved for: "
                         + ", ".join(n for n, e in load("torchvision")["models"].items() if "logits_2x64x64_first10" in e))
    return torch.tensor(entry["logits_2x64x64_first10"])
