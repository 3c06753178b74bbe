#!/usr/bin/env bash
# The one-call GPU check (issue 6): on a machine with an NVIDIA GPU, the CUDA
# toolkit, CMake and a python3 that imports torch — and nothing else assumed:
# no network, no package installs — it configures and builds bte with CUDA,
# runs every [cuda] test, benchmarks the tutorial's workloads on the GPU in
# the three modes (fp32 and fp16) beside PyTorch's Better Transformer on the
# same weights and ids, and prints a short report last.
#
# Our Debian libraries are not on that machine: DEBS_DIR holds the Debian 12
# packages fetched beforehand here (tools/fetch-gpu-debs.sh); they are
# unpacked with dpkg -x (or ar + tar where dpkg is missing) into
# OUT_DIR/sysroot, never into /, and CMake is pointed at them.
#
# Usage: tools/gpu-check.sh DEBS_DIR [OUT_DIR]   (OUT_DIR default: build-gpu)
#   GPU_CHECK_ITERS=N      timed iterations per benchmark (default 20)
#   GPU_CHECK_SIZE=base    the model size benchmarked (tiny, base, large)
#   PYTHON=python3         the Python holding torch
#   GPU_CHECK_RESULTS=DIR  also copy the report, the test output, the log, a
#                          tarball of the benchmark JSON, nvidia-smi and the
#                          memcheck output there (6 files), each as it is made
#   GPU_CHECK_DEVICE=cuda  cpu rehearses the whole script on a machine without
#                          a GPU: same build, [cuda] tests skip, benchmarks run
#                          on the CPU in fp32 and bf16 (use GPU_CHECK_SIZE=tiny)
# Exit status: 0 when every [cuda] test passed (none skipped), 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
debs=${1:?usage: tools/gpu-check.sh DEBS_DIR [OUT_DIR]}
out=${2:-build-gpu}
iters=${GPU_CHECK_ITERS:-20}
size=${GPU_CHECK_SIZE:-base}
py=${PYTHON:-python3}
device=${GPU_CHECK_DEVICE:-cuda}
case $device in
  cuda) dtypes=(fp32 fp16) ;;
  cpu) dtypes=(fp32 bf16) ;;
  *) echo "gpu-check: GPU_CHECK_DEVICE must be cuda or cpu" >&2; exit 2 ;;
esac
mkdir -p "$out"
out=$(cd "$out" && pwd)
debs=$(cd "$debs" && pwd)
root=$out/sysroot
log=$out/gpu-check.log
: >"$log"
say() { printf '\n==== gpu-check: %s (%s)\n' "$*" "$(date -u +%H:%M:%S)" | tee -a "$log"; }
fail() { echo "gpu-check: $*" | tee -a "$log" >&2; exit 1; }

# Results worth keeping, copied as soon as each exists: a run killed at its
# time limit still leaves what it had.
keep() {
  [ -n "${GPU_CHECK_RESULTS:-}" ] || return 0
  mkdir -p "$GPU_CHECK_RESULTS" && cp "$@" "$log" "$GPU_CHECK_RESULTS/" 2>/dev/null || true
}

say "tools"
# The toolkit is not always on PATH (an image may keep it in /usr/local/cuda).
if ! command -v nvcc >/dev/null; then
  for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
    [ -x "$d/nvcc" ] && { export PATH=$d:$PATH; break; }
  done
fi
for t in cmake nvcc tar; do
  command -v "$t" >/dev/null || fail "$t not found on PATH"
done
command -v c++ >/dev/null || command -v g++ >/dev/null || fail "no C++ compiler (c++ or g++) on PATH"
"$py" -c "import torch, numpy, safetensors, sentencepiece" 2>>"$log" ||
  fail "$py cannot import torch, numpy, safetensors and sentencepiece (set PYTHON)"
{ cmake --version | head -1; nvcc --version | tail -2 | head -1; { c++ --version || g++ --version; } 2>/dev/null | head -1; } | tee -a "$log"

say "GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee -a "$log" ||
  echo "nvidia-smi failed" | tee -a "$log"
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d .)
arch=${cc:-90}

say "unpacking $(ls "$debs"/*.deb | wc -l) packages into $root"
mkdir -p "$root"
for f in "$debs"/*.deb; do
  if command -v dpkg >/dev/null; then
    dpkg -x "$f" "$root" || fail "dpkg -x $f failed"
  else  # a .deb is an ar archive holding data.tar.*
    tmp=$(mktemp -d)
    (cd "$tmp" && ar x "$f" && tar -xf data.tar.* -C "$root") || fail "unpacking $f failed"
    rm -rf "$tmp"
  fi
done
lib=$root/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PKG_CONFIG_PATH=$lib/pkgconfig:$root/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$root

say "configure (sm_$arch) and build"
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S . -B "$out/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DBTE_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$arch" -DBTE_BUILD_BENCH=ON -DCMAKE_PREFIX_PATH="$root/usr" \
  -DCMAKE_LIBRARY_PATH="$lib" >>"$log" 2>&1 || { tail -40 "$log"; fail "configure failed"; }
cmake --build "$out/build" -j"$(nproc)" --target bte bte_tests bench_kernels_cuda >>"$log" 2>&1 ||
  { tail -60 "$log"; fail "build failed"; }
bte=$out/build/cli/bte

say "[cuda] tests"
# Each case in its own process, under a time limit: a kernel that faults
# leaves a sticky error that would fail every later case of the process, and
# one that hangs would take the whole call. A failed case runs again with
# CUDA_LAUNCH_BLOCKING=1, so that the fault is reported at its launch.
tests=$out/build/tests/bte_tests
: >"$out/cuda-tests.txt"
mapfile -t cases < <("$tests" "[cuda]" --list-test-names-only | grep -v '^[[:space:]]*$')
for c in "${cases[@]}"; do
  spec=$(printf '%s' "$c" | sed 's/[],[\\]/\\&/g')  # Catch2 spec: escape , [ ] \
  printf '\n---- %s\n' "$c" >>"$out/cuda-tests.txt"
  timeout 240 "$tests" "$spec" --skip-exit-code --durations yes >>"$out/cuda-tests.txt" 2>&1
  rc=$?
  case $rc in
    0) echo "  pass  $c" ;;
    77) echo "  SKIP  $c" ;;
    *) echo "  FAIL  $c (exit $rc$([ $rc -eq 124 ] && echo ', timed out'))"
       printf '\n---- again with CUDA_LAUNCH_BLOCKING=1: %s\n' "$c" >>"$out/cuda-tests.txt"
       CUDA_LAUNCH_BLOCKING=1 timeout 240 "$tests" "$spec" >>"$out/cuda-tests.txt" 2>&1 ;;
  esac
done | tee -a "$log"
passed=$(grep -c '^  pass' "$log"); failed=$(grep -c '^  FAIL' "$log"); skipped=$(grep -c '^  SKIP' "$log")
summary="$passed passed, $failed failed, $skipped skipped of ${#cases[@]} cases"
[ "$failed" -gt 0 ] && summary+="; failed: $(grep '^  FAIL' "$log" | sed 's/^  FAIL  //' | paste -sd ';' -)"
[ "$skipped" -gt 0 ] && summary+="; skipped because: $(grep -h '^SKIPPED' "$out/cuda-tests.txt" | tail -1 | sed 's/^[^:]*: //')"
tests_ok=0
[ "${#cases[@]}" -gt 0 ] && [ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ] && tests_ok=1  # all skipped is no pass
echo "[cuda] tests: $summary" | tee -a "$log"
keep "$out/cuda-tests.txt"

say "benchmarks: XLM-R $size (oracle weights, seed 7), tutorial workloads, $iters iterations"
ckpt=$out/${size}_hf
model=$out/$size.bte
case $size in
  tiny) shape=(--layers 2 --hidden 64 --heads 4 --ffn 128) ;;
  base) shape=(--layers 12 --hidden 768 --heads 12 --ffn 3072) ;;
  large) shape=(--layers 24 --hidden 1024 --heads 16 --ffn 4096) ;;
  *) fail "GPU_CHECK_SIZE must be tiny, base or large" ;;
esac
if [ ! -f "$model" ]; then
  "$py" tools/oracle/oracle.py checkpoint --seed 7 --spm tests/data/spm/unigram.model "${shape[@]}" \
    --max-positions 514 --num-labels 2 --out "$ckpt" >>"$log" 2>&1 || fail "oracle checkpoint failed"
  "$bte" convert "$ckpt" -o "$model" >>"$log" 2>&1 || fail "bte convert failed"
fi
mkdir -p "$out/bench"
for wl in seed-small seed-big mixed full; do
  for dt in "${dtypes[@]}"; do
    extra=()
    [ "$dt" = fp32 ] && extra=(--dump-ids "$out/bench/$wl.ids.json" --dump-logits "$out/bench/$wl.logits.json")
    timeout 180 "$bte" bench -m "$model" --device "$device" --dtype "$dt" --workload "$wl" --mode all \
      --iters "$iters" --warmup 3 --json "${extra[@]}" >"$out/bench/bte-$wl-$dt.json" 2>>"$log" ||
      echo "bte bench $wl $dt failed" | tee -a "$log"
  done
  timeout 180 "$py" tools/bench_torch_gpu.py --checkpoint "$ckpt" --ids "$out/bench/$wl.ids.json" \
    --logits "$out/bench/$wl.logits.json" --iters "$iters" --device "$device" \
    --dtypes "$(IFS=,; echo "${dtypes[*]}")" >"$out/bench/torch-$wl.json" 2>>"$log" ||
    echo "PyTorch on $wl failed (see $log)" | tee -a "$log"
done
timeout 120 "$bte" bench -m "$model" --device "$device" --dtype "${dtypes[1]}" --workload seed-big --mode all \
  --iters "$iters" --profile >"$out/bench/profile-seed-big-${dtypes[1]}.txt" 2>>"$log" || true

say "kernel microbenchmarks (bench_kernels_cuda)"
timeout 180 "$out/build/bench/bench_kernels_cuda" --benchmark_min_time=0.05 >"$out/bench/kernels.txt" 2>>"$log" ||
  echo "bench_kernels_cuda failed" | tee -a "$log"
grep -E "Attention.*/(0|256|512)/12|CopyBandwidth|Linear.*/4096/(2304|3072)/768" "$out/bench/kernels.txt" | head -30

say "report"
"$py" - "$out/bench" "${gpu_name:-none ($device rehearsal)}" "$summary" "${dtypes[@]}" <<'PY' | tee "$out/report.txt"
import json, os, sys
d, gpu, summary, dtypes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
print(f"GPU: {gpu}")
print(f"[cuda] tests: {summary or 'no summary (see cuda-tests.txt)'}")
print(f"{'workload':11} {'engine':24} {'dtype':5} {'median ms':>10} {'tokens/s':>12} {'vs ref':>7} {'max|dlogit|':>11}")
for wl in ["seed-small", "seed-big", "mixed", "full"]:
    real = ref_ms = None
    for dt in dtypes:
        p = os.path.join(d, f"bte-{wl}-{dt}.json")
        try:
            b = json.load(open(p))
        except Exception as e:
            print(f"{wl:11} bte {dt}: MISSING ({e})")
            continue
        real = b["workload"]["real_tokens"]
        for m in b["modes"]:
            if m["mode"] == "reference":  # always fp32: shown once, the speed-ups are against it
                if ref_ms is not None:
                    continue
                ref_ms = m["median_ms"]
            print(f"{wl:11} {'bte ' + m['mode']:24} {'fp32' if m['mode'] == 'reference' else dt:5} "
                  f"{m['median_ms']:10.3f} {real / m['median_ms'] * 1e3:12.0f} "
                  f"{(ref_ms or float('nan')) / m['median_ms']:6.2f}x")
    try:
        t = json.load(open(os.path.join(d, f"torch-{wl}.json")))
        for r in t["rows"]:
            tps = real / r["median_ms"] * 1e3 if real else float("nan")
            print(f"{wl:11} {r['engine']:24} {r['dtype']:5} {r['median_ms']:10.3f} {tps:12.0f} "
                  f"{(ref_ms or float('nan')) / r['median_ms']:6.2f}x {r['max_abs_logit_diff']:11.2e}")
    except Exception as e:
        print(f"{wl:11} PyTorch: MISSING ({e})")
# The issue's bar: on the tutorial's big batch, packed beats fused and reference.
try:
    for dt in dtypes:
        ms = {m["mode"]: m["median_ms"] for m in json.load(open(os.path.join(d, f"bte-seed-big-{dt}.json")))["modes"]}
        ok = ms["packed"] < ms["fused"] and ms["packed"] < ms["reference"]
        print(f"seed-big {dt}: packed {ms['packed']:.3f} ms, fused {ms['fused']:.3f}, reference "
              f"{ms['reference']:.3f}: packed fastest: {'yes' if ok else 'NO'}")
except Exception as e:
    print(f"seed-big verdict: MISSING ({e})")
# At the benchmarked size the only oracle is PyTorch fp32 on the same weights and ids.
worst = []
for wl in ["seed-small", "seed-big", "mixed", "full"]:
    try:
        worst += [r["max_abs_logit_diff"] for r in json.load(open(os.path.join(d, f"torch-{wl}.json")))["rows"]
                  if r["dtype"] == "fp32"]
    except Exception:
        pass  # shown as MISSING above
if worst:
    print(f"bte packed fp32 logits vs PyTorch fp32, every workload: max |diff| {max(worst):.2e} "
          f"(within 1e-4: {'yes' if max(worst) <= 1e-4 else 'NO'})")
PY
(cd "$out" && tar -czf bench.tar.gz bench)
nvidia-smi >"$out/nvidia-smi.txt" 2>&1 || true
keep "$out/report.txt" "$out/bench.tar.gz" "$out/nvidia-smi.txt"

# Last, under a time limit (it is slow, and the results above are kept):
# compute-sanitizer's memcheck over the kernel cases, where the machine has it.
if [ "$device" = cuda ] && command -v compute-sanitizer >/dev/null; then
  say "compute-sanitizer memcheck on [cuda][kernels]"
  timeout "${GPU_CHECK_SANITIZER_S:-150}" compute-sanitizer --tool memcheck --error-exitcode 9 \
    "$tests" "[cuda][kernels]" >"$out/memcheck.txt" 2>&1
  echo "memcheck: exit $? ($(grep -c 'Invalid\|ERROR SUMMARY: [1-9]' "$out/memcheck.txt") error lines; 124 = out of time)" |
    tee -a "$log" "$out/report.txt"
  keep "$out/memcheck.txt" "$out/report.txt"
fi
say "done: logs and JSON in $out"
keep
[ "$tests_ok" -eq 1 ] || exit 1
