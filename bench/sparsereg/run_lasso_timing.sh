#!/usr/bin/env bash
# Side-by-side Lasso and OMP timing: for each instance, the Python peers and
# then our solver_timing example, single thread, on the same .npy files.
# Usage: bench/sparsereg/run_lasso_timing.sh VENV_PYTHON INSTANCE_DIR SOLVER_TIMING_BINARY
set -euo pipefail
py=$1
dir=$2
ours=$3
here=$(cd "$(dirname "$0")" && pwd)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1
for name in A B C D; do
  runs=11
  if [ "$name" = C ] || [ "$name" = D ]; then runs=5; fi
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$py" "$here/peers_lasso.py" "$dir" "$name" "$runs"
  alpha=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]['alpha'])" "$dir/instances.json" "$name")
  "$ours" lasso "$dir/${name}_X.npy" "$dir/${name}_y.npy" "$alpha" 1e-4,1e-6,1e-8,1e-10 "$runs" |
    sed "s/^{/{\"instance\":\"$name\",\"solver_name\":\"sparsereg\",/"
  if [ "$name" = A ]; then
    "$ours" omp "$dir/A_X.npy" "$dir/A_y.npy" 10 "$runs" | sed 's/^{/{"instance":"A",/'
  fi
done
