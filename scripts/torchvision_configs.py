"""Write resnext_edu/references/torchvision_configs.json: parameters and MACs of the networks of
Xie et al.'s Table 4, built from torchvision's own `ResNet` class (issue 16).

torchvision registers no ResNet-200, no 1x100d ResNet-101 and no 2x64d ResNeXt-101, but its
`ResNet(Bottleneck, layers, groups=C, width_per_group=d)` builds each of them, so the course's
counts for Table 4 are checked against torchvision's code rather than against our own.
MACs are torch's FlopCounterMode FLOPs / 2 on the meta device, at 224x224.

Run once where torchvision imports, or with the CPU-stubbed wheel of `make benchmarks`:
    .venv/bin/python scripts/torchvision_configs.py  [TORCHVISION_PATH=.venv/torchvision-bench]
"""
import json
import os
import sys
import types
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]

# name: (layers, groups = C, width_per_group = d); Table 4's rows and their 1x references
CONFIGS = {
    "resnet101_1x64d": ([3, 4, 23, 3], 1, 64),
    "resnext101_32x4d": ([3, 4, 23, 3], 32, 4),
    "resnet200_1x64d": ([3, 24, 36, 3], 1, 64),
    "resnet101_1x100d": ([3, 4, 23, 3], 1, 100),
    "resnext101_2x64d": ([3, 4, 23, 3], 2, 64),
    "resnext101_64x4d": ([3, 4, 23, 3], 64, 4),
}


def import_torchvision():
    """torchvision, installed or from TORCHVISION_PATH with its C++ fake kernels stubbed out."""
    try:
        import torchvision
        return torchvision
    except Exception:  # noqa: BLE001  its C++ ops may not load beside this torch
        for name in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[name]
    sys.path.insert(0, os.environ.get("TORCHVISION_PATH", str(ROOT / ".venv" / "torchvision-bench")))
    for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules[name] = types.ModuleType(name)
    import torchvision
    return torchvision


def main():
    torchvision = import_torchvision()
    from torchvision.models.resnet import Bottleneck, ResNet

    out = {"torch": torch.__version__, "torchvision": torchvision.__version__, "models": {}}
    for name, (layers, groups, width) in CONFIGS.items():
        with torch.device("meta"):
            model = ResNet(Bottleneck, layers, groups=groups, width_per_group=width)
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model(torch.zeros(1, 3, 224, 224, device="meta"))
        out["models"][name] = {"layers": layers, "groups": groups, "width_per_group": width,
                               "params": sum(p.numel() for p in model.parameters()),
                               "macs_224": counter.get_total_flops() // 2}
        print(f"{name}: {out['models'][name]['params']:,} params, "
              f"{out['models'][name]['macs_224'] / 1e9:.2f} GMACs")
    path = ROOT / "resnext_edu" / "references" / "torchvision_configs.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
