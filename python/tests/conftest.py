"""Shared fixtures: the built `bte` CLI (BTE_CLI, default build/cli/bte) converts
the repository's golden checkpoints; the package under test loads libbte
(BTE_LIBRARY, default build/engine/libbte.so)."""
import os
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BTE_CLI = os.environ.get("BTE_CLI", os.path.join(REPO, "build", "cli", "bte"))
os.environ.setdefault("BTE_LIBRARY", os.path.join(REPO, "build", "engine", "libbte.so"))


def run_cli(*args, stdin=None):
    r = subprocess.run([BTE_CLI, *args], input=stdin, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """name -> a .bte converted from tests/data/golden/<name>."""
    out = tmp_path_factory.mktemp("models")
    paths = {}
    for name in ("tiny", "st_mean", "rerank_tiny", "multilabel_tiny"):
        path = str(out / (name + ".bte"))
        run_cli("convert", os.path.join(REPO, "tests", "data", "golden", name), "-o", path)
        paths[name] = path
    paths["tiny_int8"] = str(out / "tiny_int8.bte")  # the layers stored as int8 rows
    run_cli("convert", os.path.join(REPO, "tests", "data", "golden", "tiny"), "-o", paths["tiny_int8"],
            "--dtype", "int8")
    return paths


@pytest.fixture(scope="session")
def texts():
    """Test texts, one line each (the CLI reads lines)."""
    lines = []
    with open(os.path.join(REPO, "tests", "data", "corpus.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                lines.append(line)
    return lines[:40] + ["", "naïve café 🙂", "x " * 200]
