#!/usr/bin/env python3
"""PyTorch's Better Transformer on the GPU, on bte's exact work, for the
side-by-side table of tools/gpu-check.sh.

Takes an oracle checkpoint (tools/oracle), the token ids bte ran
(`bte bench --dump-ids`) and bte's logits (`--dump-logits`); builds the same
encoder from nn.TransformerEncoderLayer on CUDA and times, per dtype, host ids
in to host logits out (as `bte bench` times itself):
  fast path (padded batch, native MHA)  and  fast path + nested tensors.
Prints one JSON object: rows of {engine, dtype, median_ms, min_ms,
max_abs_logit_diff}. Needs only torch (the GPU machines hold it).
"""
import argparse
import json
import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools", "oracle"))
sys.path.insert(0, os.path.join(REPO, "tools"))
PAD = 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--logits", required=True, help="bte's logits for the same ids (fp32)")
    ap.add_argument("--dtypes", default="fp16,fp32")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--device", default="cuda", help="cpu rehearses the script without a GPU")
    a = ap.parse_args()

    import numpy as np
    import torch
    from hf_checkpoint import read_checkpoint
    from xlmr_model import XlmrEncoder

    from bench_peers import padded

    cfg, w = read_checkpoint(a.checkpoint)
    ids = json.load(open(a.ids))
    want = np.array(json.load(open(a.logits)), dtype=np.float64)
    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    # The same padded batch the CPU peers get, on the host: like bte's timed
    # run (host ids in, host logits out), each timed call copies it over and
    # the logits back.
    x_host, mask_host = padded(ids)
    rows = []
    for dt_name in a.dtypes.split(","):
        dt = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[dt_name]
        m = XlmrEncoder(cfg, {k: torch.from_numpy(v.copy()) for k, v in w.items()}).to(dev, dt).eval()
        for nested in (False, True):
            enc = m.encoder
            enc.enable_nested_tensor = nested
            if hasattr(enc, "use_nested_tensor"):
                enc.use_nested_tensor = nested

            def fn():
                with torch.inference_mode():
                    x, mask = x_host.to(dev), mask_host.to(dev)
                    real = mask.bool()
                    positions = torch.cumsum(mask, 1) * mask + PAD
                    h = m.emb_norm(m.word(x) + m.position(positions) + m.token_type(torch.zeros_like(x)))
                    h = m.encoder(h, src_key_padding_mask=~real)
                    if h.is_nested:
                        h = h.to_padded_tensor(0.0)
                    return m.cls_out(torch.tanh(m.cls_dense(h[:, 0]))).float().cpu()

            for _ in range(3):
                fn()
            sync()
            times = []
            for _ in range(a.iters):
                start = time.perf_counter()
                out = fn()
                sync()  # the GPU's work done before the clock stops
                times.append((time.perf_counter() - start) * 1e3)
            got = out.numpy().astype(np.float64)
            rows.append({"engine": "PyTorch fast + nested" if nested else "PyTorch fast path",
                         "dtype": dt_name, "median_ms": statistics.median(times), "min_ms": min(times),
                         "max_abs_logit_diff": float(np.abs(got - want).max())})
    print(json.dumps({"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0) if cuda else "cpu", "rows": rows}))


if __name__ == "__main__":
    main()
