// The skinny GEMM (kernels/cpu/skinny_gemm.h) and the GELU pass
// (cpu::gelu_inplace) against the reference, for each SIMD variant this CPU
// runs, on awkward shapes: rows 1 … two tiles + a tail, weight rows not a
// multiple of the tile's 3 or 4 or of the threads' share of 12, K not a multiple of the register width; outputs
// poisoned, a guard band after them.
// Tolerances: GEMM 8·u·√K relative to max(|expected|, 1), u = 2⁻²⁴ (an fp32
// dot product of length K summed in 8- or 16-wide partial sums; indexing bugs
// give errors of order 1); GELU 1e-6 (the erf approximation's 1.5e-7 plus
// rounding).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "base/check.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/skinny_gemm.h"
#include "kernels/reference/ops.h"
#include "tests/test_util.h"

using namespace bte;
using bte::test::compare;
using bte::test::random_floats;

namespace {

// The SIMD variants this CPU runs; the default is restored on leaving.
struct Variants {
  std::string saved = cpu::kernel_variant();
  std::vector<std::string> list;
  Variants() {
    for (const char* v : {"avx2", "avx512"}) {
      try {
        cpu::force_kernel_variant(v);
        list.emplace_back(v);
      } catch (const bte::Error&) {
      }
    }
    cpu::force_kernel_variant(saved.c_str());
  }
  ~Variants() { cpu::force_kernel_variant(saved.c_str()); }
};

}  // namespace

TEST_CASE("skinny GEMM matches the reference", "[kernels]") {
  Variants vs;
  if (vs.list.empty()) WARN("no AVX2/AVX-512 on this CPU: the skinny GEMM is off, oneDNN runs every shape");
  const std::vector<std::pair<int, int>> NK = {{1, 1}, {5, 7}, {13, 100}, {25, 40}, {64, 768}, {6, 3072}};
  uint64_t seed = 10;
  for (const auto& v : vs.list) {
    cpu::force_kernel_variant(v.c_str());
    REQUIRE(cpu::skinny_gemm_available());
    for (auto [N, K] : NK) {
      const auto W = random_floats(int64_t(N) * K, ++seed);
      const auto b = random_floats(N, ++seed);
      for (int64_t M : {1, 2, 3, 4, 5, 6, 7, 13, 19, 24, 64}) {
        for (bool bias : {true, false}) {
          for (bool accumulate : {false, true}) {
            INFO(v << ": N " << N << ", K " << K << ", M " << M << ", bias " << bias << ", accumulate " << accumulate);
            const auto x = random_floats(M * K, ++seed);
            const auto residual = random_floats(M * N, ++seed, -2.f, 2.f);
            std::vector<float> want(M * N);
            ref::matmul_nt(x.data(), M, K, W.data(), N, want.data());
            if (bias) ref::add_bias(want.data(), M, N, b.data());
            if (accumulate) ref::add_inplace(want.data(), residual.data(), M * N);
            constexpr int kGuard = 41;
            std::vector<float> got(M * N + kGuard, 777.f);
            if (accumulate) std::copy(residual.begin(), residual.end(), got.begin());
            else std::fill(got.begin(), got.begin() + M * N, std::numeric_limits<float>::quiet_NaN());
            cpu::skinny_gemm_nt(x.data(), M, K, W.data(), N, bias ? b.data() : nullptr, accumulate, got.data());
            const auto d = compare(got.data(), want.data(), M * N, 1.0);
            INFO(d.describe());
            CHECK(d.max_rel <= 8 * 6e-8 * std::sqrt(double(K)) + 1e-6);
            bool guard = true;
            for (int64_t i = M * N; i < int64_t(got.size()); ++i) guard = guard && got[i] == 777.f;
            CHECK(guard);
          }
        }
      }
    }
  }
}

TEST_CASE("GELU pass matches the reference on every variant", "[kernels]") {
  Variants vs;
  std::vector<std::string> all = vs.list;
  all.emplace_back("scalar");
  for (const auto& v : all) {
    cpu::force_kernel_variant(v.c_str());
    for (int64_t n : {0, 1, 7, 8, 9, 17, 100003}) {
      INFO(v << ": n " << n);
      auto x = random_floats(n + 5, 99 + n, -8.f, 8.f);
      x.resize(n);
      std::vector<float> want = x;
      ref::gelu_inplace(want.data(), n);
      x.resize(n + 5, 777.f);  // a guard after the n elements
      cpu::gelu_inplace(x.data(), n);
      const auto d = compare(x.data(), want.data(), n, 1.0);
      INFO(d.describe());
      CHECK(d.max_rel <= 1e-6);
      for (int64_t i = n; i < n + 5; ++i) CHECK(x[i] == 777.f);
    }
  }
}

TEST_CASE("skinny GEMM is off without a SIMD variant", "[kernels]") {
  Variants vs;
  cpu::force_kernel_variant("scalar");
  CHECK_FALSE(cpu::skinny_gemm_available());
  float x = 1.f, w = 1.f, y = 0.f;
  CHECK_THROWS_AS(cpu::skinny_gemm_nt(&x, 1, 1, &w, 1, nullptr, false, &y), bte::Error);
}
