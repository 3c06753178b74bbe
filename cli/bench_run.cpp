#include "cli/bench_run.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "bench/measure/measure.h"

namespace bte::cli {
namespace {

using bench::Clock;
using bench::median;
using bench::ms_since;

// FLOPs of the encoder on the real tokens only (what a user asked for).
double useful_flops(const ModelConfig& c, const PackedBatch& b) {
  const double d = c.hidden, f = c.ffn;
  double flops = 0;
  for (int i = 0; i < b.n_seqs(); ++i) {
    const double L = b.cu_seqlens[i + 1] - b.cu_seqlens[i];
    flops += L * 2 * (4 * d * d + 2 * d * f) + 4 * L * L * d;  // GEMMs + QKᵀ and PV
  }
  return flops * c.layers;
}

void memory_floor(const ModelConfig& c, DType dtype, BenchReport& r) {
  const double per_layer = 4.0 * c.hidden * c.hidden + 2.0 * c.hidden * c.ffn;
  r.encoder_weight_bytes = per_layer * c.layers * double(dtype_size(dtype));  // int8: scales aside
  r.copy_gbps = bench::copy_bandwidth_gbps();
  r.memory_floor_ms = r.encoder_weight_bytes / (r.copy_gbps * 1e6);
}

}  // namespace

BenchReport run_bench(Engine& engine, const Workload& w, const BenchOptions& opt) {
  const ModelConfig& c = engine.config();
  BenchReport r;
  r.workload = w;
  const PackedBatch batch = PackedBatch::from_ids(w.seqs, c.first_position(), c.max_tokens());
  r.n_seqs = batch.n_seqs();
  r.real_tokens = double(batch.total_tokens());
  r.padded_tokens = double(batch.padded_tokens());
  r.useful_flops = useful_flops(c, batch);

  RunRequest req;
  req.outputs.logits = c.sequence_head();
  req.outputs.token_logits = c.token_head();
  req.outputs.cls = !c.has_head();
  for (Mode mode : opt.modes) {
    ModeResult m;
    m.mode = mode;
    m.path = engine.describe(mode);
    auto t0 = Clock::now();
    engine.run(batch, mode, req);  // first call: primitives, workspace
    m.first_ms = ms_since(t0);
    for (int i = 0; i < opt.warmup; ++i) engine.run(batch, mode, req);
    // On the CPU the per-op clock reads cost nothing measurable, so the
    // profile comes from the timed iterations; a GPU profile synchronises
    // after every op, so it gets iterations of its own.
    Profiler prof;
    const bool on_cpu = engine.options().device == Device::Cpu;
    RunRequest timed = req;
    if (opt.profile && on_cpu) timed.profiler = &prof;
    std::vector<double> times;
    for (int i = 0; i < opt.iters; ++i) {
      t0 = Clock::now();
      engine.run(batch, mode, timed);
      times.push_back(ms_since(t0));
    }
    m.median_ms = median(times);
    m.min_ms = *std::min_element(times.begin(), times.end());
    if (opt.profile && !on_cpu) {
      RunRequest preq = req;
      preq.profiler = &prof;
      for (int i = 0; i < opt.iters; ++i) engine.run(batch, mode, preq);
    }
    if (opt.profile) {
      m.profile = prof.table();
      m.profile_rows = prof.rows();
    }
    r.modes.push_back(m);
  }
  if (opt.ceiling && engine.options().device == Device::Cpu) {
    const bench::GemmCeiling g = bench::onednn_gemm_ceiling(c, batch.total_tokens(), opt.iters);
    r.ceiling_gflops = g.gflops;
    r.ceiling_shapes = g.shapes;
    memory_floor(c, engine.options().dtype, r);
  }
  return r;
}

namespace {
double reference_ms(const BenchReport& r) {
  for (const auto& m : r.modes)
    if (m.mode == Mode::Reference) return m.median_ms;
  return 0;
}
}  // namespace

void print_bench(const BenchReport& r, const BenchOptions& opt) {
  std::printf("workload %s (%s): %d texts, %.0f real tokens, %.0f padded (%.1f%% padding)\n",
              r.workload.name.c_str(), r.workload.description.c_str(), r.n_seqs, r.real_tokens,
              r.padded_tokens, 100 * (1 - r.real_tokens / r.padded_tokens));
  std::printf("timing: median and min of %d iterations after %d warm-up; first call reported apart\n\n",
              opt.iters, opt.warmup);
  std::printf("%-10s %12s %10s %10s %12s %10s %9s\n", "mode", "first ms", "median ms", "min ms",
              "tokens/s", "GFLOP/s", "speedup");
  const double ref = reference_ms(r);
  for (const auto& m : r.modes) {
    std::printf("%-10s %12.2f %10.2f %10.2f %12.0f %10.1f", mode_name(m.mode), m.first_ms,
                m.median_ms, m.min_ms, r.real_tokens / (m.median_ms / 1e3),
                r.useful_flops / (m.median_ms * 1e6));
    if (ref > 0) std::printf(" %8.2fx", ref / m.median_ms);
    std::printf("\n");
  }
  std::printf("GFLOP/s counts the real tokens' FLOPs only (%.2f GFLOP per batch).\n", r.useful_flops / 1e9);
  if (r.ceiling_gflops > 0)
    std::printf("oneDNN GEMM ceiling on this batch's layer shapes (M x N x K: %s): %.1f GFLOP/s\n",
                r.ceiling_shapes.c_str(), r.ceiling_gflops);
  if (r.memory_floor_ms > 0)
    std::printf("memory floor: encoder GEMM weights %.1f MB / copy bandwidth %.1f GB/s = %.2f ms per batch\n",
                r.encoder_weight_bytes / 1e6, r.copy_gbps, r.memory_floor_ms);
  for (const auto& m : r.modes) {
    std::printf("\n%s: %s\n", mode_name(m.mode), m.path.c_str());
    if (!m.profile.empty()) std::printf("%s", m.profile.c_str());
  }
}

nlohmann::json bench_json(const BenchReport& r) {
  nlohmann::json j;
  j["workload"] = {{"name", r.workload.name}, {"description", r.workload.description},
                   {"texts", r.n_seqs}, {"real_tokens", r.real_tokens},
                   {"padded_tokens", r.padded_tokens},
                   {"padding_fraction", 1 - r.real_tokens / r.padded_tokens}};
  j["useful_gflop"] = r.useful_flops / 1e9;
  if (r.ceiling_gflops > 0)
    j["gemm_ceiling"] = {{"gflops", r.ceiling_gflops}, {"shapes", r.ceiling_shapes}};
  if (r.memory_floor_ms > 0)
    j["memory_floor"] = {{"encoder_weight_bytes", r.encoder_weight_bytes},
                         {"copy_gbps", r.copy_gbps}, {"ms", r.memory_floor_ms}};
  const double ref = reference_ms(r);
  for (const auto& m : r.modes) {
    nlohmann::json o = {{"mode", mode_name(m.mode)}, {"path", m.path}, {"first_call_ms", m.first_ms},
                        {"median_ms", m.median_ms}, {"min_ms", m.min_ms},
                        {"tokens_per_s", r.real_tokens / (m.median_ms / 1e3)},
                        {"useful_gflops", r.useful_flops / (m.median_ms * 1e6)}};
    if (ref > 0) o["speedup_vs_reference"] = ref / m.median_ms;
    if (!m.profile.empty()) {
      o["profile"] = m.profile;
      for (const auto& row : m.profile_rows)
        o["profile_ops"].push_back({{"op", row.name}, {"calls", row.calls}, {"total_ms", row.total_ms}});
    }
    j["modes"].push_back(o);
  }
  return j;
}

}  // namespace bte::cli
