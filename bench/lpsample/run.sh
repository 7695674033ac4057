#!/usr/bin/env bash
# Side-by-side timing of `lpsample bench` and its Python peers, single thread.
# Usage: bench/lpsample/run.sh LPSAMPLE_BINARY PYTHON DATA_DIR OUT_JSONL [scores|regression|all]
# DATA_DIR comes from bench/lpsample/export.py. OpenBLAS's machine overrides are
# unset for this command only, and both sides run one thread.
set -euo pipefail
lpsample=$1 python=$2 data=$3 out=$4 part=${5:-all}
here=$(cd "$(dirname "$0")" && pwd)
: > "$out"

single() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$@"; }
# ours LABEL ARGS...: one JSON line {"side", "label", "r"} per timed task.
ours() {
    local label=$1
    shift
    printf '{"side":"lpsample","label":"%s","r":%s}\n' "$label" \
        "$(single "$lpsample" bench --json "$@")" >> "$out"
}
peer() {
    printf '{"side":"python","label":"%s","r":%s}\n' "$1" \
        "$(single "$python" "$here/peers.py" "$data" "$@")" >> "$out"
}

if [[ $part == scores || $part == all ]]; then
# Leverage scores on big (100000 x 20): 11 runs each, interleaved.
peer leverage-qr 11
ours leverage-col-piv-qr --input "$data/big.npy" --p 2 --task leverage --lev-method col-piv-qr --runs 11
peer leverage-gram 11
ours leverage-gram-cholesky --input "$data/big.npy" --p 2 --task leverage --lev-method gram-cholesky --runs 11
ours leverage-sketch --input "$data/big.npy" --p 2 --task leverage --lev-method sketch --runs 11

# Lewis weights p = 1 on big, to max |log(F/w)| < 1e-12 on both sides.
peer lewis 5
ours lewis --input "$data/big.npy" --p 1 --task lewis --runs 5
peer lewis-20 5
fi

if [[ $part == regression || $part == all ]]; then

# p = 1 regression on randhie (20190 x [1, 9 regressors]).
peer quantreg 5
ours regress-irls --input "$data/randhie_X.npy" --intercept --target "$data/randhie_y.npy" --p 1 --task regress --solver irls --runs 5
ours regress-conic --input "$data/randhie_X.npy" --intercept --target "$data/randhie_y.npy" --p 1 --task regress --solver conic --runs 5
ours sampled-regress-lewis-m2000 --input "$data/randhie_X.npy" --intercept --target "$data/randhie_y.npy" --p 1 --task sampled-regress --m 2000 --solver conic --runs 5
peer quantile-regressor 3
fi
