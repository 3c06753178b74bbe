"""The texts the golden files are made of: edge cases for the tokenizer and the
case set of the tiny model fixture."""

import json
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(REPO, "tests/data/corpus.txt")
TUTORIAL = os.path.join(REPO, "tests/data/tutorial_inputs.json")


def corpus_lines():
    with open(CORPUS, encoding="utf-8") as f:
        return [line for line in f.read().split("\n") if line]


def tutorial_texts():
    with open(TUTORIAL, encoding="utf-8") as f:
        t = json.load(f)
    # the big batch repeats the small one and adds the War and Peace passage
    return list(t["big_input_batch"])


def tokenizer_edge_cases():
    lines = corpus_lines()
    return [
        "",
        " ",
        "   \t  ",
        "\t",
        "  leading and trailing spaces  ",
        "several    inner     spaces",
        "tab\tseparated\twords",
        "😀😃🎉👍",
        "🙂",
        "👨‍👩‍👧‍👦 family with zero-width joiners",
        "🇫🇷🇩🇪",
        "今天早上的火车又晚点了",
        "東京と京都",
        "こんにちは、世界。",
        "مرحبا بالعالم، كيف حالك اليوم؟",
        "नमस्ते दुनिया, आप कैसे हैं?",
        "Γειά σου κόσμε",
        "Привет, мир!",
        "Hello 世界 — привет мир! 🙂 123 مرحبا नमस्ते",
        "e\u0301 combining acute, A\u030a, n\u0303, Ame\u0301lie",
        "\u00e9 precomposed vs e\u0301 decomposed",
        "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３",
        "Ｈｅｌｌｏ，ｗｏｒｌｄ！",
        "\u3000ideographic\u3000space\u3000",
        "non\u00a0breaking\u00a0space",
        "zero\u200bwidth\u200bspace",
        "soft\u00adhyphen",
        "ﬁne ﬂower ligatures",
        "① ½ ² Ⅻ ㍿",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters",
        "안녕하세요 unknown script",
        "สวัสดี",
        "<s> <pad> </s> <unk> <mask> literal markers",
        "a",
        "A",
        ".",
        "1234567890" * 5,
        "x" * 100,
        "https://example.org/a/b?c=d&e=f#frag",
        " ".join([lines[0]] * 200),
    ]


def _exact_length_text(tok, n_content, words):
    """A prefix of words that tokenizes to exactly n_content pieces."""
    for start in range(len(words)):
        for k in range(1, len(words) - start):
            text = " ".join(words[start:start + k])
            n = len(tok.content_ids(text))
            if n == n_content:
                return text
            if n > n_content:
                break
    raise RuntimeError(f"no prefix of the corpus tokenizes to {n_content} pieces")


def tiny_case_set(tok, max_tokens):
    """~15 texts for the tiny model: the tutorial inputs (the long one is cut
    at max_tokens), edge cases, texts exactly at and one past the limit, and a
    few corpus lines."""
    lines = corpus_lines()
    english = " ".join(l for l in lines[:60]).split()
    texts = tutorial_texts() + [
        "",
        "   \t  ",
        "😀",
        "東京と京都は日本の都市です。",
        "مرحبا بالعالم، كيف حالك اليوم؟",
        "Hello 世界 — привет мир! 🙂 123",
        "bonjour",
        _exact_length_text(tok, max_tokens - 2, english),
        _exact_length_text(tok, max_tokens - 1, english),
    ]
    picks = ["Der Zug nach München", "Утренний поезд", "सुबह की ट्रेन", "Το πρωινό τρένο"]
    for p in picks:
        texts.append(next(l for l in lines if l.startswith(p)))
    return texts
