"""Golden fixtures computed by Hugging Face's own libraries (transformers,
sentence-transformers) on tiny checkpoints built from tests/data/golden/tiny_encoder.

Writes, under tests/data/golden/, one complete model directory each (loadable
offline by `from_pretrained` / `SentenceTransformer(dir)` / `CrossEncoder(dir)`)
plus the outputs those libraries compute, in `<dir>/expected.json`:

    st_mean/          sentence-transformers: mean pooling + Normalize, prompts
                      query/passage, max_seq_length 24 (classic layout, as
                      sentence-transformers <= 5 wrote it)
    st_max/           max pooling, no Normalize, no prompts, max_seq_length 64
                      (layout as the installed sentence-transformers writes it)
    st_cls/           CLS pooling + Normalize, default prompt "query"
                      (layout as the installed sentence-transformers writes it)
    rerank_tiny/      XLMRobertaForSequenceClassification, 1 label (cross-encoder)
    multilabel_tiny/  ... 3 labels, multi_label_classification
    regression_tiny/  ... 1 label, regression
    tagger_tiny/      XLMRobertaForTokenClassification, 5 BIO labels

Every encoder weight is tiny_encoder's, unchanged; the heads are drawn from
fixed seeds. Float32, CPU, one thread, eager attention, eval mode, no grad.
Each directory is reloaded from disk and must reproduce the recorded outputs
exactly. A rerun rewrites the same bytes (on the same machine: float kernels
may differ in the last bit between CPU types).

Not part of the build or the tests: the C++ tests read only the committed files.

    /usr/bin/python3 -m venv .venv-oracle
    .venv-oracle/bin/pip install -r tools/oracle/requirements.txt
    .venv-oracle/bin/python tools/oracle/make_hf_fixtures.py
"""

import json
import math
import os
import shutil
import sys
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_json  # noqa: E402  (the oracle's deterministic JSON writer)
import numpy as np  # noqa: E402
import safetensors  # noqa: E402
import sentencepiece  # noqa: E402
import torch  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import (AutoTokenizer, XLMRobertaForSequenceClassification,  # noqa: E402
                          XLMRobertaForTokenClassification, XLMRobertaModel, pipeline)

import sentence_transformers  # noqa: E402
from sentence_transformers import CrossEncoder, SentenceTransformer, models  # noqa: E402

try:
    import google.protobuf as _protobuf
    PROTOBUF_VERSION = _protobuf.__version__
except ImportError:  # only needed to read sentencepiece.bpe.model
    PROTOBUF_VERSION = None

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(REPO, "tests", "data", "golden")
TINY_ENC = os.path.join(GOLDEN, "tiny_encoder")
SPM = os.path.join(TINY_ENC, "sentencepiece.bpe.model")
MAX_TOKENS = 64              # max_position_embeddings 66 - 2
EAGER = {"attn_implementation": "eager"}
REGENERATE = ".venv-oracle/bin/python tools/oracle/make_hf_fixtures.py"
MAGIC = "bte-hf-golden"
TOL_BATCH = 1e-5             # padded batch vs one text alone
TOL_RELOAD = 1e-6            # in-memory model vs the model reloaded from disk

VERSIONS = {
    "torch": torch.__version__,
    "transformers": transformers.__version__,
    "sentence_transformers": sentence_transformers.__version__,
    "tokenizers": tokenizers.__version__,
    "sentencepiece": sentencepiece.__version__,
    "safetensors": safetensors.__version__,
    "protobuf": PROTOBUF_VERSION,
    "numpy": np.__version__,
    "python": "%d.%d.%d" % sys.version_info[:3],
}

SUMMARY = []


def rel(path):
    return os.path.relpath(path, REPO)


def note(line):
    SUMMARY.append(line)
    print(line, flush=True)


# --------------------------------------------------------------------------
# JSON: expected values go through golden_json (the oracle's one writer):
# float32 values with 9 significant digits (they read back as the same
# float32), a list of numbers on one line, one row per line for a list of lists.

def f32(x):
    """A float32 value (or nested list/array of them) as Python floats."""
    if isinstance(x, torch.Tensor):
        x = x.detach().to(torch.float32).cpu().numpy()
    if isinstance(x, np.ndarray):
        return [f32(v) for v in x] if x.ndim else f32(x.item())
    if isinstance(x, (list, tuple)):
        return [f32(v) for v in x]
    v = float(np.float32(x))
    if not math.isfinite(v):
        raise ValueError(f"non-finite value {v}")
    return v


def write_json(path, obj, compact=False):
    if not compact:  # expected values: the oracle's deterministic golden writer
        golden_json.write(path, obj)
        return
    text = json.dumps(obj, ensure_ascii=False, indent=2) + "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def header(kind, path):
    return {"magic": MAGIC, "kind": kind, "version": 1, "regenerate": REGENERATE,
            "date": "2026-12-02", "versions": VERSIONS, "path": rel(path)}


# --------------------------------------------------------------------------
# Texts

def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def corpus_line(n):
    with open(os.path.join(REPO, "tests", "data", "corpus.txt"), encoding="utf-8") as f:
        return f.read().split("\n")[n - 1]


TINY_CASES = load_json(os.path.join(GOLDEN, "tiny", "expected.json"))["cases"]

# The tiny fixture's 16 texts ("", whitespace only, an emoji that is <unk>,
# Japanese, Arabic, mixed scripts, exactly 64 and 65 tokens, War and Peace
# (well past 64 tokens), ...) and four more corpus lines (French, Spanish,
# Chinese, mixed scripts).
EMBED_TEXTS = [c["text"] for c in TINY_CASES] + [corpus_line(n) for n in (63, 135, 207, 360)]

CLASSIFY_TEXTS = EMBED_TEXTS

WAR_AND_PEACE = TINY_CASES[2]["text"]
LONG_QUERY = ("Which train leaves the central station for the coast early in the morning, how long "
              "does the trip take, and is there a café on board that sells coffee and warm bread?")
LONG_DOC = corpus_line(1) + " " + corpus_line(2) + " " + corpus_line(3)

RERANK_PAIRS = [
    ("What is the capital of France?", "Paris is the capital and the largest city of France."),
    ("What is the capital of France?", "The morning train to the coast was late again."),
    ("Wie spät ist es?", "Es ist drei Uhr nachmittags."),
    ("東京はどこですか", "東京と京都は日本の都市です。"),
    ("¿Dónde está la biblioteca?", "La biblioteca cierra a las ocho entre semana."),
    ("Когда закрывается библиотека?", "Библиотека работает до восьми вечера по будним дням."),
    ("هل يمكنك أن تدلني على طريق محطة القطار؟", "تأخر قطار الصباح مرة أخرى."),
    ("coffee 🙂", "We bought coffee and waited on the cold platform."),
    ("empty document", ""),
    ("", "An empty query and a short document."),
    ("Who wrote War and Peace?", WAR_AND_PEACE),          # only the document is long
    (LONG_QUERY + " " + LONG_QUERY, "Yes, the 6:40 train has a café."),  # only the query is long
    (LONG_QUERY, LONG_DOC),                                # both long: cut to 30 + 30
]

TAGGER_TEXTS = [
    "Angela Merkel met Emmanuel Macron in Paris.",
    "José Martínez vive en São Paulo, Brasil.",
    "Müller fährt von Gößweinstein nach Zürich.",
    "Владимир поехал в Санкт-Петербург.",
    "東京と京都は日本の都市です。",
    "李明住在北京。",
    "  Extra   spaces   between    words  ",
    "",
    "naïve café résumé façade",
    "New York\tand\nLos Angeles",
    "Hello 世界 — привет мир! 🙂 123",
    "مرحبا بالعالم، كيف حالك اليوم؟",
    "Η Μαρία ζει στην Αθήνα.",
]


# --------------------------------------------------------------------------
# Tokenizer and checks against sentencepiece itself

def base_tokenizer():
    """XLMRobertaTokenizer (a `tokenizers`-backed fast tokenizer in transformers 5)
    built from sentencepiece.bpe.model, capped at 64 tokens."""
    tok = AutoTokenizer.from_pretrained(TINY_ENC, local_files_only=True)
    tok.model_max_length = MAX_TOKENS
    assert tok.is_fast and type(tok).__name__.startswith("XLMRobertaTokenizer"), type(tok)
    return tok


SP = sentencepiece.SentencePieceProcessor(model_file=SPM)


def spm_ids(text):
    """XLM-R ids from sentencepiece: <s>=0, </s>=2, <unk>=3, piece p -> p + 1."""
    return [3 if s == 0 else s + 1 for s in SP.encode(text)]


def check_tokenizer(tok, texts, where):
    for t in texts:
        want = [0] + spm_ids(t)[: MAX_TOKENS - 2] + [2]
        got = tok(t, truncation=True, max_length=MAX_TOKENS)["input_ids"]
        assert got == want, (where, t, got, want)


def save_tokenizer(out_dir):
    """tokenizer.json + tokenizer_config.json from a fresh tokenizer (one that has
    tokenized anything would save its last truncation settings too), without the
    two keys that only say how it was loaded here; and sentencepiece.bpe.model."""
    base_tokenizer().save_pretrained(out_dir)
    tidy_tokenizer_files(out_dir)


def tidy_tokenizer_files(out_dir):
    path = os.path.join(out_dir, "tokenizer_config.json")
    cfg = load_json(path)
    for k in ("is_local", "local_files_only"):
        cfg.pop(k, None)
    write_json(path, cfg, compact=True)
    with open(os.path.join(out_dir, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    assert tj["truncation"] is None and tj["padding"] is None, out_dir
    shutil.copyfile(SPM, os.path.join(out_dir, "sentencepiece.bpe.model"))


def fresh_dir(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)


def check_saved_tensors(out_dir, prefix, head_keys):
    """The saved encoder equals tiny_encoder's tensors bit for bit, and holds
    nothing else but the named head tensors."""
    ref = load_file(os.path.join(TINY_ENC, "model.safetensors"))
    got = load_file(os.path.join(out_dir, "model.safetensors"))
    with safe_open(os.path.join(out_dir, "model.safetensors"), "pt") as f:
        assert f.metadata() == {"format": "pt"}, f.metadata()
    enc = {k[len(prefix):]: v for k, v in got.items() if k.startswith(prefix) and k not in head_keys}
    extra = set(got) - {prefix + k for k in enc} - set(head_keys)
    assert not extra, f"{out_dir}: unexpected tensors {sorted(extra)}"
    assert set(head_keys) <= set(got), f"{out_dir}: missing head {head_keys}"
    # The pooler is kept (equal to tiny_encoder's) where the model class has one.
    want = {k: v for k, v in ref.items() if not k.startswith("pooler.") or k in enc}
    assert set(enc) == set(want), (sorted(set(enc) ^ set(want)))
    for k in want:
        assert enc[k].dtype == torch.float32 and torch.equal(enc[k], want[k]), k
    return sorted(got)


def max_abs(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max()) if a.size else 0.0


# --------------------------------------------------------------------------
# A. sentence-transformers embedding models

ST_VARIANTS = [
    # name, pooling, normalize, max_seq_length, prompts, default_prompt_name, layout
    ("st_mean", "mean", True, 24, {"query": "query: ", "passage": "passage: "}, None, "classic"),
    ("st_max", "max", False, 64, None, None, "native"),
    ("st_cls", "cls", True, 64, {"query": "Represent this sentence for searching: "}, "query", "native"),
]


def write_classic_st_layout(out_dir, pooling, normalize, max_seq_length, prompts, default_prompt_name):
    """Rewrites the sentence-transformers files the way sentence-transformers
    2.x-5.x wrote them (what most checkpoints on the Hub carry): modules.json
    with sentence_transformers.models.* types, sentence_bert_config.json with
    max_seq_length, 1_Pooling/config.json with pooling_mode_* booleans, no
    2_Normalize folder (Normalize has no files)."""
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize",
                        "type": "sentence_transformers.models.Normalize"})
    write_json(os.path.join(out_dir, "modules.json"), modules, compact=True)
    write_json(os.path.join(out_dir, "sentence_bert_config.json"),
               {"max_seq_length": max_seq_length, "do_lower_case": False}, compact=True)
    shutil.rmtree(os.path.join(out_dir, "1_Pooling"))
    shutil.rmtree(os.path.join(out_dir, "2_Normalize"), ignore_errors=True)
    os.makedirs(os.path.join(out_dir, "1_Pooling"))
    write_json(os.path.join(out_dir, "1_Pooling", "config.json"), {
        "word_embedding_dimension": 64,
        "pooling_mode_cls_token": pooling == "cls",
        "pooling_mode_mean_tokens": pooling == "mean",
        "pooling_mode_max_tokens": pooling == "max",
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    }, compact=True)
    write_json(os.path.join(out_dir, "config_sentence_transformers.json"), {
        "__version__": {"sentence_transformers": sentence_transformers.__version__,
                        "transformers": transformers.__version__,
                        "pytorch": torch.__version__},
        "model_type": "SentenceTransformer",
        "prompts": prompts or {},
        "default_prompt_name": default_prompt_name,
        "similarity_fn_name": "cosine",
    }, compact=True)
    # The tokenizer keeps the model's own limit (64); only sentence_bert_config.json says 24.
    for f in ("tokenizer.json", "tokenizer_config.json"):
        os.remove(os.path.join(out_dir, f))
    save_tokenizer(out_dir)


def resolve_prompt(prompts, default_prompt_name, prompt_name, prompt):
    """The prompt text sentence-transformers prepends (None: nothing)."""
    if prompt is not None:
        return prompt
    if prompt_name is not None:
        return prompts[prompt_name]
    if default_prompt_name is not None:
        return prompts.get(default_prompt_name)
    return None


def st_ids(st, texts, prompt_text):
    """The ids sentence-transformers feeds the model, per text, without padding."""
    feats = st.preprocess(texts, prompt=prompt_text)
    ids, mask = feats["input_ids"], feats["attention_mask"]
    assert bool((mask.sum(1) > 0).all())
    out = []
    for row, m in zip(ids.tolist(), mask.tolist()):
        n = sum(m)
        assert m == [1] * n + [0] * (len(m) - n), "right padding expected"
        out.append(row[:n])
    return out


def manual_embedding(encoder, ids, pooling, normalize):
    """One text alone, unpadded, through the HF encoder, pooled by hand."""
    h = encoder(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long))
    h = h.last_hidden_state[0]
    if pooling == "mean":
        v = h.mean(0)
    elif pooling == "max":
        v = h.max(0).values
    else:
        v = h[0]
    if normalize:
        v = torch.nn.functional.normalize(v, p=2, dim=0)
    return v


def make_st(base_dir, tok, name, pooling, normalize, max_seq_length, prompts, default_prompt_name, layout):
    out_dir = os.path.join(GOLDEN, name)
    fresh_dir(out_dir)
    tr = models.Transformer(base_dir, max_seq_length=max_seq_length, model_kwargs=dict(EAGER))
    mods = [tr, models.Pooling(tr.get_embedding_dimension(), pooling_mode=pooling)]
    if normalize:
        mods.append(models.Normalize())
    built = SentenceTransformer(modules=mods, device="cpu", prompts=prompts,
                                default_prompt_name=default_prompt_name)
    built.eval()
    built.save(out_dir, create_model_card=False)
    tidy_tokenizer_files(out_dir)
    if layout == "classic":
        write_classic_st_layout(out_dir, pooling, normalize, max_seq_length, prompts, default_prompt_name)
    keys = check_saved_tensors(out_dir, "", [])

    def load(**kw):
        m = SentenceTransformer(out_dir, device="cpu", local_files_only=True, **kw)
        m.eval()
        return m

    st = load(model_kwargs=dict(EAGER))
    enc = st[0].auto_model
    assert enc.config._attn_implementation == "eager"
    assert st.max_seq_length == max_seq_length, (st.max_seq_length, max_seq_length)
    assert st.default_prompt_name == default_prompt_name
    for k, v in (prompts or {}).items():
        assert st.prompts.get(k) == v, (k, st.prompts)
    check_tokenizer(st.tokenizer, EMBED_TEXTS, out_dir)

    calls = [("default", None, None)]
    if prompts and "query" in prompts:
        calls.append(("prompt_name=query", "query", None))
    if prompts and "passage" in prompts:
        calls.append(("prompt_name=passage", "passage", None))
    calls.append(("prompt=custom", None, "custom prefix: "))

    st_default_attn = load()
    again = load(model_kwargs=dict(EAGER))
    runs = []
    worst = {"manual": 0.0, "reload": 0.0, "in_memory": 0.0, "default_attention": 0.0}
    with torch.no_grad():
        for run_name, prompt_name, prompt in calls:
            kw = {}
            if prompt_name is not None:
                kw["prompt_name"] = prompt_name
            if prompt is not None:
                kw["prompt"] = prompt
            emb = st.encode(EMBED_TEXTS, convert_to_numpy=True, **kw)
            assert emb.dtype == np.float32 and emb.shape == (len(EMBED_TEXTS), 64)
            d = max_abs(emb, again.encode(EMBED_TEXTS, convert_to_numpy=True, **kw))
            assert d == 0.0, f"{name}: reload differs by {d}"
            worst["reload"] = max(worst["reload"], d)
            d = max_abs(emb, built.encode(EMBED_TEXTS, convert_to_numpy=True, **kw))
            assert d < TOL_RELOAD, f"{name}: in-memory model differs by {d}"
            worst["in_memory"] = max(worst["in_memory"], d)
            worst["default_attention"] = max(worst["default_attention"], max_abs(
                emb, st_default_attn.encode(EMBED_TEXTS, convert_to_numpy=True, **kw)))

            prompt_text = resolve_prompt(st.prompts, st.default_prompt_name, prompt_name, prompt)
            ids = st_ids(st, EMBED_TEXTS, prompt_text)
            cases = []
            for i, (text, row, vec) in enumerate(zip(EMBED_TEXTS, ids, emb)):
                full = tok((prompt_text or "") + text)["input_ids"]
                assert row == full[: max_seq_length - 1] + [2] if len(full) > max_seq_length else row == full
                ref = manual_embedding(enc, row, pooling, normalize)
                d = max_abs(vec, ref.numpy())
                assert d < TOL_BATCH, f"{name} {run_name} text {i}: manual pooling differs by {d}"
                worst["manual"] = max(worst["manual"], d)
                cases.append({"index": i, "ids": row, "truncated": len(full) > max_seq_length,
                              "embedding": f32(vec)})
            runs.append({"name": run_name, "prompt_name": prompt_name, "prompt": prompt,
                         "prompt_text": prompt_text, "cases": cases})

    if name == "st_max":   # no prompt, 64 tokens: the ids of tiny/expected.json
        for c, case in zip(TINY_CASES, runs[0]["cases"]):
            assert c["ids"] == case["ids"], c["text"]

    doc = header("sentence-transformers", out_dir)
    doc["model"] = {
        "layout": layout, "pooling": pooling, "normalize": normalize, "dim": 64,
        "max_seq_length": max_seq_length, "include_prompt": True,
        "prompts": load_json(os.path.join(out_dir, "config_sentence_transformers.json"))["prompts"],
        "prompts_loaded": st.prompts, "default_prompt_name": st.default_prompt_name,
        "similarity_fn_name": "cosine",
    }
    doc["encode"] = {"call": "SentenceTransformer(path, device='cpu').encode(texts, convert_to_numpy=True, ...)",
                     "batch_size": 32, "attn_implementation": "eager", "threads": 1}
    doc["texts"] = EMBED_TEXTS
    doc["runs"] = runs
    write_json(os.path.join(out_dir, "expected.json"), doc)
    note(f"{name:16s} {len(runs)} runs x {len(EMBED_TEXTS)} texts; vs one-text-alone manual pooling "
         f"{worst['manual']:.2e}, in-memory {worst['in_memory']:.2e}, reload {worst['reload']:.1e}, "
         f"default attention (sdpa) {worst['default_attention']:.2e}; tensors {len(keys)}")


def make_sentence_transformers(tok, tmp):
    base_dir = os.path.join(tmp, "encoder")
    # With its pooler (tiny_encoder's): sentence-transformers loads AutoModel with a
    # pooler, which would otherwise be drawn at random and saved.
    enc = XLMRobertaModel.from_pretrained(TINY_ENC, local_files_only=True, **EAGER)
    enc.save_pretrained(base_dir)
    save_tokenizer(base_dir)
    for variant in ST_VARIANTS:
        make_st(base_dir, tok, *variant)


# --------------------------------------------------------------------------
# Classification heads

def init_sequence_head(model, seed):
    """After torch.manual_seed(seed), in this order: classifier.dense.weight
    N(0, 1/fan_in), dense.bias N(0, 0.1^2), out_proj.weight N(0, 16/fan_in),
    out_proj.bias N(0, 0.1^2). The <s> state varies little between texts, so
    out_proj is 4x larger: the logits then spread over a few units."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for lin, scale in ((model.classifier.dense, 1.0), (model.classifier.out_proj, 4.0)):
            w = scale * torch.randn(lin.weight.shape, dtype=torch.float32) / math.sqrt(lin.weight.shape[1])
            b = 0.1 * torch.randn(lin.bias.shape, dtype=torch.float32)
            lin.weight.copy_(w)
            lin.bias.copy_(b)


def sequence_model(num_labels, id2label, problem_type, seed):
    model = XLMRobertaForSequenceClassification.from_pretrained(
        TINY_ENC, num_labels=num_labels, local_files_only=True, **EAGER)
    model.config.id2label = {int(k): v for k, v in id2label.items()}
    model.config.label2id = {v: int(k) for k, v in id2label.items()}
    model.config.problem_type = problem_type
    model.config.architectures = ["XLMRobertaForSequenceClassification"]
    init_sequence_head(model, seed)
    model.eval()
    return model


SEQ_HEAD = ["classifier.dense.weight", "classifier.dense.bias",
            "classifier.out_proj.weight", "classifier.out_proj.bias"]


def save_hf(model, tok, out_dir, head_keys):
    fresh_dir(out_dir)
    model.save_pretrained(out_dir, safe_serialization=True)
    save_tokenizer(out_dir)
    assert not os.path.exists(os.path.join(out_dir, "pytorch_model.bin"))
    return check_saved_tensors(out_dir, "roberta.", head_keys)


def reload_seq(out_dir):
    m = XLMRobertaForSequenceClassification.from_pretrained(out_dir, local_files_only=True, **EAGER)
    m.eval()
    return m


def logits_one(model, ids):
    return model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long)).logits[0]


def logits_batch(model, rows):
    n = max(len(r) for r in rows)
    ids = torch.full((len(rows), n), 1, dtype=torch.long)
    mask = torch.zeros((len(rows), n), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return model(input_ids=ids, attention_mask=mask).logits


# B. cross-encoder / reranker

def longest_first_lengths(n1, n2, budget):
    """What longest_first keeps, by removing one token at a time from the longer
    sequence (the query on a tie)."""
    while n1 + n2 > budget:
        if n1 >= n2:
            n1 -= 1
        else:
            n2 -= 1
    return n1, n2


def make_rerank(tok):
    out_dir = os.path.join(GOLDEN, "rerank_tiny")
    built = sequence_model(1, {"0": "LABEL_0"}, None, 11)
    keys = save_hf(built, tok, out_dir, SEQ_HEAD)
    model = reload_seq(out_dir)
    again = reload_seq(out_dir)
    dtok = AutoTokenizer.from_pretrained(out_dir, local_files_only=True)
    assert dtok.model_max_length == MAX_TOKENS
    ce = CrossEncoder(out_dir, device="cpu", local_files_only=True, model_kwargs=dict(EAGER))
    act = ce.activation_fn
    act_name = type(act).__module__ + "." + type(act).__name__
    ce_ids = st_ids(ce, RERANK_PAIRS, None)
    scores = ce.predict(RERANK_PAIRS, convert_to_numpy=True)
    raw = ce.predict(RERANK_PAIRS, convert_to_numpy=True, activation_fn=torch.nn.Identity())

    cases, rows = [], []
    d_reload = d_ce = d_ce_raw = 0.0
    with torch.no_grad():
        for i, (q, d) in enumerate(RERANK_PAIRS):
            enc = dtok(q, d, truncation="longest_first", max_length=MAX_TOKENS)
            ids = enc["input_ids"]
            assert "token_type_ids" not in enc
            qi, di = spm_ids(q), spm_ids(d)
            kq, kd = longest_first_lengths(len(qi), len(di), MAX_TOKENS - 4)
            pair = [0] + qi[:kq] + [2, 2] + di[:kd] + [2]
            # CrossEncoder tokenizes the batch [[q, d], ...]: always the pair layout.
            assert ce_ids[i] == pair, (q, d, ce_ids[i], pair)
            if d == "":   # tokenizer(q, "") sees no text_pair (an empty str is falsy): one sequence
                assert ids == [0] + qi[: MAX_TOKENS - 2] + [2], ids
            else:
                assert ids == pair, (q, d, ids, pair)
            logit = logits_one(model, ids)
            assert max_abs(logit.numpy(), logits_one(built, ids).numpy()) < TOL_RELOAD
            d_reload = max(d_reload, max_abs(logit.numpy(), logits_one(again, ids).numpy()))
            ce_ref = logits_one(model, ce_ids[i])
            d_ce_raw = max(d_ce_raw, abs(float(raw[i]) - float(ce_ref[0])))
            d_ce = max(d_ce, abs(float(scores[i]) - float(torch.sigmoid(ce_ref)[0])))
            cases.append({"index": i, "query": q, "document": d, "ids": ids,
                          "query_tokens": len(qi), "document_tokens": len(di),
                          "kept": [kq, kd], "truncated": len(qi) + len(di) + 4 > MAX_TOKENS,
                          "logit": f32(logit[0]), "sigmoid": f32(torch.sigmoid(logit)[0]),
                          "cross_encoder_ids": ce_ids[i],
                          "cross_encoder_logit": f32(raw[i]), "cross_encoder_score": f32(scores[i])})
            rows.append(ids)
        batch = logits_batch(model, rows)[:, 0]
    d_batch = max_abs(batch.numpy(), [c["logit"] for c in cases])
    assert d_batch < TOL_BATCH, d_batch
    assert d_ce < TOL_BATCH and d_ce_raw < TOL_BATCH, (d_ce, d_ce_raw)
    assert d_reload == 0.0, d_reload
    same = [c for c in cases if c["ids"] == c["cross_encoder_ids"]]
    d_same = max(max(abs(c["cross_encoder_logit"] - c["logit"]) for c in same),
                 max(abs(c["cross_encoder_score"] - c["sigmoid"]) for c in same))

    doc = header("cross-encoder", out_dir)
    doc["model"] = {"architecture": "XLMRobertaForSequenceClassification", "num_labels": 1,
                    "id2label": {"0": "LABEL_0"}, "problem_type": None, "head_seed": 11}
    doc["tokenize"] = {"call": "AutoTokenizer.from_pretrained(path)(query, document, truncation='longest_first', "
                               "max_length=64)",
                       "layout": "<s> query </s></s> document </s>", "max_length": MAX_TOKENS,
                       "truncation": "longest_first", "special_tokens": 4,
                       "kept": "[query, document] content tokens kept: remove one token at a time from the "
                               "longer side (the query on a tie) until both fit in 60",
                       "empty_document": "tokenizer(q, '') treats '' as no pair: <s> query </s> (ids); "
                                         "CrossEncoder tokenizes [[q, '']]: <s> query </s></s></s> "
                                         "(cross_encoder_ids)"}
    doc["logit"] = "model(ids) on one pair alone, unpadded; sigmoid = torch.sigmoid(logit)"
    doc["cross_encoder"] = {"call": "CrossEncoder(path, device='cpu').predict(pairs) (batch_size 32, padded); "
                                    "cross_encoder_logit: the same with activation_fn=torch.nn.Identity()",
                            "activation_fn": act_name,
                            "max_abs_vs_model_on_cross_encoder_ids": max(d_ce, d_ce_raw),
                            "max_abs_vs_logit_sigmoid_where_ids_equal": d_same}
    doc["cases"] = cases
    write_json(os.path.join(out_dir, "expected.json"), doc)
    note(f"rerank_tiny      {len(cases)} pairs ({sum(c['truncated'] for c in cases)} truncated); "
         f"CrossEncoder activation {act_name}, vs model on its ids {max(d_ce, d_ce_raw):.2e}; "
         f"{len(cases) - len(same)} pair(s) with other ids; padded batch {d_batch:.2e}; reload {d_reload:.1e}; "
         f"tensors {len(keys)}")


# C. multi-label classifier and regression

def classify_cases(model, built, tok, texts, head):
    cases, rows = [], []
    with torch.no_grad():
        for i, t in enumerate(texts):
            ids = tok(t, truncation=True, max_length=MAX_TOKENS)["input_ids"]
            logits = logits_one(model, ids)
            assert max_abs(logits.numpy(), logits_one(built, ids).numpy()) < TOL_RELOAD
            c = {"index": i, "text": t, "ids": ids, "truncated": len(spm_ids(t)) + 2 > MAX_TOKENS}
            c.update(head(logits))
            cases.append(c)
            rows.append(ids)
        batch = logits_batch(model, rows)
    return cases, batch


def make_multilabel(tok):
    out_dir = os.path.join(GOLDEN, "multilabel_tiny")
    labels = {"0": "toxic", "1": "insult", "2": "threat"}
    built = sequence_model(3, labels, "multi_label_classification", 12)
    keys = save_hf(built, tok, out_dir, SEQ_HEAD)
    model = reload_seq(out_dir)
    cases, batch = classify_cases(model, built, tok, CLASSIFY_TEXTS,
                                  lambda lg: {"logits": f32(lg), "sigmoid": f32(torch.sigmoid(lg))})
    d_batch = max_abs(batch.numpy(), [c["logits"] for c in cases])
    assert d_batch < TOL_BATCH, d_batch
    pipe = pipeline("text-classification", model=out_dir, device="cpu", model_kwargs=dict(EAGER))
    outs = pipe(CLASSIFY_TEXTS, top_k=None, truncation=True)
    d_pipe = 0.0
    for c, out in zip(cases, outs):
        c["pipeline"] = [{"label": o["label"], "score": f32(o["score"])} for o in out]
        by_label = {o["label"]: o["score"] for o in out}
        d_pipe = max(d_pipe, max_abs([by_label[labels[str(k)]] for k in range(3)], c["sigmoid"]))
    assert d_pipe < TOL_BATCH, d_pipe
    doc = header("sequence-classification", out_dir)
    doc["model"] = {"architecture": "XLMRobertaForSequenceClassification", "num_labels": 3,
                    "id2label": labels, "problem_type": "multi_label_classification", "head_seed": 12}
    doc["tokenize"] = {"call": "tokenizer(text, truncation=True, max_length=64)", "max_length": MAX_TOKENS}
    doc["pipeline"] = {"call": "pipeline('text-classification', model=path)(texts, top_k=None, truncation=True)",
                       "function_to_apply": "sigmoid (multi_label_classification)",
                       "order": "score descending", "max_abs_vs_sigmoid": d_pipe}
    doc["cases"] = cases
    write_json(os.path.join(out_dir, "expected.json"), doc)
    note(f"multilabel_tiny  {len(cases)} texts; pipeline vs sigmoid {d_pipe:.2e}; padded batch {d_batch:.2e}; "
         f"tensors {len(keys)}")


def make_regression(tok):
    out_dir = os.path.join(GOLDEN, "regression_tiny")
    built = sequence_model(1, {"0": "LABEL_0"}, "regression", 13)
    keys = save_hf(built, tok, out_dir, SEQ_HEAD)
    model = reload_seq(out_dir)
    cases, batch = classify_cases(model, built, tok, CLASSIFY_TEXTS, lambda lg: {"logit": f32(lg[0])})
    d_batch = max_abs(batch[:, 0].numpy(), [c["logit"] for c in cases])
    assert d_batch < TOL_BATCH, d_batch
    pipe = pipeline("text-classification", model=out_dir, device="cpu", model_kwargs=dict(EAGER))
    outs = pipe(CLASSIFY_TEXTS, top_k=None, truncation=True)
    d_pipe = 0.0
    for c, out in zip(cases, outs):
        assert len(out) == 1 and out[0]["label"] == "LABEL_0"
        c["pipeline_score"] = f32(out[0]["score"])
        d_pipe = max(d_pipe, abs(c["pipeline_score"] - c["logit"]))
    assert d_pipe < TOL_BATCH, d_pipe
    doc = header("sequence-classification", out_dir)
    doc["model"] = {"architecture": "XLMRobertaForSequenceClassification", "num_labels": 1,
                    "id2label": {"0": "LABEL_0"}, "problem_type": "regression", "head_seed": 13}
    doc["tokenize"] = {"call": "tokenizer(text, truncation=True, max_length=64)", "max_length": MAX_TOKENS}
    doc["pipeline"] = {"call": "pipeline('text-classification', model=path)(texts, top_k=None, truncation=True)",
                       "function_to_apply": "none (regression): the score is the raw logit",
                       "max_abs_vs_logit": d_pipe}
    doc["cases"] = cases
    write_json(os.path.join(out_dir, "expected.json"), doc)
    note(f"regression_tiny  {len(cases)} texts; pipeline vs raw logit {d_pipe:.2e}; padded batch {d_batch:.2e}; "
         f"tensors {len(keys)}")


# D. token classification

TAG_LABELS = {"0": "O", "1": "B-PER", "2": "I-PER", "3": "B-LOC", "4": "I-LOC"}


def make_tagger(tok):
    out_dir = os.path.join(GOLDEN, "tagger_tiny")
    built = XLMRobertaForTokenClassification.from_pretrained(
        TINY_ENC, num_labels=5, local_files_only=True, **EAGER)
    built.config.id2label = {int(k): v for k, v in TAG_LABELS.items()}
    built.config.label2id = {v: int(k) for k, v in TAG_LABELS.items()}
    built.config.architectures = ["XLMRobertaForTokenClassification"]
    torch.manual_seed(14)
    with torch.no_grad():   # weights N(0, 0.5^2), bias 0: several labels win, not only "O"
        built.classifier.weight.copy_(0.5 * torch.randn(built.classifier.weight.shape, dtype=torch.float32))
        built.classifier.bias.zero_()
    built.eval()
    keys = save_hf(built, tok, out_dir, ["classifier.weight", "classifier.bias"])
    model = XLMRobertaForTokenClassification.from_pretrained(out_dir, local_files_only=True, **EAGER)
    model.eval()
    again = XLMRobertaForTokenClassification.from_pretrained(out_dir, local_files_only=True, **EAGER)
    again.eval()
    dtok = AutoTokenizer.from_pretrained(out_dir, local_files_only=True)
    assert dtok.is_fast and os.path.exists(os.path.join(out_dir, "tokenizer.json"))
    check_tokenizer(dtok, TAGGER_TEXTS, out_dir)
    pipe = pipeline("token-classification", model=out_dir, aggregation_strategy="simple", device="cpu",
                    model_kwargs=dict(EAGER))
    cases = []
    counts = {}
    d_reload = 0.0
    with torch.no_grad():
        for i, t in enumerate(TAGGER_TEXTS):
            enc = dtok(t, truncation=True, max_length=MAX_TOKENS, return_offsets_mapping=True)
            ids = enc["input_ids"]
            logits = logits_one(model, ids)
            assert max_abs(logits.numpy(), logits_one(built, ids).numpy()) < TOL_RELOAD
            d_reload = max(d_reload, max_abs(logits.numpy(), logits_one(again, ids).numpy()))
            labels = [TAG_LABELS[str(int(k))] for k in logits.argmax(-1)]
            for lab in labels[1:-1]:
                counts[lab] = counts.get(lab, 0) + 1
            ents = pipe(t)
            cases.append({
                "index": i, "text": t, "ids": ids,
                "tokens": dtok.convert_ids_to_tokens(ids),
                "offsets": [list(o) for o in enc["offset_mapping"]],
                "logits": f32(logits), "labels": labels,
                "entities": [{"entity_group": e["entity_group"], "score": f32(e["score"]), "word": e["word"],
                              "start": int(e["start"]), "end": int(e["end"])} for e in ents],
            })
    assert d_reload == 0.0, d_reload
    assert sum(v for k, v in counts.items() if k != "O") >= 5, counts
    doc = header("token-classification", out_dir)
    doc["model"] = {"architecture": "XLMRobertaForTokenClassification", "num_labels": 5,
                    "id2label": TAG_LABELS, "head_seed": 14,
                    "head_init": "classifier.weight = 0.5 * randn after manual_seed(14); bias 0"}
    doc["tokenize"] = {"call": "tokenizer(text, truncation=True, max_length=64, return_offsets_mapping=True)",
                       "max_length": MAX_TOKENS, "offsets": "character offsets into text (Python str indices); "
                       "[0, 0] for <s> and </s>"}
    doc["pipeline"] = {"call": "pipeline('token-classification', model=path, aggregation_strategy='simple')(text)",
                       "scores": "softmax over the 5 logits per token (numpy float32); entity score = mean of the "
                                 "grouped tokens' top probabilities",
                       "grouping": "special tokens dropped; each token takes its argmax label; a token joins the "
                                   "previous group when its tag (label without B-/I-) is the same and it is not B-; "
                                   "groups whose tag is O are dropped; word = tokenizer.convert_tokens_to_string of "
                                   "the group's pieces; start = first token's offset start, end = last token's "
                                   "offset end"}
    doc["cases"] = cases
    write_json(os.path.join(out_dir, "expected.json"), doc)
    note(f"tagger_tiny      {len(cases)} texts, {sum(len(c['entities']) for c in cases)} entities; token labels "
         f"{dict(sorted(counts.items()))}; reload {d_reload:.1e}; tensors {len(keys)}")


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    tok = base_tokenizer()
    check_tokenizer(tok, EMBED_TEXTS + TAGGER_TEXTS + [t for p in RERANK_PAIRS for t in p], "tiny_encoder")
    with tempfile.TemporaryDirectory() as tmp:
        make_sentence_transformers(tok, tmp)
    make_rerank(tok)
    make_multilabel(tok)
    make_regression(tok)
    make_tagger(tok)
    print("versions: " + ", ".join(f"{k} {v}" for k, v in VERSIONS.items()))


if __name__ == "__main__":
    main()
