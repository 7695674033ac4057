"""Print a Markdown table of `mnn bench metrics` and metric_peer.py JSON lines.

Usage: python table.py [--peers numpy,torch-f64] RESULTS.jsonl [MORE.jsonl ...]
Rows are shapes; columns are the median milliseconds of each (impl, op), then
the ratios peer/ours for each peer (default numpy) and op, our mnn/read
(the MNN time in units of one streaming read of the matrix), our
me-svd/me-auto, and the first peer's me-svd-uv (the reference's SVD call,
with singular vectors) over our me-auto. Our me-auto stands in for me-gram
when that was not run and N <= d (the same route).
"""

import json
import sys

OPS = ["read", "mnn", "me-auto", "me-gram", "me-eigh", "me-svd", "me-svd-uv"]


def main():
    paths = sys.argv[1:]
    peers = ["numpy"]
    if paths[:1] == ["--peers"]:
        peers = paths[1].split(",")
        paths = paths[2:]
    records = {}
    for path in paths:
        with open(path) as handle:
            for line in handle:
                if line.strip():
                    r = json.loads(line)
                    records[(r["impl"], r["op"], r["n"], r["d"])] = r
    shapes = sorted({(n, d) for (_, _, n, d) in records})
    impls = sorted({impl for (impl, _, _, _) in records})
    columns = [(impl, op) for impl in impls for op in OPS if any(k[:2] == (impl, op) for k in records)]
    header = ["N×d"] + [f"{impl} {op}" for impl, op in columns]
    ratio_columns = [(peer, op) for peer in peers for op in OPS if op not in ("me-auto", "me-svd-uv")
                     and any(k[:2] == (peer, op) for k in records)]
    header += [f"{peer}/ours {op}" for peer, op in ratio_columns]
    header += ["ours mnn/read", "ours svd/auto", f"{peers[0]} svd-uv/ours auto"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for n, d in shapes:
        cell = lambda impl, op: records.get((impl, op, n, d), {}).get("median_ms")
        row = [f"{n}×{d}"]
        row += [fmt(cell(impl, op)) for impl, op in columns]
        for peer, op in ratio_columns:
            # For N <= d our me-auto is the Gram route, so it stands in for me-gram.
            ours = cell("mnn-rs", op) or (cell("mnn-rs", "me-auto") if op == "me-gram" and n <= d else None)
            theirs = cell(peer, op)
            row.append(f"{theirs / ours:.2f}" if ours and theirs else "–")
        mnn, read = cell("mnn-rs", "mnn"), cell("mnn-rs", "read")
        row.append(f"{mnn / read:.2f}" if mnn and read else "–")
        svd, auto = cell("mnn-rs", "me-svd"), cell("mnn-rs", "me-auto")
        row.append(f"{svd / auto:.1f}" if svd and auto else "–")
        reference = cell(peers[0], "me-svd-uv")
        row.append(f"{reference / auto:.1f}" if reference and auto else "–")
        print("| " + " | ".join(row) + " |")


def fmt(value):
    if value is None:
        return "–"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


if __name__ == "__main__":
    main()
