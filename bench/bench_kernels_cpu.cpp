// CPU kernel microbenchmarks: cpu::Linear (oneDNN matmul, packed weights)
// on the XLM-R base and large GEMM shapes, against oneDNN's plain sgemm as a
// baseline (what a framework calling BLAS gets), and the LayerNorm and
// embedding+LayerNorm kernels per variant; the int8 path's GEMMs
// (cpu::LinearInt8, weights hot) and its FFN-up epilogue (dequantise, GELU,
// requantise) per variant.
//
//   ./build/bench/bench_kernels_cpu                          # all (~1 min)
//   ./build/bench/bench_kernels_cpu --benchmark_filter=Linear/base
//   OMP_NUM_THREADS=8 ./build/bench/bench_kernels_cpu ...    # or --threads=8
//
// Counters: GFLOP/s (2·M·N·K per call) for GEMMs, GB/s (bytes read + written
// once) for the memory-bound kernels. Weights are "cold" as in a real model:
// each benchmark cycles through enough copies of the weights to overflow the
// last-level cache (~96 MB), so small-M GEMMs pay for streaming them.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <dnnl.h>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/linear_int8.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/quantize.h"
#include "kernels/cpu/threads.h"
#include "weights/checksum.h"

using namespace bte;

namespace {

std::vector<float> random_vec(int64_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

int copies_for(int64_t bytes) { return int(std::max<int64_t>(1, (96ll << 20) / bytes + 1)); }

struct Shape {
  const char* name;
  int N, K;
};
// The four GEMMs of an encoder layer: QKV, attention output, FFN up, FFN down.
const Shape kBase[] = {{"qkv", 2304, 768}, {"out", 768, 768}, {"up", 3072, 768}, {"down", 768, 3072}};
const Shape kLarge[] = {{"qkv", 3072, 1024}, {"out", 1024, 1024}, {"up", 4096, 1024}, {"down", 1024, 4096}};

// GFLOP/s, and the rate the fp32 weights stream in (the ceiling at few rows
// is the copy bandwidth Copy(ceiling) reports).
void set_gemm_counters(benchmark::State& st, int64_t M, int N, int K) {
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * K * 1e-9 * double(st.iterations()),
                                              benchmark::Counter::kIsRate);
  st.counters["W GB/s"] = benchmark::Counter(4.0 * N * K * 1e-9 * double(st.iterations()),
                                             benchmark::Counter::kIsRate);
}

// hot: one copy of the weights, cached after the first call: the kernel's
// compute rate without the stream from memory.
void BM_Linear(benchmark::State& st, Shape s, cpu::Epilogue e, bool hot) {
  const int64_t M = st.range(0);
  const auto W = random_vec(int64_t(s.N) * s.K, 1, -0.05f, 0.05f);
  const auto b = random_vec(s.N, 2);
  std::vector<cpu::Linear> lins;
  for (int i = 0, n = hot ? 1 : copies_for(int64_t(s.N) * s.K * 4); i < n; ++i)
    lins.emplace_back(W.data(), b.data(), s.N, s.K, e);
  const auto x = random_vec(M * s.K, 3);
  std::vector<float> y(M * s.N, 0.f);
  lins[0].forward(x.data(), M, y.data());  // warm-up: creates the primitive
  size_t i = 0;
  for (auto _ : st) {
    lins[i++ % lins.size()].forward(x.data(), M, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_gemm_counters(st, M, s.N, s.K);
  st.SetLabel(lins[0].impl_name(M));
}

// Baseline: oneDNN's sgemm on plain row-major operands (y = x·Wᵀ), no
// pre-packed weights, no epilogue; at small M it repacks W on every call.
void BM_DnnlSgemm(benchmark::State& st, Shape s) {
  const int64_t M = st.range(0);
  const auto W = random_vec(int64_t(s.N) * s.K, 1, -0.05f, 0.05f);
  std::vector<std::vector<float>> Ws(copies_for(int64_t(s.N) * s.K * 4), W);
  const auto x = random_vec(M * s.K, 3);
  std::vector<float> y(M * s.N, 0.f);
  size_t i = 0;
  for (auto _ : st) {
    const float* w = Ws[i++ % Ws.size()].data();
    dnnl_sgemm('N', 'T', M, s.N, s.K, 1.f, x.data(), s.K, w, s.K, 0.f, y.data(), s.N);
    benchmark::DoNotOptimize(y.data());
  }
  set_gemm_counters(st, M, s.N, s.K);
}

// LayerNorm in place on [M, d]: reads and writes x once.
void BM_LayerNorm(benchmark::State& st, const char* variant) {
  const int64_t M = st.range(0);
  const int d = int(st.range(1));
  cpu::force_kernel_variant(variant);
  auto x = random_vec(M * d, 4);
  const auto g = random_vec(d, 5, 0.5f, 1.5f), b = random_vec(d, 6);
  for (auto _ : st) {
    cpu::layernorm_inplace(x.data(), M, d, g.data(), b.data(), 1e-5f);
    benchmark::DoNotOptimize(x.data());
  }
  st.counters["GB/s"] = benchmark::Counter(2.0 * M * d * 4 * 1e-9 * double(st.iterations()),
                                           benchmark::Counter::kIsRate);
}

// The ceiling of the memory-bound kernels: a plain copy of the same bytes
// (read [M, d] once, write it once), as LayerNorm in place must at least do.
void BM_Copy(benchmark::State& st) {
  const int64_t M = st.range(0);
  const int d = int(st.range(1));
  const auto x = random_vec(M * d, 4);
  std::vector<float> y(M * d);
  cpu::detail::apply_num_threads();  // on as many threads as the kernels use
  for (auto _ : st) {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < M; r += 16)
      std::memcpy(y.data() + r * d, x.data() + r * d, size_t(std::min<int64_t>(16, M - r)) * d * sizeof(float));
    benchmark::DoNotOptimize(y.data());
  }
  st.counters["GB/s"] = benchmark::Counter(2.0 * M * d * 4 * 1e-9 * double(st.iterations()),
                                           benchmark::Counter::kIsRate);
}

// The .bte checksum over 64 MiB on one core: what verifying a file at load
// costs (XLM-R large, 2.2 GB fp32, must verify well under a second or two).
void BM_Checksum64(benchmark::State& st) {
  std::vector<unsigned char> buf(size_t(64) << 20, 1);
  for (auto _ : st) benchmark::DoNotOptimize(checksum64(buf.data(), buf.size()));
  st.counters["GB/s"] = benchmark::Counter(double(buf.size()) * 1e-9 * double(st.iterations()),
                                           benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Checksum64)->Unit(benchmark::kMillisecond)->UseRealTime();

// Embedding gather (a 32000-row table, beyond the caches) + positions + LN.
void BM_EmbedLayerNorm(benchmark::State& st, const char* variant) {
  const int64_t T = st.range(0);
  const int d = int(st.range(1));
  const int vocab = 32000, max_pos = 514;
  cpu::force_kernel_variant(variant);
  const auto word = random_vec(int64_t(vocab) * d, 7), pos = random_vec(int64_t(max_pos) * d, 8);
  const auto type = random_vec(d, 9), g = random_vec(d, 10, 0.5f, 1.5f), b = random_vec(d, 11);
  std::mt19937 rng(12);
  std::vector<int32_t> ids(T), positions(T);
  for (int64_t t = 0; t < T; ++t) ids[t] = int32_t(rng() % vocab), positions[t] = int32_t(2 + t % 512);
  std::vector<float> out(T * d);
  for (auto _ : st) {
    cpu::embed_layernorm(ids.data(), positions.data(), nullptr, T, word.data(), pos.data(), type.data(),
                         g.data(), b.data(), d, 1e-5f, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  // word row + position row read, output row written
  st.counters["GB/s"] = benchmark::Counter(3.0 * T * d * 4 * 1e-9 * double(st.iterations()),
                                           benchmark::Counter::kIsRate);
}

// The int8 path's GEMM at M rows (one 512-row block at most per call):
// oneDNN's s8 GEMM plus bte's epilogue; the FFN up projection as the engine
// runs it (forward_quantized: its GELU output straight to int8 rows).
void BM_LinearInt8(benchmark::State& st, Shape s, cpu::Epilogue e) {
  const int64_t M = st.range(0);
  const auto W = random_vec(int64_t(s.N) * s.K, 1, -0.05f, 0.05f), b = random_vec(s.N, 2);
  const auto x = random_vec(M * s.K, 3, -2, 2);
  cpu::LinearInt8 lin(W.data(), b.data(), s.N, s.K, e);
  std::vector<int8_t> xq(M * s.K), yq(M * s.N);
  std::vector<float> xs(M), ys(M), y(M * s.N);
  cpu::quantize_rows_s8(x.data(), M, s.K, cpu::kInt8ActivationMax, xq.data(), xs.data());
  std::vector<int32_t> acc(lin.acc_ints(M));
  for (auto _ : st) {
    if (e == cpu::Epilogue::Gelu) lin.forward_quantized(xq.data(), xs.data(), M, yq.data(), ys.data(), acc.data());
    else lin.forward(xq.data(), xs.data(), M, y.data(), acc.data());
    benchmark::ClobberMemory();
  }
  st.counters["GOP/s"] = benchmark::Counter(2.0 * M * s.N * s.K * 1e-9 * double(st.iterations()),
                                            benchmark::Counter::kIsRate);
  st.SetLabel(lin.impl_name(M));
}

// The FFN up projection's epilogue alone: M rows of N int32 sums to int8
// rows through dequantise + bias, exact GELU, per-row requantise.
void BM_Int8GeluEpilogue(benchmark::State& st, const char* variant) {
  cpu::force_kernel_variant(variant);
  const int64_t M = st.range(0);
  const int N = int(st.range(1));
  std::mt19937 rng(4);
  std::uniform_int_distribution<int32_t> dist(-200000, 200000);
  std::vector<int32_t> sums(M * N), acc(M * N);
  for (auto& v : sums) v = dist(rng);
  const auto ws = random_vec(N, 5, 1e-4f, 1e-3f), b = random_vec(N, 6);
  const auto xs = random_vec(M, 7, 1e-3f, 1e-2f);
  std::vector<int8_t> yq(M * N);
  std::vector<float> ys(M);
  for (auto _ : st) {
    st.PauseTiming();
    acc = sums;  // the epilogue overwrites its input
    st.ResumeTiming();
    cpu::dequantize_gelu_quantize_rows(acc.data(), M, N, xs.data(), ws.data(), b.data(), 127,
                                       yq.data(), ys.data());
    benchmark::ClobberMemory();
  }
  st.counters["Gelem/s"] = benchmark::Counter(double(M) * N * 1e-9 * double(st.iterations()),
                                              benchmark::Counter::kIsRate);
}

void register_all() {
  // 1 and 19 (the tutorial's small batch here): weight-streaming bound;
  // BTE_SKINNY_MAX_M=0 runs oneDNN at every M.
  const std::vector<int64_t> Ms = {1, 16, 19, 32, 48, 64, 128, 256, 4096};
  auto gemms = [&](const char* model, const Shape* shapes) {
    for (int i = 0; i < 4; ++i) {
      const Shape s = shapes[i];
      const auto e = s.name == std::string("up") ? cpu::Epilogue::Gelu
                     : (s.name == std::string("out") || s.name == std::string("down"))
                         ? cpu::Epilogue::AddToOutput
                         : cpu::Epilogue::None;
      const std::string n = std::string(model) + "/" + s.name + "/N" + std::to_string(s.N) + "_K" +
                            std::to_string(s.K);
      auto* a = benchmark::RegisterBenchmark(("Linear/" + n).c_str(), BM_Linear, s, e, false);
      auto* h = benchmark::RegisterBenchmark(("LinearHot/" + n).c_str(), BM_Linear, s, e, true);
      for (int64_t M : {1, 19}) h->Arg(M);
      h->ArgName("M")->Unit(benchmark::kMicrosecond)->MinTime(0.2)->UseRealTime();
      auto* c = benchmark::RegisterBenchmark(("DnnlSgemm/" + n).c_str(), BM_DnnlSgemm, s);
      for (int64_t M : Ms) a->Arg(M), c->Arg(M);
      a->ArgName("M")->Unit(benchmark::kMicrosecond)->MinTime(0.2)->UseRealTime();
      c->ArgName("M")->Unit(benchmark::kMicrosecond)->MinTime(0.2)->UseRealTime();
    }
  };
  gemms("base", kBase);
  gemms("large", kLarge);
  for (int i = 0; i < 4; ++i) {
    const Shape sh = kBase[i];
    const auto e = i == 2 ? cpu::Epilogue::Gelu : i == 0 ? cpu::Epilogue::None : cpu::Epilogue::AddToOutput;
    benchmark::RegisterBenchmark(("LinearInt8/base/" + std::string(sh.name)).c_str(), BM_LinearInt8, sh, e)
        ->Arg(19)
        ->Arg(512)
        ->ArgName("M")
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(0.2)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("Copy(ceiling)", BM_Copy)
      ->ArgNames({"M", "d"})
      ->Args({256, 768})
      ->Args({4096, 768})
      ->Args({4096, 1024})
      ->Args({65536, 1024})  // 256 MiB a side: DRAM, the small-M GEMMs' ceiling
      ->Unit(benchmark::kMicrosecond)
      ->MinTime(0.1)
      ->UseRealTime();
  for (const char* v : {"scalar", "avx2", "avx512"}) {
    try {
      cpu::force_kernel_variant(v);
    } catch (...) {
      continue;  // not on this CPU
    }
    using Fn = void (*)(benchmark::State&, const char*);
    const std::pair<Fn, std::string> kernels[] = {{BM_LayerNorm, "LayerNorm/"},
                                                  {BM_EmbedLayerNorm, "EmbedLayerNorm/"}};
    benchmark::RegisterBenchmark((std::string("Int8GeluEpilogue/") + v).c_str(), BM_Int8GeluEpilogue, v)
        ->ArgNames({"M", "N"})
        ->Args({512, 3072})
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(0.2)
        ->UseRealTime();
    for (const auto& [fn, name] : kernels)
      benchmark::RegisterBenchmark((name + v).c_str(), fn, v)
          ->ArgNames({"M", "d"})
          ->Args({256, 768})
          ->Args({4096, 768})
          ->Args({4096, 1024})
          ->Unit(benchmark::kMicrosecond)
          ->MinTime(0.1)
          ->UseRealTime();
  }
}

}  // namespace

int main(int argc, char** argv) {
  // --threads=N (ours, before Google Benchmark sees the arguments).
  int threads = 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) threads = std::atoi(argv[i] + 10);
    else args.push_back(argv[i]);
  }
  if (threads > 0) cpu::set_num_threads(threads);
  int n = int(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::AddCustomContext("cpu", cpu::cpu_features().brand + " (" + cpu::cpu_flags_string() + ")");
  benchmark::AddCustomContext("onednn", cpu::onednn_summary());
  benchmark::AddCustomContext("threads", std::to_string(cpu::num_threads()));
  benchmark::AddCustomContext("kernel_variant_default", cpu::kernel_variant());
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
