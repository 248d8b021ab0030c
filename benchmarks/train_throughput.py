"""Training throughput (images/s) of the three equal-complexity configurations on this machine.

"FLOPs are not speed": the three models have about the same MACs (the paper's FLOPs, Xie et al.
2017, Table 1), but a grouped 3x3 conv with many small groups runs less efficiently than one
dense conv. Each measurement runs real training steps (forward,
backward, SGD step) on augmented Fashion-MNIST batches, after warm-up steps that are not timed.

Usage: python benchmarks/train_throughput.py [--stem-stride 2 1] [--threads 1 2] [--steps 10] [--parallel]
                                            [--csv results/train_throughput_cpu.csv]
       python benchmarks/train_throughput.py --device cuda --stem-stride 1 --steps 200 \
                                            --csv results/train_throughput_gpu.csv
--parallel also runs two 1-thread processes at once (how `make results-cpu` uses 2 cores) and
reports their summed images/s. --csv writes the table, which notebook 05 reads.
On CUDA each step runs as in `make results`: bf16 autocast, channels_last, cuDNN autotuning, the
data on the GPU; the clock waits for the GPU (torch.cuda.synchronize) before it is read.
--bf16 and --channels-last turn those on for the CPU too (to try the code path, not for speed).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from resnext_edu import counting, data, train  # noqa: E402


def measure(config, stem_stride, threads, steps, batch_size, warmup=2, device="cpu", bf16=False,
            channels_last=False):
    """Training images/s of one configuration, single process."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    dev = torch.device(device)
    cuda = dev.type == "cuda"
    bf16, channels_last = bf16 or cuda, channels_last or cuda  # CUDA: as `make results` trains
    torch.backends.cudnn.benchmark = True
    _, c, d = train.model_spec(config)
    model = train.build_model(c, d, stem_stride)
    macs = counting.count_macs(model, (1, 28, 28))
    model = model.to(dev, memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    images, labels = (t.to(dev) for t in data.load_fashion_mnist("train"))
    gen = torch.Generator().manual_seed(0)
    for step in range(warmup + steps):
        if step == warmup:
            if cuda:
                torch.cuda.synchronize()  # the warm-up's queued GPU work is not timed
            t0 = time.perf_counter()
        index = torch.randint(0, len(images), (batch_size,), generator=gen)
        x, y = train.make_batch(images, labels, index, gen, dev, 2, channels_last)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if cuda:
        torch.cuda.synchronize()  # the clock stops when the GPU has finished, not when Python has queued
    seconds = time.perf_counter() - t0
    return dict(config=config, cardinality=c, bottleneck_width=d, params=counting.count_params(model),
                macs=macs, threads=threads,
                images_per_s=steps * batch_size / seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=list(train.CONFIGS))
    parser.add_argument("--stem-stride", type=int, nargs="+", default=[2], choices=(1, 2),
                        help="2 = the CPU preset, 1 = the full model (default: 2)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--parallel", action="store_true", help="also two 1-thread processes at once")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--warmup", type=int, help="untimed steps first (default: 2 on the CPU, 20 on CUDA)")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast (always on CUDA)")
    parser.add_argument("--channels-last", action="store_true", help="channels_last memory (always on CUDA)")
    parser.add_argument("--csv", help="also write the table to this CSV file")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one measurement, printed as JSON
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.stem_stride[0], 1, args.steps, args.batch_size)))
        return
    try:
        dev = train.pick_device(args.device)
    except ValueError as err:
        parser.error(str(err))
    cuda = dev.type == "cuda"
    if cuda and args.parallel:
        parser.error("--parallel is for the CPU (two 1-thread processes); leave it out with --device cuda")
    warmup = args.warmup if args.warmup is not None else 20 if cuda else 2
    flags = [name for name, on in (("bf16", args.bf16 or cuda), ("channels_last", args.channels_last or cuda)) if on]
    threads = args.threads[:1] if cuda else args.threads  # one measurement per config on a GPU
    device = train.device_label(dev, 1) if cuda else train.device_label(dev, 1).split(";")[0] + ")"
    print(f"training throughput, batch {args.batch_size}, torch {torch.__version__}, {device}, {os.cpu_count()} cores")
    print(f"{'config':<7} {'C x d':>6} {'params':>10} {'stem':>5} {'MACs':>12} {'mode':>34} {'images/s':>9}")
    table = []

    def show(r, stride, mode):
        table.append(dict(config=r["config"], cardinality=r["cardinality"], bottleneck_width=r["bottleneck_width"],
                          params=r["params"], stem_stride=stride, macs=r["macs"], mode=mode,
                          images_per_s=round(r["images_per_s"], 1), batch_size=args.batch_size, device=device,
                          torch=torch.__version__))
        print(f"{r['config']:<7} {r['cardinality']:>3}x{r['bottleneck_width']:<2} {r['params']:>10,} {stride:>5} "
              f"{r['macs']:>12,} {mode:>34} {r['images_per_s']:>9.0f}", flush=True)

    for stride in args.stem_stride:
        for config in args.configs:
            for n in threads:
                r = measure(config, stride, n, args.steps, args.batch_size, warmup, dev, args.bf16, args.channels_last)
                mode = "1 process" + ("" if cuda else f", {n} thread{'s' * (n > 1)}")
                show(r, stride, ", ".join([mode, *flags]))
            if args.parallel:
                cmd = [sys.executable, __file__, "--one", config, "--stem-stride", str(stride),
                       "--steps", str(args.steps), "--batch-size", str(args.batch_size)]
                env = {**os.environ, "OMP_NUM_THREADS": "1"}
                procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) for _ in range(2)]
                rs = [json.loads(p.communicate()[0]) for p in procs]
                show(dict(rs[0], images_per_s=sum(r["images_per_s"] for r in rs)), stride, "2 processes x 1 thread")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(table[0]))
            writer.writeheader()
            writer.writerows(table)
        print(f"wrote {args.csv}")


if __name__ == "__main__":
    main()
