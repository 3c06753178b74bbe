#!/usr/bin/env python3
"""Plots for docs/BENCHMARKS.md, from the JSON the benchmarks write.

  tokens/s against padding fraction (one point per workload) for bte's three
  modes and every peer, from tools/bench_peers.py --json;
  time per op of each bte mode, from `bte bench --profile --json`.

  .venv-oracle/bin/python tools/plot_bench.py --peers out/peers-a.json out/peers-b.json \
      --profile out/profile-base.json --out docs/img --tag base
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bench_tables import profiled_modes  # noqa: E402  (tools/, next to this script)

STYLE = {  # engine -> (color, marker, linestyle)
    "bte reference": ("#9ecae1", "o", "--"),
    "bte fused": ("#4292c6", "o", "-"),
    "bte packed": ("#08306b", "o", "-"),
    "bte packed bf16": ("#08306b", "*", ":"),
    "PyTorch slow path": ("#fdae6b", "s", "--"),
    "PyTorch fast path": ("#f16913", "s", "-"),
    "PyTorch fast + nested": ("#7f2704", "s", "-"),
    "transformers SDPA": ("#74c476", "^", "-"),
    "ONNX Runtime": ("#807dba", "D", "-"),
    "CTranslate2": ("#e7298a", "v", "-"),
}


def plot_padding(report, path):
    engines = {}
    for w in report["workloads"]:
        for r in w["rows"]:
            if "tokens_per_s" in r:
                engines.setdefault(r["engine"], []).append((w["padding_fraction"], r["tokens_per_s"], w["workload"]))
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, pts in engines.items():
        pts.sort()
        color, marker, ls = STYLE.get(name, ("gray", ".", ":"))
        ax.plot([100 * p for p, _, _ in pts], [t for _, t, _ in pts], marker=marker, ls=ls, color=color,
                label=name, lw=2 if name.startswith("bte") else 1.2)
    for w in report["workloads"]:
        ax.annotate(w["workload"], (100 * w["padding_fraction"], ax.get_ylim()[0]), rotation=90,
                    fontsize=8, color="gray", va="bottom", ha="right")
    ax.set_xlabel("padding fraction of the padded batch (%)")
    ax.set_ylabel("real tokens / s (higher is better)")
    ax.set_yscale("log")
    bf16 = " (bte packed bf16: bf16)" if "bte packed bf16" in engines else ""
    ax.set_title(f"XLM-R {report['size']}, {report['threads']} threads, fp32{bf16} — {report['date']}\n"
                 f"{report['machine']['cpu_model']}", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print("wrote", path)


def plot_profile(bench, path):
    modes, ops = profiled_modes(bench)
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.9 * len(modes)))
    cmap = plt.get_cmap("tab20")
    for i, m in enumerate(modes):
        per_iter = {o["op"]: o["total_ms"] / bench["iters"] for o in m["profile_ops"]}
        left = 0.0
        for j, op in enumerate(ops):
            v = per_iter.get(op, 0.0)
            ax.barh(i, v, left=left, color=cmap(j % 20), label=op if i == 0 else None)
            left += v
        ax.text(left, i, f" {left:.0f} ms", va="center", fontsize=8)
    ax.set_yticks(range(len(modes)), [m["mode"] for m in modes])
    ax.set_xlabel("ms per batch, by op")
    ax.set_title(f"bte per-op profile: {bench['workload']['name']} "
                 f"({bench['workload']['real_tokens']:.0f} real tokens)", fontsize=10)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.35))
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    print("wrote", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", nargs="+", help="tools/bench_peers.py --json output(s); their workloads are merged")
    ap.add_argument("--profile", help="bte bench --profile --json output")
    ap.add_argument("--out", default="docs/img")
    ap.add_argument("--tag", default="base")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if a.peers:
        reports = [json.load(open(p)) for p in a.peers]
        merged = dict(reports[0])
        merged["workloads"] = [w for r in reports for w in r["workloads"]]
        plot_padding(merged, os.path.join(a.out, f"tokens_vs_padding_{a.tag}.png"))
    if a.profile:
        plot_profile(json.load(open(a.profile)), os.path.join(a.out, f"profile_{a.tag}.png"))


if __name__ == "__main__":
    main()
