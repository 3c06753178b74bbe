// bte bench [-m model.bte | --config base|large|tiny] [--workload W] [--mode M|all]
//   [--iters N] [--warmup N] [--threads N] [--device cpu|cuda] [--profile] [--json]
// Reproduces the Better Transformer tutorial's comparison: the slow path
// (reference) vs the fast path (fused) vs fast path + sparsity (packed).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "base/check.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/ops.h"
#include "tools/bte/args.h"
#include "tools/bte/commands.h"
#include "tools/bte/default_tokenizer.h"
#include "tools/bte/workloads.h"

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
double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
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

// What oneDNN's matmul alone reaches on the layer's GEMM shapes at M = the
// batch's real tokens: the ceiling the whole model is compared with.
struct Ceiling {
  double gflops = 0;
  std::string shapes;
};
Ceiling gemm_ceiling(const ModelConfig& c, int64_t M, int iters) {
  const int d = c.hidden, f = c.ffn;
  const std::pair<int, int> shapes[] = {{3 * d, d}, {d, d}, {f, d}, {d, f}};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-0.05f, 0.05f);
  double flops = 0, ms = 0;
  Ceiling out;
  for (auto [N, K] : shapes) {
    std::vector<float> W(size_t(N) * K), b(N), x(size_t(M) * K), y(size_t(M) * N);
    for (auto& v : W) v = u(rng);
    for (auto& v : x) v = u(rng);
    cpu::Linear lin(W.data(), b.data(), N, K, cpu::Epilogue::None);
    lin.forward(x.data(), M, y.data());  // warm-up
    std::vector<double> t;
    for (int i = 0; i < std::max(iters, 3); ++i) {
      const auto t0 = Clock::now();
      lin.forward(x.data(), M, y.data());
      t.push_back(ms_since(t0));
    }
    ms += median(t);
    flops += 2.0 * double(M) * N * K;
    out.shapes += (out.shapes.empty() ? "" : ", ") + std::to_string(M) + "x" + std::to_string(N) +
                  "x" + std::to_string(K);
  }
  out.gflops = flops / (ms * 1e6);
  return out;
}

struct ModeResult {
  Mode mode;
  double first_ms = 0, median_ms = 0, min_ms = 0;
  std::string path, profile;
};

}  // namespace

int cmd_bench(int argc, char** argv) {
  const Args args(argc, argv, 2,
                  {"--model", "--config", "--workload", "--mode", "--iters", "--warmup", "--threads",
                   "--device", "--dtype", "--max-length", "--num-labels"},
                  {"--profile", "--json", "--help", "--no-ceiling"}, {{"-m", "--model"}});
  if (args.flag("--help")) {
    std::printf(
        "usage: bte bench [-m model.bte | --config base|large|tiny] [options]\n"
        "The Better Transformer tutorial's comparison: reference (slow path) vs fused (fast\n"
        "path) vs packed (fast path + sparsity).\n"
        "  --workload W     seed-small | seed-big (default) | mixed | full | FILE (one text per line)\n"
        "  --mode M         reference | fused | packed | all (default all)\n"
        "  --iters N        timed iterations per mode (default 10, as in the tutorial)\n"
        "  --warmup N       untimed iterations after the first call (default 2)\n"
        "  --threads N      CPU threads (default: all cores)\n"
        "  --max-length N   truncate texts to N tokens (default 256, as torchtext's transform)\n"
        "  --profile        add the per-op time table of each mode\n"
        "  --json           one JSON object instead of the table\n"
        "  --no-ceiling     skip measuring oneDNN's GEMM ceiling\n"
        "Without -m, a seeded random model of the --config size (default base) is built in\n"
        "memory, with the embedded test tokenizer.\n");
    return 0;
  }
  EngineOptions eo;
  eo.device = parse_device(args.get_or("--device", "cpu"));
  eo.threads = args.get_int("--threads", 0, 0, 4096);
  const std::string dtype = args.get_or("--dtype", "fp32");
  BTE_REQUIRE(dtype == "fp32", ErrorKind::BadInput, "--dtype ", dtype,
              ": only fp32 is implemented on this device");
  const int iters = args.get_int("--iters", 10, 1, 100000);
  const int warmup = args.get_int("--warmup", 2, 0, 100000);
  const int max_length = args.get_int("--max-length", 256, 2, 1 << 20);

  // The model: a file, or seeded random weights of a named size.
  const auto t_load = Clock::now();
  std::unique_ptr<Engine> engine;
  std::string weights_note;
  if (auto path = args.get("--model")) {
    BTE_REQUIRE(!args.get("--config"), ErrorKind::BadInput, "give -m or --config, not both");
    engine = Engine::load(*path, eo);
    weights_note = "weights from " + *path;
  } else {
    const std::string size = args.get_or("--config", "base");
    ModelConfig c = ModelWeights::named_config(size, args.get_int("--num-labels", 2, 0, 1 << 16));
    engine = Engine::from_weights(ModelWeights::random(c, 0),
                                  std::make_unique<Tokenizer>(load_tokenizer("")), eo);
    weights_note = "RANDOM weights (XLM-R " + size + " shapes, seed 0), built in memory; tokenizer: " +
                   embedded_tokenizer_description();
  }
  const double load_ms = ms_since(t_load);
  const ModelConfig& c = engine->config();

  const Workload w = make_workload(args.get_or("--workload", "seed-big"), *engine, max_length);
  const PackedBatch batch = PackedBatch::from_ids(w.seqs, c.pad_id, c.max_tokens());
  const double real = double(batch.total_tokens()), padded = double(batch.padded_tokens());

  std::vector<Mode> modes;
  const std::string mode_arg = args.get_or("--mode", "all");
  if (mode_arg == "all") modes = {Mode::Reference, Mode::Fused, Mode::Packed};
  else modes = {parse_mode(mode_arg)};

  RunRequest req;
  req.outputs.logits = c.has_head();
  req.outputs.cls = !c.has_head();
  std::vector<ModeResult> results;
  for (Mode mode : modes) {
    ModeResult r;
    r.mode = mode;
    r.path = engine->describe(mode);
    auto t0 = Clock::now();
    engine->run(batch, mode, req);  // first call: primitives, workspace
    r.first_ms = ms_since(t0);
    for (int i = 0; i < warmup; ++i) engine->run(batch, mode, req);
    std::vector<double> times;
    for (int i = 0; i < iters; ++i) {
      t0 = Clock::now();
      engine->run(batch, mode, req);
      times.push_back(ms_since(t0));
    }
    r.median_ms = median(times);
    r.min_ms = *std::min_element(times.begin(), times.end());
    if (args.flag("--profile")) {
      Profiler prof;
      RunRequest preq = req;
      preq.profiler = &prof;
      for (int i = 0; i < iters; ++i) engine->run(batch, mode, preq);
      r.profile = prof.table();
    }
    results.push_back(r);
  }
  const double flops = useful_flops(c, batch);
  Ceiling ceiling;
  if (eo.device == Device::Cpu && !args.flag("--no-ceiling"))
    ceiling = gemm_ceiling(c, batch.total_tokens(), iters);
  double ref_ms = 0;
  for (const auto& r : results)
    if (r.mode == Mode::Reference) ref_ms = r.median_ms;

  if (args.flag("--json")) {
    nlohmann::json j;
    j["workload"] = {{"name", w.name}, {"description", w.description}, {"texts", batch.n_seqs()},
                     {"real_tokens", real}, {"padded_tokens", padded}, {"padding_fraction", 1 - real / padded}};
    j["model"] = {{"weights", weights_note}, {"layers", c.layers}, {"hidden", c.hidden},
                  {"heads", c.heads}, {"ffn", c.ffn}, {"load_ms", load_ms}};
    j["machine"] = {{"cpu", cpu::cpu_features().brand}, {"flags", cpu::cpu_flags_string()},
                    {"onednn", cpu::onednn_summary()}, {"threads", cpu::num_threads()}};
    j["iters"] = iters;
    j["useful_gflop"] = flops / 1e9;
    if (ceiling.gflops > 0) j["gemm_ceiling"] = {{"gflops", ceiling.gflops}, {"shapes", ceiling.shapes}};
    for (const auto& r : results) {
      nlohmann::json m = {{"mode", mode_name(r.mode)}, {"path", r.path}, {"first_call_ms", r.first_ms},
                          {"median_ms", r.median_ms}, {"min_ms", r.min_ms},
                          {"tokens_per_s", real / (r.median_ms / 1e3)},
                          {"useful_gflops", flops / (r.median_ms * 1e6)}};
      if (ref_ms > 0) m["speedup_vs_reference"] = ref_ms / r.median_ms;
      if (!r.profile.empty()) m["profile"] = r.profile;
      j["modes"].push_back(m);
    }
    j["peak_rss_mib"] = peak_rss_mib();
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }

  std::printf("bte bench: %s (%s)\n", w.name.c_str(), w.description.c_str());
  std::printf("model: %d layers, d=%d, %d heads, ffn %d; %s\n", c.layers, c.hidden, c.heads, c.ffn,
              weights_note.c_str());
  std::printf("machine: %s [%s]; %s; %d threads\n", cpu::cpu_features().brand.c_str(),
              cpu::cpu_flags_string().c_str(), cpu::onednn_summary().c_str(), cpu::num_threads());
  std::printf("batch: %d texts, %.0f real tokens, %.0f padded (%.1f%% padding); model load %.1f ms\n",
              batch.n_seqs(), real, padded, 100 * (1 - real / padded), load_ms);
  std::printf("timing: median and min of %d iterations after %d warm-up; first call reported apart\n\n",
              iters, warmup);
  std::printf("%-10s %12s %10s %10s %12s %10s %9s\n", "mode", "first ms", "median ms", "min ms",
              "tokens/s", "GFLOP/s", "speedup");
  for (const auto& r : results) {
    std::printf("%-10s %12.2f %10.2f %10.2f %12.0f %10.1f", mode_name(r.mode), r.first_ms,
                r.median_ms, r.min_ms, real / (r.median_ms / 1e3), flops / (r.median_ms * 1e6));
    if (ref_ms > 0) std::printf(" %8.2fx", ref_ms / r.median_ms);
    std::printf("\n");
  }
  if (ceiling.gflops > 0)
    std::printf("\noneDNN GEMM ceiling on this batch's layer shapes (M x N x K: %s): %.1f GFLOP/s\n",
                ceiling.shapes.c_str(), ceiling.gflops);
  std::printf("GFLOP/s counts the real tokens' FLOPs only (%.2f GFLOP per batch).\n", flops / 1e9);
  std::printf("peak RSS: %.0f MiB\n", peak_rss_mib());
  for (const auto& r : results) {
    std::printf("\n%s: %s\n", mode_name(r.mode), r.path.c_str());
    if (!r.profile.empty()) std::printf("%s", r.profile.c_str());
  }
  return 0;
}

}  // namespace bte::cli
