"""Write resnext_edu/references/timm_family.json: timm's parameter counts, state_dict names and shapes,
MACs and a few outputs for the ResNet family that resnext_edu.family rebuilds (issue 9).

Run once in an environment that has timm (it is not a dependency of the course):
    python -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install torch==2.14.1 torchvision==0.29.1 timm==1.0.31
    /tmp/tvenv/bin/python scripts/timm_reference.py
The tests then check our models against timm itself, without importing it.

MACs are counted by torch's own FlopCounterMode (2 FLOPs per multiply-accumulate, conv and
matmul only), on the meta device, so this file does not depend on resnext_edu.counting.
"""
import json
import sys
from pathlib import Path

import timm
import torch
from timm.layers import SplitAttn
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from resnext_edu.references import fill_deterministic, reference_input  # noqa: E402

NAMES = ["seresnext50_32x4d", "resnest14d", "resnest26d", "resnest50d", "res2net50_26w_4s",
         "res2net50_14w_8s", "res2next50", "rexnet_100", "rexnet_150"]
OUTPUT_MODELS = ["seresnext50_32x4d", "resnest14d", "res2net50_26w_4s", "rexnet_100"]  # forward checked too
BLOCK_INPUT = (2, 320, 9, 9)  # Inception-ResNet-A runs on a 35x35 grid; a small grid is enough here
SPLIT_INPUT = (2, 80, 8, 8)  # split attention with cardinality 2 and radix 4: the softmax's channel order


def macs(model, size=(1, 3, 224, 224)):
    """Forward MACs at 224x224: FlopCounterMode's FLOPs / 2, on the meta device (shapes only)."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(size, device="meta"))
    return counter.get_total_flops() // 2


def shapes(module):
    return {k: list(v.shape) for k, v in module.state_dict().items()}


def main():
    out = {"torch": torch.__version__, "timm": timm.__version__, "models": {}}
    for name in NAMES:
        with torch.device("meta"):
            meta = timm.create_model(name).eval()
        entry = {"params": sum(p.numel() for p in meta.parameters()), "macs_224": macs(meta),
                 "state_dict": shapes(meta)}
        if name in OUTPUT_MODELS:
            model = fill_deterministic(timm.create_model(name)).eval()
            with torch.no_grad():
                logits = model(reference_input())
            entry["logits_2x64x64_first10"] = logits[:, :10].tolist()
            entry["logits_2x64x64_mean"] = logits.mean(1).tolist()
        out["models"][name] = entry
        print(f"{name}: {entry['params']:,} params, {entry['macs_224'] / 1e9:.3f} GMACs")

    # Inception-ResNet-A: timm's Block35 as it sits in the network (BN eps 1e-3, scale 0.17).
    net = timm.create_model("inception_resnet_v2")
    block = fill_deterministic(net.repeat[0]).eval()
    x = torch.rand(BLOCK_INPUT, generator=torch.Generator().manual_seed(1234))
    with torch.no_grad():
        y = block(x)
    out["block35"] = {
        "params": sum(p.numel() for p in block.parameters()), "scale": block.scale,
        "bn_eps": block.branch0.bn.eps, "state_dict": shapes(block),
        "input": list(BLOCK_INPUT), "input_seed": 1234,
        "output_first10": y.flatten(1)[:, :10].tolist(), "output_mean": y.mean((1, 2, 3)).tolist(),
    }
    # Split attention with K = 2 and R = 4, which no model above has (they all have K = 1, R = 2).
    split = fill_deterministic(SplitAttn(80, 80, groups=2, radix=4, norm_layer=nn.BatchNorm2d)).eval()
    x = torch.rand(SPLIT_INPUT, generator=torch.Generator().manual_seed(1234))
    with torch.no_grad():
        y = split(x)
    out["split_attention_k2_r4"] = {
        "params": sum(p.numel() for p in split.parameters()), "state_dict": shapes(split),
        "input": list(SPLIT_INPUT), "input_seed": 1234,
        "output_first10": y.flatten(1)[:, :10].tolist(), "output_mean": y.mean((1, 2, 3)).tolist(),
        "output_channel_means": y.mean((0, 2, 3)).tolist(),
    }
    out["inception_resnet_v2"] = {"params": sum(p.numel() for p in net.parameters())}
    path = Path(__file__).resolve().parents[1] / "resnext_edu" / "references" / "timm_family.json"
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
