#!/bin/sh
# Time the metric step, ours beside numpy, on the same seeded float32 files.
#
# Usage: bench/mnn/metric_step.sh OUT_DIR
#   MNN_BIN   the release `mnn` binary (default: target/release/mnn)
#   MNN_VENV  a venv with numpy, from bench/mnn/setup_venv.sh
#             (default: $HOME/.cache/normlab/venv-mnn)
#
# Part 1 (MNN and memory bandwidth): `read` (one streaming sum of the matrix)
# and `mnn` on shapes up to 16384 x 8192 (512 MiB of float32, larger than
# most L3 caches). Part 2 (Matrix Entropy): our Gram route against our
# values-only SVD route and numpy's SVD with and without singular vectors,
# for N/d from 0.22 to 1. Every process runs on one thread. Writes
# OUT_DIR/{ours,numpy}-{mnn,me}.jsonl and prints two Markdown tables.
set -eu
out=${1:?usage: bench/mnn/metric_step.sh OUT_DIR}
bin=${MNN_BIN:-target/release/mnn}
venv=${MNN_VENV:-$HOME/.cache/normlab/venv-mnn}
here=$(dirname "$0")
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 RAYON_NUM_THREADS=1
export RUST_LOG=warn

"$bin" bench metrics --shapes 512x768,1024x2560,2048x4096,16384x8192 --repeat 21 \
    --ops read,mnn --seed 0 --emit-npy "$out/npy-mnn" --out "$out/ours-mnn.jsonl" >/dev/null
"$venv/bin/python" "$here/metric_peer.py" "$out/npy-mnn" 21 --large-runs 7 \
    --ops read,mnn >"$out/numpy-mnn.jsonl"

"$bin" bench metrics --shapes 128x576,256x768,384x768,512x768,768x768,512x2048 --repeat 7 \
    --ops me-auto,me-svd --seed 0 --emit-npy "$out/npy-me" --out "$out/ours-me.jsonl" >/dev/null
"$venv/bin/python" "$here/metric_peer.py" "$out/npy-me" 7 \
    --ops me-gram,me-svd,me-svd-uv >"$out/numpy-me.jsonl"

python3 "$here/table.py" "$out/ours-mnn.jsonl" "$out/numpy-mnn.jsonl"
echo
python3 "$here/table.py" "$out/ours-me.jsonl" "$out/numpy-me.jsonl"
