#!/usr/bin/env bash
# The load test of `bte serve` (docs/BENCHMARKS.md, "bte serve"), on this
# machine only (127.0.0.1), bounded in time:
#   1. the model: the oracle's seeded random XLM-R base checkpoint (as
#      tools/bench_peers.py makes it; speed does not depend on the values),
#      converted to out/serve/base.bte;
#   2. the texts: the tutorial's big batch (its three texts, sent as one
#      request) and "mixed": multilingual texts of 1-8 joined lines from
#      tests/data/multilingual (seeded; 10-590 tokens, mean 130), one per request;
#   3. offline: `bte embed` on the same texts (the tutorial's batch repeated);
#   4. the server at 1, 8 and 64 clients for SECONDS_PER_LEVEL seconds each,
#      per workload (bte_serve_load: requests, errors, texts/s, tokens/s,
#      p50 / p90 / p99);
#   5. shape buckets off and on: one client sending mixed texts, a fresh
#      server each, the same time: what oneDNN's kernel builds for new batch
#      shapes cost on the request path.
# Usage: tools/bench_serve.sh   (after the Release build; ~6 minutes)
# Env: SECONDS_PER_LEVEL (default 20), THREADS (engine threads, default all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/serve
secs=${SECONDS_PER_LEVEL:-20}
threads=${THREADS:-0}
bte=./build/cli/bte
load=./build/bench/serve_load/bte_serve_load
[ -x "$bte" ] && [ -x "$load" ] || { echo "bench_serve: build first (cmake --build build)" >&2; exit 1; }
mkdir -p "$out"

if [ ! -f "$out/base.bte" ]; then
  rm -rf "$out/base_hf"
  /usr/bin/python3 tools/oracle/oracle.py checkpoint --seed 7 --spm tests/data/spm/unigram.model \
    --layers 12 --hidden 768 --heads 12 --ffn 3072 --max-positions 514 --num-labels 2 --out "$out/base_hf" >/dev/null
  "$bte" convert "$out/base_hf" -o "$out/base.bte" >/dev/null
fi

/usr/bin/python3 - "$out" <<'PY'
import glob, json, random, sys
out = sys.argv[1]
random.seed(1)
lines = []
for f in sorted(glob.glob("tests/data/multilingual/*.txt")):
    lines += [l.strip() for l in open(f, encoding="utf-8") if l.strip()]
random.shuffle(lines)
texts, i = [], 0
while len(texts) < 1000 and i < len(lines):
    k = random.randint(1, 8)
    texts.append(" ".join(lines[i:i + k]))
    i += k
open(f"{out}/mixed.txt", "w", encoding="utf-8").write("\n".join(texts) + "\n")
open(f"{out}/mixed-offline.txt", "w", encoding="utf-8").write("\n".join(texts[:400]) + "\n")
seed = json.load(open("../shared/seed/tutorial_inputs.json", encoding="utf-8"))
big = [t.replace("\n", " ") for t in seed["big_input_batch"]]
open(f"{out}/tutorial.txt", "w", encoding="utf-8").write("\n".join(big) + "\n")
open(f"{out}/tutorial-offline.txt", "w", encoding="utf-8").write("\n".join(big * 100) + "\n")
PY

echo "== machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F)"
echo "== offline: bte embed (packed, mean pooling)"
for wl in tutorial mixed; do
  line=$("$bte" embed -m "$out/base.bte" --pooling mean --threads "$threads" -f "$out/$wl-offline.txt" --verbose 2>&1 >/dev/null | grep 'texts,')
  echo "$wl: $line"
  echo "$line" > "$out/offline-$wl.txt"
done

# serve ARGS...: starts a server on a free port; sets $port and $pid.
serve() {
  "$bte" serve -m "$out/base.bte" --pooling mean --threads "$threads" --port 0 "$@" >"$out/serve.out" 2>"$out/serve.err" &
  pid=$!
  port=""
  for _ in $(seq 600); do
    port=$(grep -o '127.0.0.1:[0-9]*' "$out/serve.out" 2>/dev/null | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$out/serve.err" >&2; exit 1; }
}
stop() { kill -TERM "$pid"; wait "$pid"; tail -1 "$out/serve.err"; }
failed=0
trap '[ -n "${pid:-}" ] && kill -TERM "$pid" 2>/dev/null || true' EXIT

echo "== bte serve: 1, 8, 64 clients, $secs s each"
serve
echo "-- tutorial (3 texts a request)"
"$load" --port "$port" -f "$out/tutorial.txt" --texts-per-request 3 --clients 1,8,64 --seconds "$secs" --json "$out/load-tutorial.json" || failed=1
echo "-- mixed (1 text a request)"
"$load" --port "$port" -f "$out/mixed.txt" --clients 1,8,64 --seconds "$secs" --json "$out/load-mixed.json" || failed=1
stop

echo "== shape buckets: 1 client, mixed, a fresh server each, $((secs * 2)) s"
for b in off on; do
  serve --shape-buckets "$b"
  echo "-- --shape-buckets $b"
  "$load" --port "$port" -f "$out/mixed.txt" --clients 1 --seconds $((secs * 2)) --json "$out/buckets-$b.json" || failed=1
  stop
done
[ "$failed" = 0 ] || { echo "bench_serve: some requests failed (see above)" >&2; exit 1; }
