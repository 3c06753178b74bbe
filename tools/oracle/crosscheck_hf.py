"""Cross-checks the committed fixtures against Hugging Face's own code:
the `safetensors` package reads our files, `transformers` loads the checkpoint
directories (XLMRobertaForSequenceClassification / XLMRobertaModel) and
XLMRobertaTokenizer tokenizes the texts; everything is compared with
expected.json and tokenizer_golden.json. Prints max abs differences.

Not part of the build or the tests. Needs a virtual environment:

    /usr/bin/python3 -m venv .venv-oracle
    .venv-oracle/bin/pip install torch transformers sentencepiece safetensors protobuf
    .venv-oracle/bin/python tools/oracle/crosscheck_hf.py

transformers 5 builds XLMRobertaTokenizer (a `tokenizers` Unigram) from
sentencepiece.bpe.model only through from_pretrained(dir), and needs protobuf
for that (without it, it tries a tiktoken reader and fails);
XLMRobertaTokenizer(vocab_file=...) ignores the file and gives all <unk>.
"""

import json
import os
import shutil
import sys
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import safetensors  # noqa: E402
import safetensors.numpy  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import (XLMRobertaForSequenceClassification, XLMRobertaModel,  # noqa: E402
                          XLMRobertaTokenizer)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_safetensors  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(REPO, "tests/data/golden")
TOL = 1e-4


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check_safetensors_files():
    worst = 0.0
    files = []
    for d in ("tiny", "tiny_sharded", "tiny_encoder"):
        for f in sorted(os.listdir(os.path.join(GOLDEN, d))):
            if f.endswith(".safetensors"):
                files.append(os.path.join(GOLDEN, d, f))
    for path in files:
        theirs = safetensors.numpy.load_file(path)
        ours, _ = read_safetensors(path)
        assert theirs.keys() == ours.keys(), path
        for k in ours:
            assert theirs[k].dtype == np.float32 and theirs[k].shape == ours[k].shape
            worst = max(worst, float(np.abs(theirs[k] - ours[k]).max()))
        with safetensors.safe_open(path, "np") as f:
            assert f.metadata() == {"format": "pt"}, f.metadata()
    print(f"safetensors {safetensors.__version__}: {len(files)} files read, max abs vs our reader {worst}")
    return worst == 0.0


def hf_tokenizer(spm_path):
    """XLMRobertaTokenizer loaded the way a checkpoint directory loads it."""
    with tempfile.TemporaryDirectory() as d:
        shutil.copyfile(spm_path, os.path.join(d, "sentencepiece.bpe.model"))
        return XLMRobertaTokenizer.from_pretrained(d, local_files_only=True)


def hf_ids(tok, text, max_tokens):
    return tok(text, truncation=True, max_length=max_tokens)["input_ids"]


# Texts where HF is known to differ from sentencepiece: XLMRobertaTokenizer
# matches special-token strings inside the text, sentencepiece does not.
MARKERS = "<s> <pad> </s> <unk> <mask> literal markers"


def check_tokenizer_golden():
    doc = load_json(os.path.join(REPO, "tests/data/tokenizer_golden.json"))
    ok = True
    for name, model in doc["models"].items():
        tok = hf_tokenizer(os.path.join(REPO, model["spm"]))
        bad = []
        for case in model["cases"]:
            for key, n in (("ids", 512), ("ids_16", 16)):
                got = hf_ids(tok, case["text"], n)
                if got != case[key]:
                    bad.append((case["text"], key, case[key], got))
        texts = {t for t, _, _, _ in bad}
        print(f"tokenizer {name}: {len(model['cases'])} texts x 2 lengths; {len(texts)} texts differ"
              f" (len(tokenizer) {len(tok)}, vocab_size {model['vocab_size']})")
        for text, key, want, got in bad[:4]:
            print(f"  DIFF {key} {text[:60]!r}\n    oracle {want[:20]}\n    hf     {got[:20]}")
        if name == "bpe":
            print("  (expected: transformers' XLMRobertaTokenizer always builds a Unigram model,"
                  " so it cannot reproduce a BPE sentencepiece model)")
        else:
            ok = ok and texts <= {MARKERS}
    return ok


def run_cases(model, cases, classifier, batched):
    """Max abs diffs (hidden, logits) over the cases, one text at a time or as
    one padded batch with an attention mask."""
    worst_h, worst_l = 0.0, 0.0
    if batched:
        L = max(len(c["ids"]) for c in cases)
        ids = torch.full((len(cases), L), 1, dtype=torch.long)
        mask = torch.zeros((len(cases), L), dtype=torch.long)
        for i, c in enumerate(cases):
            ids[i, : len(c["ids"])] = torch.tensor(c["ids"])
            mask[i, : len(c["ids"])] = 1
        groups = [(ids, mask, cases)]
    else:
        groups = [(torch.tensor([c["ids"]]), torch.ones(1, len(c["ids"]), dtype=torch.long), [c])
                  for c in cases]
    with torch.no_grad():
        for ids, mask, group in groups:
            out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
            hidden = out.hidden_states[-1]
            for i, c in enumerate(group):
                n = len(c["ids"])
                worst_h = max(worst_h, float((hidden[i, :n] - torch.tensor(c["hidden"])).abs().max()))
                if classifier:
                    worst_l = max(worst_l, float((out.logits[i] - torch.tensor(c["logits"])).abs().max()))
    return worst_h, worst_l


def check_expected_ids():
    expected = load_json(os.path.join(GOLDEN, "tiny/expected.json"))
    cases = expected["cases"]
    tok = XLMRobertaTokenizer.from_pretrained(os.path.join(GOLDEN, "tiny"), local_files_only=True)
    max_tokens = expected["config"]["truncate_to"]
    id_diffs = [c["index"] for c in cases if hf_ids(tok, c["text"], max_tokens) != c["ids"]]
    print(f"tiny/expected.json ids vs XLMRobertaTokenizer(max_length={max_tokens}): "
          f"{len(cases) - len(id_diffs)}/{len(cases)} equal {id_diffs or ''}")
    return not id_diffs


def check_model(attn):
    expected = load_json(os.path.join(GOLDEN, "tiny/expected.json"))
    cases = expected["cases"]
    ok = True
    for d, cls in (("tiny", XLMRobertaForSequenceClassification),
                   ("tiny_sharded", XLMRobertaForSequenceClassification),
                   ("tiny_encoder", XLMRobertaModel)):
        model, info = cls.from_pretrained(os.path.join(GOLDEN, d), local_files_only=True,
                                          output_loading_info=True, attn_implementation=attn)
        model.eval()
        unused = {k: v for k, v in info.items() if v}
        if unused:
            print(f"  {d}: loading info {unused}")
        ok = ok and not unused
        classifier = cls is XLMRobertaForSequenceClassification
        if classifier:
            labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
            assert labels == expected["config"]["labels"], labels
        for batched in (False, True):
            h, lg = run_cases(model, cases, classifier, batched)
            what = "padded batch" if batched else "one text at a time"
            print(f"  {d} [{cls.__name__}, attn={attn}, {what}]: max abs hidden {h:.3g}"
                  + (f", logits {lg:.3g}" if classifier else ""))
            ok = ok and h <= TOL and lg <= TOL
    return ok


def main():
    import tokenizers
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, tokenizers {tokenizers.__version__}")
    ok = check_safetensors_files()
    ok = check_tokenizer_golden() and ok
    ok = check_expected_ids() and ok
    for attn in ("eager", "sdpa"):
        ok = check_model(attn) and ok
    print("RESULT:", "all equal within tolerance" if ok else "DIFFERENCES (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
