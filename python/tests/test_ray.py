"""bte on a real multi-node Ray cluster on this machine (two nodes on
127.0.0.1, ray.cluster_utils.Cluster): the job's rows are exactly the input's,
equal to the CLI's, spread over both nodes, and a killed actor costs nothing.
Needs Ray (python/requirements-ray.txt); tools/test.sh's python stage installs it."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray
from ray.cluster_utils import Cluster
from types import SimpleNamespace

from bte.ray import BteMapper
from conftest import BTE_CLI, REPO

N_ROWS = 20000
# Three logical CPUs a node: an actor of two threads (num_cpus=2) fits once per
# node, so two such actors must land on both nodes, and one CPU is left for Ray
# Data's own tasks. (The job asks Ray to SPREAD its actors, but that is best
# effort: with room for both on one node Ray may put them there.)
NODE_ARGS = {"num_cpus": 3, "object_store_memory": 160 * 2**20}


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(initialize_head=True, head_node_args=dict(NODE_ARGS, include_dashboard=False))
    c.add_node(**NODE_ARGS)
    c.wait_for_nodes()
    ray.init(address=c.address, logging_level="ERROR", log_to_driver=False)
    assert len([n for n in ray.nodes() if n["Alive"]]) == 2
    yield c
    ray.shutdown()
    c.shutdown()


@pytest.fixture(scope="module")
def big_input(tmp_path_factory, texts):
    """N_ROWS texts, every one different, as a file of lines, and the CLI's
    embeddings of it."""
    d = tmp_path_factory.mktemp("ray_input")
    rows = ["%s #%d" % (texts[i % len(texts)], i) if i % 97 else "" for i in range(N_ROWS)]
    path = d / "texts.txt"
    path.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    return str(path), rows


def cli_embeddings(model, path, out):
    subprocess.run([BTE_CLI, "embed", "-m", model, "-f", path, "--format", "npy", "-o", out],
                   check=True, stderr=subprocess.DEVNULL)
    return np.load(out)


def job(*args, address=None):
    cmd = [sys.executable, "-m", "bte.ray_job", *args]
    if address:
        cmd += ["--address", address]
    return cmd


def read_output(out_dir, column):
    t = pq.read_table(out_dir)
    ids = t.column("id").to_numpy()
    values = t.column(column).to_pylist()
    return ids, values


def actors_of_job():
    """The cluster's BteMapper actors, from the GCS (Ray's state API would
    need the dashboard, which ray[data] leaves out)."""
    found = []
    for a in ray._private.state.actors().values():
        if "BteMapper" in a["ActorClassName"]:
            found.append(SimpleNamespace(actor_id=a["ActorID"], state=a["State"], pid=a["Pid"],
                                         node_id=a["Address"]["NodeID"], num_restarts=a["NumRestarts"]))
    return found


def test_embed_20000_rows_on_two_nodes_equal_cli(cluster, models, big_input, tmp_path):
    path, rows = big_input
    before = {a.actor_id for a in actors_of_job()}
    out = tmp_path / "out"
    r = subprocess.run(job("embed", "--model", models["st_mean"], "--input", path, "--output", str(out),
                           "--num-actors", "2", "--threads-per-actor", "2", address=cluster.address),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["rows"] == N_ROWS
    ids, vecs = read_output(str(out), "embedding")
    assert len(ids) == N_ROWS and len(np.unique(ids)) == N_ROWS
    assert np.array_equal(np.sort(ids), np.arange(N_ROWS))
    got = np.asarray(vecs, dtype=np.float32)[np.argsort(ids)]
    want = cli_embeddings(models["st_mean"], path, str(tmp_path / "cli.npy"))
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-6
    # Two actors, one on each node (neither node has room for both).
    mine = [a for a in actors_of_job() if a.actor_id not in before]
    assert len(mine) == 2
    assert len({a.node_id for a in mine}) == 2


def test_classify_equal_cli(cluster, models, big_input, tmp_path):
    path, rows = big_input
    small = tmp_path / "texts.jsonl"
    picked = list(range(0, N_ROWS, 10))
    small.write_text("".join(json.dumps({"id": 1000000 + i, "text": rows[i]}) + "\n" for i in picked),
                     encoding="utf-8")
    out = tmp_path / "out"
    r = subprocess.run(job("classify", "--model", models["multilabel_tiny"], "--input", str(small),
                           "--output", str(out), "--num-actors", "2", "--batch-size", "64",
                           address=cluster.address), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    t = pq.read_table(str(out)).sort_by("id")
    assert t.column("id").to_pylist() == [1000000 + i for i in picked]
    cli = subprocess.run([BTE_CLI, "classify", "-m", models["multilabel_tiny"], "--json"],
                         input="".join(rows[i] + "\n" for i in picked), capture_output=True, text=True,
                         check=True).stdout.splitlines()
    import bte
    with bte.Model(models["multilabel_tiny"]) as m:
        labels = m.labels
    scores = np.asarray(t.column("scores").to_pylist(), dtype=np.float32)
    assert len(cli) == len(picked)
    for k, line in enumerate(cli):
        want = json.loads(line)
        assert t.column("label")[k].as_py() == want["label"]
        assert np.abs(scores[k] - np.asarray([want["probs"][n] for n in labels], dtype=np.float32)).max() <= 1e-6
        assert abs(t.column("score")[k].as_py() - want["probability"]) <= 1e-6


def test_killed_actor_loses_and_duplicates_nothing(cluster, models, big_input, tmp_path):
    path, _ = big_input
    out = tmp_path / "out"
    before = {a.actor_id for a in actors_of_job()}
    proc = subprocess.Popen(job("embed", "--model", models["st_mean"], "--input", path, "--output", str(out),
                                "--num-actors", "2", "--batch-size", "8", address=cluster.address),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim = None
    deadline = time.time() + 120
    while victim is None and time.time() < deadline and proc.poll() is None:
        alive = [a for a in actors_of_job() if a.actor_id not in before and a.state == "ALIVE" and a.pid]
        if alive:
            time.sleep(1.0)  # let it answer some batches first
            victim = alive[0]
        else:
            time.sleep(0.1)
    assert victim is not None and proc.poll() is None, "the job ended before an actor could be killed"
    os.kill(victim.pid, signal.SIGKILL)
    assert proc.poll() is None, "the job ended before the kill landed: make it longer"
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert json.loads(stdout.strip().splitlines()[-1])["rows"] == N_ROWS
    ids, vecs = read_output(str(out), "embedding")
    assert len(ids) == N_ROWS, "rows lost or duplicated"
    assert np.array_equal(np.sort(ids), np.arange(N_ROWS))
    got = np.asarray(vecs, dtype=np.float32)[np.argsort(ids)]
    want = cli_embeddings(models["st_mean"], path, str(tmp_path / "cli.npy"))
    assert np.abs(got - want).max() <= 1e-6
    after = [a for a in actors_of_job() if a.actor_id == victim.actor_id]
    # The killed actor was restarted (the same actor in a new process).
    assert after and after[0].num_restarts >= 1 and after[0].pid != victim.pid, after


# -- the callable alone, and the job's refusals (no cluster needed) ----------


def test_mapper_batch(models):
    m = BteMapper(models["multilabel_tiny"], task="classify")
    out = m({"id": np.array([7, 3]), "text": np.array(["a b", "c"], dtype=object)})
    assert out["id"].tolist() == [7, 3]
    assert out["scores"].shape == (2, 3) and out["score"].dtype == np.float32
    with pytest.raises(TypeError, match="row 3"):
        m({"id": np.array([1, 3]), "text": np.array(["a", None], dtype=object)})
    with pytest.raises(KeyError, match="text"):
        m({"id": np.array([1]), "body": np.array(["a"], dtype=object)})
    with pytest.raises(ValueError, match="bare encoder"):
        BteMapper(models["st_mean"], task="classify")
    with pytest.raises(ValueError, match="task"):
        BteMapper(models["st_mean"], task="summarise")


def run_job(*args):
    return subprocess.run(job(*args), capture_output=True, text=True, timeout=120)


def test_job_refuses_without_touching_anything(models, tmp_path):
    lines = tmp_path / "in.txt"
    lines.write_text("hello\nworld\n", encoding="utf-8")
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep.parquet").write_bytes(b"user data")
    cases = [
        (["embed", "--model", models["st_mean"], "--input", str(lines), "--output", str(existing)], "already exists"),
        (["embed", "--model", models["st_mean"], "--input", str(tmp_path / "nope.txt"), "--output",
          str(tmp_path / "o1")], "does not exist"),
        (["embed", "--model", str(tmp_path / "nope.bte"), "--input", str(lines), "--output",
          str(tmp_path / "o2")], "does not exist"),
        (["embed", "--model", models["st_mean"], "--input", str(lines), "--output", str(lines)], "already exists"),
        (["embed", "--model", models["st_mean"], "--input", str(tmp_path), "--output",
          str(tmp_path / "sub")], "overlaps"),
        (["classify", "--model", models["st_mean"], "--input", str(lines), "--output",
          str(tmp_path / "o3")], "no classification head"),
        (["embed", "--model", models["st_mean"], "--input", str(lines), "--output",
          str(tmp_path / "no" / "such" / "dir")], "parent directory"),
    ]
    for args, message in cases:
        r = run_job(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr, (args, r.stderr)
    # Through a symbolic link: the output would land inside the input directory.
    data = tmp_path / "data"
    data.mkdir()
    pq.write_table(pa.table({"text": pa.array(["a", "b"])}), str(data / "part.parquet"))
    (tmp_path / "link").symlink_to(data)
    r = run_job("embed", "--model", models["st_mean"], "--input", str(data), "--output", str(tmp_path / "link" / "out"))
    assert r.returncode == 2 and "overlaps the input" in r.stderr, r.stderr
    assert (existing / "keep.parquet").read_bytes() == b"user data"
    assert sorted(os.listdir(tmp_path)) == ["data", "existing", "in.txt", "link"]
    assert os.listdir(data) == ["part.parquet"]


def test_job_refuses_bad_rows_naming_them(models, tmp_path):
    bad_utf8 = tmp_path / "bad.txt"
    bad_utf8.write_bytes(b"fine\nbad \xff here\n")
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"text": "ok"}\n{"text": 3}\n', encoding="utf-8")
    not_json = tmp_path / "notjson.jsonl"
    not_json.write_text('{"text": "ok"}\n{oops\n', encoding="utf-8")
    dup = tmp_path / "dup.jsonl"
    dup.write_text('{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n', encoding="utf-8")
    nulls = tmp_path / "nulls.parquet"
    pq.write_table(pa.table({"text": pa.array(["a", None])}), str(nulls))
    numbers = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"text": pa.array([1, 2])}), str(numbers))
    nul = tmp_path / "nul.jsonl"
    nul.write_text('{"text": "ok"}\n{"text": "a\\u0000b"}\n', encoding="utf-8")
    surrogate = tmp_path / "surrogate.jsonl"
    surrogate.write_text('{"text": "ok"}\n{"text": "\\ud800"}\n', encoding="utf-8")
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"id": 5, "text": "a"}\n{"text": "b"}\n', encoding="utf-8")
    plain_json = tmp_path / "rows.json"
    plain_json.write_text('[{"text": "a"}]\n', encoding="utf-8")
    cases = [(bad_utf8, "bad.txt:2: not UTF-8"), (bad_json, "bad.jsonl:2: needs a string field"),
             (not_json, "notjson.jsonl:2: not a JSON object"), (dup, "not unique (id 1 appears 2 times)"),
             (nulls, "1 null values"), (numbers, "not strings"), (nul, "nul.jsonl:2: contains a NUL"),
             (surrogate, "surrogate.jsonl:2: not valid Unicode"),
             (mixed, "mixed.jsonl:2: has no field 'id', unlike the first row"),
             (plain_json, "a .json file is not read")]
    for k, (path, message) in enumerate(cases):
        out = tmp_path / ("out%d" % k)
        r = run_job("embed", "--model", models["st_mean"], "--input", str(path), "--output", str(out))
        assert r.returncode == 2, (path, r.stderr)
        assert message in r.stderr, (path, r.stderr)
        assert not out.exists()
    for extra, message in ((["--num-actors", "0"], "--num-actors must be at least 1"),
                           (["--id-column", "embedding"], "is a column the job writes"),
                           (["--text-column", "id"], "must differ"),
                           (["--device", "cuda"], "--device cuda needs --gpus-per-actor"),
                           (["--prompt", "nope"], "has no prompt 'nope'")):
        r = run_job("embed", "--model", models["st_mean"], "--input", str(tmp_path / "bad.txt"), "--output",
                    str(tmp_path / "o"), *extra)
        assert r.returncode == 2 and message in r.stderr, (extra, r.stderr)
        assert not (tmp_path / "o").exists()


def test_job_empty_input_gives_empty_output(models, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    r = run_job("embed", "--model", models["st_mean"], "--input", str(empty), "--output", str(out))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["rows"] == 0
    assert out.is_dir() and not os.listdir(out)
