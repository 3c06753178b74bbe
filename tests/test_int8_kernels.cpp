// The int8 kernels against their reference twins (kernels/reference/
// quantize.h): row quantisation and the dequantising epilogue bit for bit
// in every variant this CPU runs, and cpu::LinearInt8 (oneDNN's int8 GEMM,
// whatever ISA it picks) against quantise + exact int32 GEMM + dequantise.
// The int32 sums are exact, so the only tolerance is GELU's (our vector erf
// is within ~1e-7 of std::erf, DESIGN.md's fp32 kernels: 1e-6 relative).
// Tagged [fallback]: ctest runs them again with oneDNN capped to AVX2 and
// SSE4.1, where oneDNN multiplies without VNNI (linear_int8.h: 7-bit weights).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <tuple>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/linear_int8.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/quantize.h"
#include "kernels/reference/ops.h"
#include "kernels/reference/quantize.h"
#include "tests/test_util.h"

using namespace bte;
using namespace bte::test;

namespace {

std::vector<std::string> variants() {
  std::vector<std::string> v{"scalar"};
  const auto& f = cpu::cpu_features();
  if (f.avx2 && f.fma) v.push_back("avx2");
  if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq) v.push_back("avx512");
  return v;
}

// Restores the kernel variant at the end of a test.
struct VariantGuard {
  std::string saved = cpu::kernel_variant();
  ~VariantGuard() { cpu::force_kernel_variant(saved.c_str()); }
};

// Rows that probe the edges: zeros, one outlier, ties at .5 after scaling,
// values that round to ±qmax.
std::vector<float> awkward_rows(int64_t M, int K, uint64_t seed) {
  auto x = random_floats(M * K, seed, -3.f, 3.f);
  if (M > 1) std::fill(x.begin() + K, x.begin() + 2 * K, 0.f);  // row 1: all zero
  if (M > 2) x[2 * int64_t(K)] = 1000.f;                        // row 2: an outlier
  if (M > 3)                                                     // row 3: exact halves
    for (int k = 0; k < K; ++k) x[3 * int64_t(K) + k] = (k % 2 ? 0.5f : -1.5f) * float(k % 7) / 127.f * 127.f;
  return x;
}

}  // namespace

TEST_CASE("int8: quantize_rows_s8 equals the reference bit for bit, every variant",
          "[kernels][int8][fallback]") {
  VariantGuard guard;
  for (const auto& v : variants()) {
    cpu::force_kernel_variant(v.c_str());
    for (int K : {1, 7, 16, 31, 33, 64, 100, 768, 3072}) {
      for (int qmax : {127, 63}) {
        const int64_t M = 9;
        auto x = awkward_rows(M, K, 100 + K);
        x[4 * int64_t(K) + K / 2] = NAN;         // row 4: NaN
        x[5 * int64_t(K)] = -INFINITY;           // row 5: infinity
        for (int k = 0; k < K; ++k) x[6 * int64_t(K) + k] *= 1e-39f;  // row 6: qmax / max overflows
        std::vector<int8_t> q(M * K, 99), want_q(M * K, 98);
        std::vector<float> s(M, -1), want_s(M, -2);
        ref::quantize_rows_s8(x.data(), M, K, qmax, want_q.data(), want_s.data());
        cpu::quantize_rows_s8(x.data(), M, K, qmax, q.data(), s.data());
        INFO(v << " K=" << K << " qmax=" << qmax);
        int64_t bad = -1;
        for (int64_t i = 0; i < M * K && bad < 0; ++i)
          if (q[i] != want_q[i]) bad = i;
        INFO("first differing element " << bad << (bad >= 0 ? ": " + std::to_string(q[bad]) + " vs " + std::to_string(want_q[bad]) : ""));
        CHECK(bad == -1);
        for (int64_t m = 0; m < M; ++m) {
          INFO("row " << m << ": scale " << s[m] << " vs " << want_s[m]);
          CHECK((std::isnan(want_s[m]) ? std::isnan(s[m]) : s[m] == want_s[m]));
        }
        CHECK(std::isnan(s[4]));
        CHECK(std::isnan(s[5]));
        CHECK(s[1] == 0.f);
        for (int k = 0; k < K; ++k) CHECK(q[6 * int64_t(K) + k] == 0);  // zeros, not int8(NaN)
        CHECK((s[6] >= 0.f && s[6] < 1e-38f));
        for (int k = 0; k < K; ++k) CHECK((std::abs(q[k]) <= qmax));
      }
    }
  }
}

TEST_CASE("int8: dequantize_rows equals the reference, every variant and epilogue",
          "[kernels][int8][fallback]") {
  VariantGuard guard;
  for (const auto& v : variants()) {
    cpu::force_kernel_variant(v.c_str());
    for (int N : {1, 5, 16, 17, 100, 768, 3072}) {
      const int64_t M = 13;
      std::vector<int32_t> acc(M * N);
      auto r = random_floats(M * N, 7 + N, -3e6f, 3e6f);
      for (int64_t i = 0; i < M * N; ++i) acc[i] = int32_t(r[i]);
      acc[0] = 2147483647, acc[M * N - 1] = -2147483647 - 1;  // the int32 extremes
      const auto xs = random_floats(M, 8 + N, 1e-4f, 1e-2f);
      const auto ws = random_floats(N, 9 + N, 1e-4f, 1e-2f);
      const auto bias = random_floats(N, 10 + N);
      const auto y0 = random_floats(M * N, 11 + N, -2.f, 2.f);
      for (auto e : {cpu::Epilogue::None, cpu::Epilogue::AddToOutput, cpu::Epilogue::Gelu}) {
        for (const bool with_bias : {true, false}) {
          const float* b = with_bias ? bias.data() : nullptr;
          std::vector<float> want = y0, got = y0;
          ref::dequantize_rows(acc.data(), M, N, xs.data(), ws.data(), b,
                               e == cpu::Epilogue::AddToOutput, want.data());
          if (e == cpu::Epilogue::Gelu) ref::gelu_inplace(want.data(), M * N);
          cpu::dequantize_rows(acc.data(), M, N, xs.data(), ws.data(), b, e, got.data());
          const Diff d = compare(got.data(), want.data(), M * N, 1.0);
          INFO(v << " N=" << N << " epilogue " << int(e) << " bias " << with_bias << ": " << d.describe());
          if (e == cpu::Epilogue::Gelu) CHECK(d.max_rel <= 1e-6);
          else CHECK(d.max_abs == 0);
        }
      }
      // The fused GELU + requantisation of the FFN hidden, in place over acc.
      std::vector<float> h(M * N);
      ref::dequantize_rows(acc.data(), M, N, xs.data(), ws.data(), bias.data(), false, h.data());
      std::vector<float> pre_max(M, 0.f);  // per row, max |value| before GELU
      for (int64_t i = 0; i < M * N; ++i) pre_max[i / N] = std::max(pre_max[i / N], std::fabs(h[i]));
      ref::gelu_inplace(h.data(), M * N);
      std::vector<int8_t> want_q(M * N), got_q(M * N);
      std::vector<float> want_s(M), got_s(M);
      ref::quantize_rows_s8(h.data(), M, N, 127, want_q.data(), want_s.data());
      std::vector<int32_t> acc_copy = acc;
      cpu::dequantize_gelu_quantize_rows(acc_copy.data(), M, N, xs.data(), ws.data(), bias.data(),
                                         127, got_q.data(), got_s.data());
      // Our GELU differs from std::erf's by ~1e-7 of its input: a value may
      // land on the other side of a rounding boundary, one step off; a scale
      // (max |GELU| / 127) by 1e-6 of the row's largest input / 127.
      int worst = 0;
      for (int64_t i = 0; i < M * N; ++i) worst = std::max(worst, std::abs(got_q[i] - want_q[i]));
      INFO(v << " N=" << N << " fused GELU + quantise");
      CHECK(worst <= 1);
      for (int64_t m = 0; m < M; ++m) CHECK(std::fabs(got_s[m] - want_s[m]) <= 1e-6 * pre_max[m] / 127);
    }
  }
}

TEST_CASE("int8: LinearInt8 equals quantise + exact int32 GEMM + dequantise",
          "[kernels][int8][fallback]") {
  const int wmax = cpu::int8_weight_max();
  INFO("oneDNN " << cpu::onednn_summary() << ", weights in [-" << wmax << ", " << wmax << "]");
  CHECK((wmax == 127 || wmax == 63));
  CHECK(wmax == (cpu::int8_has_vnni() ? 127 : 63));
  // M = 600 and 1100 run several row blocks (linear_int8.cpp: 512 rows).
  for (auto [M, N, K] : {std::tuple{1, 24, 80}, {7, 100, 768}, {200, 768, 768}, {33, 3072, 768},
                         {600, 64, 3072}, {1100, 40, 24}, {3, 5, 1}}) {
    auto x = random_floats(int64_t(M) * K, 1 + M, -2, 2);
    auto W = random_floats(int64_t(N) * K, 2 + N, -0.1f, 0.1f);
    auto b = random_floats(N, 3 + K);
    if (M >= 3) x[2 * int64_t(K)] = 40.f;  // an outlier token
    // Every product at its extreme in row 0 against channel 0: the int16
    // pair sums of a non-VNNI multiply would saturate at full range.
    for (int k = 0; k < K; ++k) x[k] = (k % 2 ? 1.f : -1.f), W[k] = (k % 2 ? 0.1f : -0.1f);

    std::vector<int8_t> xq(size_t(M) * K), wq(size_t(N) * K);
    std::vector<float> xs(M), ws(N);
    ref::quantize_rows_s8(x.data(), M, K, cpu::kInt8ActivationMax, xq.data(), xs.data());
    ref::quantize_rows_s8(W.data(), N, K, wmax, wq.data(), ws.data());
    std::vector<int32_t> sums(size_t(M) * N);
    ref::matmul_s8_nt(xq.data(), M, K, wq.data(), N, sums.data());
    const auto y0 = random_floats(int64_t(M) * N, 4 + N);

    for (auto e : {cpu::Epilogue::None, cpu::Epilogue::AddToOutput, cpu::Epilogue::Gelu}) {
      cpu::LinearInt8 lin(W.data(), b.data(), N, K, e);
      std::vector<float> want = y0, got = y0;
      ref::dequantize_rows(sums.data(), M, N, xs.data(), ws.data(), b.data(),
                           e == cpu::Epilogue::AddToOutput, want.data());
      if (e == cpu::Epilogue::Gelu) ref::gelu_inplace(want.data(), int64_t(M) * N);
      std::vector<int32_t> acc(lin.acc_ints(M));
      lin.forward(xq.data(), xs.data(), M, got.data(), acc.data());
      const Diff d = compare(got.data(), want.data(), int64_t(M) * N, 1.0);
      INFO("M=" << M << " N=" << N << " K=" << K << " epilogue " << int(e) << " ("
                << lin.impl_name(M) << "): " << d.describe());
      CHECK(d.max_rel <= 1e-6);
      if (e == cpu::Epilogue::Gelu) {
        std::vector<int8_t> hq(size_t(M) * N), want_hq(size_t(M) * N);
        std::vector<float> hs(M), want_hs(M);
        lin.forward_quantized(xq.data(), xs.data(), M, hq.data(), hs.data(), acc.data());
        ref::quantize_rows_s8(want.data(), M, N, 127, want_hq.data(), want_hs.data());
        int worst = 0;
        for (size_t i = 0; i < hq.size(); ++i) worst = std::max(worst, std::abs(hq[i] - want_hq[i]));
        CHECK(worst <= 1);
        CHECK(compare(hs.data(), want_hs.data(), M, 1e-30).max_rel <= 1e-6);
      }
    }
  }
}

TEST_CASE("int8: LinearInt8 names oneDNN's int8 implementation and refuses bad weights",
          "[kernels][int8]") {
  auto W = random_floats(64 * 32, 5);
  cpu::LinearInt8 lin(W.data(), nullptr, 64, 32, cpu::Epilogue::None);
  const std::string name = lin.impl_name(100);
  INFO(name);
  CHECK_THAT(name, Catch::Contains("bte dequant"));
  CHECK(name.find("ref") == std::string::npos);  // never oneDNN's reference (slow) matmul
  W[77] = NAN;
  CHECK_THROWS_WITH(cpu::LinearInt8(W.data(), nullptr, 64, 32, cpu::Epilogue::None),
                    Catch::Contains("holds NaN or infinity"));
  W[77] = 0;
  CHECK_THROWS(cpu::LinearInt8(W.data(), nullptr, 64, 32, cpu::Epilogue::Tanh));
}
