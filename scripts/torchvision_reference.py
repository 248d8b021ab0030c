"""Write resnext_edu/references/torchvision_resnets.json: torchvision's state_dict keys, shapes and parameter counts.

Run once in an environment that has torchvision (it is not a dependency of the course, and
PyPI's torchvision does not import beside the pinned CPU torch):
    python -m venv /tmp/tv && /tmp/tv/bin/pip install torch==2.14.1 torchvision==0.29.1
    /tmp/tv/bin/python scripts/torchvision_reference.py
The tests then check our models against torchvision itself, without importing it.
"""
import json
from pathlib import Path

import sys

import torch
import torchvision
from torchvision import models

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from resnext_edu.references import fill_deterministic, reference_input  # noqa: E402

OUTPUT_MODELS = ["resnet18", "resnet50", "resnext50_32x4d"]  # forward outputs checked too

NAMES = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
         "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2"]


def main():
    out = {"torch": torch.__version__, "torchvision": torchvision.__version__, "models": {}}
    for name in NAMES:
        model = getattr(models, name)(weights=None)
        out["models"][name] = {
            "params": sum(p.numel() for p in model.parameters()),
            "state_dict": {k: list(v.shape) for k, v in model.state_dict().items()},
        }
        if name in OUTPUT_MODELS:
            with torch.no_grad():
                logits = fill_deterministic(model).eval()(reference_input())
            out["models"][name]["logits_2x64x64_first10"] = logits[:, :10].tolist()
    path = Path(__file__).resolve().parents[1] / "resnext_edu" / "references" / "torchvision_resnets.json"
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
