#!/usr/bin/env python3
"""bte side by side with the engines a user would pick instead.

Same weights (a seeded random checkpoint — XLM-R written by tools/oracle, or
BERT with --arch bert — read by every engine), the same token ids (bte's,
from `bte bench --dump-ids`), the same thread count, in one run:

  bte            reference / fused / packed (`bte bench --json`)
  PyTorch        nn.TransformerEncoder: slow path, fast path (padded),
                 fast path + nested tensors (the Better Transformer tutorial)
  transformers   XLMRobertaForSequenceClassification (BertFor... with --arch
                 bert), SDPA attention
  ONNX Runtime   the HF model exported to ONNX, optimised by
                 onnxruntime.transformers (fused attention), CPU provider
  CTranslate2    its Transformers converter, Encoder.forward_batch (float32)

With --int8, the int8 engines too (their logits against bte's fp32 packed):
  bte packed int8     `bte bench --dtype int8` (weights per output channel,
                      activations per token row, oneDNN int8 GEMMs)
  ONNX Runtime int8   the optimised ONNX model through quant_pre_process (symbolic
                      shapes) and onnxruntime.quantization.quantize_dynamic (QInt8
                      weights, dynamic uint8 activations: MatMulInteger, QAttention)
  CTranslate2 int8    the same CTranslate2 model with compute_type="int8"

Every peer's logits are checked against bte's packed mode. A peer that cannot
be installed or run is reported as MISSING with the reason.

Peers live in a virtual environment (never needed by bte's build or tests):
  python3 -m venv .venv-oracle && .venv-oracle/bin/pip install torch transformers \
      onnx onnxscript onnxruntime ctranslate2 matplotlib
  .venv-oracle/bin/python tools/bench_peers.py --size base --threads 2 --json out/peers-base.json
  .venv-oracle/bin/python tools/bench_peers.py --arch bert --size minilm --threads 2

BERT checkpoints (--arch bert): BertForSequenceClassification with a
30,522-row table (bert-base-uncased's), 512 positions, 2 token types, seeded
(torch.manual_seed(7), transformers' own initialisation), and the uncased
WordPiece tokenizer of tests/data/wordpiece; sizes minilm (all-MiniLM-L6:
6 x 384, 12 heads, ffn 1536) and bge-base (12 x 768, 12 heads, ffn 3072).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools", "oracle"))

SIZES = {  # layers, hidden, heads, ffn
    "tiny": (2, 64, 4, 128),
    "base": (12, 768, 12, 3072),
    "large": (24, 1024, 16, 4096),
    "minilm": (6, 384, 12, 1536),     # all-MiniLM-L6-v2's shape
    "bge-base": (12, 768, 12, 3072),  # BAAI/bge-base-en-v1.5's shape
}
PAD = {"xlmr": 1, "bert": 0}
ARCH = "xlmr"  # set from --arch


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr[-2000:]}")
    return r.stdout


def name_of(size):
    return size if ARCH == "xlmr" else f"bert-{size}"


def prepare_bert(size, workdir, bte):
    """A seeded random BertForSequenceClassification of the named size, the
    uncased WordPiece tokenizer, and its .bte conversion."""
    import shutil
    import torch
    from transformers import BertConfig, BertForSequenceClassification
    layers, hidden, heads, ffn = SIZES[size]
    ckpt = os.path.join(workdir, f"{name_of(size)}_hf")
    if not os.path.exists(os.path.join(ckpt, "config.json")):
        torch.manual_seed(7)
        cfg = BertConfig(vocab_size=30522, hidden_size=hidden, num_hidden_layers=layers,
                         num_attention_heads=heads, intermediate_size=ffn, max_position_embeddings=512,
                         type_vocab_size=2, num_labels=2, hidden_dropout_prob=0.0,
                         attention_probs_dropout_prob=0.0)
        BertForSequenceClassification(cfg).eval().save_pretrained(ckpt, safe_serialization=True)
        tok = os.path.join(REPO, "tests", "data", "wordpiece", "uncased")
        for f in ("tokenizer.json", "vocab.txt", "tokenizer_config.json"):
            shutil.copyfile(os.path.join(tok, f), os.path.join(ckpt, f))
    model = os.path.join(workdir, f"{name_of(size)}.bte")
    if not os.path.exists(model):
        run([bte, "convert", ckpt, "-o", model])
    return ckpt, model


def read_weights(ckpt):
    """(ModelConfig, XLM-R-layout weights) of the checkpoint, for the PyTorch
    peer: BERT's pooler is RoBERTa's classifier.dense, its classifier the
    out_proj, its token type 0 the one row XlmrEncoder adds."""
    from hf_checkpoint import read_checkpoint
    if ARCH == "xlmr":
        return read_checkpoint(ckpt)
    from safetensors.numpy import load_file
    from xlmr_model import ModelConfig
    c = json.load(open(os.path.join(ckpt, "config.json")))
    raw = load_file(os.path.join(ckpt, "model.safetensors"))
    rename = {"pooler.dense": "classifier.dense", "classifier": "classifier.out_proj"}
    w = {}
    for name, arr in raw.items():
        key = name[len("bert."):] if name.startswith("bert.") else name
        stem, _, leaf = key.rpartition(".")
        w[rename.get(stem, stem) + "." + leaf] = arr
    w["embeddings.token_type_embeddings.weight"] = w["embeddings.token_type_embeddings.weight"][:1]
    n = c.get("num_labels") or len(c.get("id2label") or {}) or raw["classifier.weight"].shape[0]
    labels = [(c.get("id2label") or {}).get(str(i), f"LABEL_{i}") for i in range(n)]
    cfg = ModelConfig(layers=c["num_hidden_layers"], hidden=c["hidden_size"], heads=c["num_attention_heads"],
                      ffn=c["intermediate_size"], vocab=c["vocab_size"], max_positions=c["max_position_embeddings"],
                      num_labels=len(labels), labels=labels, eps=c["layer_norm_eps"])
    return cfg, w


def prepare(size, workdir, bte):
    """A seeded random checkpoint of the named size and its .bte conversion."""
    if ARCH == "bert":
        return prepare_bert(size, workdir, bte)
    layers, hidden, heads, ffn = SIZES[size]
    ckpt = os.path.join(workdir, f"{size}_hf")
    if not os.path.exists(os.path.join(ckpt, "config.json")):
        run(["/usr/bin/python3", os.path.join(REPO, "tools/oracle/oracle.py"), "checkpoint",
             "--seed", "7", "--spm", os.path.join(REPO, "tests/data/spm/unigram.model"),
             "--layers", str(layers), "--hidden", str(hidden), "--heads", str(heads),
             "--ffn", str(ffn), "--max-positions", "514", "--num-labels", "2", "--out", ckpt])
    model = os.path.join(workdir, f"{size}.bte")
    if not os.path.exists(model):
        run([bte, "convert", ckpt, "-o", model])
    return ckpt, model


def timed(fn, iters, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times)


def padded(ids):
    import torch
    L = max(len(s) for s in ids)
    x = torch.full((len(ids), L), PAD[ARCH], dtype=torch.long)
    mask = torch.zeros((len(ids), L), dtype=torch.long)
    for i, s in enumerate(ids):
        x[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return x, mask


# ---- peers: each returns (callable running one batch, logits [n, C] numpy, notes) ----

def peer_torch_bt(ckpt, ids, path):
    """nn.TransformerEncoder from the same weights, as the tutorial runs it."""
    import torch
    from xlmr_model import XlmrEncoder
    cfg, w = read_weights(ckpt)
    m = XlmrEncoder(cfg, {k: torch.from_numpy(v.copy()) for k, v in w.items()})
    x, mask = padded(ids)
    real = mask.bool()
    if ARCH == "xlmr":  # RoBERTa's positions count from the padding id + 1
        positions = torch.cumsum(mask, 1) * mask + PAD[ARCH]
    else:  # BERT's from 0
        positions = torch.arange(x.shape[1]).expand_as(x)

    def forward():
        h = m.emb_norm(m.word(x) + m.position(positions) + m.token_type(torch.zeros_like(x)))
        h = m.encoder(h, src_key_padding_mask=~real)
        if h.is_nested:
            h = h.to_padded_tensor(0.0)
        return m.cls_out(torch.tanh(m.cls_dense(h[:, 0])))

    enc = m.encoder
    if path == "slow":
        m.train()  # dropout is 0: same function, but no fast path (training mode, autograd on)

        def fn():
            with torch.enable_grad():
                return forward()
    else:
        m.eval()
        nested = path == "nested"
        enc.enable_nested_tensor = nested
        if hasattr(enc, "use_nested_tensor"):
            enc.use_nested_tensor = nested

        def fn():
            with torch.inference_mode():
                return forward()
    logits = fn().detach().numpy()
    return fn, logits, f"torch {torch.__version__}, mkldnn {torch.backends.mkldnn.is_available()}"


def peer_hf(ckpt, ids):
    import torch
    from transformers import AutoModelForSequenceClassification
    m = AutoModelForSequenceClassification.from_pretrained(
        ckpt, attn_implementation="sdpa", dtype=torch.float32).eval()
    x, mask = padded(ids)

    def fn():
        with torch.inference_mode():
            return m(input_ids=x, attention_mask=mask).logits
    import transformers
    return fn, fn().numpy(), f"transformers {transformers.__version__}, SDPA, torch {torch.__version__}"


def peer_onnxruntime(ckpt, ids, threads, workdir, size, int8=False):
    import numpy as np
    import onnxruntime as ort
    import torch
    from onnxruntime.transformers import optimizer
    from transformers import AutoModelForSequenceClassification
    layers, hidden, heads, _ = SIZES[size]
    raw = os.path.join(workdir, f"{name_of(size)}.onnx")
    opt_path = os.path.join(workdir, f"{name_of(size)}.opt.onnx")
    if not os.path.exists(opt_path):
        m = AutoModelForSequenceClassification.from_pretrained(
            ckpt, attn_implementation="eager", dtype=torch.float32).eval()
        x, mask = padded([[0, 5, 6, 2], [0, 7, 2]])
        kw = dict(input_names=["input_ids", "attention_mask"], output_names=["logits"],
                  dynamic_axes={"input_ids": {0: "b", 1: "l"}, "attention_mask": {0: "b", 1: "l"},
                                "logits": {0: "b"}}, opset_version=17)
        try:
            torch.onnx.export(m, (x, mask), raw, dynamo=False, **kw)
        except TypeError:
            torch.onnx.export(m, (x, mask), raw, **kw)
        opt = optimizer.optimize_model(raw, model_type="bert", num_heads=heads, hidden_size=hidden)
        opt.save_model_to_file(opt_path)
    run_path = opt_path
    if int8:  # ORT's dynamic quantisation of the optimised graph (its documented recipe)
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.quantization.shape_inference import quant_pre_process
        run_path = os.path.join(workdir, f"{name_of(size)}.opt.int8.onnx")
        if not os.path.exists(run_path):
            # Symbolic shape inference first: the fused contrib ops (Attention,
            # SkipLayerNormalization) otherwise leave tensors without a type and
            # quantize_dynamic stops; the fused Attention becomes QAttention.
            pre = os.path.join(workdir, f"{name_of(size)}.opt.pre.onnx")
            quant_pre_process(opt_path, pre, skip_optimization=True)
            quantize_dynamic(pre, run_path, weight_type=QuantType.QInt8)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(run_path, so, providers=["CPUExecutionProvider"])
    fused = sorted({n.op_type for n in __import__("onnx").load(run_path).graph.node
                    if n.op_type in ("Attention", "MultiHeadAttention", "SkipLayerNormalization",
                                     "BiasGelu", "FastGelu", "EmbedLayerNormalization",
                                     "MatMulInteger", "DynamicQuantizeMatMul", "QAttention",
                                     "DynamicQuantizeLinear")})
    x, mask = padded(ids)
    feed = {"input_ids": x.numpy().astype(np.int64), "attention_mask": mask.numpy().astype(np.int64)}

    def fn():
        return sess.run(["logits"], feed)[0]
    return fn, fn(), f"onnxruntime {ort.__version__}, CPU EP, fused ops: {', '.join(fused) or 'none'}"


def peer_ctranslate2(ckpt, ids, threads, workdir, size, compute_type="float32"):
    import ctranslate2
    import numpy as np
    out = os.path.join(workdir, f"{name_of(size)}_ct2")
    if not os.path.exists(os.path.join(out, "model.bin")):
        if ARCH == "bert":  # ctranslate2 4.8 reads an attribute transformers 5 no longer sets
            import transformers
            if not hasattr(transformers.BertConfig(), "position_embedding_type"):
                transformers.BertConfig.position_embedding_type = "absolute"
        ctranslate2.converters.TransformersConverter(ckpt).convert(out, force=True)
    enc = ctranslate2.Encoder(out, device="cpu", compute_type=compute_type, intra_threads=threads,
                              inter_threads=1)
    _, w = read_weights(ckpt)

    def head(h0):  # dense + tanh + out on the first token (RoBERTa's head, BERT's pooler), in numpy
        t = np.tanh(h0 @ w["classifier.dense.weight"].T + w["classifier.dense.bias"])
        return t @ w["classifier.out_proj.weight"].T + w["classifier.out_proj.bias"]

    def fn():
        o = enc.forward_batch(ids)
        h = np.array(o.last_hidden_state)
        return head(h[:, 0])
    return fn, fn(), f"ctranslate2 {ctranslate2.__version__}, {compute_type}, lengths-aware Encoder"


def bte_bench(a, model, wl, iters, warmup, *extra):
    """`bte bench --json` on one workload; its report."""
    return json.loads(run([a.bte, "bench", "-m", model, "--workload", wl, "--threads", str(a.threads),
                           "--iters", str(iters), "--warmup", str(warmup), "--json", *extra]))


def bte_dtype_row(a, model, wl, iters, warmup, fp32_logits_path, dtype):
    """bte packed in bf16 or int8 on the same ids; its logits against fp32 packed's."""
    import numpy as np
    path = os.path.join(a.workdir, f"{name_of(a.size)}-{wl}.{dtype}.logits.json")
    m = bte_bench(a, model, wl, iters, warmup, "--mode", "packed", "--dtype", dtype, "--no-ceiling",
                  "--dump-logits", path)["modes"][0]
    diff = np.abs(np.array(json.load(open(path))) - np.array(json.load(open(fp32_logits_path)))).max()
    return {"engine": f"bte packed {dtype}", "median_ms": m["median_ms"], "min_ms": m["min_ms"],
            "max_abs_logit_diff": float(diff), "notes": m["path"]}


PEERS = ["PyTorch slow path", "PyTorch fast path", "PyTorch fast + nested", "transformers SDPA",
         "ONNX Runtime", "CTranslate2"]
INT8_PEERS = ["ONNX Runtime int8", "CTranslate2 int8"]


def worker(a):
    """One peer on one workload; prints one JSON row (a peer that fails is MISSING, with why)."""
    import numpy as np
    import torch
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    ckpt = os.path.join(a.workdir, f"{name_of(a.size)}_hf")
    ids = json.load(open(a.ids))
    ref_logits = np.array(json.load(open(a.logits)))
    makers = {
        "PyTorch slow path": lambda: peer_torch_bt(ckpt, ids, "slow"),
        "PyTorch fast path": lambda: peer_torch_bt(ckpt, ids, "fast"),
        "PyTorch fast + nested": lambda: peer_torch_bt(ckpt, ids, "nested"),
        "transformers SDPA": lambda: peer_hf(ckpt, ids),
        "ONNX Runtime": lambda: peer_onnxruntime(ckpt, ids, a.threads, a.workdir, a.size),
        "CTranslate2": lambda: peer_ctranslate2(ckpt, ids, a.threads, a.workdir, a.size),
        "ONNX Runtime int8": lambda: peer_onnxruntime(ckpt, ids, a.threads, a.workdir, a.size, int8=True),
        "CTranslate2 int8": lambda: peer_ctranslate2(ckpt, ids, a.threads, a.workdir, a.size, "int8"),
    }
    try:
        fn, logits, notes = makers[a.worker]()
        med, mn = timed(fn, a.iters, a.warmup)
        diff = float(np.abs(np.asarray(logits, dtype=np.float64) - ref_logits).max())
        row = {"engine": a.worker, "median_ms": med, "min_ms": mn, "max_abs_logit_diff": diff,
               "notes": notes}
    except Exception as e:  # reported, never dropped
        row = {"engine": a.worker, "missing": f"{type(e).__name__}: {str(e)[:300]}"}
    print(json.dumps(row))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="xlmr", choices=PAD, help="xlmr (default) or bert checkpoints")
    ap.add_argument("--size", default="base", choices=SIZES)
    ap.add_argument("--workloads", default="seed-small,seed-big,mixed,full")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=10, help="timed iterations (seed-* workloads)")
    ap.add_argument("--iters-big", type=int, default=3, help="timed iterations (mixed, full)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed iterations first (seed-* workloads)")
    ap.add_argument("--warmup-big", type=int, default=1, help="untimed iterations first (mixed, full)")
    ap.add_argument("--bte", default=os.path.join(REPO, "build/cli/bte"))
    ap.add_argument("--workdir", default=os.path.join(REPO, "out/peers"))
    ap.add_argument("--json", help="write every measurement here")
    ap.add_argument("--bf16", action="store_true",
                    help="also time bte packed with --dtype bf16 (CPUs with AVX512_BF16 or AMX)")
    ap.add_argument("--int8", action="store_true",
                    help="also time bte packed with --dtype int8 and the int8 peers (ONNX Runtime "
                         "dynamic quantisation, CTranslate2 int8)")
    ap.add_argument("--bte-modes", default="all",
                    help="bte's modes to time (all, or e.g. packed: the reference mode is the slowest "
                         "row on big workloads)")
    ap.add_argument("--skip", default="", help="comma-separated peers to leave out (named in the report)")
    ap.add_argument("--worker", choices=PEERS + INT8_PEERS, help=argparse.SUPPRESS)
    ap.add_argument("--ids", help=argparse.SUPPRESS)
    ap.add_argument("--logits", help=argparse.SUPPRESS)
    a = ap.parse_args()
    global ARCH
    ARCH = a.arch

    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    if a.worker:
        return worker(a)
    os.makedirs(a.workdir, exist_ok=True)
    ckpt, model = prepare(a.size, a.workdir, a.bte)
    skip = set(filter(None, a.skip.split(",")))
    report = {"date": time.strftime("%Y-%m-%d"), "arch": a.arch, "size": a.size, "threads": a.threads,
              "machine": {"cpu": platform.processor() or platform.machine(),
                          "cpu_model": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                                             if l.startswith("model name")), "?")},
              "workloads": []}
    for wl in a.workloads.split(","):
        iters = a.iters if wl.startswith("seed") else a.iters_big
        warmup = a.warmup if wl.startswith("seed") else a.warmup_big
        ids_path = os.path.join(a.workdir, f"{name_of(a.size)}-{wl}.ids.json")
        logits_path = os.path.join(a.workdir, f"{name_of(a.size)}-{wl}.logits.json")
        b = bte_bench(a, model, wl, iters, warmup, "--dump-ids", ids_path, "--dump-logits", logits_path,
                      "--mode", a.bte_modes)
        real = b["workload"]["real_tokens"]
        rows = [{"engine": "bte " + m["mode"], "median_ms": m["median_ms"], "min_ms": m["min_ms"],
                 "max_abs_logit_diff": 0.0 if m["mode"] == "packed" else None,
                 "notes": m["path"]} for m in b["modes"]]
        if a.bf16:
            rows.append(bte_dtype_row(a, model, wl, iters, warmup, logits_path, "bf16"))
        if a.int8:
            rows.append(bte_dtype_row(a, model, wl, iters, warmup, logits_path, "int8"))
        # Each peer runs in a process of its own, one after the other: no
        # engine's thread pool (spinning OpenMP / ORT workers) is left alive
        # to slow down the next one, bte included.
        for name in PEERS + (INT8_PEERS if a.int8 else []):
            if name in skip:
                rows.append({"engine": name, "missing": "skipped (--skip)"})
                continue
            r = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", name,
                                "--arch", a.arch, "--size", a.size, "--threads", str(a.threads), "--workdir", a.workdir,
                                "--ids", ids_path, "--logits", logits_path, "--iters", str(iters),
                                "--warmup", str(warmup)],
                               capture_output=True, text=True)
            try:
                rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
            except (IndexError, ValueError):
                rows.append({"engine": name, "missing": f"worker failed ({r.returncode}): {r.stderr[-300:]}"})
        for r in rows:
            if "median_ms" in r:
                r["tokens_per_s"] = real / (r["median_ms"] / 1e3)
        best_peer = min((r for r in rows if r["engine"] in
                         ("PyTorch fast + nested", "transformers SDPA", "ONNX Runtime", "CTranslate2")
                         and "median_ms" in r), key=lambda r: r["median_ms"], default=None)
        best_int8 = min((r for r in rows if r["engine"] in INT8_PEERS and "median_ms" in r),
                        key=lambda r: r["median_ms"], default=None)
        w = {"workload": wl, "real_tokens": real, "padded_tokens": b["workload"]["padded_tokens"],
             "padding_fraction": b["workload"]["padding_fraction"], "rows": rows,
             "gemm_ceiling": b.get("gemm_ceiling"), "memory_floor": b.get("memory_floor"),
             "useful_gflop": b["useful_gflop"], "bte_machine": b["machine"],
             "best_peer": best_peer["engine"] if best_peer else None,
             "best_int8_peer": best_int8["engine"] if best_int8 else None}
        report["workloads"].append(w)
        print(f"\n== {name_of(a.size)} / {wl}: {b['workload']['texts']} texts, {real:.0f} real tokens, "
              f"{100 * b['workload']['padding_fraction']:.1f}% padding; {a.threads} threads; "
              f"median of {iters} ==")
        print(f"{'engine':24} {'median ms':>10} {'tokens/s':>10} {'vs best peer':>13} {'max|dlogit|':>12}")
        for r in rows:
            if "missing" in r:
                print(f"{r['engine']:24} MISSING: {r['missing']}")
                continue
            ratio = best_peer["median_ms"] / r["median_ms"] if best_peer else float("nan")
            d = r["max_abs_logit_diff"]
            print(f"{r['engine']:24} {r['median_ms']:10.2f} {r['tokens_per_s']:10.0f} {ratio:12.2f}x "
                  f"{'' if d is None else f'{d:12.2e}'}")
        if best_peer:
            print(f"best peer: {best_peer['engine']}")
        int8_row = next((r for r in rows if r["engine"] == "bte packed int8" and "median_ms" in r), None)
        if int8_row and best_int8:
            print(f"bte packed int8 vs the best int8 peer ({best_int8['engine']}): "
                  f"{best_int8['median_ms'] / int8_row['median_ms']:.2f}x")
        packed = next(r for r in rows if r["engine"] == "bte packed")
        if w["gemm_ceiling"]:
            g = b["useful_gflop"] / (packed["median_ms"] / 1e3)
            print(f"bte packed: {g:.1f} useful GFLOP/s = {100 * g / w['gemm_ceiling']['gflops']:.0f}% of "
                  f"the oneDNN GEMM ceiling {w['gemm_ceiling']['gflops']:.1f} ({w['gemm_ceiling']['shapes']})")
        if w["memory_floor"]:
            f = w["memory_floor"]
            print(f"memory floor {f['ms']:.2f} ms ({f['encoder_weight_bytes'] / 1e6:.0f} MB at "
                  f"{f['copy_gbps']:.1f} GB/s): bte packed at {packed['median_ms'] / f['ms']:.2f}x")
        print(f"machine: {b['machine']}")
        for r in rows:
            if "notes" in r and not r["engine"].startswith("bte"):
                print(f"  {r['engine']}: {r['notes']}")
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
