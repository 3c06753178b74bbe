"""The peer of bench/bench_wordpiece: Hugging Face `tokenizers` on one thread,
on the same texts (tests/data/corpus.txt + tests/data/multilingual/*.txt) and
the same tokenizer.json files (tests/data/wordpiece/<name>/).

    ./build/bench/bench_wordpiece --benchmark_format=json > out/bench_wordpiece.json
    RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false \
        .venv-oracle/bin/python tools/bench_wordpiece_peer.py [--runs 7] [--bte out/bench_wordpiece.json]

Prints, per tokenizer, the median of --runs runs of encode_batch (Rayon held
to one thread) and of a Python loop of encode: texts/s and MB/s of UTF-8 text.
With --bte (bench_wordpiece's Google Benchmark JSON), prints the markdown
table of docs/BENCHMARKS.md with bte's medians beside them.
"""

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle"))
from corpus import read_corpus  # noqa: E402  (tools/oracle/corpus.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--bte", help="bench_wordpiece --benchmark_format=json output")
    args = ap.parse_args()
    rows = []
    t = read_corpus()
    nbytes = sum(len(s.encode("utf-8")) for s in t)
    print(f"tokenizers {tokenizers.__version__}; RAYON_NUM_THREADS={os.environ['RAYON_NUM_THREADS']}; "
          f"{len(t)} texts, {nbytes / 1e6:.3f} MB; median of {args.runs} runs")
    for name in ("uncased", "cased", "multilingual"):
        tok = Tokenizer.from_file(os.path.join(DATA, "wordpiece", name, "tokenizer.json"))
        for how in ("encode_batch", "encode loop"):
            secs = []
            for _ in range(args.runs + 1):  # the first run warms up
                t0 = time.perf_counter()
                if how == "encode_batch":
                    tok.encode_batch(t)
                else:
                    for s in t:
                        tok.encode(s)
                secs.append(time.perf_counter() - t0)
            m = statistics.median(secs[1:])
            rows.append((name, f"tokenizers {how}", m))
            print(f"{name:13s} {how:12s} {m * 1e3:8.2f} ms  {len(t) / m / 1e3:8.1f} k texts/s  {nbytes / m / 1e6:7.2f} MB/s")
    if args.bte:
        with open(args.bte) as f:
            bj = json.load(f)
        for b in bj["benchmarks"]:
            if b.get("aggregate_name") != "median":
                continue
            assert int(b["texts"]) == len(t), "bench_wordpiece ran on another corpus"
            name, what = b["run_name"].split("/")[1].rsplit("_", 1)
            rows.append((name, "bte encode" if what == "ids" else "bte encode_with_offsets",
                         b["real_time"] / 1e3))  # ms -> s
        print()
        print(f"| tokenizer | implementation | ms per corpus | k texts/s | MB/s | bte's speed-up |")
        print("|---|---|---:|---:|---:|---:|")
        for name in ("uncased", "cased", "multilingual"):
            peer = min(m for n, h, m in rows if n == name and h.startswith("tokenizers"))
            for n, h, m in rows:
                if n == name:
                    up = f"{peer / m:.1f}x" if h.startswith("bte") else ""
                    print(f"| {n} | {h} | {m * 1e3:.2f} | {len(t) / m / 1e3:.1f} | {nbytes / m / 1e6:.2f} | {up} |")


if __name__ == "__main__":
    main()
