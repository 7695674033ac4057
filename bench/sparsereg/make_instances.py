"""Write the Lasso timing instances A-D of the sparsereg benchmark as .npy.

Rows are AR(1) Gaussian (x_0 = z_0, x_j = rho x_{j-1} + sqrt(1 - rho^2) z_j)
from numpy's default_rng(seed); the support is a uniform k-subset, the
coefficients are +-1 and the noise is sigma N(0, 1) with sigma = 0.5. Columns
are not rescaled. Usage: python make_instances.py OUTDIR
"""

import json
import sys
from pathlib import Path

import numpy as np

SIGMA = 0.5
INSTANCES = {
    "A": dict(n=500, d=2000, k=10, rho=0.0, seed=0, alpha="universal"),
    "B": dict(n=100, d=5000, k=5, rho=0.6, seed=0, alpha="universal"),
    "C": dict(n=500, d=5000, k=20, rho=0.9, seed=1, alpha=0.02),
    "D": dict(n=1000, d=2000, k=20, rho=0.6, seed=1, alpha=0.01),
}


def ar1_rows(rng, n, d, rho):
    z = rng.standard_normal((n, d))
    x = np.empty_like(z)
    x[:, 0] = z[:, 0]
    c = np.sqrt(1.0 - rho * rho)
    for j in range(1, d):
        x[:, j] = rho * x[:, j - 1] + c * z[:, j]
    return x


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    meta = {}
    for name, p in INSTANCES.items():
        rng = np.random.default_rng(p["seed"])
        x = ar1_rows(rng, p["n"], p["d"], p["rho"])
        support = np.sort(rng.choice(p["d"], p["k"], replace=False))
        w = np.zeros(p["d"])
        w[support] = rng.choice([-1.0, 1.0], p["k"])
        y = x @ w + SIGMA * rng.standard_normal(p["n"])
        xc, yc = x - x.mean(0), y - y.mean()
        alpha_max = np.abs(xc.T @ yc).max() / p["n"]
        if p["alpha"] == "universal":
            alpha = SIGMA * np.sqrt(2 * np.log(p["d"]) / p["n"])
        else:
            alpha = p["alpha"] * alpha_max
        np.save(out / f"{name}_X.npy", np.ascontiguousarray(x))
        np.save(out / f"{name}_y.npy", y)
        meta[name] = dict(p, alpha=float(alpha), alpha_max=float(alpha_max),
                          support=support.tolist())
    (out / "instances.json").write_text(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
