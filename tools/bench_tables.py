#!/usr/bin/env python3
"""Markdown tables for docs/BENCHMARKS.md, from the JSON the benchmarks write
(so no figure is typed by hand):

  --peers    tools/bench_peers.py --json output(s): per workload, every
             engine's median, tokens/s, ratio to the best peer, logit
             difference; then bte packed against the issue's targets
             (GEMM ceiling, PyTorch fast + nested, memory floor)
  --profile  `bte bench --profile --json` output(s): the per-op table
  --accuracy tools/precision_accuracy.py --json output(s): cosine and logit
             differences of a narrower dtype against bte fp32
  --bte      a `bte bench --mode packed --json` output (fp32, with its GEMM
             ceiling) and optionally the same run in bf16: bte alone against
             the ceiling, and bf16's speed-up

  python3 tools/bench_tables.py --peers out/peers-base.json --profile out/profile-seed-big.json
"""
import argparse
import json

PEERS = ("PyTorch fast + nested", "transformers SDPA", "ONNX Runtime", "CTranslate2")


def peers_tables(report):
    out = []
    for w in report["workloads"]:
        rows = w["rows"]
        best = next((r for r in rows if r["engine"] == w.get("best_peer")), None)
        name = report["size"] if report.get("arch", "xlmr") == "xlmr" else f"BERT {report['size']}"
        out.append(f"**{name} / {w['workload']}**: {w['real_tokens']:.0f} real tokens, "
                   f"{w['padded_tokens']:.0f} padded ({100 * w['padding_fraction']:.1f}% padding)\n")
        out.append("| engine | median ms | tokens/s | best peer / this | max abs logit diff vs bte packed |")
        out.append("|---|---:|---:|---:|---:|")
        for r in rows:
            if "missing" in r:
                out.append(f"| {r['engine']} | missing: {r['missing'][:80]} | | | |")
                continue
            ratio = f"{best['median_ms'] / r['median_ms']:.2f}x" if best else "—"
            d = r.get("max_abs_logit_diff")
            out.append(f"| {r['engine']} | {r['median_ms']:.1f} | {r['tokens_per_s']:.0f} | {ratio} | "
                       f"{'—' if d is None else f'{d:.1e}'} |")
        out.append("")
    return "\n".join(out)


def speedup(fp32_row, bf16_row):
    """bf16's tokens/s over fp32's on the same batch (the ratio of medians)."""
    return f"{fp32_row['median_ms'] / bf16_row['median_ms']:.2f}x"


def targets_table(report):
    bf16 = any(r["engine"] == "bte packed bf16" for w in report["workloads"] for r in w["rows"])
    out = ["| workload | bte packed GFLOP/s | oneDNN GEMM ceiling | % of ceiling | vs PyTorch fast + nested "
           "| vs best peer | memory floor ms | packed / floor |" + (" bf16 / fp32 tokens/s |" if bf16 else ""),
           "|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if bf16 else "")]
    for w in report["workloads"]:
        rows = {r["engine"]: r for r in w["rows"]}
        p = rows.get("bte packed")
        if not p or "median_ms" not in p:
            continue
        g = w["useful_gflop"] / (p["median_ms"] / 1e3)
        c = w.get("gemm_ceiling") or {}
        nested = rows.get("PyTorch fast + nested", {})
        best = rows.get(w.get("best_peer") or "", {})
        f = w.get("memory_floor") or {}
        cell = lambda r: f"{r['median_ms'] / p['median_ms']:.2f}x" if "median_ms" in r else "—"
        out.append(f"| {w['workload']} | {g:.1f} | {c.get('gflops', float('nan')):.1f} | "
                   f"{100 * g / c['gflops']:.0f}% | {cell(nested)} | {cell(best)} ({w.get('best_peer')}) | "
                   f"{f.get('ms', float('nan')):.1f} | {p['median_ms'] / f['ms']:.2f}x |"
                   if c and f else f"| {w['workload']} | {g:.1f} | — | — | {cell(nested)} | {cell(best)} | — | — |")
        if bf16:
            h = rows.get("bte packed bf16", {})
            out[-1] += f" {speedup(p, h)} |" if "median_ms" in h else " — |"
    return "\n".join(out)


def int8_targets_table(report):
    """Issue 22's targets per workload, from a --int8 (and --bf16) run: int8
    and bf16 against fp32 packed, int8 against the int8 peers, each path
    against its memory floor (the fp32 weights' bytes over the copy
    bandwidth; bf16 moves half of them, int8 a quarter)."""
    if not any(r["engine"] == "bte packed int8" for w in report["workloads"] for r in w["rows"]):
        return ""
    out = ["| workload | int8 / fp32 tokens/s | bf16 / fp32 | int8 vs ONNX Runtime int8 | int8 vs CTranslate2 int8 "
           "| fp32 vs best fp32 peer | fp32 / its floor | bf16 / its floor | int8 / its floor |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for w in report["workloads"]:
        rows = {r["engine"]: r for r in w["rows"] if "median_ms" in r}
        p, q, h = rows.get("bte packed"), rows.get("bte packed int8"), rows.get("bte packed bf16")
        if not p or not q:
            continue
        ratio = lambda a, b: f"{a['median_ms'] / b['median_ms']:.2f}x" if a and b else "—"
        f = (w.get("memory_floor") or {}).get("ms")
        floor = lambda r, frac: f"{r['median_ms'] / (f * frac):.2f}x" if r and f else "—"
        best = rows.get(w.get("best_peer") or "")
        out.append(f"| {w['workload']} | {ratio(p, q)} | {ratio(p, h)} | {ratio(rows.get('ONNX Runtime int8'), q)} | "
                   f"{ratio(rows.get('CTranslate2 int8'), q)} | {ratio(best, p)} ({w.get('best_peer')}) | "
                   f"{floor(p, 1)} | {floor(h, 0.5)} | {floor(q, 0.25)} |")
    return "\n".join(out)


def accuracy_table(reports):
    """tools/precision_accuracy.py outputs: one row per (model, dtype, text set or workload)."""
    out = ["| model | dtype | against bte fp32 on | texts | cosine min | cosine mean | texts below 0.99 "
           "| max abs logit diff | labels equal |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in reports:
        model = r["model"].rsplit("/", 1)[-1]
        for t in r["texts"]:
            out.append(f"| {model} | {r['dtype']} | {t['files']} text file(s) | {t['texts']} | "
                       f"{t['cosine_min']:.5f} | {t['cosine_mean']:.5f} | {t['below_0.99']} | "
                       f"{t['max_abs_logit_diff']:.4f} | {100 * t['label_agreement']:.1f}% |")
        for w in r["workloads"]:
            out.append(f"| {model} | {r['dtype']} | workload {w['workload']} | {w['texts']} | — | — | — | "
                       f"{w['max_abs_logit_diff']:.4f} | {100 * w['label_agreement']:.1f}% |")
    return "\n".join(out)


def bte_table(fp32, bf16=None, size="?"):
    p, c = fp32["modes"][0], fp32.get("gemm_ceiling") or {}
    out = [f"**{size} / {fp32['workload']['name']}**: {fp32['workload']['real_tokens']:.0f} real tokens "
           f"({fp32['machine']})\n",
           "| bte packed | median ms | tokens/s | useful GFLOP/s | oneDNN GEMM ceiling | % of ceiling "
           "| bf16 / fp32 tokens/s |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    ceiling = f"{c['gflops']:.1f} ({c['shapes']}) | {100 * p['useful_gflops'] / c['gflops']:.0f}%" if c else "— | —"
    out.append(f"| fp32 | {p['median_ms']:.1f} | {p['tokens_per_s']:.0f} | {p['useful_gflops']:.1f} | {ceiling} | |")
    if bf16:
        q = bf16["modes"][0]
        out.append(f"| bf16 | {q['median_ms']:.1f} | {q['tokens_per_s']:.0f} | {q['useful_gflops']:.1f} | | | "
                   f"{speedup(p, q)} |")
    out.append("")
    return "\n".join(out)


def profiled_modes(bench):
    """The modes of a `bte bench --profile --json` report that carry a
    profile, and every op name they list, in first-seen order."""
    modes = [m for m in bench["modes"] if m.get("profile_ops")]
    ops = []
    for m in modes:
        for o in m["profile_ops"]:
            if o["op"] not in ops:
                ops.append(o["op"])
    return modes, ops


def profile_table(bench):
    modes, ops = profiled_modes(bench)
    # Reports from before `bte bench --json` named the dtype only in the fused path string.
    dtype = bench.get("dtype") or ("bf16" if any("fused bf16" in m.get("path", "") for m in modes) else "fp32")
    out = [f"**{bench['workload']['name']}** ({bench['workload']['real_tokens']:.0f} real tokens), {dtype}, "
           f"ms per batch ({bench['iters']} iterations):\n"]
    out.append("| op | " + " | ".join(m["mode"] for m in modes) + " |")
    out.append("|---|" + "---:|" * len(modes))
    for op in ops:
        cells = []
        for m in modes:
            per = {o["op"]: o["total_ms"] / bench["iters"] for o in m["profile_ops"]}
            tot = sum(per.values())
            v = per.get(op)
            cells.append("—" if v is None else f"{v:.1f} ({100 * v / tot:.0f}%)")
        out.append(f"| {op} | " + " | ".join(cells) + " |")
    out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", nargs="*", default=[])
    ap.add_argument("--profile", nargs="*", default=[])
    ap.add_argument("--bte", nargs="+", metavar=("FP32_JSON", "BF16_JSON"))
    ap.add_argument("--size", default="?", help="model size named in the --bte table")
    ap.add_argument("--accuracy", nargs="*", default=[], help="tools/precision_accuracy.py --json outputs")
    a = ap.parse_args()
    if a.bte and len(a.bte) > 2:
        ap.error(f"--bte takes one fp32 report and at most one bf16 report, not {len(a.bte)}")
    for p in a.peers:
        r = json.load(open(p))
        print(peers_tables(r))
        print(targets_table(r))
        print()
        print(int8_targets_table(r))
        print()
    for p in a.profile:
        print(profile_table(json.load(open(p))))
    if a.accuracy:
        print(accuracy_table([json.load(open(p)) for p in a.accuracy]))
    if a.bte:
        print(bte_table(*[json.load(open(p)) for p in a.bte], size=a.size))


if __name__ == "__main__":
    main()
