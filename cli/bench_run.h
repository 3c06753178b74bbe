// The measurement behind `bte bench` and `bte tutorial`: each mode run on
// one batch (first call apart, warm-up, median and min of the timed
// iterations, optional per-op profile), the real tokens' FLOPs, and the
// oneDNN GEMM ceiling on the same layer shapes measured in the same run.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/measure/measure.h"
#include "engine/engine.h"
#include "cli/process_stats.h"
#include "cli/workloads.h"

namespace bte::cli {

struct BenchOptions {
  std::vector<Mode> modes = {Mode::Reference, Mode::Fused, Mode::Packed};
  int iters = 10, warmup = 2;
  bool profile = false;
  bool ceiling = true;  // CPU only
};

struct ModeResult {
  Mode mode;
  double first_ms = 0, median_ms = 0, min_ms = 0;
  std::string path, profile;
  std::vector<ProfileRow> profile_rows;
};

struct BenchReport {
  Workload workload;
  int n_seqs = 0;
  double real_tokens = 0, padded_tokens = 0, useful_flops = 0;
  double ceiling_gflops = 0;
  std::string ceiling_shapes;
  // The small-batch floor: the encoder's GEMM weights read once at the
  // machine's measured copy bandwidth (CPU only).
  double encoder_weight_bytes = 0, copy_gbps = 0, memory_floor_ms = 0;
  std::vector<ModeResult> modes;
};

BenchReport run_bench(Engine& engine, const Workload& workload, const BenchOptions& options);
// The tutorial-style table (and profiles) on stdout.
void print_bench(const BenchReport& r, const BenchOptions& options);
nlohmann::json bench_json(const BenchReport& r);
using bench::machine_line;

}  // namespace bte::cli
