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
import signal
import sys
import time
import uuid

import numpy as np

from . import BteError, Model
from .ray import ACTOR_RETRIES, TASKS, BteMapper

MAX_BLOCK_ROWS = 4096  # the input goes to Ray in blocks of at most this many rows


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
    p.add_argument("--dtype", choices=("auto", "fp32", "bf16", "fp16", "int8"), default="auto")
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
    if a.device == "cuda" and a.gpus_per_actor <= 0:
        p.error("--device cuda needs --gpus-per-actor (1 gives each actor a GPU of its own)")
    if a.text_column == a.id_column:
        p.error("--text-column and --id-column must differ")
    reserved = {"embedding", "label", "score", "scores"}
    for flag, name in (("--text-column", a.text_column), ("--id-column", a.id_column)):
        if name in reserved:
            p.error("%s %r is a column the job writes (%s)" % (flag, name, ", ".join(sorted(reserved))))
    return a


def check_paths(a):
    """Refuses what would lose data or cannot work, before Ray starts."""
    for what, path in (("model", a.model), ("input", a.input)):
        if not os.path.exists(path):
            raise JobError("%s %s does not exist" % (what, path))
    out = os.path.abspath(a.output)
    if os.path.lexists(out):
        raise JobError("output %s already exists; bte.ray_job writes a new directory and never replaces one" % a.output)
    parent = os.path.dirname(out)
    # Through symbolic links too: the output's real place against the inputs' real places.
    real_out = os.path.join(os.path.realpath(parent), os.path.basename(out))
    for what, path in (("model", a.model), ("input", a.input)):
        p = os.path.realpath(path)
        if real_out == p or p.startswith(real_out + os.sep) or real_out.startswith(p + os.sep):
            raise JobError("output %s overlaps the %s %s" % (a.output, what, path))
    if not os.path.isdir(parent):
        raise JobError("the output's parent directory %s does not exist" % parent)


def input_kind(path):
    if os.path.isdir(path) or path.endswith(".parquet"):
        return "parquet"
    if path.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if path.endswith(".json"):
        raise JobError("%s: a .json file is not read; give JSON lines (.jsonl: one object per line), "
                       "Parquet or a file of text lines" % path)
    return "text"


def check_text(t, where):
    """A text bte's C API can take: no NUL, encodable as UTF-8 (no lone surrogate)."""
    if "\0" in t:
        raise JobError("%s: contains a NUL character" % where)
    try:
        t.encode("utf-8")
    except UnicodeEncodeError as e:
        raise JobError("%s: not valid Unicode text (%s at character %d)" % (where, e.reason, e.start)) from None


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
        check_text(texts[-1], "%s:%d" % (path, i + 1))
    return texts


def read_jsonl(path, text_column, id_column):
    """Every row has the id field or none does (then id = line number from 0):
    a mix could make a line number collide with a given id."""
    ids, texts = [], []
    given = None  # whether the rows carry ids, set by the first row
    with open(path, "rb") as f:
        for i, raw in enumerate(f):
            if not raw.strip():
                continue
            where = "%s:%d" % (path, i + 1)
            try:
                row = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as e:
                raise JobError("%s: not a JSON object: %s" % (where, e)) from None
            if not isinstance(row, dict) or not isinstance(row.get(text_column), str):
                raise JobError("%s: needs a string field %r" % (where, text_column))
            has = id_column in row
            if given is None:
                given = has
            elif has != given:
                raise JobError("%s: %s field %r, unlike the first row; give an id on every row or on none"
                               % (where, "has a" if has else "has no", id_column))
            rid = row[id_column] if has else i
            if not isinstance(rid, int) or isinstance(rid, bool) or not -2**63 <= rid < 2**63:
                raise JobError("%s: field %r must be an integer (64-bit)" % (where, id_column))
            check_text(row[text_column], where)
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
            ids = ids.to_numpy()
            if ids.dtype == np.uint64 and len(ids) and ids.max() >= 2**63:
                raise JobError("%s: column %r holds ids of 2^63 or more; the output's ids are int64"
                               % (a.input, a.id_column))
            ids = ids.astype(np.int64)
        else:
            ids = np.arange(table.num_rows, dtype=np.int64)
        texts = texts.combine_chunks().cast(pa.string())
        for i, t in enumerate(texts.to_pylist()):
            check_text(t, "%s: row %d (id %d)" % (a.input, i, ids[i]))
    else:
        if kind == "jsonl":
            ids, texts = read_jsonl(a.input, a.text_column, a.id_column)
        else:
            texts = read_lines(a.input)
            ids = range(len(texts))
        ids = np.asarray(ids, dtype=np.int64)
        texts = pa.array(texts, type=pa.string())
    uniq, counts = np.unique(ids, return_counts=True)
    if len(uniq) != len(ids):
        raise JobError("%s: the ids in column %r are not unique (id %d appears %d times)"
                       % (a.input, a.id_column, uniq[counts > 1][0], counts[counts > 1][0]))
    return pa.table({a.id_column: pa.array(ids, type=pa.int64()), a.text_column: texts}), ids


def to_dataset(ray, table, num_actors, batch_size):
    """Ray Data hands a block to one actor at a time: at least 4 blocks per
    actor keep every actor busy to the end, blocks of at least one batch keep
    the batches whole."""
    rows = table.num_rows
    block = max(batch_size, -(-rows // (4 * num_actors)))
    block = min(block, max(MAX_BLOCK_ROWS, batch_size))
    return ray.data.from_arrow([table.slice(i, block) for i in range(0, rows, block)])


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
        if a.prompt:
            known = m.info["prompts"]
            if a.prompt not in known:
                raise JobError("%s has no prompt %r (it has: %s)"
                               % (a.model, a.prompt, ", ".join(sorted(known)) or "none"))

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
    ds = to_dataset(ray, table, a.num_actors, a.batch_size)
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
    ok = False
    try:
        mapped.write_parquet(tmp)
        rows = verify(tmp, a.id_column, ids)
        if os.path.lexists(a.output):  # made while the job ran: still never replaced
            raise JobError("output %s appeared while the job ran; the result is not moved there" % a.output)
        os.rename(tmp, a.output)
        ok = True
    finally:
        # Ray first (its messages end here, before the summary line; no
        # cancelled write task is left to add files), then the temporary.
        ray.shutdown()
        if not ok:
            shutil.rmtree(tmp, ignore_errors=True)
    done = time.perf_counter()
    return summary(a, rows, done - started, read_seconds + (done - running))


def summary(a, rows, seconds, run_seconds):
    return {"task": a.task, "rows": rows, "seconds": round(seconds, 3),
            "run_seconds": round(run_seconds, 3),
            "rows_per_s": round(rows / run_seconds, 1) if run_seconds > 0 else None,
            "num_actors": a.num_actors, "threads_per_actor": a.threads_per_actor,
            "output": a.output}


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # runs the cleanup of run(): no temporary is left


def main(argv=None):
    signal.signal(signal.SIGTERM, _terminate)
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
