"""Time scikit-learn, skglm and celer Lasso (and scikit-learn OMP) on the
instances of make_instances.py, one JSON line per (instance, solver, tol).

The relative duality gap of every returned coefficient vector is computed
with one formula on centred data: P(w) = |r|^2/(2N) + alpha |w|_1,
s = min(1, N alpha / |X^T r|_inf), D = (s r.y - s^2 |r|^2 / 2)/N,
rel_gap = (P - D) / (|y|^2/(2N)).

Usage: python peers_lasso.py DIR INSTANCES RUNS, e.g. `python peers_lasso.py inst AB 11`;
the OMP line (k = 10 on A) comes with instance A.
"""

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

warnings.filterwarnings("ignore")
TOLS = [1e-4, 1e-6, 1e-8, 1e-10]


def rel_gap(x, y, w, alpha):
    xc, yc = x - x.mean(0), y - y.mean()
    n = len(y)
    r = yc - xc @ w
    rr = r @ r
    primal = rr / (2 * n) + alpha * np.abs(w).sum()
    m = np.abs(xc.T @ r).max()
    s = min(1.0, n * alpha / m) if m > 0 else 1.0
    dual = (s * (r @ yc) - 0.5 * s * s * rr) / n
    return (primal - dual) / ((yc @ yc) / (2 * n))


def timed(make, x, y, runs):
    make().fit(x, y)  # warm-up (numba JIT for skglm)
    times = []
    for _ in range(runs):
        model = make()
        t0 = time.perf_counter()
        model.fit(x, y)
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times)), float(np.min(times)), model


def solvers(alpha, tol):
    from celer import Lasso as CelerLasso
    from skglm import Lasso as SkglmLasso
    from sklearn.linear_model import Lasso

    return {
        "sklearn": lambda: Lasso(alpha=alpha, tol=tol, max_iter=100_000),
        "skglm": lambda: SkglmLasso(alpha=alpha, tol=tol, max_iter=100, max_epochs=100_000),
        "celer": lambda: CelerLasso(alpha=alpha, tol=tol, max_iter=100, max_epochs=100_000),
    }


def main(folder, names, runs):
    print(json.dumps({"threadpool": threadpool_info()}))
    meta = json.loads((folder / "instances.json").read_text())
    for name, p in meta.items():
        if name not in names:
            continue
        x = np.load(folder / f"{name}_X.npy")
        y = np.load(folder / f"{name}_y.npy")
        for tol in TOLS:
            for solver, make in solvers(p["alpha"], tol).items():
                med, low, model = timed(make, x, y, runs)
                line = dict(instance=name, solver=solver, tol=tol, median_ms=med, min_ms=low,
                            rel_gap=float(rel_gap(x, y, model.coef_, p["alpha"])),
                            nnz=int(np.count_nonzero(model.coef_)))
                print(json.dumps(line), flush=True)
    if "A" not in names:
        return
    from sklearn.linear_model import OrthogonalMatchingPursuit

    x = np.load(folder / "A_X.npy")
    y = np.load(folder / "A_y.npy")
    med, low, model = timed(lambda: OrthogonalMatchingPursuit(n_nonzero_coefs=10), x, y, runs)
    print(json.dumps(dict(instance="A", solver="sklearn-omp", k=10, median_ms=med, min_ms=low,
                          support=np.flatnonzero(model.coef_).tolist())))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
