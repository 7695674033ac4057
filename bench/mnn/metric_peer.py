"""Time numpy (and torch, when installed) peers of `mnn bench metrics`.

The peers implement the definitions directly: centre the columns over tokens,
scale rows to unit length (Z), then
  mnn      sum of the min(N, d) largest column norms of Z, divided by N;
  me-svd   singular values of A/tr(A), A = Z^T Z / N (the reference route);
  me-svd-uv  the same with the singular vectors, which is what the reference's
           default `torch.svd(A / trace(A))` call computes;
  me-eigh  eigvalsh of A (d x d);
  me-gram  eigvalsh of Z Z^T / N (N x N);
  read     the sum of the float32 matrix, one streaming pass over the input
           (numpy only).
The entropy ops report H in nats, the mnn op reports MNN, as `mnn bench` does.
Every op includes the preprocessing from the float32 file, like ours.

Each op runs once as warm-up, then RUNS timed runs (time.perf_counter), or
--large-runs runs on matrices with more than 2**20 entries. One JSON line per
(impl, op, shape) goes to stdout with the median and minimum.

With --torch the same ops also run in PyTorch on the CPU with one thread,
once in float64 (impl `torch-f64`, the precision of the numpy peer and ours)
and once in float32 (impl `torch-f32`, the precision of the .npy files).

Usage: python metric_peer.py NPY_DIR [RUNS] [--ops mnn,me-svd,...] [--max-dense-d D]
                             [--large-runs R] [--torch]
Set OPENBLAS_NUM_THREADS=1 (and MKL/OMP) before starting Python to pin threads.
"""

import argparse
import glob
import json
import os
import re
import sys
import time

import numpy as np


def normalized(r):
    c = r.astype(np.float64) - r.astype(np.float64).mean(axis=0)
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def entropy(p):
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def np_mnn(r):
    z = normalized(r)
    norms = np.sqrt((z * z).sum(axis=0))
    top = min(z.shape)
    return float(np.sort(norms)[::-1][:top].sum() / z.shape[0])


def np_me_svd(r):
    z = normalized(r)
    a = z.T @ z / z.shape[0]
    return entropy(np.linalg.svd(a / np.trace(a), compute_uv=False))


def np_me_svd_uv(r):
    z = normalized(r)
    a = z.T @ z / z.shape[0]
    return entropy(np.linalg.svd(a / np.trace(a), compute_uv=True)[1])


def np_me_eigh(r):
    z = normalized(r)
    a = z.T @ z / z.shape[0]
    return entropy(np.linalg.eigvalsh(a) / np.trace(a))


def np_me_gram(r):
    z = normalized(r)
    g = z @ z.T / z.shape[0]
    return entropy(np.linalg.eigvalsh(g) / np.trace(g))


def np_read(r):
    return float(r.sum())


NUMPY_OPS = {
    "read": np_read,
    "mnn": np_mnn,
    "me-svd": np_me_svd,
    "me-svd-uv": np_me_svd_uv,
    "me-eigh": np_me_eigh,
    "me-gram": np_me_gram,
}


def torch_ops(dtype_name):
    import torch

    torch.set_num_threads(1)
    dtype = {"f64": torch.float64, "f32": torch.float32}[dtype_name]

    def prep(r):
        x = torch.from_numpy(r).to(dtype)
        c = x - x.mean(dim=0)
        return c / c.norm(dim=1, keepdim=True)

    def t_entropy(p):
        p = p[p > 0]
        return float(-(p * p.log()).sum())

    def mnn(r):
        z = prep(r)
        norms = z.norm(dim=0)
        return float(norms.topk(min(z.shape)).values.sum() / z.shape[0])

    def me_svd(r):
        z = prep(r)
        a = z.T @ z / z.shape[0]
        return t_entropy(torch.svd(a / a.trace(), compute_uv=False).S)

    def me_svd_uv(r):
        z = prep(r)
        a = z.T @ z / z.shape[0]
        return t_entropy(torch.svd(a / a.trace()).S)

    def me_eigh(r):
        z = prep(r)
        a = z.T @ z / z.shape[0]
        return t_entropy(torch.linalg.eigvalsh(a) / a.trace())

    def me_gram(r):
        z = prep(r)
        g = z @ z.T / z.shape[0]
        return t_entropy(torch.linalg.eigvalsh(g) / g.trace())

    return {
        "mnn": mnn,
        "me-svd": me_svd,
        "me-svd-uv": me_svd_uv,
        "me-eigh": me_eigh,
        "me-gram": me_gram,
    }


def time_op(fn, r, runs):
    value = fn(r)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(r)
        times.append((time.perf_counter() - start) * 1e3)
    return value, float(np.median(times)), float(min(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("npy_dir")
    parser.add_argument("runs", nargs="?", type=int, default=7)
    parser.add_argument("--ops", default="mnn,me-gram,me-eigh,me-svd")
    parser.add_argument("--max-dense-d", type=int, default=4096)
    parser.add_argument("--large-runs", type=int, default=None)
    parser.add_argument("--torch", action="store_true")
    args = parser.parse_args()

    unknown = [op for op in args.ops.split(",") if op not in NUMPY_OPS]
    if unknown:
        parser.error(f"unknown --ops {unknown}: use {','.join(NUMPY_OPS)}")

    impls = {"numpy": NUMPY_OPS}
    if args.torch:
        impls["torch-f64"] = torch_ops("f64")
        impls["torch-f32"] = torch_ops("f32")
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", "0"))
    files = glob.glob(os.path.join(args.npy_dir, "randn_*x*_seed*.npy"))
    shape_of = lambda path: tuple(int(v) for v in re.search(r"randn_(\d+)x(\d+)_", path).groups())
    for path in sorted(files, key=shape_of):
        n, d = shape_of(path)
        r = np.load(path)
        runs = args.large_runs if args.large_runs and n * d > 2**20 else args.runs
        for impl, ops in impls.items():
            for op in args.ops.split(","):
                if op not in ops:  # numpy-only ops have no torch version
                    continue
                if op in ("me-svd", "me-svd-uv", "me-eigh") and d > args.max_dense_d:
                    continue
                value, median_ms, min_ms = time_op(ops[op], r, runs)
                record = {"impl": impl, "op": op, "n": n, "d": d, "threads": threads,
                          "repeat": runs, "median_ms": median_ms, "min_ms": min_ms,
                          "value": value}
                print(json.dumps(record), flush=True)


if __name__ == "__main__":
    sys.exit(main())
