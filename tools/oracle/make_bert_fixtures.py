"""Golden fixtures for the BERT family (BERT, DistilBERT, a BERT body with
XLM-R's sentencepiece tokenizer), computed by transformers and
sentence-transformers on tiny random checkpoints.

Writes, under tests/data/golden/, one model directory each (loadable offline
by from_pretrained / SentenceTransformer / CrossEncoder) and the outputs those
libraries compute in <dir>/expected.json:

    bert_cls/        BertForSequenceClassification, 3 labels, uncased WordPiece
    bert_rerank/     BertForSequenceClassification, 1 label: a cross-encoder
                     (pairs with segment ids), cased WordPiece
    bert_tagger/     BertForTokenClassification, 5 labels, multilingual WordPiece
    distilbert_cls/  DistilBertForSequenceClassification, 2 labels, uncased WordPiece
    bert_st/         sentence-transformers: BertModel + mean pooling + Normalize,
                     uncased WordPiece (all-MiniLM's layout)
    minilm_ml_st/    sentence-transformers: BertModel + mean pooling, XLM-R's
                     sentencepiece tokenizer (paraphrase-multilingual-MiniLM's layout)

The WordPiece tokenizers are tests/data/wordpiece/{uncased,cased,multilingual}
(trained by `tokenizers`, make_wordpiece_fixtures.py); the sentencepiece model
is tests/data/golden/tiny_encoder's. Weights: seeded, 2 layers, hidden 32,
2 heads, ffn 64, 64 positions; dense matrices N(0, 1/in) so every layer
matters. Float32, CPU, eager attention, eval mode, no grad. Each directory is
reloaded from disk and must reproduce the in-memory outputs.

Not part of the build or the tests: the C++ tests read only the committed files.

    .venv-oracle/bin/python tools/oracle/make_bert_fixtures.py
"""

import math
import os
import shutil
import sys
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_json  # noqa: E402
import numpy as np  # noqa: E402
import sentence_transformers  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from sentence_transformers import CrossEncoder, SentenceTransformer, models  # noqa: E402
from transformers import (AutoTokenizer, BertConfig, BertForSequenceClassification,  # noqa: E402
                          BertForTokenClassification, BertModel, DistilBertConfig,
                          DistilBertForSequenceClassification)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(REPO, "tests", "data", "golden")
WORDPIECE = os.path.join(REPO, "tests", "data", "wordpiece")
TINY_ENC = os.path.join(GOLDEN, "tiny_encoder")
MAX_POS = 64            # BERT's positions start at 0: 64 tokens, specials included
EAGER = {"attn_implementation": "eager"}
TOL_RELOAD = 1e-6
REGENERATE = ".venv-oracle/bin/python tools/oracle/make_bert_fixtures.py"
VERSIONS = {"torch": torch.__version__, "transformers": transformers.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "tokenizers": tokenizers.__version__, "numpy": np.__version__,
            "python": "%d.%d.%d" % sys.version_info[:3]}
SIZES = dict(layers=2, hidden=32, heads=2, ffn=64)  # small: the embedding tables dominate the files
torch.set_num_threads(1)


def corpus():
    with open(os.path.join(REPO, "tests", "data", "corpus.txt"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    return lines


def multilingual(code, n):
    path = os.path.join(REPO, "tests", "data", "multilingual", code + ".txt")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [l for l in f.read().split("\n") if l.strip()][:n]


C = corpus()
TEXTS = ([C[i] for i in (0, 1, 62, 134, 206, 359)] +
         ["", "   ", "Hello world!", "naïve café résumé FAÇADE", "Straße in Zürich — Ünïcödé",
          "東京と京都は日本の都市です。", "李明住在北京。", "Привет, мир! Как дела?",
          "مرحبا بالعالم", "emoji 🙂👍🏽 and ＦＵＬＬ width", "tab\there\u00a0nbsp\u200bzero width",
          "un" + "believable" * 20, " ".join(C[0:6])] +  # the last one is well past 64 tokens
         multilingual("de", 2) + multilingual("ja", 2) + multilingual("hi", 2) + multilingual("vi", 2))

PAIRS = [
    ("What is the capital of France?", "Paris is the capital and the largest city of France."),
    ("What is the capital of France?", "The morning train to the coast was late again."),
    ("Wie spät ist es?", "Es ist drei Uhr nachmittags."),
    ("東京はどこですか", "東京と京都は日本の都市です。"),
    ("empty document", ""),
    ("", "An empty query and a short document."),
    ("Who wrote it?", " ".join(C[0:5])),                  # only the document is long
    (" ".join(C[5:9]), "A short answer."),               # only the query is long
    (" ".join(C[10:13]), " ".join(C[13:16])),            # both long
]

TAGGER_TEXTS = ["Angela Merkel met Emmanuel Macron in Paris.", "José Martínez vive en São Paulo, Brasil.",
                "Müller fährt von Gößweinstein nach Zürich.", "東京と京都は日本の都市です。", "",
                "Hello 世界 — привет мир! 🙂 123", "  Extra   spaces   between    words  "]


def f32(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float32).tolist()


def fresh_dir(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)


def reinit(model, seed):
    """Seeded weights, every parameter non-trivial: dense N(0, 1/in), biases
    0.02 N, embeddings 0.02 N, LayerNorm gamma 1 + 0.1 N, beta 0.1 N."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if "LayerNorm" in name or "layer_norm" in name:
                p.copy_(1.0 + 0.1 * r if name.endswith("weight") else 0.1 * r)
            elif "embeddings" in name:
                p.copy_(0.02 * r)
            elif p.dim() == 2:
                p.copy_(r / math.sqrt(p.shape[1]))
            else:
                p.copy_(0.02 * r)
    model.eval()
    return model


def copy_wordpiece(name, out_dir):
    src = os.path.join(WORDPIECE, name)
    for f in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        if os.path.exists(os.path.join(src, f)):
            shutil.copyfile(os.path.join(src, f), os.path.join(out_dir, f))
    tok = AutoTokenizer.from_pretrained(out_dir, local_files_only=True)
    assert tok.is_fast, type(tok)
    return tok


def copy_sentencepiece(out_dir):
    tok = AutoTokenizer.from_pretrained(TINY_ENC, local_files_only=True)
    tok.save_pretrained(out_dir)
    shutil.copyfile(os.path.join(TINY_ENC, "sentencepiece.bpe.model"),
                    os.path.join(out_dir, "sentencepiece.bpe.model"))
    return AutoTokenizer.from_pretrained(out_dir, local_files_only=True)


def bert_config(vocab, **kw):
    return BertConfig(vocab_size=vocab, hidden_size=SIZES["hidden"], num_hidden_layers=SIZES["layers"],
                      num_attention_heads=SIZES["heads"], intermediate_size=SIZES["ffn"],
                      max_position_embeddings=MAX_POS, type_vocab_size=2, hidden_act="gelu",
                      hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **kw)


def header(kind, out_dir, extra):
    doc = {"magic": "bte-bert-golden", "kind": kind, "version": 1, "regenerate": REGENERATE,
           "date": "2026-12-03", "versions": VERSIONS, "path": os.path.relpath(out_dir, REPO),
           "max_tokens": MAX_POS}
    doc.update(extra)
    return doc


def encode(tok, text, pair=None):
    """One text, or one pair as CrossEncoder tokenizes it (a batch of one:
    an empty second text is still a pair)."""
    if pair is None:
        e = tok(text, truncation=True, max_length=MAX_POS)
        return e["input_ids"], e.get("token_type_ids")
    e = tok([text], [pair], truncation="longest_first", max_length=MAX_POS)
    types = e.get("token_type_ids")
    return e["input_ids"][0], types[0] if types is not None else None


def run_model(model, ids, types):
    kw = {"input_ids": torch.tensor([ids]), "attention_mask": torch.ones(1, len(ids), dtype=torch.long)}
    if types is not None and model.config.model_type == "bert":  # DistilBERT has no token types
        kw["token_type_ids"] = torch.tensor([types])
    with torch.no_grad():
        return model(**kw)


def save_and_reload(model, cls, out_dir):
    model.save_pretrained(out_dir, safe_serialization=True)
    again = cls.from_pretrained(out_dir, local_files_only=True, **EAGER)
    again.eval()
    return again


def classifier_fixture(name, tokenizer_name, model, cls, labels, seed):
    out_dir = os.path.join(GOLDEN, name)
    fresh_dir(out_dir)
    reinit(model, seed)
    tok = copy_wordpiece(tokenizer_name, out_dir)
    again = save_and_reload(model, cls, out_dir)
    cases = []
    for text in TEXTS:
        ids, types = encode(tok, text)
        logits = run_model(again, ids, types).logits[0]
        d = float((logits - run_model(model, ids, types).logits[0]).abs().max())
        assert d < TOL_RELOAD, (name, text, d)
        cases.append({"text": text, "ids": ids, "truncated": len(tok(text)["input_ids"]) > MAX_POS,
                      "logits": f32(logits), "probs": f32(torch.softmax(logits.double(), -1))})
    golden_json.write(os.path.join(out_dir, "expected.json"),
                      header("sequence-classifier", out_dir, {"labels": labels, "activation": "softmax",
                                                              "tokenizer": tokenizer_name, "cases": cases}))
    print(f"{name}: {len(cases)} texts")


def make_bert_cls():
    labels = ["negative", "neutral", "positive"]
    cfg = bert_config(vocab_size_of("uncased"), num_labels=3, id2label=dict(enumerate(labels)),
                      label2id={l: i for i, l in enumerate(labels)}, problem_type="single_label_classification")
    classifier_fixture("bert_cls", "uncased", BertForSequenceClassification(cfg), BertForSequenceClassification,
                       labels, 11)


def make_distilbert_cls():
    labels = ["NEGATIVE", "POSITIVE"]
    cfg = DistilBertConfig(vocab_size=vocab_size_of("uncased"), dim=SIZES["hidden"], n_layers=SIZES["layers"],
                           n_heads=SIZES["heads"], hidden_dim=SIZES["ffn"], max_position_embeddings=MAX_POS,
                           activation="gelu", dropout=0.0, attention_dropout=0.0, seq_classif_dropout=0.0,
                           num_labels=2, id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    classifier_fixture("distilbert_cls", "uncased", DistilBertForSequenceClassification(cfg),
                       DistilBertForSequenceClassification, labels, 12)


def make_tagger():
    name = "bert_tagger"
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    out_dir = os.path.join(GOLDEN, name)
    fresh_dir(out_dir)
    cfg = bert_config(vocab_size_of("multilingual"), num_labels=5, id2label=dict(enumerate(labels)),
                      label2id={l: i for i, l in enumerate(labels)})
    model = reinit(BertForTokenClassification(cfg), 13)
    tok = copy_wordpiece("multilingual", out_dir)
    again = save_and_reload(model, BertForTokenClassification, out_dir)
    cases = []
    for text in TAGGER_TEXTS + TEXTS[:8]:
        ids, types = encode(tok, text)
        logits = run_model(again, ids, types).logits[0]
        cases.append({"text": text, "ids": ids, "token_logits": f32(logits)})
    golden_json.write(os.path.join(out_dir, "expected.json"),
                      header("token-classifier", out_dir, {"labels": labels, "tokenizer": "multilingual",
                                                           "cases": cases}))
    print(f"{name}: {len(cases)} texts")


def make_rerank():
    name = "bert_rerank"
    out_dir = os.path.join(GOLDEN, name)
    fresh_dir(out_dir)
    cfg = bert_config(vocab_size_of("cased"), num_labels=1)
    model = reinit(BertForSequenceClassification(cfg), 14)
    tok = copy_wordpiece("cased", out_dir)
    tok.model_max_length = MAX_POS
    tok.save_pretrained(out_dir)  # the cross-encoder reads its length from here
    again = save_and_reload(model, BertForSequenceClassification, out_dir)
    ce = CrossEncoder(out_dir, device="cpu", max_length=MAX_POS, local_files_only=True,
                      model_kwargs=dict(EAGER))
    scores = ce.predict(PAIRS, convert_to_numpy=True)
    raw = ce.predict(PAIRS, convert_to_numpy=True, activation_fn=torch.nn.Identity())
    pairs = []
    for (q, d), s, r in zip(PAIRS, scores, raw):
        ids, types = encode(tok, q, d)
        logit = run_model(again, ids, types).logits[0, 0]
        assert abs(float(logit) - float(r)) < 1e-5, (q, d, float(logit), float(r))
        pairs.append({"query": q, "document": d, "ids": ids, "type_ids": types,
                      "logit": f32(logit), "score": f32(s)})
    golden_json.write(os.path.join(out_dir, "expected.json"),
                      header("cross-encoder", out_dir, {"tokenizer": "cased",
                                                        "predict": "CrossEncoder(dir).predict(pairs)",
                                                        "pairs": pairs}))
    print(f"{name}: {len(pairs)} pairs")


def st_fixture(name, base, tok_source, normalize, seed, tokenizer_name):
    out_dir = os.path.join(GOLDEN, name)
    fresh_dir(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        enc_dir = os.path.join(tmp, "enc")
        os.makedirs(enc_dir)
        tok = tok_source(enc_dir)
        # The multilingual one as multilingual-e5-small ships: a table larger
        # than XLM-R's vocabulary and BERT's pad_token_id 0 in config.json.
        extra, pad = (35, 0) if base == "spm" else (0, tok.pad_token_id)
        cfg = bert_config(len(tok) + extra, pad_token_id=pad)
        reinit(BertModel(cfg), seed).save_pretrained(enc_dir, safe_serialization=True)
        tr = models.Transformer(enc_dir, max_seq_length=MAX_POS, model_kwargs=dict(EAGER))
        mods = [tr, models.Pooling(tr.get_embedding_dimension(), pooling_mode="mean")]
        if normalize:
            mods.append(models.Normalize())
        SentenceTransformer(modules=mods, device="cpu").save(out_dir, create_model_card=False)
    if os.path.exists(os.path.join(TINY_ENC, "sentencepiece.bpe.model")) and base == "spm":
        shutil.copyfile(os.path.join(TINY_ENC, "sentencepiece.bpe.model"),
                        os.path.join(out_dir, "sentencepiece.bpe.model"))
    st = SentenceTransformer(out_dir, device="cpu", local_files_only=True, model_kwargs=dict(EAGER))
    st.eval()
    emb = st.encode(TEXTS, convert_to_numpy=True)
    cases = []
    for text, vec in zip(TEXTS, emb):
        ids = st.tokenizer(text, truncation=True, max_length=MAX_POS)["input_ids"]
        cases.append({"text": text, "ids": ids, "embedding": f32(vec)})
    golden_json.write(os.path.join(out_dir, "expected.json"),
                      header("sentence-transformers", out_dir,
                             {"pooling": "mean", "normalize": normalize, "tokenizer": tokenizer_name,
                              "encode": "SentenceTransformer(dir).encode(texts)", "cases": cases}))
    print(f"{name}: {len(cases)} texts")


def vocab_size_of(name):
    tok = AutoTokenizer.from_pretrained(os.path.join(WORDPIECE, name), local_files_only=True)
    return len(tok)


def main():
    make_bert_cls()
    make_distilbert_cls()
    make_tagger()
    make_rerank()
    st_fixture("bert_st", "wordpiece", lambda d: copy_wordpiece("uncased", d), True, 15, "uncased")
    st_fixture("minilm_ml_st", "spm", copy_sentencepiece, False, 16, "xlm-r sentencepiece")


if __name__ == "__main__":
    main()
