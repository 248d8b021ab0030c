"""Make the committed Fashion-MNIST subset from the full set (`make data`).

Usage: python scripts/make_data.py [--source FOLDER] [--train-per-class 1000] [--test-per-class 200]

A stratified sample: for each class, the first N images of one seeded random permutation, kept
in their original order. The idx files are gzipped with no file name and time 0 in the header,
so the same source gives byte-identical files (and the sha256 in data/README.md) with the same zlib
(Python 3.11's, here); a different zlib may compress differently: then update the sha256.
"""
import argparse
import gzip
import struct
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from resnext_edu import data  # noqa: E402

SEED = 0


def stratified(labels, per_class, seed=SEED):
    """Indices of `per_class` images of each class, drawn with a seeded permutation, in original order."""
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    keep = [order[labels[order] == c][:per_class] for c in range(len(data.CLASSES))]
    for c, k in enumerate(keep):
        if len(k) < per_class:
            raise SystemExit(f"class {c} has only {len(k)} images, fewer than {per_class}")
    return torch.cat(keep).sort().values


def write_idx_gz(path, array):
    """idx header (uint8 type, one big-endian size per dimension), then the bytes; gzipped reproducibly."""
    header = bytes([0, 0, 0x08, array.dim()]) + struct.pack(f">{array.dim()}I", *array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                  compresslevel=9, mtime=0) as f:
        f.write(header + array.to(torch.uint8).contiguous().numpy().tobytes())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=data.DEBIAN_DIR, help="folder with the full set")
    parser.add_argument("--out", type=Path, default=data.SUBSET_DIR)
    parser.add_argument("--train-per-class", type=int, default=1000)
    parser.add_argument("--test-per-class", type=int, default=200)
    args = parser.parse_args(argv)
    try:
        source = {split: data.load_fashion_mnist(split, path=args.source) for split in data.FILES}
    except data.DataError as err:
        raise SystemExit(f"make_data: {err}")
    args.out.mkdir(parents=True, exist_ok=True)
    sums = []
    for split, per_class in [("train", args.train_per_class), ("test", args.test_per_class)]:
        images, labels = source[split]
        keep = stratified(labels, per_class)
        for name, array in zip(data.FILES[split], (images[keep], labels[keep])):
            path = args.out / f"{name}.gz"
            write_idx_gz(path, array)
            sums.append(f"{data.sha256(path)}  {path.name}")
            print(f"{path}: {tuple(array.shape)}, {path.stat().st_size:,} bytes")
    (args.out / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    print("sha256 (paste into resnext_edu/data.py SUBSET_SHA256 and data/README.md if they changed):")
    print("\n".join(sums))


if __name__ == "__main__":
    main()
