"""Prediction error against N on hard designs: the peers (scikit-learn
LassoCV and OrthogonalMatchingPursuit, abess) on the instances of
`sparsereg bench`, and a combined report.

`peers` writes each instance with `sparsereg gen` (same design, N, d, k,
sigma and seed = base seed + rep as the sweep, so X, y and w_star are those
of `sparsereg bench`), fits the peers and appends one JSON line per fit.
It runs repetition-major (rep 0 of every cell, then rep 1, ...) and skips
fits already in the file. So it can stop at a deadline with the same number
of repetitions in every cell, give or take one, and resume later.

`report` reads the JSON lines of `sparsereg bench` and of `peers` and writes
a markdown table per design (median PE_in with the 25%-75% range, median
support F1, median ms, repetitions) and one log-log SVG per design.

PE_in = mean((X w_hat + b_hat - X w_star)^2) on the training design and
risk_out the same on the instance's test design, with the fitted intercept.

Usage:
  python pe_curves.py peers SPARSEREG_BINARY WORKDIR PEERS.jsonl \
      --designs ar1:0.9,equi:0.9,dup:1e-4:1 --d 200 --k 5 --sigma 0.5 \
      --n-grid 53,106,200 --reps 20 [--deadline-unix T]
  python pe_curves.py report OURS.jsonl PEERS.jsonl[,MORE.jsonl] OUT.md SVG_DIR
"""

import argparse
import json
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
          "#17becf", "#7f7f7f", "#bcbd22", "#000000", "#aec7e8"]


def peer_models(k):
    from abess.linear import LinearRegression
    from sklearn.linear_model import LassoCV, OrthogonalMatchingPursuit

    yield "sklearn LassoCV", lambda: LassoCV(cv=5, tol=1e-6, max_iter=100_000)
    yield "sklearn OMP", lambda: OrthogonalMatchingPursuit(n_nonzero_coefs=k)
    yield "abess", lambda: LinearRegression(support_size=range(0, 2 * k + 1))


def sq_error(x, signal, coef, intercept):
    return float(np.mean((x @ coef + intercept - signal) ** 2))


def f1(coef, support):
    chosen = set(np.flatnonzero(coef).tolist())
    hits = len(chosen & set(support))
    if hits == 0:
        return 0.0
    precision, recall = hits / len(chosen), hits / len(support)
    return 2 * precision * recall / (precision + recall)


def instance(binary, work, a, design, n, rep):
    folder = work / f"{design.replace(':', '_')}_{n}_{rep}"
    if not (folder / "instance.json").exists():
        subprocess.run([binary, "gen", "--design", design, "--n", str(n), "--d", str(a.d),
                        "--k", str(a.k), "--sigma", str(a.sigma), "--seed", str(a.seed + rep),
                        "--out", str(folder)], check=True, capture_output=True)
    return folder


def run_peers(a):
    out = Path(a.out)
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["design_arg"], r["N"], r["rep"], r["method"]))
    designs, grid = a.designs.split(","), [int(v) for v in a.n_grid.split(",")]
    for rep in range(a.reps):
        for design in designs:
            for n in grid:
                if a.deadline_unix and time.time() > a.deadline_unix:
                    print(f"deadline reached before rep {rep} of {design} N = {n}")
                    return
                run_cell(a, out, done, design, n, rep)


def run_cell(a, out, done, design, n, rep):
    todo = [(name, make) for name, make in peer_models(a.k)
            if (design, n, rep, name) not in done and (not a.methods or name in a.methods)]
    if not todo:
        return
    folder = instance(a.binary, Path(a.work), a, design, n, rep)
    meta = json.loads((folder / "instance.json").read_text())
    x, y = np.load(folder / "X.npy"), np.load(folder / "y.npy").ravel()
    w_star = np.load(folder / "w_star.npy").ravel()
    x_test, y_signal = np.load(folder / "X_test.npy"), np.load(folder / "y_test_signal.npy").ravel()
    for name, make in todo:
        model = make()
        t0 = time.perf_counter()
        model.fit(x, y)
        ms = (time.perf_counter() - t0) * 1e3
        coef, b = np.ravel(model.coef_), float(np.ravel(model.intercept_)[0])
        row = dict(design_arg=design, design=meta["design"], N=n, rep=rep, method=name,
                   pe_in=sq_error(x, x @ w_star, coef, b),
                   risk_out=sq_error(x_test, y_signal, coef, b),
                   f1=f1(coef, meta["support"]), nnz=int(np.count_nonzero(coef)), time_ms=ms)
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


def load_rows(ours, peers):
    rows = []
    for line in Path(ours).read_text().splitlines():
        r = json.loads(line)
        if r.get("fit") is None:
            continue
        fit, key = r["fit"], r["key"]
        rows.append(dict(design=key["design"], N=key["N"], rep=key["rep"],
                         method=f"sparsereg {key['method']}", pe_in=fit["pe_in"],
                         risk_out=fit["risk_out"], f1=fit["f1"], time_ms=fit["time_ms"]))
    seen = set()
    for path in peers.split(","):
        for line in Path(path).read_text().splitlines():
            r = json.loads(line)
            key = (r["design"], r["N"], r["rep"], r["method"])
            if key not in seen:
                seen.add(key)
                rows.append(r)
    return rows


def summarize(rows):
    cells = {}
    for r in rows:
        cells.setdefault((r["design"], r["method"], r["N"]), []).append(r)
    out = {}
    for key, group in cells.items():
        pe = np.array([g["pe_in"] for g in group])
        out[key] = dict(q25=np.quantile(pe, 0.25), med=np.median(pe), q75=np.quantile(pe, 0.75),
                        f1=np.median([g["f1"] for g in group]),
                        ms=np.median([g["time_ms"] for g in group]), reps=len(group))
    return out


def markdown(summary):
    text = ""
    for design in sorted({k[0] for k in summary}):
        ns = sorted({k[2] for k in summary if k[0] == design})
        methods = sorted({k[1] for k in summary if k[0] == design})
        text += f"\n### {design}\n\nMedian PE_in (25%–75%), median support F1, median ms, repetitions\n\n"
        text += "| method |" + "".join(f" N = {n} |" for n in ns) + "\n|---|" + "---|" * len(ns) + "\n"
        for m in methods:
            text += f"| {m} |"
            for n in ns:
                s = summary.get((design, m, n))
                text += " – |" if s is None else (
                    f" {s['med']:.3g} ({s['q25']:.2g}–{s['q75']:.2g}); F1 {s['f1']:.2f};"
                    f" {s['ms']:.0f} ms; {s['reps']} |")
            text += "\n"
    return text


def svg(summary, design):
    methods = sorted({k[1] for k in summary if k[0] == design})
    pts = {m: sorted((n, s["med"]) for (d, method, n), s in summary.items()
                     if d == design and method == m and s["med"] > 0)
           for m in methods}
    xs = [np.log10(n) for p in pts.values() for n, _ in p]
    ys = [np.log10(v) for p in pts.values() for _, v in p]
    x0, x1 = min(xs) - 0.02, max(xs) + 0.02
    y0, y1 = np.floor(min(ys)), np.ceil(max(ys))
    w, h, left, right, top, bottom = 720, 440, 70, 250, 30, 50
    sx = lambda v: left + (v - x0) / (x1 - x0) * (w - left - right)
    sy = lambda v: h - bottom - (v - y0) / (y1 - y0) * (h - top - bottom)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<text x="{(w - right + left) / 2}" y="18" text-anchor="middle">{design}: median PE_in against N (log-log)</text>',
           f'<rect x="{left}" y="{top}" width="{w - left - right}" height="{h - top - bottom}" fill="none" stroke="#888"/>']
    for e in range(int(y0), int(y1) + 1):
        out.append(f'<text x="{left - 6}" y="{sy(e) + 4:.1f}" text-anchor="end">1e{e}</text>')
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{sy(e):.1f}" y2="{sy(e):.1f}" stroke="#ddd"/>')
    for n in sorted({n for p in pts.values() for n, _ in p}):
        out.append(f'<text x="{sx(np.log10(n)):.1f}" y="{h - bottom + 16}" text-anchor="middle">{n}</text>')
    out.append(f'<text x="{(w - right + left) / 2}" y="{h - 10}" text-anchor="middle">N</text>')
    for i, (m, p) in enumerate(pts.items()):
        c = COLORS[i % len(COLORS)]
        dash = ' stroke-dasharray="5,3"' if not m.startswith("sparsereg") else ""
        coords = " ".join(f"{sx(np.log10(n)):.1f},{sy(np.log10(v)):.1f}" for n, v in p)
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="2"{dash} points="{coords}"/>')
        out.append(f'<text x="{w - right + 10}" y="{top + 14 + 16 * i}" fill="{c}">{m}</text>')
    return "\n".join(out + ["</svg>\n"])


def paired(rows, ours="sparsereg lasso-cv", peer="sklearn LassoCV"):
    """Median PE_in and ms of two methods on the instances where both ran."""
    by_key = {(r["design"], r["N"], r["rep"], r["method"]): r for r in rows}
    text = (f"\n### {ours} and {peer} on the same instances\n\n"
            "| design | N | reps | PE_in ours | PE_in peer | ms ours | ms peer |\n"
            "|---|---|---|---|---|---|---|\n")
    for design, n in sorted({(r["design"], r["N"]) for r in rows}):
        pairs = [(by_key[k], by_key[(design, n, k[2], peer)]) for k in by_key
                 if k[:2] == (design, n) and k[3] == ours and (design, n, k[2], peer) in by_key]
        if pairs:
            med = lambda i, f: np.median([p[i][f] for p in pairs])
            text += (f"| {design} | {n} | {len(pairs)} | {med(0, 'pe_in'):.3g} | {med(1, 'pe_in'):.3g}"
                     f" | {med(0, 'time_ms'):.0f} | {med(1, 'time_ms'):.0f} |\n")
    return text


def report(a):
    rows = load_rows(a.ours, a.peers)
    summary = summarize(rows)
    Path(a.markdown).write_text(markdown(summary) + paired(rows))
    Path(a.svg_dir).mkdir(parents=True, exist_ok=True)
    for design in sorted({k[0] for k in summary}):
        name = design.replace(":", "_").replace(".", "_")
        (Path(a.svg_dir) / f"pe_vs_n_{name}.svg").write_text(svg(summary, design))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("peers")
    q.add_argument("binary")
    q.add_argument("work")
    q.add_argument("out")
    q.add_argument("--designs", default="ar1:0.9,equi:0.9,dup:1e-4:1")
    q.add_argument("--d", type=int, default=200)
    q.add_argument("--k", type=int, default=5)
    q.add_argument("--sigma", type=float, default=0.5)
    q.add_argument("--n-grid", default="53,106,200")
    q.add_argument("--reps", type=int, default=20)
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--deadline-unix", type=float, default=0.0)
    q.add_argument("--methods", type=lambda v: v.split(","), default=[],
                   help="comma-separated peer names to run (default: all)")
    r = sub.add_parser("report")
    r.add_argument("ours")
    r.add_argument("peers")
    r.add_argument("markdown")
    r.add_argument("svg_dir")
    a = p.parse_args()
    run_peers(a) if a.cmd == "peers" else report(a)


if __name__ == "__main__":
    main()
