"""Throughput of bte from the CLI, the Python API and a Ray job, on the same
texts, model and machine, one run side by side (docs/SCALE.md).

    /usr/bin/python3 -m venv --system-site-packages build/venv-ray
    build/venv-ray/bin/pip install -r python/requirements-ray.txt ./python
    BTE_LIBRARY=$PWD/build/engine/libbte.so build/venv-ray/bin/python tools/bench_ray.py [--rows 20000] [--repeats 3]

The model: a seeded random MiniLM-shaped XLM-R encoder (6 layers, d 384,
12 heads, ffn 1536, the test sentencepiece vocabulary) made by
tools/oracle/oracle.py with Debian's PyTorch and converted by `bte convert`.
The texts: tests/data/corpus.txt's lines, cycled to --rows, each made unique
by a suffix. Each figure is the median of --repeats runs; the Ray job's is its
run_seconds (reading the input to the verified output; the cluster's start
is reported apart). Nothing here runs in CI.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(REPO, "build", "cli", "bte")
os.environ.setdefault("BTE_LIBRARY", os.path.join(REPO, "build", "engine", "libbte.so"))
sys.path.insert(0, os.path.join(REPO, "python"))

import bte  # noqa: E402


def make_model(work):
    ckpt = os.path.join(work, "ckpt")
    subprocess.run(["/usr/bin/python3", os.path.join(REPO, "tools", "oracle", "oracle.py"), "checkpoint",
                    "--layers", "6", "--hidden", "384", "--heads", "12", "--ffn", "1536",
                    "--encoder-only", "--out", ckpt], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    model = os.path.join(work, "minilm.bte")
    subprocess.run([CLI, "convert", ckpt, "-o", model], check=True, stdout=subprocess.DEVNULL)
    return model


def make_texts(work, rows):
    with open(os.path.join(REPO, "tests", "data", "corpus.txt"), encoding="utf-8") as f:
        base = [l.rstrip("\n") for l in f if l.strip()]
    texts = ["%s #%d" % (base[i % len(base)], i) for i in range(rows)]
    path = os.path.join(work, "texts.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(t + "\n" for t in texts)
    return path, texts


def timed(fn, repeats):
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = fn()
        runs.append(r if isinstance(r, float) else time.perf_counter() - t0)
    return statistics.median(runs), runs


def machine_line():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return "%s, %d cores, %s" % (cpu, os.cpu_count(), platform.platform())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()

    import ray
    from ray.cluster_utils import Cluster

    work = tempfile.mkdtemp(prefix="bte-bench-ray-")
    model = make_model(work)
    path, texts = make_texts(work, args.rows)
    n, T = args.rows, args.threads
    results = []

    def cli():
        subprocess.run([CLI, "embed", "-m", model, "-f", path, "--threads", str(T), "--format", "npy",
                        "-o", os.path.join(work, "cli.npy")], check=True, stderr=subprocess.DEVNULL)

    med, runs = timed(cli, args.repeats)
    results.append(("CLI `bte embed --threads %d`" % T, med, runs))
    cli_rate = n / med

    with bte.Model(model, threads=T) as m:
        m.embed(texts[:64])
        def api():
            m.embed(texts, batch_size=4096)

        med, runs = timed(api, args.repeats)
        results.append(("Python `Model(threads=%d).embed`" % T, med, runs))

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": T, "include_dashboard": False,
                                                             "object_store_memory": 256 * 2**20})
    cluster.add_node(num_cpus=T, object_store_memory=256 * 2**20)
    cluster.wait_for_nodes()
    start_note = None
    k = 0
    for actors, threads in ((T, 1), (1, T)):
        def job():
            nonlocal k, start_note
            k += 1
            out = os.path.join(work, "out%d" % k)
            r = subprocess.run([sys.executable, "-m", "bte.ray_job", "embed", "--model", model, "--input", path,
                                "--output", out, "--num-actors", str(actors), "--threads-per-actor", str(threads),
                                "--batch-size", "512", "--address", cluster.address],
                               capture_output=True, text=True, check=True)
            s = json.loads(r.stdout.strip().splitlines()[-1])
            assert s["rows"] == n, s
            start_note = s["seconds"] - s["run_seconds"]
            return float(s["run_seconds"])

        med, runs = timed(job, args.repeats)
        results.append(("Ray job, 2 nodes, %d actor(s) x %d thread(s)" % (actors, threads), med, runs))
    cluster.shutdown()

    print("machine: %s" % machine_line())
    print("date: %s; ray %s; %d rows; model MiniLM-shaped XLM-R (6 x 384, 12 heads, ffn 1536), fp32, packed"
          % (time.strftime("%Y-%m-%d"), ray.__version__, n))
    print("command: BTE_LIBRARY=$PWD/build/engine/libbte.so build/venv-ray/bin/python tools/bench_ray.py --rows %d "
          "--repeats %d" % (n, args.repeats))
    print()
    print("| path | median s | rows/s | vs CLI | runs (s) |")
    print("|---|---:|---:|---:|---|")
    for name, med, runs in results:
        print("| %s | %.2f | %.0f | %.2fx | %s |" % (name, med, n / med, (n / med) / cli_rate,
                                                     ", ".join("%.2f" % r for r in runs)))
    print()
    print("Ray job: connecting the driver and starting the job took %.1f s more (last run), not counted above."
          % (start_note or 0))


if __name__ == "__main__":
    main()
