"""bte.Model against the CLI on the same golden models: the same numbers
(the CLI prints floats with 9 significant digits, so 1e-6), from one thread
and from 8 at once; and every bad argument raises instead of crashing."""
import json
import os
import threading

import numpy as np
import pytest

import bte
from conftest import REPO, run_cli


def cli_embed(model, texts, *flags):
    out = run_cli("embed", "-m", model, "-f", "-", *flags, stdin="\n".join(texts) + "\n")
    return np.array([json.loads(l) for l in out.splitlines()], dtype=np.float32)


def test_embed_equals_cli(models, texts):
    with bte.Model(models["tiny"]) as m:
        for kwargs, flags in (({}, []), ({"pooling": "mean", "normalize": True}, ["--pooling", "mean", "--normalize"]),
                              ({"pooling": "max"}, ["--pooling", "max"])):
            got = m.embed(texts, **kwargs)
            assert got.dtype == np.float32 and got.shape == (len(texts), m.dim)
            np.testing.assert_allclose(got, cli_embed(models["tiny"], texts, *flags), rtol=0, atol=1e-6)
        one = m.embed("Hello world")
        assert one.shape == (m.dim,)
        np.testing.assert_array_equal(one, m.embed(["Hello world"])[0])
        assert m.embed([]).shape == (0, m.dim)
        np.testing.assert_array_equal(m.embed(texts, batch_size=7), m.embed(texts))


def test_int8_equals_cli_and_stays_near_fp32(models, texts):
    with bte.Model(models["tiny"], dtype="int8") as m8, bte.Model(models["tiny"]) as m32:
        got = m8.embed(texts, pooling="mean")
        np.testing.assert_allclose(got, cli_embed(models["tiny"], texts, "--pooling", "mean", "--dtype", "int8"),
                                   rtol=0, atol=1e-6)
        ref = m32.embed(texts, pooling="mean")
        cos = (got * ref).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(ref, axis=1)
        assert cos.min() >= 0.99 and np.abs(got - ref).max() > 0  # int8, and near fp32
    with pytest.raises(ValueError, match="dtype must be one of auto, bf16, fp16, fp32, int8, got 'int9'"):
        bte.Model(models["tiny"], dtype="int9")


def test_int8_file_runs_int8_unless_told(models, texts):
    # dtype "auto" (the default): int8 for an int8 .bte, fp32 for a float one.
    with bte.Model(models["tiny_int8"]) as m8, bte.Model(models["tiny_int8"], dtype="fp32") as mw, \
            bte.Model(models["tiny"]) as m32:
        assert m8.info["dtype"] == "int8" and "fused int8" in m8.info["path_taken"]
        assert mw.info["dtype"] == "fp32" and m32.info["dtype"] == "fp32"
        got = m8.embed(texts, pooling="mean")
        np.testing.assert_allclose(got, cli_embed(models["tiny_int8"], texts, "--pooling", "mean"),
                                   rtol=0, atol=1e-6)
        ref = m32.embed(texts, pooling="mean")
        cos = (got * ref).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(ref, axis=1)
        assert cos.min() >= 0.99 and np.abs(got - ref).max() > 0


def test_sentence_transformers_settings_and_prompts(models, texts):
    with bte.Model(models["st_mean"]) as m:
        info = m.info
        assert info["pooling"] == "mean" and info["normalize"] is True
        assert info["prompts"]["query"] == "query: " and info["embedding_max_tokens"] == 24
        np.testing.assert_allclose(m.embed(texts), cli_embed(models["st_mean"], texts), atol=1e-6)
        np.testing.assert_allclose(m.embed(texts, prompt="query"),
                                   cli_embed(models["st_mean"], texts, "--prompt", "query"), atol=1e-6)
        np.testing.assert_allclose(m.embed(texts, prompt_text="x: "),
                                   cli_embed(models["st_mean"], texts, "--prompt-text", "x: "), atol=1e-6)
        with pytest.raises(bte.BteInputError, match="no prompt named"):
            m.embed(["a"], prompt="nope")


def test_classify_equals_cli(models, texts):
    with bte.Model(models["multilabel_tiny"]) as m:
        got = m.classify(texts, top_k=2)
        out = run_cli("classify", "-m", models["multilabel_tiny"], "-f", "-", "--json",
                      stdin="\n".join(texts) + "\n")
        want = [json.loads(l) for l in out.splitlines()]
        assert len(got) == len(want) == len(texts)
        for g, w in zip(got, want):
            assert g["label"] == w["label"]
            for label in m.labels:
                assert abs(g["scores"][label] - w["probs"][label]) <= 1e-6
                assert abs(g["logits"][label] - w["logits"][label]) <= 1e-5
            assert len(g["top_k"]) == 2
        assert m.info["head_activation"] == "sigmoid"
        # Any iterable of str, a generator included (read once).
        from_gen = m.classify(t for t in texts[:5])
        assert [g["scores"] for g in from_gen] == [g["scores"] for g in got[:5]]


def test_rerank_equals_cli(models, texts):
    docs = texts[:12]
    with bte.Model(models["rerank_tiny"]) as m:
        ranked = m.rerank("Where is the station?", docs, return_documents=True)
        out = run_cli("rerank", "-m", models["rerank_tiny"], "-q", "Where is the station?", "-f", "-",
                      "--json", stdin="\n".join(docs) + "\n")
        want = {j["index"]: j for j in map(json.loads, out.splitlines())}
        assert [r["corpus_id"] for r in ranked] == sorted(want, key=lambda i: -want[i]["score"])
        for r in ranked:
            assert abs(r["score"] - want[r["corpus_id"]]["score"]) <= 1e-6
            assert r["text"] == docs[r["corpus_id"]]
        raw = m.rerank("Where is the station?", docs, raw_scores=True, top_k=3)
        assert len(raw) == 3
        assert abs(raw[0]["score"] - want[raw[0]["corpus_id"]]["logit"]) <= 1e-5


def test_tokenize_equals_cli(models, texts):
    with bte.Model(models["tiny"]) as m:
        spm = os.path.join(REPO, "tests", "data", "golden", "tiny", "sentencepiece.bpe.model")
        out = run_cli("tokenize", "--spm", spm, "--max-tokens", str(m.info["max_tokens"]), "-f", "-",
                      stdin="\n".join(texts) + "\n")
        want = [[int(x) for x in l.split()] for l in out.splitlines()]
        assert m.tokenize(texts) == want


def test_eight_threads_equal_serial(models, texts):
    with bte.Model(models["tiny"], threads=1) as m:
        serial = [m.embed(texts[i::8], pooling="mean") for i in range(8)]
        results = [None] * 8
        errors = []

        def work(i):
            try:
                for _ in range(5):
                    r = m.embed(texts[i::8], pooling="mean")
                    assert np.array_equal(r, serial[i])
                results[i] = r
            except Exception as e:  # reported below, with its thread
                errors.append((i, e))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        for i in range(8):
            np.testing.assert_array_equal(results[i], serial[i])


def test_bad_arguments_raise(models, tmp_path):
    with pytest.raises(bte.BteModelError):
        bte.Model(str(tmp_path / "missing.bte"))
    with pytest.raises(TypeError):
        bte.Model(None)
    with pytest.raises(ValueError, match="device"):
        bte.Model(models["tiny"], device="tpu")
    with pytest.raises(TypeError):
        bte.Model(models["tiny"], threads="4")
    with pytest.raises(bte.BteInputError, match="threads"):
        bte.Model(models["tiny"], threads=100000)
    m = bte.Model(models["tiny"])
    with pytest.raises(TypeError):
        m.embed(None)
    with pytest.raises(TypeError):
        m.embed(["ok", 3])
    with pytest.raises(TypeError):
        m.embed(b"bytes")
    with pytest.raises(ValueError, match="NUL"):
        m.embed(["a\0b"])
    with pytest.raises(ValueError, match="prompt_text contains a NUL"):
        m.embed(["a"], prompt_text="q: a\0b")
    with pytest.raises(ValueError, match="path contains a NUL"):
        bte.Model(models["tiny"] + "\0x")
    with pytest.raises(ValueError, match="pooling"):
        m.embed(["a"], pooling="weightedmean")
    with pytest.raises(ValueError, match="top_k"):
        m.classify(["a"], top_k=0)
    with pytest.raises(bte.BteInputError, match="one-label head"):
        m.rerank("q", ["d"])
    with pytest.raises(ValueError):  # a lone surrogate is not text UTF-8 can carry
        m.embed(["\ud800"])
    m.close()
    m.close()  # twice is fine
    with pytest.raises(ValueError, match="closed"):
        m.embed(["a"])
    with pytest.raises(ValueError, match="closed"):
        m.info


def test_info_and_close_from_two_threads(models):
    """close() on one thread while another reads info: info finishes or says closed, never a crash."""
    for _ in range(20):
        m = bte.Model(models["tiny"])
        seen = []

        def reader():
            try:
                for _ in range(50):
                    seen.append(m.info["hidden_size"])
            except ValueError as e:
                assert "closed" in str(e)

        t = threading.Thread(target=reader)
        t.start()
        m.close()
        t.join()
        assert all(s == m.dim for s in seen)
