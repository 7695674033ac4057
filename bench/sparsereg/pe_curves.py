"""Prediction error against N on hard designs: sparsereg next to
scikit-learn (LassoCV, OrthogonalMatchingPursuit) and abess, on the same
instances (written by `sparsereg gen`, read back as .npy by both sides).

PE_in = mean((X w_hat + b_hat - X w_star)^2) on the training design, with
the fitted intercept, for every method. Prints one JSON line per fit and a
markdown table of medians at the end.

Usage: python pe_curves.py SPARSEREG_BINARY WORKDIR
"""

import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
DESIGNS = ["ar1:0.9", "equi:0.9"]
D, K, SIGMA, REPS = 200, 5, 0.5, 2
N_GRID = [53, 106]
OURS = ["lasso-cv", "lasso-cv+relaxed", "omp"]


def pe(x, w_star, coef, intercept):
    return float(np.mean((x @ coef + intercept - x @ w_star) ** 2))


def peers(x, y):
    from abess.linear import LinearRegression
    from sklearn.linear_model import LassoCV, OrthogonalMatchingPursuit

    yield "sklearn LassoCV", LassoCV(cv=5, tol=1e-6, max_iter=100_000)
    yield "sklearn OMP", OrthogonalMatchingPursuit(n_nonzero_coefs=K)
    yield "abess", LinearRegression(support_size=range(0, 2 * K + 1))


def main(binary, work):
    rows = []
    for design in DESIGNS:
        for n in N_GRID:
            for rep in range(REPS):
                inst = work / f"{design.replace(':', '_')}_{n}_{rep}"
                subprocess.run([binary, "gen", "--design", design, "--n", str(n), "--d", str(D),
                                "--k", str(K), "--sigma", str(SIGMA), "--seed", str(rep),
                                "--n-test", "10", "--out", str(inst)], check=True)
                x = np.load(inst / "X.npy")
                y = np.load(inst / "y.npy").ravel()
                w_star = np.load(inst / "w_star.npy").ravel()
                for method in OURS:
                    out = subprocess.run([binary, "fit", "--instance", str(inst), "--method",
                                          method, "--k", str(K), "--json"],
                                         check=True, capture_output=True, text=True)
                    fit = json.loads(out.stdout)
                    rows.append(dict(design=design, N=n, rep=rep, method=f"sparsereg {method}",
                                     pe=fit["pe_in"], nnz=fit["nnz"], ms=fit["time_ms"]))
                    print(json.dumps(rows[-1]), flush=True)
                for name, model in peers(x, y):
                    t0 = time.perf_counter()
                    model.fit(x, y)
                    ms = (time.perf_counter() - t0) * 1e3
                    coef = np.ravel(model.coef_)
                    rows.append(dict(design=design, N=n, rep=rep, method=name,
                                     pe=pe(x, w_star, coef, float(np.ravel(model.intercept_)[0])),
                                     nnz=int(np.count_nonzero(coef)), ms=ms))
                    print(json.dumps(rows[-1]), flush=True)
    print(table(rows))


def table(rows):
    methods = list(dict.fromkeys(r["method"] for r in rows))
    text = ""
    for design in DESIGNS:
        text += f"\n{design}: median PE_in (median ms) over {REPS} seeds\n\n| method |"
        text += "".join(f" N = {n} |" for n in N_GRID) + "\n|---|" + "---|" * len(N_GRID) + "\n"
        for m in methods:
            text += f"| {m} |"
            for n in N_GRID:
                sel = [r for r in rows if r["design"] == design and r["N"] == n and r["method"] == m]
                text += f" {np.median([r['pe'] for r in sel]):.3g} ({np.median([r['ms'] for r in sel]):.0f}) |"
            text += "\n"
    return text


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
