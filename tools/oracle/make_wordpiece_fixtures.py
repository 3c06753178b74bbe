"""WordPiece golden fixtures computed by Hugging Face `tokenizers` and `transformers`.

Trains three WordPiece tokenizers with `tokenizers` on bte's corpus
(tests/data/corpus.txt, then every tests/data/multilingual/*.txt sorted by
name; one text per line, empty lines kept as texts) and writes each as a
checkpoint-like directory tests/data/wordpiece/<name>/:

    uncased/       BertNormalizer(lowercase, strip_accents unset -> on), ~8k ids,
                   plus two added tokens beyond the vocabulary: "<ent>" (special,
                   matched in the raw text) and "Xyzzy" (not special, normalized:
                   matched in the normalized text)
    cased/         no lowercase, strip_accents false, handle_chinese_chars false, ~8k
    multilingual/  no lowercase, strip_accents false, handle_chinese_chars on, ~20k
                   (like bert-base-multilingual-cased)

Each holds what transformers' BertTokenizer (5.x, tokenizers-backed) saves
(tokenizer.json, tokenizer_config.json), vocab.txt as tokenizers' own
WordPiece.save writes it, and the golden files (all ids with the specials):

    ids.txt         one line per corpus text: tokenizer.encode(text).ids
    edge.jsonl      hand-picked texts (specials and added tokens in the text,
                    İ, final sigma, controls, long words, ...): text, ids, offsets
    offsets.txt     every 17th corpus text: "<line> <start>,<end> ..." byte offsets
                    into the text's UTF-8 (HF reports characters; converted here)
    truncated.txt   every 7th corpus text at max_length 16 and 5: "<line> <max> ids..."
    pairs.txt       (text i, text i+1) for every 23rd i, at max_length 512, 24, 9
                    (truncation longest_first): "<i> <j> <max> | ids | type_ids"
    vocab_path.txt  the vocab.txt + tokenizer_config.json path: transformers'
                    BertTokenizer loaded from a directory with only those two
                    files; only the corpus lines where its ids differ from
                    ids.txt: "<line> ids..." (edge texts: edge_vocab.jsonl)
    slow_findings.txt  where transformers' pure-Python BertTokenizerLegacy
                    (the "slow" tokenizer) differs from the fast one on the
                    vocab.txt path: "<line> <slow ids>" -- a finding about
                    the two Hugging Face implementations, not a bte golden
                    ("#" lines: the text and both token lists)

Every golden file starts with a "# bte-wordpiece-golden v1 ..." line naming
this script. Not part of the build: the tests read only the committed files.

    .venv-oracle/bin/python tools/oracle/make_wordpiece_fixtures.py
"""

import json
import os
import shutil
import sys
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["RAYON_NUM_THREADS"] = "1"

import tokenizers  # noqa: E402
import transformers  # noqa: E402
from tokenizers import AddedToken, Tokenizer, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402
from transformers import BertTokenizer  # noqa: E402
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy  # noqa: E402

from corpus import read_corpus  # noqa: E402  (tools/oracle/corpus.py)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data")
OUT = os.path.join(DATA, "wordpiece")
HEADER = "# bte-wordpiece-golden v1 {what} ({name}); regenerate: .venv-oracle/bin/python tools/oracle/make_wordpiece_fixtures.py (tokenizers {tv}, transformers {xv})\n"
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

CONFIGS = [
    # name, vocab size, lowercase, strip_accents, handle_chinese_chars, extra tokens
    ("uncased", 8000, True, None, True, True),
    ("cased", 8000, False, False, False, False),
    ("multilingual", 20000, False, False, True, False),
]

EDGE = [
    "", " ", "\t\n", "Hello [CLS] world [SEP] and [MASK]!", "[CLS][SEP][PAD][UNK][MASK]",
    "[cls] lower-case specials are text", "a<ent>b <ent> XYZZY xyzzy Xyzzy! xyzzyx",
    "İstanbul İİ ı", "ΟΔΟΣ Σ ΣΑΣ σς", "Straße STRASSE ẞ", "ǅemal ǈ Ǳ", "café CAFÉ cafe\u0301",
    "control\x00chars\x01here\x7f\u0085nel\u200bzwsp\u00adshy\ufeffbom\ue000pua",
    "tabs\tand\r\nnewlines\u2028sep\u3000ideo\u00a0nbsp", "\ufffdreplacement\ufffd",
    "x" * 99, "y" * 100, "z" * 101, "é" * 101, "ab" * 60 + " short",
    "中文字符和日本語のテキスト", "한국어 텍스트입니다", "𠀀𠀁 ext-B 𪜀", "emoji 😀🫠👍🏽 mix",
    "¿Qué? ¡Sí! «guillemets» — dash… ellipsis", "$100 + 5% = <tag> ^_^ `code` |pipe| ~",
    "mixed: Ünïcödé ñ ø æ œ ł đ", "Ελληνικά και русский и العربية and हिन्दी",
    "don't won't it's", "e-mail@example.com https://example.org/path?q=1",
    "1234567890 3.14159 1,000,000", "ﬁ ﬂ ｆｕｌｌｗｉｄｔｈ ＡＢＣ", "ℌ ℍ Ⅻ ①",
    "\u0301leading combining", "ꟊ new letters Ꟑ", "ᏣᎳᎩ Cherokee ꭰ",
    # Characters whose category changed after Unicode 8.0 (HF's crate keeps
    # 8.0's), and characters newer than 8.0 (Cn there): Cf, Mn, Po, a decomposition.
    "a\u166db a\u1734b a\u1885b a\u1886b a\ua9bdb a\U000111c9b",
    "a\u0890b a\u08e2b a\U000110cdb a\U00013430b a\u2e43b a\U0001e95eb a\u07fdb a\U00011938b Ä\u1734",
]


def byte_offsets(text, offsets):
    pos = [0]
    for ch in text:
        pos.append(pos[-1] + len(ch.encode("utf-8")))
    return [(pos[s], pos[e]) for s, e in offsets]


def train(name, size, lower, strip, chinese, texts):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=chinese,
                                                strip_accents=strip, lowercase=lower)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=size, min_frequency=1, special_tokens=SPECIALS,
                                        continuing_subword_prefix="##", show_progress=False)
    tok.train_from_iterator(texts, trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return tok


def ids_line(ids):
    return " ".join(map(str, ids))


def main():
    texts = read_corpus()
    print(f"corpus: {len(texts)} texts")
    hdr = dict(tv=tokenizers.__version__, xv=transformers.__version__)
    for name, size, lower, strip, chinese, extra in CONFIGS:
        d = os.path.join(OUT, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        tok = train(name, size, lower, strip, chinese, texts)
        hf = BertTokenizer(tokenizer_object=tok, do_lower_case=lower, strip_accents=strip,
                           tokenize_chinese_chars=chinese)
        if extra:
            hf.add_special_tokens({"additional_special_tokens": [AddedToken("<ent>", normalized=False, special=True)]})
            hf.add_tokens([AddedToken("Xyzzy", normalized=True, special=False)])
        hf.save_pretrained(d)
        hf._tokenizer.model.save(d)  # vocab.txt, as tokenizers writes it
        # From here on, only what was saved: the files are the oracle.
        fast = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        print(f"{name}: {fast.get_vocab_size()} ids")
        H = lambda what: HEADER.format(what=what, name=name, **hdr)  # noqa: E731

        enc = fast.encode_batch(texts)
        with open(os.path.join(d, "ids.txt"), "w", encoding="utf-8") as f:
            f.write(H(f"ids of the {len(texts)} corpus texts, one line each"))
            for e in enc:
                f.write(ids_line(e.ids) + "\n")
        with open(os.path.join(d, "offsets.txt"), "w", encoding="utf-8") as f:
            f.write(H("byte offsets of every 17th corpus text: line start,end ..."))
            for i in range(0, len(texts), 17):
                f.write(str(i) + " " + " ".join(f"{s},{e}" for s, e in byte_offsets(texts[i], enc[i].offsets)) + "\n")
        with open(os.path.join(d, "edge.jsonl"), "w", encoding="utf-8") as f:
            f.write(H("edge texts: text, ids, byte offsets"))
            for t in EDGE:
                e = fast.encode(t)
                f.write(json.dumps({"text": t, "ids": e.ids, "offsets": byte_offsets(t, e.offsets)}) + "\n")
        with open(os.path.join(d, "truncated.txt"), "w", encoding="utf-8") as f:
            f.write(H("every 7th corpus text truncated: line max_length ids..."))
            for max_len in (16, 5):
                fast.enable_truncation(max_length=max_len)
                for i in range(0, len(texts), 7):
                    f.write(f"{i} {max_len} {ids_line(fast.encode(texts[i]).ids)}\n")
        with open(os.path.join(d, "pairs.txt"), "w", encoding="utf-8") as f:
            f.write(H("pairs (text i, text i+1), longest_first: i j max_length | ids | type_ids"))
            for max_len in (512, 24, 9):
                fast.enable_truncation(max_length=max_len, strategy="longest_first")
                for i in range(0, len(texts) - 1, 23):
                    e = fast.encode(texts[i], texts[i + 1])
                    f.write(f"{i} {i + 1} {max_len} | {ids_line(e.ids)} | {ids_line(e.type_ids)}\n")
        fast.no_truncation()

        # The vocab.txt + tokenizer_config.json path, as transformers loads it.
        with tempfile.TemporaryDirectory() as tmp:  # the tokenizers hold no file open
            for fn in ("vocab.txt", "tokenizer_config.json"):
                shutil.copy(os.path.join(d, fn), tmp)
            from_vocab = BertTokenizer.from_pretrained(tmp)
            slow = BertTokenizerLegacy.from_pretrained(tmp)
            vids = [from_vocab(t)["input_ids"] for t in texts]
            sids = [slow(t)["input_ids"] for t in texts]
            edge_v = [(t, from_vocab(t)["input_ids"]) for t in EDGE]
        with open(os.path.join(d, "vocab_path.txt"), "w", encoding="utf-8") as f:
            f.write(H("vocab.txt path (BertTokenizer from vocab.txt + tokenizer_config.json): "
                      "the corpus lines whose ids differ from ids.txt: line ids..."))
            n = 0
            for i, (v, e) in enumerate(zip(vids, enc)):
                if v != e.ids:
                    f.write(f"{i} {ids_line(v)}\n")
                    n += 1
        with open(os.path.join(d, "edge_vocab.jsonl"), "w", encoding="utf-8") as f:
            f.write(H("edge texts on the vocab.txt path: text, ids"))
            for t, v in edge_v:
                f.write(json.dumps({"text": t, "ids": v}) + "\n")
        with open(os.path.join(d, "slow_findings.txt"), "w", encoding="utf-8") as f:
            f.write(H("where the slow BertTokenizerLegacy differs from the fast BertTokenizer "
                      "(vocab.txt path): line slow-ids... (a finding about Hugging Face, not a bte golden)"))
            m = 0
            for i, (s, v) in enumerate(zip(sids, vids)):
                if s != v:
                    f.write(f"{i} {ids_line(s)}\n")
                    f.write(f"#   text {json.dumps(texts[i], ensure_ascii=False)}\n"
                            f"#   fast {' '.join(from_vocab.convert_ids_to_tokens(v))}\n"
                            f"#   slow {' '.join(slow.convert_ids_to_tokens(s))}\n")
                    m += 1
        print(f"  vocab.txt path differs from tokenizer.json on {n} lines; slow differs from fast on {m}")


if __name__ == "__main__":
    sys.exit(main())
