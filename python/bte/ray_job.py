"""python -m bte.ray_job {embed|classify} --model M --input PATH --output DIR --num-actors N

Runs bte over a file of texts on a Ray cluster (an existing one with
--address auto or an address, else a local one started for the job) and
writes Parquet files to DIR, one row per input row, each with its input
row's id:

  input  text lines (.txt, any other name): one text per line, id = line number from 0
         JSON lines (.jsonl): objects with the text column and, optionally, the id column
         Parquet (.parquet file or a directory of them): the text column and, optionally, the id column
  output DIR/*.parquet: id, then "embedding" (float32 list) or "label", "score", "scores"

DIR must not exist: the job writes to DIR.tmp-*, checks that every input id
is there exactly once, and only then renames it to DIR. A failed job leaves
no DIR. The model path must name the same file on every node (docs/SCALE.md).
The last line on stdout is a JSON summary: rows, seconds (all of it, the
cluster's start included), run_seconds (reading the input, and handing
it to Ray up to the verified output: the cluster's start left out) and rows_per_s (rows / run_seconds).
"""
import argparse
import json
import os
import shutil
import sys
import time
import uuid

import numpy as np

from . import BteError, Model
from .ray import ACTOR_RETRIES, TASKS, BteMapper

ROWS_PER_BLOCK = 4096  # text and JSONL inputs become Ray blocks of this many rows


class JobError(Exception):
    """A failure the user can fix; printed as one line, exit status 2."""


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bte.ray_job", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("task", choices=TASKS)
    p.add_argument("--model", required=True, help="the .bte model (same path on every node)")
    p.add_argument("--input", required=True, help="text lines, .jsonl, or .parquet (file or directory)")
    p.add_argument("--output", required=True, help="a directory that does not exist yet")
    p.add_argument("--num-actors", type=int, default=1, help="model replicas (default 1)")
    p.add_argument("--threads-per-actor", type=int, default=1,
                   help="CPU threads (and Ray CPUs) per actor (default 1)")
    p.add_argument("--gpus-per-actor", type=float, default=0, help="with --device cuda: 1 per actor")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--dtype", choices=("fp32", "bf16", "fp16"), default="fp32")
    p.add_argument("--batch-size", type=int, default=256, help="rows per batch sent to an actor (default 256)")
    p.add_argument("--address", default=None,
                   help="an existing cluster: 'auto' or host:port (default: start a local one)")
    p.add_argument("--text-column", default="text")
    p.add_argument("--id-column", default="id")
    p.add_argument("--keep-text", action="store_true", help="copy the text column to the output")
    p.add_argument("--pooling", choices=("cls", "mean", "max"), help="embed: override the model's pooling")
    norm = p.add_mutually_exclusive_group()
    norm.add_argument("--normalize", dest="normalize", action="store_true", default=None)
    norm.add_argument("--no-normalize", dest="normalize", action="store_false")
    p.add_argument("--prompt", help="embed: one of the model's prompt names ('' for none)")
    a = p.parse_args(argv)
    for name in ("num_actors", "threads_per_actor", "batch_size"):
        if getattr(a, name) < 1:
            p.error("--%s must be at least 1" % name.replace("_", "-"))
    if a.task == "classify" and (a.pooling or a.normalize is not None or a.prompt is not None):
        p.error("--pooling, --normalize and --prompt are for embed")
    return a


def check_paths(a):
    """Refuses what would lose data or cannot work, before Ray starts."""
    for what, path in (("model", a.model), ("input", a.input)):
        if not os.path.exists(path):
            raise JobError("%s %s does not exist" % (what, path))
    out = os.path.abspath(a.output)
    if os.path.lexists(out):
        raise JobError("output %s already exists; bte.ray_job writes a new directory and never replaces one" % a.output)
    for what, path in (("model", a.model), ("input", a.input)):
        p = os.path.abspath(path)
        if out == p or p.startswith(out + os.sep) or out.startswith(p + os.sep):
            raise JobError("output %s overlaps the %s %s" % (a.output, what, path))
    parent = os.path.dirname(out)
    if not os.path.isdir(parent):
        raise JobError("the output's parent directory %s does not exist" % parent)


def input_kind(path):
    if os.path.isdir(path) or path.endswith(".parquet"):
        return "parquet"
    if path.endswith(".jsonl"):
        return "jsonl"
    return "text"


def read_lines(path):
    """The texts of a file of lines, as `bte embed -f` reads them: split on
    '\\n', a '\\r' before it dropped, no empty last line after a final '\\n'."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    texts = []
    for i, line in enumerate(lines):
        if line.endswith(b"\r"):
            line = line[:-1]
        try:
            texts.append(line.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise JobError("%s:%d: not UTF-8 (byte %d)" % (path, i + 1, e.start)) from None
        if "\0" in texts[-1]:
            raise JobError("%s:%d: contains a NUL character" % (path, i + 1))
    return texts


def read_jsonl(path, text_column, id_column):
    ids, texts = [], []
    with open(path, "rb") as f:
        for i, raw in enumerate(f):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as e:
                raise JobError("%s:%d: not a JSON object: %s" % (path, i + 1, e)) from None
            if not isinstance(row, dict) or not isinstance(row.get(text_column), str):
                raise JobError("%s:%d: needs a string field %r" % (path, i + 1, text_column))
            rid = row.get(id_column, i)
            if not isinstance(rid, int) or isinstance(rid, bool):
                raise JobError("%s:%d: field %r must be an integer" % (path, i + 1, id_column))
            ids.append(rid)
            texts.append(row[text_column])
    return ids, texts


def read_input(a):
    """The input as an Arrow table (id: int64, text: string) and its ids;
    read on the driver, so a bad row fails the job before any work, naming it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    kind = input_kind(a.input)
    if kind == "parquet":
        try:
            table = pq.read_table(a.input)
        except (OSError, pa.ArrowException) as e:
            raise JobError("%s: cannot read as Parquet: %s" % (a.input, e)) from None
        if a.text_column not in table.column_names:
            raise JobError("%s has no column %r (columns: %s)"
                           % (a.input, a.text_column, ", ".join(table.column_names)))
        texts = table.column(a.text_column)
        if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
            raise JobError("%s: column %r is %s, not strings" % (a.input, a.text_column, texts.type))
        if texts.null_count:
            raise JobError("%s: column %r has %d null values" % (a.input, a.text_column, texts.null_count))
        if a.id_column in table.column_names:
            ids = table.column(a.id_column)
            if not pa.types.is_integer(ids.type) or ids.null_count:
                raise JobError("%s: column %r must be integers without nulls, is %s"
                               % (a.input, a.id_column, ids.type))
            ids = ids.to_numpy().astype(np.int64)
        else:
            ids = np.arange(table.num_rows, dtype=np.int64)
        texts = texts.combine_chunks().cast(pa.string())
        for i, t in enumerate(texts.to_pylist()):
            if "\0" in t:
                raise JobError("%s: row %d (id %d): contains a NUL character" % (a.input, i, ids[i]))
    else:
        if kind == "jsonl":
            ids, texts = read_jsonl(a.input, a.text_column, a.id_column)
        else:
            texts = read_lines(a.input)
            ids = range(len(texts))
        ids = np.asarray(ids, dtype=np.int64)
        texts = pa.array(texts, type=pa.string())
    if len(np.unique(ids)) != len(ids):
        raise JobError("%s: the ids in column %r are not unique" % (a.input, a.id_column))
    return pa.table({a.id_column: pa.array(ids, type=pa.int64()), a.text_column: texts}), ids


def to_dataset(ray, table):
    blocks = [table.slice(i, ROWS_PER_BLOCK) for i in range(0, max(table.num_rows, 1), ROWS_PER_BLOCK)]
    return ray.data.from_arrow(blocks)


def verify(out_dir, id_column, want_ids):
    """Every input id in the output exactly once."""
    import pyarrow.parquet as pq

    got = pq.read_table(out_dir, columns=[id_column]).column(id_column).to_numpy()
    if len(got) != len(want_ids):
        raise JobError("the output has %d rows for %d input rows" % (len(got), len(want_ids)))
    if not np.array_equal(np.sort(got), np.sort(np.asarray(want_ids))):
        raise JobError("the output's ids differ from the input's (%d rows)" % len(got))
    return len(got)


def run(a):
    check_paths(a)
    # Load once here: a bad model or option fails before the cluster starts.
    with Model(a.model) as m:
        if a.task == "classify" and not m.labels:
            raise JobError("%s has no classification head (a bare encoder): use embed" % a.model)

    started = time.perf_counter()
    table, ids = read_input(a)
    read_seconds = time.perf_counter() - started
    if not len(ids):  # nothing to do: an empty result, and no cluster
        os.mkdir(a.output)
        return summary(a, 0, time.perf_counter() - started, read_seconds)
    import ray

    ray.init(address=a.address, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR", configure_logging=True)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.execution_options.preserve_order = False
    running = time.perf_counter()
    ds = to_dataset(ray, table)
    options = {}
    if a.task == "embed":
        options = {k: v for k, v in (("pooling", a.pooling), ("normalize", a.normalize),
                                     ("prompt", a.prompt)) if v is not None}
    mapped = ds.map_batches(
        BteMapper,
        fn_constructor_kwargs=dict(model=os.path.abspath(a.model), task=a.task, text_column=a.text_column,
                                   id_column=a.id_column, keep_text=a.keep_text, device=a.device,
                                   dtype=a.dtype, threads=a.threads_per_actor, **options),
        compute=ray.data.ActorPoolStrategy(size=a.num_actors),
        num_cpus=a.threads_per_actor, num_gpus=a.gpus_per_actor or None,
        batch_size=a.batch_size, batch_format="numpy", scheduling_strategy="SPREAD", **ACTOR_RETRIES)
    tmp = "%s.tmp-%s" % (os.path.abspath(a.output), uuid.uuid4().hex[:12])
    try:
        mapped.write_parquet(tmp)
        rows = verify(tmp, a.id_column, ids)
        os.rename(tmp, a.output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        ray.shutdown()  # Ray's own messages end here, before the summary line
    done = time.perf_counter()
    return summary(a, rows, done - started, read_seconds + (done - running))


def summary(a, rows, seconds, run_seconds):
    return {"task": a.task, "rows": rows, "seconds": round(seconds, 3),
            "run_seconds": round(run_seconds, 3),
            "rows_per_s": round(rows / run_seconds, 1) if run_seconds > 0 else None,
            "num_actors": a.num_actors, "threads_per_actor": a.threads_per_actor,
            "output": a.output}


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        summary = run(a)
    except (JobError, BteError) as e:
        print("bte.ray_job: error: %s" % e, file=sys.stderr)
        return 2
    except Exception as e:  # a failure inside Ray: the output was not written
        print("bte.ray_job: error: the job failed (%s: %s); no output was written"
              % (type(e).__name__, str(e).strip().splitlines()[-1] if str(e).strip() else ""), file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
