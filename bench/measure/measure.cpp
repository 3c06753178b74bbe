#include "bench/measure/measure.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/ops.h"

namespace bte::bench {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

GemmCeiling onednn_gemm_ceiling(const ModelConfig& c, int64_t M, int iters) {
  GemmCeiling r;
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
    r.shapes += (r.shapes.empty() ? "" : ", ") + std::to_string(M) + "x" +
                        std::to_string(N) + "x" + std::to_string(K);
  }
  r.gflops = flops / (ms * 1e6);
  return r;
}

// Over the engine's threads, as its GEMMs read their weights.
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

std::string machine_line() {
  return cpu::cpu_features().brand + " [" + cpu::cpu_flags_string() + "]; " + cpu::onednn_summary() +
         "; " + std::to_string(cpu::num_threads()) + " threads";
}

}  // namespace bte::bench
