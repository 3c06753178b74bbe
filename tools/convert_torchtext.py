#!/usr/bin/python3
"""torchtext XLM-R checkpoints -> a Hugging Face-layout directory for `bte convert`.

The Better Transformer tutorial's models come from torchtext
(`torchtext.models.XLMR_BASE_ENCODER` / `XLMR_LARGE_ENCODER`, plus a
`RobertaClassificationHead`). Their state dicts use torchtext's module names;
this script renames them to Hugging Face's XLM-R names and writes
config.json, model.safetensors and sentencepiece.bpe.model, so that

    /usr/bin/python3 tools/convert_torchtext.py encoder.pt --spm sentencepiece.bpe.model \\
        --out xlmr_hf [--head head.pt --labels neg,pos] [--heads 12]
    bte convert xlmr_hf -o xlmr.bte

gives a .bte file. Runs on Debian's /usr/bin/python3 with python3-torch.

Accepted layouts (any key prefix before `transformer.`, e.g. `encoder.`):
  torchtext >= 0.13 (nn.TransformerEncoder inside):
    transformer.token_embedding.weight, transformer.positional_embedding.embedding.weight,
    transformer.embedding_layer_norm.{weight,bias},
    transformer.layers.layers.{i}.self_attn.{in_proj_weight,in_proj_bias,out_proj.weight,out_proj.bias},
    ...linear1, linear2, norm1, norm2
  torchtext <= 0.12 (its own TransformerEncoderLayer):
    transformer.layers.{i}.attention.{input_projection,output_projection}.{weight,bias},
    ...residual_mlp.mlp.0 (up), residual_mlp.mlp.3 (down), attention_layer_norm, final_layer_norm
  head (in the same state dict under `head.`, or a separate file via --head):
    dense.{weight,bias}, out_proj.{weight,bias}

torchtext's in-projection is query, key, value stacked along dim 0, as HF's
three matrices concatenated; it is split back into three. torchtext has no
token-type embedding: token_type_embeddings is written as zeros [1, d].
The encoder is assumed post-LayerNorm (normalize_before=False), as XLM-R is.
Only load checkpoints you trust: torch.load unpickles (it can run code); this
script loads with weights_only=True unless given --allow-pickle.
"""

import argparse
import json
import os
import re
import shutil
import struct
import sys

import torch

# Heads cannot be read from the weights; XLM-R's sizes are known.
HEADS_BY_HIDDEN = {768: 12, 1024: 16, 1280: 20, 2560: 32, 4096: 32}


def load_state_dict(path, allow_pickle):
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except TypeError:  # torch < 1.13 has no weights_only
        if not allow_pickle:
            fail(f"{path}: this torch cannot load weights only; rerun with --allow-pickle "
                 "if you trust the file")
        obj = torch.load(path, map_location="cpu")
    except Exception as e:
        if allow_pickle:
            raise
        fail(f"{path}: not loadable as plain tensors ({type(e).__name__}); if it is a pickled "
             "nn.Module you trust, rerun with --allow-pickle")
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        sys.exit(f"{path}: not a state dict (got {type(obj).__name__})")
    return {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}


def fail(msg):
    sys.exit(f"convert_torchtext: error: {msg}")


class Source:
    """The torchtext tensors, taken one by one so leftovers can be reported."""

    def __init__(self, sd, path):
        self.sd, self.path, self.used = sd, path, set()

    def take(self, key):
        if key not in self.sd:
            fail(f"{self.path}: tensor '{key}' is missing")
        self.used.add(key)
        return self.sd[key].detach().to(torch.float32).contiguous()

    def leftovers(self):
        return sorted(set(self.sd) - self.used)


def find_prefix(sd, path):
    for k in sd:
        m = re.match(r"^(.*?)transformer\.token_embedding\.weight$", k)
        if m:
            return m.group(1) + "transformer."
    fail(f"{path}: no '...transformer.token_embedding.weight': not a torchtext XLM-R encoder "
         f"(first keys: {list(sd)[:5]})")


def convert_encoder(src, p, n_layers, d):
    """Returns the HF tensors (name -> float32 tensor) of the encoder."""
    out = {}
    out["embeddings.word_embeddings.weight"] = src.take(p + "token_embedding.weight")
    out["embeddings.position_embeddings.weight"] = src.take(p + "positional_embedding.embedding.weight")
    out["embeddings.token_type_embeddings.weight"] = torch.zeros(1, d)
    out["embeddings.LayerNorm.weight"] = src.take(p + "embedding_layer_norm.weight")
    out["embeddings.LayerNorm.bias"] = src.take(p + "embedding_layer_norm.bias")
    new_layout = any(k.startswith(p + "layers.layers.") for k in src.sd)
    for i in range(n_layers):
        h = f"encoder.layer.{i}."
        if new_layout:
            t = f"{p}layers.layers.{i}."
            names = dict(qkv="self_attn.in_proj_weight", qkv_b="self_attn.in_proj_bias",
                         out="self_attn.out_proj", ln1="norm1", up="linear1", down="linear2",
                         ln2="norm2")
            qkv_w, qkv_b = src.take(t + names["qkv"]), src.take(t + names["qkv_b"])
        else:
            t = f"{p}layers.{i}."
            names = dict(out="attention.output_projection", ln1="attention_layer_norm",
                         up="residual_mlp.mlp.0", down="residual_mlp.mlp.3", ln2="final_layer_norm")
            qkv_w = src.take(t + "attention.input_projection.weight")
            qkv_b = src.take(t + "attention.input_projection.bias")
        if tuple(qkv_w.shape) != (3 * d, d):
            fail(f"{src.path}: layer {i} in-projection has shape {tuple(qkv_w.shape)}, expected {(3 * d, d)}")
        for part, w, b in zip(("query", "key", "value"), qkv_w.chunk(3, 0), qkv_b.chunk(3, 0)):
            out[h + f"attention.self.{part}.weight"] = w.contiguous()
            out[h + f"attention.self.{part}.bias"] = b.contiguous()
        for hf, tt in (("attention.output.dense", names["out"]), ("attention.output.LayerNorm", names["ln1"]),
                       ("intermediate.dense", names["up"]), ("output.dense", names["down"]),
                       ("output.LayerNorm", names["ln2"])):
            out[h + hf + ".weight"] = src.take(t + tt + ".weight")
            out[h + hf + ".bias"] = src.take(t + tt + ".bias")
    return out


def write_safetensors(path, tensors):
    """tensors: dict name -> float32 tensor. The documented layout: u64 LE
    header length, JSON header, raw little-endian data."""
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in tensors.items():
        data = t.to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("encoder", help="torchtext encoder (or full model) state dict, .pt")
    ap.add_argument("--spm", required=True, help="the model's sentencepiece.bpe.model")
    ap.add_argument("--out", required=True, help="output directory (Hugging Face layout)")
    ap.add_argument("--head", help="RobertaClassificationHead state dict (dense, out_proj)")
    ap.add_argument("--labels", help="comma-separated label names for the head")
    ap.add_argument("--heads", type=int, help="attention heads (default: 12 for d=768, 16 for d=1024)")
    ap.add_argument("--layer-norm-eps", type=float, default=1e-5)
    ap.add_argument("--allow-pickle", action="store_true",
                    help="load files that need the full unpickler (only files you trust)")
    a = ap.parse_args()

    sd = load_state_dict(a.encoder, a.allow_pickle)
    p = find_prefix(sd, a.encoder)
    src = Source(sd, a.encoder)
    vocab, d = sd[p + "token_embedding.weight"].shape
    max_pos = sd[p + "positional_embedding.embedding.weight"].shape[0]
    layer_ids = {int(m.group(1)) for k in sd for m in [re.match(re.escape(p) + r"layers\.(?:layers\.)?(\d+)\.", k)] if m}
    n_layers = max(layer_ids) + 1 if layer_ids else 0
    if not n_layers or layer_ids != set(range(n_layers)):
        fail(f"{a.encoder}: layer indices {sorted(layer_ids)} are not 0..N-1")
    heads = a.heads or HEADS_BY_HIDDEN.get(d)
    if not heads:
        fail(f"hidden size {d}: give --heads")
    if d % heads:
        fail(f"--heads {heads} does not divide the hidden size {d}")
    tensors = convert_encoder(src, p, n_layers, d)
    ffn = tensors["encoder.layer.0.intermediate.dense.weight"].shape[0]

    # The head: in the same dict (head.*) or a separate file.
    head_src, hp = None, None
    if a.head:
        hsd = load_state_dict(a.head, a.allow_pickle)
        head_src = Source(hsd, a.head)
        hp = "head." if any(k.startswith("head.") for k in hsd) else ""
    elif any(k.startswith("head.") for k in sd):
        head_src, hp = src, "head."
    num_labels = 0
    if head_src:
        tensors["classifier.dense.weight"] = head_src.take(hp + "dense.weight")
        tensors["classifier.dense.bias"] = head_src.take(hp + "dense.bias")
        tensors["classifier.out_proj.weight"] = head_src.take(hp + "out_proj.weight")
        tensors["classifier.out_proj.bias"] = head_src.take(hp + "out_proj.bias")
        num_labels = tensors["classifier.out_proj.weight"].shape[0]
    for s in {id(src): src, id(head_src): head_src}.values():
        if s and s.leftovers():
            fail(f"{s.path}: unknown tensors {s.leftovers()[:5]} (not part of a torchtext XLM-R encoder/head)")
    labels = a.labels.split(",") if a.labels else [f"LABEL_{i}" for i in range(num_labels)]
    if a.labels and not head_src:
        fail("--labels needs a head (--head or head.* tensors)")
    if len(labels) != num_labels:
        fail(f"--labels names {len(labels)} labels, the head has {num_labels}")

    arch = "XLMRobertaForSequenceClassification" if num_labels else "XLMRobertaModel"
    config = {
        "architectures": [arch], "model_type": "xlm-roberta", "hidden_size": int(d),
        "num_hidden_layers": n_layers, "num_attention_heads": heads, "intermediate_size": int(ffn),
        "hidden_act": "gelu", "vocab_size": int(vocab), "max_position_embeddings": int(max_pos),
        "type_vocab_size": 1, "layer_norm_eps": a.layer_norm_eps, "pad_token_id": 1,
        "bos_token_id": 0, "eos_token_id": 2, "position_embedding_type": "absolute",
        "torch_dtype": "float32", "converted_from": "torchtext",
    }
    if num_labels:
        config["id2label"] = {str(i): n for i, n in enumerate(labels)}
        config["label2id"] = {n: i for i, n in enumerate(labels)}
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(a.out, "model.safetensors"),
                      {("roberta." + k if not k.startswith("classifier.") else k): v for k, v in tensors.items()})
    shutil.copyfile(a.spm, os.path.join(a.out, "sentencepiece.bpe.model"))
    print(f"convert_torchtext: wrote {a.out}: {arch}, {n_layers} layers, hidden {d}, {heads} heads, "
          f"ffn {ffn}, vocab {vocab}" + (f", {num_labels} labels" if num_labels else ""))


if __name__ == "__main__":
    main()
