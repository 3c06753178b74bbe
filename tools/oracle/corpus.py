"""The tokenizer parity corpus, one text per line: tests/data/corpus.txt, then
tests/data/multilingual/*.txt sorted by name. Split on '\\n' only (no other
line break ends a text); an empty line is a text; a final '\\n' ends the last
line rather than starting an empty one."""

import glob
import os

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "tests", "data")


def read_corpus():
    texts = []
    for path in [os.path.join(DATA, "corpus.txt")] + sorted(glob.glob(os.path.join(DATA, "multilingual", "*.txt"))):
        with open(path, encoding="utf-8", newline="") as f:
            content = f.read()
        lines = content.split("\n")
        if content.endswith("\n"):
            lines.pop()
        texts += lines
    return texts
