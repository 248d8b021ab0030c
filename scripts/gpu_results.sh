#!/usr/bin/env bash
# The full experiment (`make results`) on a GPU machine whose python3 already holds a CUDA torch,
# without the course's venv: only torch, numpy and tqdm are needed to train.
#
#   scripts/gpu_results.sh DATA OUT [SEED ...]
#
# DATA: a folder with the four Fashion-MNIST .gz files. OUT: where the results go:
#   hardware.txt                              GPU, driver, Python, torch, CUDA, cuDNN
#   train_throughput_gpu.csv                  images/s of c1, c2, c4 alone on the GPU
#   fashion_mnist_equal_complexity.csv        one row per run, merged with the committed rows
#   fashion_mnist_gpu_c{1,4}_seed0.pt(.sha256)  fp16 weights, when seed 0 is among the seeds
# SEEDS: default 0 1 2. All runs of a call train side by side on the one GPU. Seeds can be
# split over several calls (e.g. a machine that allows 10 minutes a command): each call's rows
# join those already in results/ (copy OUT's CSV there between calls).
# A dry run of this script on a CPU, in a minute or two:
#   DEVICE=cpu EXTRA="--epochs 1 --limit 512" scripts/gpu_results.sh DATA /tmp/out 0
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 DATA OUT [SEED ...]" >&2; exit 2; }
data=$1 out=$2
shift 2
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(0 1 2)
device=${DEVICE:-cuda}
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
mkdir -p "$out"

{ date -u +"%Y-%m-%d %H:%M UTC"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "no nvidia-smi"
  python3 -c 'import sys, torch; print("Python", sys.version.split()[0], "| torch", torch.__version__,
              "| CUDA", torch.version.cuda, "| cuDNN", torch.backends.cudnn.version())'
  lscpu | grep -m1 "Model name" || true
  echo "CPU cores: $(nproc)"; } | tee "$out/hardware.txt"

# NO_BENCH=1 skips the throughput table (e.g. in the second call of a split run)
[ -n "${NO_BENCH:-}" ] || python3 benchmarks/train_throughput.py --device "$device" --stem-stride 1 --threads 1 \
    --steps "${STEPS:-200}" --csv "$out/train_throughput_gpu.csv"

csv=results/fashion_mnist_equal_complexity.csv
[ ! -f "$csv" ] || cp "$csv" "$out/"
# shellcheck disable=SC2086  # EXTRA is a list of options
time python3 -m resnext_edu results --preset gpu --data "$data" --seeds "${seeds[@]}" --device "$device" \
    --jobs $((3 * ${#seeds[@]})) --threads 1 --runs "${RUNS:-/tmp/resnext_runs/results-gpu}" \
    --csv "$out/fashion_mnist_equal_complexity.csv" --export "$out" ${EXTRA:-}
