#!/usr/bin/env bash
# Builds and runs every test bte has, in stages (docs/RELIABILITY.md):
#   main   Release build (g++, CUDA where nvcc is), the whole ctest suite
#          ([cuda] cases skip visibly without a GPU)
#   python the Python package (python/) installed into a virtual environment
#          over Debian's numpy and pytest, with Ray from PyPI
#          (python/requirements-ray.txt); its pytest suite against the main
#          build's libbte and CLI, bte.ray's on a two-node local Ray cluster
#   asan   AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer):
#          the whole suite again with BTE_TEST_QUICK=1 (the same cases,
#          fewer repetitions; bte's CUDA kernels run in their CPU emulation,
#          bte_cuda_emu_tests)
#   tsan   ThreadSanitizer on the concurrency tests ([concurrency]) and on
#          the CUDA kernels' CPU emulation (bte_cuda_emu_tests), quick too
#   fuzz   the libFuzzer targets (clang), BTE_FUZZ_SECONDS each (default 30;
#          longer runs for local use: BTE_FUZZ_SECONDS=600), from the
#          committed corpus plus real files
# Usage: tools/test.sh [STAGE...]   (default: all five, in that order)
# Any failure stops the script with a non-zero status; the end prints each
# stage's time.
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(main python asan tsan fuzz)
jobs=$(nproc)
fuzz_seconds=${BTE_FUZZ_SECONDS:-30}
fuzz_targets=(fuzz_bte_file fuzz_safetensors fuzz_tokenizer fuzz_wordpiece fuzz_line_reader)
stage_times=()   # "stage seconds", printed at the end
start_all=$(date +%s)

say() { printf '\n==== tools/test.sh: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

stage_main() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j"$jobs"
  ctest --test-dir build --output-on-failure -j"$jobs" --timeout 900
}

stage_python() {
  [ -f build/engine/libbte.so ] && [ -x build/cli/bte ] ||
    { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j"$jobs" --target bte bte_shared; }
  local venv=build/venv-python
  rm -rf "$venv"
  # Debian's python, where the apt packages are (a python3 earlier on PATH may not see them)
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install -q --no-build-isolation --no-deps --no-index ./python
  # Ray (bte.ray's tests start a two-node cluster on 127.0.0.1) from PyPI, pinned
  "$venv/bin/pip" install -q --disable-pip-version-check -r python/requirements-ray.txt
  "$venv/bin/python" -c 'import sys, numpy, pytest, ray, pyarrow; print("python", sys.version.split()[0], "numpy", numpy.__version__, "pytest", pytest.__version__, "ray", ray.__version__, "pyarrow", pyarrow.__version__)'
  BTE_LIBRARY="$PWD/build/engine/libbte.so" BTE_CLI="$PWD/build/cli/bte" \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests
}

# Sanitizer reports stop the program (halt_on_error, no UB recovery), so a
# finding fails the test it happened in. verify_asan_link_order=0: the
# install test links a plain C program against the instrumented libbte.so.
asan_env=(ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:verify_asan_link_order=0:detect_stack_use_after_return=1
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)

stage_asan() {
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DBTE_SANITIZE=address,undefined -DBTE_CUDA=OFF \
    -DBTE_BUILD_BENCH=OFF
  cmake --build build-asan -j"$jobs"
  env "${asan_env[@]}" BTE_TEST_QUICK=1 ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 1800
}

# Neither libgomp nor Debian's oneDNN is built with TSan, so TSan cannot see
# the synchronisation inside them: the engine runs single-threaded inside
# each call here (OMP_NUM_THREADS=1, no OpenMP barriers), and oneDNN's own
# primitive cache is off (ONEDNN_PRIMITIVE_CACHE_CAPACITY=0: it hands
# primitives between threads by means TSan cannot see). What is left is
# bte's own code, all instrumented: the tests' 8 threads race on one model,
# its per-layer primitive cache and its workspace pool.
stage_tsan() {
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DBTE_SANITIZE=thread -DBTE_CUDA=OFF \
    -DBTE_BUILD_BENCH=OFF
  cmake --build build-tsan -j"$jobs" --target bte_concurrency_tests bte_cuda_emu_tests
  OMP_NUM_THREADS=1 ONEDNN_PRIMITIVE_CACHE_CAPACITY=0 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    BTE_TEST_QUICK=1 ./build-tsan/tests/bte_concurrency_tests "[concurrency]"
  # The CUDA kernels in the CPU emulation, where each CUDA thread is
  # an OS thread: a missing __syncthreads / __syncwarp is a race TSan reports.
  TSAN_OPTIONS="halt_on_error=1" BTE_TEST_QUICK=1 ./build-tsan/tests/bte_cuda_emu_tests
}

# fuzz_one TARGET CORPUS_ROOT DIR: one libFuzzer run; on a crash, its log tail
# and how to keep the input as a regression; non-zero status.
fuzz_one() {
  local t=$1 work=$2 fz=$3 max_len=4096
  case $t in fuzz_bte_file|fuzz_safetensors) max_len=1048576 ;; esac
  mkdir -p "$fz"/crashes/"$t"
  if ! env "${asan_env[@]}" ./build-fuzz/fuzz/"$t" "$work/$t" -max_total_time="$fuzz_seconds" \
      -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$fz"/crashes/"$t"/ 2>"$fz"/"$t".log; then
    tail -60 "$fz"/"$t".log
    echo "tools/test.sh: $t found a crash: $fz/crashes/$t/. Fix it, then add the input" \
         "to fuzz/corpus/$t/ so the test suite replays it from then on." >&2
    return 1
  fi
}

stage_fuzz() {
  command -v clang++ >/dev/null || { echo "tools/test.sh: fuzz needs clang++ (apt install clang)" >&2; exit 1; }
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release -DBTE_FUZZ=ON \
    -DBTE_CUDA=OFF -DBTE_BUILD_TESTS=OFF -DBTE_BUILD_BENCH=OFF
  cmake --build build-fuzz -j"$jobs" --target "${fuzz_targets[@]}"
  # The real model for the .bte corpus comes from the main tree's bte (built
  # there if this stage runs alone), so this tree builds the readers only,
  # not the engine and kernels a second time.
  [ -x build/cli/bte ] || { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j"$jobs" --target bte; }
  local fz=build-fuzz
  mkdir -p "$fz"
  # Working corpora: the committed seeds and regressions, plus real files
  # (a converted model, the golden safetensors), grown by the fuzzer.
  local work=$fz/corpus
  rm -rf "$work"
  local targets=("${fuzz_targets[@]}")
  for t in "${targets[@]}"; do mkdir -p "$work/$t" && cp fuzz/corpus/"$t"/* "$work/$t"/; done
  ./build/cli/bte convert tests/data/golden/tiny -o "$work/fuzz_bte_file/tiny.bte" >/dev/null
  ./build/cli/bte convert tests/data/golden/tiny -o "$work/fuzz_bte_file/tiny_int8.bte" --dtype int8 >/dev/null
  cp tests/data/golden/tiny_sharded/*.safetensors "$work/fuzz_safetensors/"
  # One libFuzzer process per core at a time: each target still gets its
  # BTE_FUZZ_SECONDS of one core, the stage a fraction of the wall time.
  local running=0 failed=0
  for t in "${targets[@]}"; do
    say "fuzz $t for ${fuzz_seconds}s"
    fuzz_one "$t" "$work" "$fz" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || failed=1; running=$((running - 1)); fi
  done
  while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
  [ "$failed" = 0 ] || exit 1
  for t in "${targets[@]}"; do
    echo "$t:"; grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs" "$fz"/"$t".log || true
  done
}

for s in "${stages[@]}"; do
  case $s in
    main|python|asan|tsan|fuzz)
      say "$s"; SECONDS=0; "stage_$s"
      echo "tools/test.sh: $s passed in ${SECONDS}s"; stage_times+=("$s $SECONDS") ;;
    *) echo "tools/test.sh: unknown stage '$s' (main, python, asan, tsan, fuzz)" >&2; exit 1 ;;
  esac
done
say "all stages passed: ${stages[*]}"
for st in "${stage_times[@]}"; do
  printf 'tools/test.sh: stage %-5s %5ss\n' ${st}
done
printf 'tools/test.sh: total       %5ss\n' "$(( $(date +%s) - start_all ))"
