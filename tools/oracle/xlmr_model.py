"""The XLM-R encoder of the oracle, built from PyTorch's Better Transformer
modules (nn.TransformerEncoderLayer stacked in nn.TransformerEncoder), plus a
plain float64 re-implementation used only to check the modules' semantics.

Weights live in one ordered dict keyed by Hugging Face names without the
"roberta." prefix (embeddings.*, encoder.layer.{i}.*, classifier.*, pooler.*).
"""

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

PAD_ID = 1  # <pad>; also the RoBERTa position offset


@dataclass
class ModelConfig:
    layers: int = 2
    hidden: int = 64
    heads: int = 4
    ffn: int = 128
    vocab: int = 1002
    max_positions: int = 514
    num_labels: int = 3  # 0: bare encoder, no classifier head
    labels: list = field(default_factory=list)
    eps: float = 1e-5

    def __post_init__(self):
        if self.hidden % self.heads:
            raise ValueError(f"hidden {self.hidden} is not a multiple of heads {self.heads}")
        if self.max_positions < 3:
            raise ValueError("max_positions must be at least 3 (pad offset + 1 token)")
        if not self.labels:
            self.labels = [f"LABEL_{i}" for i in range(self.num_labels)]
        if len(self.labels) != self.num_labels:
            raise ValueError(f"{len(self.labels)} labels for num_labels {self.num_labels}")

    @property
    def max_tokens(self):
        """Longest id list, <s> and </s> included: positions run from 2."""
        return self.max_positions - PAD_ID - 1

    def as_json(self):
        return {
            "layers": self.layers,
            "hidden": self.hidden,
            "heads": self.heads,
            "ffn": self.ffn,
            "vocab_size": self.vocab,
            "max_positions": self.max_positions,
            "max_tokens": self.max_tokens,
            "num_labels": self.num_labels,
            "labels": list(self.labels),
            "layer_norm_eps": self.eps,
            "pad_id": PAD_ID,
            "activation": "gelu (erf)",
        }


def layer_keys(i):
    p = f"encoder.layer.{i}."
    return {
        "q": p + "attention.self.query",
        "k": p + "attention.self.key",
        "v": p + "attention.self.value",
        "o": p + "attention.output.dense",
        "ln1": p + "attention.output.LayerNorm",
        "ff1": p + "intermediate.dense",
        "ff2": p + "output.dense",
        "ln2": p + "output.LayerNorm",
    }


def init_weights(cfg, seed, pooler=False):
    """Seeded random weights, every parameter non-trivial so a bug in any shows.

    Embedding tables: normal std 0.02 (as HF's initializer_range), so the
    embedding LayerNorm's eps (1e-5 vs variance ~4e-4) visibly matters.
    Dense matrices [out, in]: normal std 1/sqrt(in), so every sub-layer adds
    an O(1) change to the residual stream and attention is far from uniform.
    Biases 0.02*randn; LayerNorm gamma 1+0.1*randn, beta 0.1*randn.
    """
    g = torch.Generator().manual_seed(seed)
    w = {}

    def randn(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float32)

    def dense(name, n_out, n_in):
        w[name + ".weight"] = randn(n_out, n_in) / math.sqrt(n_in)
        w[name + ".bias"] = 0.02 * randn(n_out)

    def layer_norm(name, n):
        w[name + ".weight"] = 1.0 + 0.1 * randn(n)
        w[name + ".bias"] = 0.1 * randn(n)

    d = cfg.hidden
    w["embeddings.word_embeddings.weight"] = 0.02 * randn(cfg.vocab, d)
    w["embeddings.position_embeddings.weight"] = 0.02 * randn(cfg.max_positions, d)
    w["embeddings.token_type_embeddings.weight"] = 0.02 * randn(1, d)
    layer_norm("embeddings.LayerNorm", d)
    for i in range(cfg.layers):
        k = layer_keys(i)
        dense(k["q"], d, d)
        dense(k["k"], d, d)
        dense(k["v"], d, d)
        dense(k["o"], d, d)
        layer_norm(k["ln1"], d)
        dense(k["ff1"], cfg.ffn, d)
        dense(k["ff2"], d, cfg.ffn)
        layer_norm(k["ln2"], d)
    if pooler:
        dense("pooler.dense", d, d)
    if cfg.num_labels > 0:
        dense("classifier.dense", d, d)
        dense("classifier.out_proj", cfg.num_labels, d)
    return w


class XlmrEncoder(nn.Module):
    """Embeddings + nn.TransformerEncoder (Better Transformer modules) + head."""

    def __init__(self, cfg, weights):
        super().__init__()
        self.cfg = cfg
        d = cfg.hidden
        self.word = nn.Embedding(cfg.vocab, d)
        self.position = nn.Embedding(cfg.max_positions, d)
        self.token_type = nn.Embedding(1, d)
        self.emb_norm = nn.LayerNorm(d, eps=cfg.eps)
        layer = nn.TransformerEncoderLayer(
            d_model=d,
            nhead=cfg.heads,
            dim_feedforward=cfg.ffn,
            dropout=0.0,
            activation="gelu",
            layer_norm_eps=cfg.eps,
            batch_first=True,
            norm_first=False,
        )
        self.encoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=True)
        if cfg.num_labels > 0:
            self.cls_dense = nn.Linear(d, d)
            self.cls_out = nn.Linear(d, cfg.num_labels)
        self._load(weights)
        self.eval()

    @torch.no_grad()
    def _load(self, w):
        def put(param, value):
            assert param.shape == value.shape, (param.shape, value.shape)
            param.copy_(value)

        def linear(mod, name):
            put(mod.weight, w[name + ".weight"])
            put(mod.bias, w[name + ".bias"])

        put(self.word.weight, w["embeddings.word_embeddings.weight"])
        put(self.position.weight, w["embeddings.position_embeddings.weight"])
        put(self.token_type.weight, w["embeddings.token_type_embeddings.weight"])
        linear(self.emb_norm, "embeddings.LayerNorm")
        for i, layer in enumerate(self.encoder.layers):
            k = layer_keys(i)
            # in_proj_weight: [3d, d] = query; key; value stacked along rows
            qkv_w = torch.cat([w[k[n] + ".weight"] for n in ("q", "k", "v")], 0)
            qkv_b = torch.cat([w[k[n] + ".bias"] for n in ("q", "k", "v")], 0)
            put(layer.self_attn.in_proj_weight, qkv_w)
            put(layer.self_attn.in_proj_bias, qkv_b)
            linear(layer.self_attn.out_proj, k["o"])
            linear(layer.norm1, k["ln1"])
            linear(layer.linear1, k["ff1"])
            linear(layer.linear2, k["ff2"])
            linear(layer.norm2, k["ln2"])
        if self.cfg.num_labels > 0:
            linear(self.cls_dense, "classifier.dense")
            linear(self.cls_out, "classifier.out_proj")

    @torch.no_grad()
    def forward(self, ids, lengths):
        """ids: [B, L] int64 padded with PAD_ID; lengths: [B].

        Returns hidden [B, L, d] (padded rows unspecified) and logits [B, C] or None.
        """
        B, L = ids.shape
        real = torch.arange(L)[None, :] < lengths[:, None]  # [B, L] bool
        # RoBERTa positions: 2, 3, ... for real tokens, PAD_ID for padding
        positions = torch.cumsum(real.long(), 1) * real.long() + PAD_ID
        x = self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids))
        x = self.emb_norm(x)
        if bool(real.all()):
            hidden = self.encoder(x)
        else:
            hidden = self.encoder(x, src_key_padding_mask=~real)
        logits = None
        if self.cfg.num_labels > 0:
            logits = self.cls_out(torch.tanh(self.cls_dense(hidden[:, 0])))
        return hidden, logits


def reference_forward(cfg, weights, ids):
    """One unpadded sequence in float64 with plain tensor ops, written from the
    model description (not from the modules). ids: list of int.
    Returns hidden [L, d] and logits [C] or None, as float64 numpy arrays."""
    w = {k: v.double() for k, v in weights.items()}
    L, d, H = len(ids), cfg.hidden, cfg.heads
    dh = d // H
    t = torch.tensor(ids)

    def ln(x, name):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + cfg.eps) * w[name + ".weight"] + w[name + ".bias"]

    def lin(x, name):
        return x @ w[name + ".weight"].T + w[name + ".bias"]

    pos = torch.arange(L) + PAD_ID + 1
    x = (w["embeddings.word_embeddings.weight"][t]
         + w["embeddings.position_embeddings.weight"][pos]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = ln(x, "embeddings.LayerNorm")
    for i in range(cfg.layers):
        k = layer_keys(i)
        q = lin(x, k["q"]).view(L, H, dh).transpose(0, 1)  # [H, L, dh]
        kk = lin(x, k["k"]).view(L, H, dh).transpose(0, 1)
        v = lin(x, k["v"]).view(L, H, dh).transpose(0, 1)
        scores = q @ kk.transpose(1, 2) / math.sqrt(dh)  # [H, L, L]
        p = torch.softmax(scores, -1)
        a = (p @ v).transpose(0, 1).reshape(L, d)
        x = ln(x + lin(a, k["o"]), k["ln1"])
        h = lin(x, k["ff1"])
        h = 0.5 * h * (1.0 + torch.erf(h / math.sqrt(2.0)))
        x = ln(x + lin(h, k["ff2"]), k["ln2"])
    logits = None
    if cfg.num_labels > 0:
        logits = lin(torch.tanh(lin(x[0], "classifier.dense")), "classifier.out_proj").numpy()
    return x.numpy(), logits


def as_numpy(weights):
    return {k: v.numpy().astype(np.float32) for k, v in weights.items()}


def from_numpy(arrays):
    return {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in arrays.items()}
