#!/usr/bin/env python3
"""How far a narrower precision (--dtype int8 or bf16) moves bte's answers
from its own fp32 ones, on real texts and on the benchmark workloads.

For each text file (one text per line):
  bte embed --pooling mean (fp32 and DTYPE)  -> cosine per text: min, mean, 1st percentile
  bte classify --json      (fp32 and DTYPE)  -> max |logit difference|, label agreement
For each named workload (seed-small, seed-big, mixed, full: `bte bench`'s):
  bte bench --mode packed --dump-logits      -> max |logit difference|, label agreement

bte's fp32 is within 1e-4 of PyTorch on the same weights (tests/test_engine_golden.cpp,
docs/ORACLE.md), so these figures are also DTYPE against the PyTorch oracle within that.
Needs numpy and the built `bte`. Example (the oracle's seeded base checkpoint, as
tools/bench_peers.py writes it):

  python3 tools/precision_accuracy.py --model out/peers/base.bte --dtype int8 \\
      --texts tests/data/corpus.txt tests/data/multilingual/*.txt --workloads seed-big,mixed,full
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr[-2000:]}")
    return r.stdout


def embed(a, path, dtype, tmp):
    out = os.path.join(tmp, f"emb-{dtype}.npy")
    run([a.bte, "embed", "-m", a.model, "-f", path, "--pooling", "mean", "--no-normalize", "--format",
         "npy", "-o", out, "--dtype", dtype, "--threads", str(a.threads)])
    return np.load(out).astype(np.float64)


def classify(a, path, dtype):
    out = run([a.bte, "classify", "-m", a.model, "-f", path, "--json", "--dtype", dtype,
               "--threads", str(a.threads)])
    rows = [json.loads(l) for l in out.splitlines()]
    labels = list(rows[0]["logits"])
    return np.array([[r["logits"][k] for k in labels] for r in rows], dtype=np.float64)


def logits_stats(x, y):
    return {"max_abs_logit_diff": float(np.abs(x - y).max()),
            "label_agreement": float((x.argmax(1) == y.argmax(1)).mean())}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a .bte with a classifier head")
    ap.add_argument("--dtype", default="int8")
    ap.add_argument("--texts", nargs="*", default=[], help="text files (globs allowed)")
    ap.add_argument("--workloads", default="", help="comma-separated `bte bench` workloads")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bte", default=os.path.join(REPO, "build/cli/bte"))
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    files = [f for pat in a.texts for f in sorted(glob.glob(pat))]
    report = {"model": a.model, "dtype": a.dtype, "texts": [], "workloads": []}
    with tempfile.TemporaryDirectory() as tmp:
        if files:
            # One file of every text (lines that are not empty), so each run is one batch stream.
            lines = []
            for f in files:
                with open(f, encoding="utf-8") as fh:
                    lines += [l.rstrip("\n") for l in fh if l.strip()]
            all_path = os.path.join(tmp, "texts.txt")
            with open(all_path, "w", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
            e32, e8 = embed(a, all_path, "fp32", tmp), embed(a, all_path, a.dtype, tmp)
            cos = (e32 * e8).sum(1) / np.linalg.norm(e32, axis=1) / np.linalg.norm(e8, axis=1)
            row = {"files": len(files), "texts": len(lines), "cosine_min": float(cos.min()),
                   "cosine_mean": float(cos.mean()), "cosine_p01": float(np.percentile(cos, 1)),
                   "below_0.99": int((cos < 0.99).sum())}
            row.update(logits_stats(classify(a, all_path, "fp32"), classify(a, all_path, a.dtype)))
            report["texts"].append(row)
            print(f"{len(lines)} texts from {len(files)} files, mean pooling: cosine {a.dtype} vs fp32 "
                  f"min {row['cosine_min']:.5f}, mean {row['cosine_mean']:.5f}, 1st percentile "
                  f"{row['cosine_p01']:.5f}, {row['below_0.99']} below 0.99; logits max |diff| "
                  f"{row['max_abs_logit_diff']:.4f}, labels agree on {100 * row['label_agreement']:.2f}%")
        for wl in filter(None, a.workloads.split(",")):
            got = {}
            for dtype in ("fp32", a.dtype):
                path = os.path.join(tmp, f"{wl}-{dtype}.json")
                run([a.bte, "bench", "-m", a.model, "--workload", wl, "--mode", "packed", "--iters", "1",
                     "--warmup", "0", "--no-ceiling", "--json", "--dtype", dtype, "--threads",
                     str(a.threads), "--dump-logits", path])
                got[dtype] = np.array(json.load(open(path)), dtype=np.float64)
            row = {"workload": wl, "texts": len(got["fp32"])}
            row.update(logits_stats(got["fp32"], got[a.dtype]))
            report["workloads"].append(row)
            print(f"workload {wl} ({row['texts']} sequences): logits max |diff| {row['max_abs_logit_diff']:.4f}, "
                  f"labels agree on {100 * row['label_agreement']:.2f}%")
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
