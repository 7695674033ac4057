#!/usr/bin/env bash
# Sampled ℓp regression cost ratio ‖Ax̃ − b‖_p / OPT versus the expected sample
# size m on randhie and statlog-shuttle (inputs from export.py).
# Usage: bench/lpsample/sweeps.sh LPSAMPLE_BINARY DATA_DIR OUT_DIR
set -euo pipefail
lpsample=$1 data=$2 out=$3
mkdir -p "$out"

sweep() {
    local name=$1 x=$2 y=$3 p=$4 schemes=$5
    "$lpsample" regress --input "$data/$x" --intercept --target "$data/$y" --p "$p" \
        --schemes "$schemes" --m-grid 200,500,1000,2000 --reps 5 --seed 1 --solver conic \
        --out "$out/$name.jsonl" --summary "$out/$name.md" --plot "$out/$name.svg"
}

sweep randhie-p1 randhie_X.npy randhie_y.npy 1 uniform,lewis,root-leverage
sweep randhie-p1.5 randhie_X.npy randhie_y.npy 1.5 uniform,lewis,root-leverage
sweep randhie-p3 randhie_X.npy randhie_y.npy 3 uniform,lewis,mixture
sweep shuttle-p1 shuttle_X.npy shuttle_y.npy 1 uniform,lewis,root-leverage
