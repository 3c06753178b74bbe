// cpu::Linear (oneDNN matmul + fused epilogue) against the reference
// (ref::matmul_nt + add_bias + gelu/tanh/residual) on seeded random inputs
// of awkward shapes, and concurrent forward() calls against serial ones.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kernels/cpu/linear.h"
#include "kernels/reference/ops.h"
#include "tests/test_util.h"

using namespace bte;
using bte::test::compare;
using bte::test::random_floats;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int kGuard = 37;
constexpr float kGuardValue = 12345.f;

const char* name(cpu::Epilogue e) {
  switch (e) {
    case cpu::Epilogue::None: return "none";
    case cpu::Epilogue::Gelu: return "gelu";
    case cpu::Epilogue::Tanh: return "tanh";
    case cpu::Epilogue::Relu: return "relu";
    case cpu::Epilogue::AddToOutput: return "add-to-output";
  }
  return "?";
}

// The reference Linear: y (holding the residual for AddToOutput) updated in place.
void ref_linear(const float* x, int64_t M, int K, const float* W, const float* b, int N,
                cpu::Epilogue e, float* y) {
  std::vector<float> t(M * N);
  ref::matmul_nt(x, M, K, W, N, t.data());
  if (b) ref::add_bias(t.data(), M, N, b);
  if (e == cpu::Epilogue::Gelu) ref::gelu_inplace(t.data(), M * N);
  if (e == cpu::Epilogue::Tanh) ref::tanh_inplace(t.data(), M * N);
  if (e == cpu::Epilogue::Relu) ref::relu_inplace(t.data(), M * N);
  if (e == cpu::Epilogue::AddToOutput) ref::add_inplace(t.data(), y, M * N);
  std::copy(t.begin(), t.end(), y);
}

// Worst element of |got - want| / (tol · scale), scale = Σ_k |x_ik W_nk| + |b_n| (+ |residual|).
struct ScaledDiff {
  double worst_ratio = 0;
  int64_t worst = -1;
  double got = 0, want = 0, scale = 0;
  std::string describe(int N) const {
    std::ostringstream s;
    s << "worst element [" << (worst < 0 ? -1 : worst / N) << ", " << (worst < 0 ? -1 : worst % N)
      << "]: got " << got << ", expected " << want << " (scale " << scale << "), "
      << worst_ratio << "x the tolerance";
    return s.str();
  }
};

ScaledDiff scaled_compare(const float* got, const float* want, const float* scale, int64_t n,
                          double tol) {
  ScaledDiff d;
  for (int64_t i = 0; i < n; ++i) {
    const double e = std::fabs(double(got[i]) - double(want[i]));
    double r = e / (tol * scale[i] + 1e-30);
    if (std::isnan(r)) r = INFINITY;
    if (r > d.worst_ratio || d.worst < 0) {
      d.worst_ratio = r, d.worst = i, d.got = got[i], d.want = want[i], d.scale = scale[i];
    }
  }
  return d;
}

}  // namespace

TEST_CASE("cpu::Linear matches the reference on awkward shapes", "[kernels]") {
  uint64_t seed = 1000;
  const std::vector<std::pair<int, int>> NK = {{24, 24}, {80, 100}, {100, 80}, {17, 3072},
                                               {768, 768}, {3, 1}};
  for (auto [N, K] : NK) {
    const auto W = random_floats(int64_t(N) * K, ++seed);
    const auto b = random_floats(N, ++seed);
    std::vector<float> absW(W.size());
    for (size_t i = 0; i < W.size(); ++i) absW[i] = std::fabs(W[i]);
    for (auto e : {cpu::Epilogue::None, cpu::Epilogue::Gelu, cpu::Epilogue::Tanh,
                   cpu::Epilogue::Relu, cpu::Epilogue::AddToOutput}) {
      for (bool bias : {true, false}) {
        cpu::Linear lin(W.data(), bias ? b.data() : nullptr, N, K, e);
        REQUIRE(lin.N() == N);
        REQUIRE(lin.K() == K);
        for (int64_t M : {0, 1, 7, 33, 200}) {
          if (N * K >= 768 * 768 && M > 33 && e != cpu::Epilogue::None) continue;  // keep it quick
          INFO("N " << N << ", K " << K << ", M " << M << ", epilogue " << name(e) << ", bias "
                    << bias << ", impl " << lin.impl_name(M));
          const auto x = random_floats(M * K, ++seed);
          const auto residual = random_floats(M * N, ++seed, -2.f, 2.f);
          std::vector<float> want(M * N + 1), got(M * N + kGuard, kGuardValue);
          if (e == cpu::Epilogue::AddToOutput) {
            std::copy(residual.begin(), residual.end(), want.begin());
            std::copy(residual.begin(), residual.end(), got.begin());
          } else {
            std::fill(got.begin(), got.begin() + M * N, kNaN);  // unwritten elements fail
          }
          ref_linear(x.data(), M, K, W.data(), bias ? b.data() : nullptr, N, e, want.data());
          lin.forward(x.data(), M, got.data());

          // Error scale of each output: Σ_k |x_ik W_nk| + |b_n| (+ |residual|).
          std::vector<float> absx(x.size()), scale(M * N + 1);
          for (size_t i = 0; i < x.size(); ++i) absx[i] = std::fabs(x[i]);
          ref::matmul_nt(absx.data(), M, K, absW.data(), N, scale.data());
          for (int64_t i = 0; i < M * N; ++i)
            scale[i] += (bias ? std::fabs(b[i % N]) : 0.f) +
                        (e == cpu::Epilogue::AddToOutput ? std::fabs(residual[i]) : 0.f);
          // An fp32 dot product of length K, summed in blocks by oneDNN:
          // |error| ≲ c·u·√K·Σ|x·w| (probabilistic bound, u = 2⁻²⁴ ≈ 6e-8);
          // c = 8 leaves room for the epilogue's own rounding (gelu' ≤ 1.13,
          // tanh' ≤ 1). Indexing or epilogue bugs give errors of order scale.
          const double tol = 8 * 6e-8 * std::sqrt(double(K));
          const auto d = scaled_compare(got.data(), want.data(), scale.data(), M * N, tol);
          INFO(d.describe(N));
          INFO(compare(got.data(), want.data(), M * N).describe());
          CHECK(d.worst_ratio <= 1.0);
          bool guard = true;
          for (int64_t i = M * N; i < int64_t(got.size()); ++i) guard = guard && got[i] == kGuardValue;
          CHECK(guard);
        }
      }
    }
  }
}

TEST_CASE("cpu::Linear::impl_name names the oneDNN implementation", "[kernels]") {
  const auto W = random_floats(64 * 48, 7);
  cpu::Linear lin(W.data(), nullptr, 64, 48, cpu::Epilogue::None);
  const std::string impl = lin.impl_name(10);
  INFO(impl);
  CHECK(!impl.empty());
  // A moved Linear keeps working.
  cpu::Linear moved = std::move(lin);
  const auto x = random_floats(10 * 48, 8);
  std::vector<float> y(10 * 64, kNaN), want(10 * 64);
  moved.forward(x.data(), 10, y.data());
  ref::matmul_nt(x.data(), 10, 48, W.data(), 64, want.data());
  CHECK(compare(y.data(), want.data(), 10 * 64).max_rel <= 1e-4);
}

TEST_CASE("cpu::Linear: concurrent forward from 4 threads equals serial", "[kernels]") {
  const int N = 320, K = 200;
  const auto W = random_floats(int64_t(N) * K, 11);
  const auto b = random_floats(N, 12);
  for (auto e : {cpu::Epilogue::Gelu, cpu::Epilogue::AddToOutput}) {
    INFO("epilogue " << name(e));
    cpu::Linear lin(W.data(), b.data(), N, K, e);
    // Each thread runs several row counts (some shared, so threads race on
    // the same cache entry, some its own, so they race to create).
    const std::vector<std::vector<int64_t>> Ms = {{5, 64, 131}, {64, 7, 131}, {131, 64, 29}, {3, 131, 64}};
    const auto x = random_floats(131 * K, 13);
    const auto residual = random_floats(131 * N, 14);
    auto run = [&](int64_t M, std::vector<float>& y) {
      y.assign(residual.begin(), residual.begin() + M * N);
      lin.forward(x.data(), M, y.data());
    };
    // Serial first, on a fresh Linear so the concurrent run also creates primitives.
    std::vector<std::vector<std::vector<float>>> serial(4), parallel(4);
    {
      cpu::Linear fresh(W.data(), b.data(), N, K, e);
      for (int t = 0; t < 4; ++t)
        for (int64_t M : Ms[t]) {
          serial[t].emplace_back();
          auto& y = serial[t].back();
          y.assign(residual.begin(), residual.begin() + M * N);
          fresh.forward(x.data(), M, y.data());
        }
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int rep = 0; rep < 3; ++rep) {
          parallel[t].clear();
          for (int64_t M : Ms[t]) {
            parallel[t].emplace_back();
            run(M, parallel[t].back());
          }
        }
      });
    for (auto& th : threads) th.join();
    // Same primitive configuration, same blocking: bit-identical results.
    for (int t = 0; t < 4; ++t)
      for (size_t i = 0; i < Ms[t].size(); ++i) {
        INFO("thread " << t << ", M " << Ms[t][i]);
        const auto& a = parallel[t][i];
        const auto& s = serial[t][i];
        REQUIRE(a.size() == s.size());
        CHECK(compare(a.data(), s.data(), int64_t(a.size())).max_abs == 0);
      }
  }
}
