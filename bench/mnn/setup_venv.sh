#!/bin/sh
# Build the Python environment of the mnn metric peers, outside the repository.
# Usage: bench/mnn/setup_venv.sh [--with-torch]
# The venv goes to $MNN_VENV (default: $HOME/.cache/normlab/venv-mnn).
set -eu
venv="${MNN_VENV:-$HOME/.cache/normlab/venv-mnn}"
case "$venv" in
"$(git rev-parse --show-toplevel 2>/dev/null || echo /nonexistent)"/*)
    echo "error: MNN_VENV=$venv is inside the git work tree; choose a folder outside it" >&2
    exit 1
    ;;
esac
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet numpy==2.4.6
if [ "${1:-}" = "--with-torch" ]; then
    # PyPI's torch wheel pulls the CUDA runtime wheels (several GB); it runs on the CPU here.
    "$venv/bin/pip" install --quiet torch
fi
echo "$venv"
