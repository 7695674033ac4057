"""Time the numpy, statsmodels and scikit-learn peers of `lpsample bench`.

Each task runs once as warm-up, then `runs` timed runs (time.perf_counter);
one JSON line per task goes to stdout with the median and every run.

Usage: python peers.py DATA_DIR TASK [RUNS]
TASK: leverage-qr | leverage-gram | lewis | lewis-20 | quantreg | quantile-regressor
"""

import json
import sys
import time

import numpy as np


def leverage_qr(a):
    q, _ = np.linalg.qr(a, mode="reduced")
    return np.einsum("ij,ij->i", q, q)


def leverage_gram(a):
    l = np.linalg.cholesky(a.T @ a)
    z = np.linalg.solve(l, a.T)
    return np.einsum("ij,ij->j", z, z)


def lewis(a, p=1.0, tol=1e-12, max_iter=500, fixed=None):
    """Cohen-Peng fixed point on the QR basis, undamped (p = 1), from w = r/n;
    stops at max |log(F/w)| < tol like lpsample, or after `fixed` iterations."""
    u, _ = np.linalg.qr(a, mode="reduced")
    n, r = u.shape
    w = np.full(n, r / n)
    for it in range(1, (fixed or max_iter) + 1):
        m = u.T @ (u * (w ** (1.0 - 2.0 / p))[:, None])
        l = np.linalg.cholesky(m)
        z = np.linalg.solve(l, u.T)
        f = np.einsum("ij,ij->j", z, z) ** (p / 2.0)
        residual = np.max(np.abs(np.log(f / w)))
        w = f
        if fixed is None and residual < tol:
            break
    return w, it


def quantreg(x, y):
    import statsmodels.api as sm

    fit = sm.QuantReg(y, sm.add_constant(x)).fit(q=0.5)
    return np.abs(y - fit.fittedvalues).sum()


def quantile_regressor(x, y):
    from sklearn.linear_model import QuantileRegressor

    model = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs").fit(x, y)
    return np.abs(y - model.predict(x)).sum()


def main():
    data, task = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    big = lambda: np.load(f"{data}/big.npy")
    randhie = lambda: (np.load(f"{data}/randhie_X.npy"), np.load(f"{data}/randhie_y.npy"))
    tasks = {
        "leverage-qr": (big, lambda a: float(leverage_qr(a).sum())),
        "leverage-gram": (big, lambda a: float(leverage_gram(a).sum())),
        "lewis": (big, lambda a: lewis(a)[1]),
        "lewis-20": (big, lambda a: float(lewis(a, fixed=20)[0].sum())),
        "quantreg": (randhie, lambda xy: float(quantreg(*xy))),
        "quantile-regressor": (randhie, lambda xy: float(quantile_regressor(*xy))),
    }
    load, run = tasks[task]
    inputs = load()
    detail = run(inputs)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        detail = run(inputs)
        times.append(1e3 * (time.perf_counter() - start))

    from threadpoolctl import threadpool_info

    blas = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads")) for i in threadpool_info()]
    print(json.dumps({"task": task, "runs": runs, "median_ms": float(np.median(times)),
                      "times_ms": times, "detail": detail, "blas": blas}))


if __name__ == "__main__":
    main()
