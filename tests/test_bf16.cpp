// The bf16 path: the conversion kernel against weights/dtype's independent
// rounding, a bf16 Linear against the plain fp32 reference on the same
// bf16-rounded inputs, and the whole model's logits against PyTorch's fp32
// ones. Tolerances: bf16 GEMM (8-bit mantissa products, fp32 accumulation):
// 2e-3 relative to sum |x w| per output; model logits 2e-2 (DESIGN.md).
#include <catch2/catch.hpp>

#include <cmath>

#include "base/check.h"
#include "engine/engine.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/ops.h"
#include "kernels/reference/ops.h"
#include "tests/golden.h"
#include "tests/test_util.h"
#include "base/dtype.h"

using namespace bte;
using namespace bte::test;

TEST_CASE("bf16: to_bf16 rounds like the reference conversion", "[kernels]") {
  auto x = random_floats(100003, 9, -1e3f, 1e3f);
  x[5] = NAN, x[6] = INFINITY, x[7] = -0.0f, x[8] = 1e-40f;
  std::vector<uint16_t> y(x.size(), 0xFFFF);
  cpu::to_bf16(x.data(), y.data(), int64_t(x.size()));
  int bad = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isnan(x[i]) ? !std::isnan(bf16_to_float(y[i])) : y[i] != float_to_bf16(x[i])) ++bad;
  CHECK(bad == 0);
}

TEST_CASE("bf16: Linear matches the reference on bf16-rounded operands", "[kernels][bf16]") {
  for (auto [M, N, K] : {std::tuple{1, 24, 80}, {7, 100, 768}, {200, 768, 768}, {33, 3072, 768}}) {
    auto x = random_floats(int64_t(M) * K, 1 + M, -2, 2);
    auto W = random_floats(int64_t(N) * K, 2 + N, -0.1f, 0.1f);
    auto b = random_floats(N, 3 + K);
    // Operands as the bf16 GEMM sees them.
    std::vector<uint16_t> xb(x.size());
    for (size_t i = 0; i < x.size(); ++i) xb[i] = float_to_bf16(x[i]);
    std::vector<float> xr(x.size()), Wr(W.size());
    for (size_t i = 0; i < x.size(); ++i) xr[i] = bf16_to_float(xb[i]);
    for (size_t i = 0; i < W.size(); ++i) Wr[i] = bf16_to_float(float_to_bf16(W[i]));
    std::vector<float> expect(size_t(M) * N);
    ref::matmul_nt(xr.data(), M, K, Wr.data(), N, expect.data());
    ref::add_bias(expect.data(), M, N, b.data());

    cpu::Linear lin(W.data(), b.data(), N, K, cpu::Epilogue::None, DType::BF16,
                    DType::F32);
    std::vector<float> got(size_t(M) * N, NAN);
    lin.forward_any(xb.data(), M, got.data());
    double worst = 0;
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        double mag = std::fabs(b[j]);
        for (int k = 0; k < K; ++k) mag += std::fabs(double(xr[int64_t(i) * K + k]) * Wr[int64_t(j) * K + k]);
        // Products of bf16 values are exact in fp32; only the fp32 sum rounds.
        worst = std::max(worst, std::fabs(got[int64_t(i) * N + j] - expect[int64_t(i) * N + j]) / mag);
      }
    INFO("M=" << M << " N=" << N << " K=" << K);
    CHECK(worst <= 1e-5);
    CHECK_THROWS_WITH(lin.forward(x.data(), M, got.data()), Catch::Contains("forward_any"));
  }
}

TEST_CASE("bf16: the packed and fused modes stay within 2e-2 of PyTorch's fp32 logits",
          "[engine][bf16]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  EngineOptions o;
  o.dtype = DType::BF16;
  auto engine = Engine::load(convert_checkpoint(data_path("golden/tiny")), o);
  CHECK_THAT(engine->describe(Mode::Packed), Catch::Contains("bf16"));
  std::vector<std::string> texts;
  for (const auto& c : g.cases) texts.push_back(c.text);
  const PackedBatch b = engine->encode(texts);
  RunRequest req;
  req.outputs.logits = true;
  for (Mode mode : {Mode::Fused, Mode::Packed}) {
    const RunOutputs out = engine->run(b, mode, req);
    double worst = 0;
    for (size_t i = 0; i < g.cases.size(); ++i)
      for (int c = 0; c < g.num_labels; ++c)
        worst = std::max(worst, std::fabs(double(out.logits[i * g.num_labels + c]) - g.cases[i].logits[c]));
    INFO(mode_name(mode) << ": max |logit - PyTorch fp32| = " << worst);
    CHECK(worst <= 2e-2);
    CHECK(worst > 0);  // it really ran in bf16
  }
}

TEST_CASE("bf16: fp16 on the CPU is refused clearly", "[engine]") {
  EngineOptions o;
  o.dtype = DType::F16;
  CHECK_THROWS_WITH(Engine::load(convert_checkpoint(data_path("golden/tiny")), o),
                    Catch::Contains("fp16 is a GPU precision"));
}

TEST_CASE("bf16: a CPU without native bf16 refuses it clearly, one with it loads", "[engine]") {
  EngineOptions o;
  o.dtype = DType::BF16;
  const std::string model = convert_checkpoint(data_path("golden/tiny"));
  if (cpu::has_native_bf16()) {
    CHECK_NOTHROW(Engine::load(model, o));
  } else {
    try {
      Engine::load(model, o);
      FAIL("bf16 was accepted on a CPU without AVX512_BF16 or AMX");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::BadInput);
      CHECK_THAT(e.what(), Catch::Contains("needs a CPU with AVX512_BF16 or AMX"));
    }
  }
}
