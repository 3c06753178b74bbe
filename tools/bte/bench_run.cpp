#include "tools/bte/bench_run.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/ops.h"

namespace bte::cli {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

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

// What oneDNN's matmul alone reaches on the layer's four GEMM shapes at
// M = the batch's real tokens, with fresh weights per call as in the model
// (12+ layers do not fit in cache): the ceiling the model is compared with.
void gemm_ceiling(const ModelConfig& c, int64_t M, int iters, BenchReport& r) {
  const int d = c.hidden, f = c.ffn;
  const std::pair<int, int> shapes[] = {{3 * d, d}, {d, d}, {f, d}, {d, f}};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-0.05f, 0.05f);
  double flops = 0, ms = 0;
  for (auto [N, K] : shapes) {
    std::vector<float> W(size_t(N) * K), b(N), x(size_t(M) * K), y(size_t(M) * N);
    for (auto& v : W) v = u(rng);
    for (auto& v : x) v = u(rng);
    // As many copies as layers, so weights come from memory as in the model.
    std::vector<cpu::Linear> layers;
    for (int l = 0; l < c.layers; ++l) layers.emplace_back(W.data(), b.data(), N, K, cpu::Epilogue::None, DType::F32,
                                                           DType::F32, /*onednn_only=*/true);
    for (auto& lin : layers) lin.forward(x.data(), M, y.data());  // warm-up: primitives
    std::vector<double> t;
    for (int i = 0; i < std::max(iters, 3); ++i) {
      const auto t0 = Clock::now();
      for (auto& lin : layers) lin.forward(x.data(), M, y.data());
      t.push_back(ms_since(t0) / c.layers);
    }
    ms += median(t);
    flops += 2.0 * double(M) * N * K;
    r.ceiling_shapes += (r.ceiling_shapes.empty() ? "" : ", ") + std::to_string(M) + "x" +
                        std::to_string(N) + "x" + std::to_string(K);
  }
  r.ceiling_gflops = flops / (ms * 1e6);
}

// A large memcpy split over the engine's threads (as its GEMMs read their
// weights): bytes copied per second, best of a few runs. 512 MiB per side is
// far beyond any cache, so this is DRAM bandwidth.
double copy_bandwidth_gbps() {
  const size_t bytes = size_t(512) << 20;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  const int n = std::max(1, cpu::num_threads());
  const size_t chunk = (bytes + n - 1) / n;
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < n; ++t)
      workers.emplace_back([&, t] {
        const size_t lo = std::min(bytes, t * chunk), hi = std::min(bytes, lo + chunk);
        std::memcpy(dst.data() + lo, src.data() + lo, hi - lo);
      });
    for (auto& w : workers) w.join();
    best = std::min(best, ms_since(t0));
  }
  return double(bytes) / (best * 1e6);
}

void memory_floor(const ModelConfig& c, DType dtype, BenchReport& r) {
  const double per_layer = 4.0 * c.hidden * c.hidden + 2.0 * c.hidden * c.ffn;
  r.encoder_weight_bytes = per_layer * c.layers * (dtype == DType::F32 ? 4 : 2);
  r.copy_gbps = copy_bandwidth_gbps();
  r.memory_floor_ms = r.encoder_weight_bytes / (r.copy_gbps * 1e6);
}

}  // namespace

std::string machine_line() {
  return cpu::cpu_features().brand + " [" + cpu::cpu_flags_string() + "]; " + cpu::onednn_summary() +
         "; " + std::to_string(cpu::num_threads()) + " threads";
}

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
  req.outputs.logits = c.has_head();
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
  if (opt.ceiling && engine.options().device == Device::Cpu)
    gemm_ceiling(c, batch.total_tokens(), opt.iters, r);
  if (opt.ceiling && engine.options().device == Device::Cpu)
    memory_floor(c, engine.options().dtype, r);
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
