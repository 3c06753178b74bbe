#!/bin/sh
# Regenerates every committed golden fixture from the oracle. Deterministic:
# a rerun on the same machine rewrites the same bytes (check with git status).
#   bash tools/oracle/make_fixtures.sh
# Needs /usr/bin/python3 with torch and sentencepiece (Debian python3-torch,
# python3-sentencepiece). The spm models are made by make_spm.sh, not here.
set -eu
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
ORACLE=tools/oracle/oracle.py
G=tests/data/golden
TINY="--seed 1 --spm tests/data/spm/unigram.model --layers 2 --hidden 64 --heads 4 --ffn 128 --max-positions 66"

# tiny: classifier checkpoint + expected outputs for the built-in case set
$PY $ORACLE golden --out $G/tiny $TINY --labels negative,neutral,positive --case-set tiny
# tiny_sharded: the same weights in 2 safetensors shards + index
$PY $ORACLE checkpoint --out $G/tiny_sharded $TINY --labels negative,neutral,positive --sharded 2
# tiny_encoder: the same encoder weights as a bare XLMRobertaModel, keys
# without "roberta.", with HF's pooler.dense (a converter must ignore it)
$PY $ORACLE checkpoint --out $G/tiny_encoder $TINY --encoder-only --no-prefix --pooler

# the three directories must hold the same encoder weights
$PY - <<'PYEOF'
import sys
sys.path.insert(0, "tools/oracle")
import numpy as np
from hf_checkpoint import read_checkpoint
_, a = read_checkpoint("tests/data/golden/tiny")
_, b = read_checkpoint("tests/data/golden/tiny_sharded")
_, c = read_checkpoint("tests/data/golden/tiny_encoder")
assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
shared = [k for k in a if not k.startswith("classifier.")]
assert set(c) == set(shared) | {"pooler.dense.weight", "pooler.dense.bias"}
assert all(np.array_equal(a[k], c[k]) for k in shared)
PYEOF

$PY $ORACLE tokenizer --out tests/data/tokenizer_golden.json \
  --spm unigram=tests/data/spm/unigram.model --spm bpe=tests/data/spm/bpe.model
