#!/usr/bin/env python3
"""Math-Verify as a peer of the deterministic IneqMath answer judge.

Runs `verify(parse(gold), parse(text))` from the PyPI package math-verify on
the bound items of the two provided dev runs (text = the whole response, or
the answer sentence that `ineqmath score` located) and on the golden
bound-equivalence pairs (each side wrapped in `$...$`). Prints one JSON object
with the counts and the per-response time.

Setup (a virtual environment outside the repository):
    python3 -m venv /work/venv-ineqmath
    /work/venv-ineqmath/bin/pip install math-verify==0.9.0
Run:
    /work/venv-ineqmath/bin/python bench/ineqmath/math_verify_peer.py \
        --data ../shared/data/ineqmath --golden ../shared/golden/ineqmath \
        --ineqmath target/release/ineqmath
"""

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from math_verify import parse, verify

SETS = ["zero-shot", "few-shot"]


def located_sentences(ineqmath: str, results: Path, parity: bool) -> dict:
    """Returns data_id -> answer sentence from `ineqmath score` (strict or parity rules)."""
    extra = ["--parity"] if parity else []
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [ineqmath, "score", "--results", str(results), "--out-dir", out, *extra],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        lines = Path(out, "answer_eval.jsonl").read_text().splitlines()
    return {e["data_id"]: e["answer_sentence"] for e in map(json.loads, lines)}


def timed_verify(gold: str, text: str, times: list) -> bool:
    """Runs Math-Verify and appends (wall seconds, CPU seconds) to `times`."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        ok = bool(verify(parse(gold), parse(text)))
    except Exception:  # a parser failure counts as incorrect, as in a judge
        ok = False
    times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return ok


def run_set(data: Path, ineqmath: str, name: str, times: list) -> dict:
    results = data / "dev-responses" / f"{name}.json"
    records = [r for r in json.loads(results.read_text()) if r["type"] == "bound"]
    whole = sum(timed_verify(r["answer"], r["response"] or "", times) for r in records)
    out = {"items": len(records), "whole_response": whole}
    for rules, parity in [("strict", False), ("parity", True)]:
        sentences = located_sentences(ineqmath, results, parity)
        correct = sum(timed_verify(r["answer"], sentences[r["data_id"]], []) for r in records)
        out[f"located_sentence_{rules}"] = correct
    return out


def run_pairs(golden: Path) -> dict:
    pairs = json.loads((golden / "bound_equivalence_pairs.json").read_text())["pairs"]
    agree, wrong = 0, []
    for p in pairs:
        verdict = timed_verify(f"${p['gold']}$", f"${p['pred']}$", [])
        if verdict == p["equivalent"]:
            agree += 1
        else:
            wrong.append({"gold": p["gold"], "pred": p["pred"], "expected": p["equivalent"]})
    return {"pairs": len(pairs), "agree": agree, "disagree": wrong}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--golden", type=Path, required=True)
    ap.add_argument("--ineqmath", required=True, help="path of the ineqmath binary")
    args = ap.parse_args()

    times: list = []
    out = {name: run_set(args.data, args.ineqmath, name, times) for name in SETS}
    out["golden_pairs"] = run_pairs(args.golden)
    for i, clock in enumerate(["wall", "cpu"]):
        values = [t[i] for t in times]
        out[f"ms_per_response_{clock}"] = {
            "median": 1e3 * statistics.median(values),
            "min": 1e3 * min(values),
            "max": 1e3 * max(values),
            "n": len(values),
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
