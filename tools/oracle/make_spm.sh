#!/bin/sh
# Trains the two test sentencepiece models from tests/data/corpus.txt.
# Run from anywhere: bash tools/oracle/make_spm.sh
# Deterministic (one thread, no shuffling, no sampling), so a rerun with the same
# spm_train (Debian sentencepiece 0.1.97) reproduces the committed bytes.
# Paths are relative to the repo root on purpose: spm_train stores --input and
# --model_prefix inside the model's trainer_spec.
set -eu
cd "$(dirname "$0")/../.."

for type in unigram bpe; do
  spm_train \
    --input=tests/data/corpus.txt \
    --model_prefix=tests/data/spm/$type \
    --model_type=$type \
    --vocab_size=1000 \
    --character_coverage=0.9995 \
    --byte_fallback=false \
    --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 \
    --input_sentence_size=100000 \
    --shuffle_input_sentence=false \
    --num_threads=1 \
    --minloglevel=1
  rm -f tests/data/spm/$type.vocab
done
