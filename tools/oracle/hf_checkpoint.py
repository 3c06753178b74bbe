"""Writes (and reads back) a Hugging Face XLM-R checkpoint directory:
config.json, model.safetensors or shards + model.safetensors.index.json,
sentencepiece.bpe.model.
"""

import json
import os
import shutil

from safetensors_io import read_safetensors, write_safetensors
from xlmr_model import PAD_ID, ModelConfig

INDEX_NAME = "model.safetensors.index.json"


def hf_config(cfg, encoder_only):
    arch = "XLMRobertaModel" if encoder_only else "XLMRobertaForSequenceClassification"
    out = {
        "architectures": [arch],
        "model_type": "xlm-roberta",
        "hidden_size": cfg.hidden,
        "num_hidden_layers": cfg.layers,
        "num_attention_heads": cfg.heads,
        "intermediate_size": cfg.ffn,
        "hidden_act": "gelu",
        "vocab_size": cfg.vocab,
        "max_position_embeddings": cfg.max_positions,
        "type_vocab_size": 1,
        "layer_norm_eps": cfg.eps,
        "pad_token_id": PAD_ID,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "position_embedding_type": "absolute",
        "initializer_range": 0.02,
        "torch_dtype": "float32",
    }
    if not encoder_only:
        out["id2label"] = {str(i): name for i, name in enumerate(cfg.labels)}
        out["label2id"] = {name: i for i, name in enumerate(cfg.labels)}
    return out


def hf_name(key, prefix):
    """Our key -> HF key. The head lives outside the "roberta." prefix."""
    if key.startswith("classifier.") or not prefix:
        return key
    return "roberta." + key


def shard_groups(tensors, n):
    """Splits the ordered (name, array) list into n contiguous, non-empty groups
    of about equal byte size."""
    if not 1 <= n <= len(tensors):
        raise ValueError(f"cannot split {len(tensors)} tensors into {n} shards")
    total = sum(a.nbytes for _, a in tensors)
    groups, cur, done = [], [], 0
    for i, (name, arr) in enumerate(tensors):
        cur.append((name, arr))
        done += arr.nbytes
        left_tensors = len(tensors) - i - 1
        left_groups = n - len(groups) - 1
        if left_groups > 0 and (done >= total * (len(groups) + 1) / n or left_tensors == left_groups):
            groups.append(cur)
            cur = []
    groups.append(cur)
    assert len(groups) == n and all(groups)
    return groups


def write_checkpoint(out_dir, cfg, weights, spm_path, encoder_only=False, prefix=True, shards=1):
    """weights: ordered dict of our key -> float32 numpy array."""
    os.makedirs(out_dir, exist_ok=True)
    for old in os.listdir(out_dir):  # a rerun must not leave a stale layout behind
        if old == INDEX_NAME or (old.startswith("model") and old.endswith(".safetensors")):
            os.remove(os.path.join(out_dir, old))
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(hf_config(cfg, encoder_only), f, indent=2, sort_keys=True)
        f.write("\n")
    tensors = [(hf_name(k, prefix), v) for k, v in weights.items()]
    meta = {"format": "pt"}
    if shards == 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, meta)
    else:
        weight_map, total = {}, 0
        for k, group in enumerate(shard_groups(tensors, shards), 1):
            fname = f"model-{k:05d}-of-{shards:05d}.safetensors"
            total += write_safetensors(os.path.join(out_dir, fname), group, meta)
            weight_map.update({name: fname for name, _ in group})
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
        with open(os.path.join(out_dir, INDEX_NAME), "w", encoding="utf-8") as f:
            json.dump(index, f, indent=2)
            f.write("\n")
    shutil.copyfile(spm_path, os.path.join(out_dir, "sentencepiece.bpe.model"))


def read_checkpoint(ckpt_dir):
    """Reads a directory written above back into (ModelConfig, our-key weights)."""
    with open(os.path.join(ckpt_dir, "config.json"), encoding="utf-8") as f:
        c = json.load(f)
    id2label = c.get("id2label") or {}
    labels = [id2label[str(i)] for i in range(len(id2label))]
    cfg = ModelConfig(
        layers=c["num_hidden_layers"],
        hidden=c["hidden_size"],
        heads=c["num_attention_heads"],
        ffn=c["intermediate_size"],
        vocab=c["vocab_size"],
        max_positions=c["max_position_embeddings"],
        num_labels=len(labels),
        labels=labels,
        eps=c["layer_norm_eps"],
    )
    index_path = os.path.join(ckpt_dir, INDEX_NAME)
    if os.path.exists(index_path):
        with open(index_path, encoding="utf-8") as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    arrays = {}
    for fname in files:
        part, _ = read_safetensors(os.path.join(ckpt_dir, fname))
        arrays.update(part)
    weights = {}
    for name, arr in arrays.items():
        key = name[len("roberta."):] if name.startswith("roberta.") else name
        weights[key] = arr
    return cfg, weights
