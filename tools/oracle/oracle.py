#!/usr/bin/python3
"""bte's test oracle: PyTorch (CPU, float32, seeded) builds an XLM-R encoder
from nn.TransformerEncoderLayer, writes it as a Hugging Face checkpoint, and
writes the expected outputs as a golden JSON file.

Run from the repo root with Debian's interpreter (it has torch + sentencepiece):

  /usr/bin/python3 tools/oracle/oracle.py checkpoint --out DIR [model options]
  /usr/bin/python3 tools/oracle/oracle.py golden --out DIR --case-set tiny [model options]
  /usr/bin/python3 tools/oracle/oracle.py live --seed S --out DIR --spm M --texts-file F
  /usr/bin/python3 tools/oracle/oracle.py tokenizer --out FILE --spm unigram=M1 --spm bpe=M2

See tools/oracle/README.md for the golden file format.
"""

import argparse
import os
import shlex
import sys
import warnings

import numpy as np
import torch

import cases
import golden_json
from hf_checkpoint import read_checkpoint, write_checkpoint
from xlmr_model import PAD_ID, ModelConfig, XlmrEncoder, as_numpy, from_numpy, init_weights, reference_forward
from xlmr_tokenize import XlmrTokenizer

warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors is in prototype")

BATCH_VS_SINGLE_ATOL = 1e-5  # padded fast-path batch vs one unpadded text at a time
REFERENCE_ATOL = 1e-4  # float32 modules vs the float64 re-implementation
INIT_NOTE = ("embeddings N(0,0.02); dense [out,in] N(0,1/in); biases 0.02*N(0,1); "
             "LayerNorm gamma 1+0.1*N(0,1), beta 0.1*N(0,1); torch.Generator seeded")


def command_line():
    return "/usr/bin/python3 tools/oracle/oracle.py " + shlex.join(sys.argv[1:])


# ---------------------------------------------------------------- running


def run_texts(cfg, weights, tok, texts, max_tokens):
    """Runs every text through the modules; returns (cases, selfcheck stats)."""
    torch.set_num_threads(1)  # same reduction order on every run
    model = XlmrEncoder(cfg, from_numpy(weights))
    encoded = [tok.encode(t, max_tokens) for t in texts]
    lengths = torch.tensor([len(ids) for ids, _ in encoded])
    L = int(lengths.max())
    batch = torch.full((len(texts), L), PAD_ID, dtype=torch.long)
    for i, (ids, _) in enumerate(encoded):
        batch[i, : len(ids)] = torch.tensor(ids)
    hidden, logits = model(batch, lengths)

    # Fast-path evidence: the nested-tensor path of nn.TransformerEncoder
    # returns exact zeros in padded rows (the padded reference path does not).
    pad_rows = [hidden[i, n:] for i, n in enumerate(lengths.tolist()) if n < L]
    nested = bool(pad_rows) and all(bool((r == 0).all()) for r in pad_rows)

    worst_single, worst_ref = 0.0, 0.0
    out = []
    for i, (text, (ids, truncated)) in enumerate(zip(texts, encoded)):
        n = len(ids)
        h = hidden[i, :n]
        one_h, one_logits = model(torch.tensor([ids]), torch.tensor([n]))
        worst_single = max(worst_single, float((one_h[0] - h).abs().max()))
        ref_h, ref_logits = reference_forward(cfg, from_numpy(weights), ids)
        worst_ref = max(worst_ref, float(np.abs(ref_h - h.double().numpy()).max()))
        case = {"index": i, "text": text, "ids": ids, "truncated": truncated}
        case["hidden"] = h.tolist()
        cls = h[0]
        mean = h.mean(0)
        case["cls"] = cls.tolist()
        case["mean"] = mean.tolist()
        case["cls_l2"] = torch.nn.functional.normalize(cls, dim=0).tolist()
        case["mean_l2"] = torch.nn.functional.normalize(mean, dim=0).tolist()
        if logits is not None:
            lg = logits[i]
            worst_single = max(worst_single, float((one_logits[0] - lg).abs().max()))
            worst_ref = max(worst_ref, float(np.abs(ref_logits - lg.double().numpy()).max()))
            case["logits"] = lg.tolist()
            case["probs"] = torch.softmax(lg, 0).tolist()
        out.append(case)

    if worst_single > BATCH_VS_SINGLE_ATOL:
        raise AssertionError(f"padded batch vs single text differ by {worst_single:.3g}")
    if worst_ref > REFERENCE_ATOL:
        raise AssertionError(f"modules vs float64 reference differ by {worst_ref:.3g}")
    stats = {
        "nested_tensor_fast_path": nested,
        "max_abs_batch_vs_single": float(np.float32(worst_single)),
        "max_abs_vs_float64_reference": float(np.float32(worst_ref)),
    }
    return out, stats


def golden_document(cfg, args, max_tokens, case_list, stats, rejected, encoder_only):
    config = cfg.as_json()
    config.update({
        "architecture": "XLMRobertaModel" if encoder_only else "XLMRobertaForSequenceClassification",
        "seed": args.seed,
        "spm": args.spm,
        "truncate_to": max_tokens,
        "weights_init": INIT_NOTE,
        "torch": torch.__version__,
        "selfcheck": stats,
    })
    doc = {
        "magic": "bte-golden",
        "version": 1,
        "regenerate": command_line(),
        "config": config,
        "cases": case_list,
    }
    if rejected:
        doc["rejected"] = rejected
    return doc


# ---------------------------------------------------------------- texts


def read_texts(args):
    """Returns (texts, rejected): texts as (index, str); rejected as dicts for
    inputs that are not valid UTF-8 (the engine refuses them; so do we)."""
    raw = []
    if args.texts_file:
        with open(args.texts_file, "rb") as f:
            data = f.read()
        parts = data.split(b"\n")
        if parts and parts[-1] == b"":
            parts.pop()  # a final newline ends the last text, it does not start one
        raw += parts
    if args.texts_json:
        import json
        with open(args.texts_json, encoding="utf-8") as f:
            raw += [t.encode("utf-8") for t in json.load(f)]
    raw += [t.encode("utf-8", "surrogateescape") for t in args.text or []]
    texts, rejected = [], []
    for i, b in enumerate(raw):
        try:
            texts.append((i, b.decode("utf-8", "strict")))
        except UnicodeDecodeError as e:
            rejected.append({"index": i, "hex": b.hex(), "reason": f"invalid UTF-8 at byte {e.start}"})
    return texts, rejected


# ---------------------------------------------------------------- commands


def model_config(args, tok):
    labels = args.labels.split(",") if args.labels else []
    num_labels = 0 if args.encoder_only else (len(labels) if labels else args.num_labels)
    vocab = args.vocab or tok.vocab_size()
    if vocab < tok.vocab_size():
        raise SystemExit(f"--vocab {vocab} is smaller than the tokenizer's {tok.vocab_size()}")
    return ModelConfig(layers=args.layers, hidden=args.hidden, heads=args.heads, ffn=args.ffn,
                       vocab=vocab, max_positions=args.max_positions,
                       num_labels=num_labels, labels=labels)


def make_checkpoint(args, ckpt_dir):
    tok = XlmrTokenizer(args.spm)
    cfg = model_config(args, tok)
    weights = as_numpy(init_weights(cfg, args.seed, pooler=args.pooler))
    write_checkpoint(ckpt_dir, cfg, weights, args.spm, encoder_only=args.encoder_only,
                     prefix=not args.no_prefix, shards=args.sharded)
    # Everything downstream uses the weights as read back from the files.
    cfg2, weights2 = read_checkpoint(ckpt_dir)
    assert cfg2 == cfg and weights2.keys() == weights.keys()
    assert all(np.array_equal(weights[k], weights2[k]) for k in weights)
    return tok, cfg2, weights2


def write_expected(args, tok, cfg, weights, texts, rejected, path):
    max_tokens = args.max_tokens or cfg.max_tokens
    if max_tokens > cfg.max_tokens:
        raise SystemExit(f"--max-tokens {max_tokens} exceeds the model's {cfg.max_tokens}")
    case_list, stats = run_texts(cfg, weights, tok, [t for _, t in texts], max_tokens)
    for case, (index, _) in zip(case_list, texts):
        case["index"] = index
    doc = golden_document(cfg, args, max_tokens, case_list, stats, rejected, args.encoder_only)
    golden_json.write(path, doc)
    return stats


def cmd_checkpoint(args):
    make_checkpoint(args, args.out)


def cmd_golden(args):
    tok, cfg, weights = make_checkpoint(args, args.out)
    if args.case_set == "tiny":
        texts = list(enumerate(cases.tiny_case_set(tok, args.max_tokens or cfg.max_tokens)))
        rejected = []
    else:
        texts, rejected = read_texts(args)
    stats = write_expected(args, tok, cfg, weights, texts, rejected, os.path.join(args.out, "expected.json"))
    print(f"{args.out}: {len(texts)} cases, {stats}")


def cmd_live(args):
    tok, cfg, weights = make_checkpoint(args, os.path.join(args.out, "checkpoint"))
    texts, rejected = read_texts(args)
    if not texts:
        raise SystemExit("no valid texts given (--texts-file, --texts-json or --text)")
    write_expected(args, tok, cfg, weights, texts, rejected, os.path.join(args.out, "expected.json"))


def cmd_tokenizer(args):
    models = {}
    for item in args.spm:
        name, _, path = item.partition("=")
        models[name] = path
    texts = cases.corpus_lines() + cases.tokenizer_edge_cases()
    doc = {
        "magic": "bte-tokenizer-golden",
        "version": 1,
        "regenerate": command_line(),
        "mapping": "ids = [0] + [3 if s == 0 else s + 1 for s in sp.encode(text)][:max_tokens-2] + [2]",
        "max_tokens": [512, 16],
        "models": {},
    }
    for name, path in models.items():
        tok = XlmrTokenizer(path)
        entries = []
        for text in texts:
            ids, truncated = tok.encode(text, 512)
            ids16, _ = tok.encode(text, 16)
            entries.append({"text": text, "ids": ids, "truncated": truncated, "ids_16": ids16})
        doc["models"][name] = {"spm": path, "vocab_size": tok.vocab_size(), "cases": entries}
    golden_json.write(args.out, doc)
    print(f"{args.out}: {len(texts)} texts x {len(models)} models")


def add_model_options(p, seed_default=1):
    p.add_argument("--seed", type=int, default=seed_default)
    p.add_argument("--spm", default="tests/data/spm/unigram.model")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=128)
    p.add_argument("--vocab", type=int, default=0, help="default: sentencepiece pieces + 2")
    p.add_argument("--max-positions", type=int, default=514)
    p.add_argument("--num-labels", type=int, default=3)
    p.add_argument("--labels", default="", help="comma-separated; sets --num-labels")
    p.add_argument("--encoder-only", action="store_true", help="XLMRobertaModel, no classifier")
    p.add_argument("--pooler", action="store_true", help="add pooler.dense (as HF XLMRobertaModel has)")
    p.add_argument("--no-prefix", action="store_true", help="keys without 'roberta.'")
    p.add_argument("--sharded", type=int, default=1, metavar="N", help="write N safetensors shards + index")
    p.add_argument("--max-tokens", type=int, default=0, help="truncation; default: the model's maximum")


def add_text_options(p):
    p.add_argument("--texts-file", help="one text per line (split on \\n only); invalid UTF-8 lines are recorded as rejected")
    p.add_argument("--texts-json", help="a JSON list of strings")
    p.add_argument("--text", action="append", help="a text (repeatable)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("checkpoint", help="write an HF checkpoint directory only")
    add_model_options(p)
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_checkpoint)
    p = sub.add_parser("golden", help="HF checkpoint + expected.json in one directory")
    add_model_options(p)
    add_text_options(p)
    p.add_argument("--case-set", choices=["tiny"], help="the built-in texts of the tiny fixture")
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_golden)
    p = sub.add_parser("live", help="OUT/checkpoint/ + OUT/expected.json, for differential tests")
    add_model_options(p)
    add_text_options(p)
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_live)
    p = sub.add_parser("tokenizer", help="tokenizer golden file for one or more spm models")
    p.add_argument("--spm", action="append", required=True, metavar="NAME=PATH")
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_tokenizer)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
