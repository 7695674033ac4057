"""Write the lpsample benchmark inputs as float64 .npy files into a scratch folder.

- big (100000 x 20), mid (2000 x 10), small (300 x 8): the hash matrices
  h(i, j) = 2 frac(sin((i+1) 12.9898 + (j+1) 78.233) 43758.5453) - 1 with the
  row scalings of the lpsample specification (the Rust tests build the same values);
- randhie_X.npy (20190 x 9 regressors, no intercept) and randhie_y.npy (mdvis),
  from the copy that ships inside the statsmodels wheel;
- shuttle_X.npy, shuttle_y.npy: statlog-shuttle (UCI-121 test split, 14500 rows),
  target = feature f1, regressors = f2..f9, read from $NORMLAB_UCI121 when set.

Usage: python export.py OUT_DIR
"""

import os
import sys

import numpy as np


def hash_matrix(rows, cols):
    i = np.arange(rows, dtype=np.float64)[:, None] + 1.0
    j = np.arange(cols, dtype=np.float64)[None, :] + 1.0
    v = np.sin(i * 12.9898 + j * 78.233) * 43758.5453
    return 2.0 * (v - np.floor(v)) - 1.0


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    big = hash_matrix(100_000, 20)
    big[::1000] *= 30.0
    mid = hash_matrix(2000, 10)
    mid[::97] += 5.0
    small = hash_matrix(300, 8)
    small[::50] *= 10.0
    for name, a in [("big", big), ("mid", mid), ("small", small)]:
        np.save(os.path.join(out, f"{name}.npy"), a)

    import statsmodels.api as sm

    randhie = sm.datasets.randhie.load_pandas()
    np.save(os.path.join(out, "randhie_X.npy"), randhie.exog.to_numpy(np.float64))
    np.save(os.path.join(out, "randhie_y.npy"), randhie.endog.to_numpy(np.float64))

    uci = os.environ.get("NORMLAB_UCI121")
    if uci:
        path = os.path.join(uci, "statlog-shuttle", "statlog-shuttle_test_R.dat")
        table = np.loadtxt(path, skiprows=1)[:, 1:-1]
        np.save(os.path.join(out, "shuttle_y.npy"), table[:, 0].copy())
        np.save(os.path.join(out, "shuttle_X.npy"), table[:, 1:].copy())
    print(f"wrote the inputs to {out}")


if __name__ == "__main__":
    main()
