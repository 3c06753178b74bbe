// Every CUDA kernel against its kernels/reference/ twin, on fresh seeded
// inputs of awkward sizes, outputs poisoned first (NaN in every type) so an
// element left unwritten fails. The reference sees the inputs exactly as the
// kernel does (rounded to the element type on the host).
// Tolerances, by what the kernel rounds:
//   fp32: 1e-4 relative to max(|expected|, 1) (fp32 accumulation order)
//   fp16: 1e-2 / bf16: 2e-2 (16-bit outputs and, in attention, 16-bit P)
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <random>

#include "kernels/cuda/attention.h"
#include "kernels/cuda/attention_explicit.h"
#include "kernels/cuda/cublas_api.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/layernorm.h"
#include "kernels/cuda/linear.h"
#include "kernels/cuda/pooling.h"
#include "kernels/reference/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/kernel_cases.h"
#include "tests/test_util.h"

using namespace bte;
using namespace bte::test;
using cuda::DeviceBuffer;

namespace {

double tol(DType t) { return t == DType::F32 ? 1e-4 : t == DType::F16 ? 1e-2 : 2e-2; }
const DType kTypes[] = {DType::F32, DType::F16, DType::BF16};

// A layout over lengths, with its prefix sums on the host and the device.
struct TestLayout {
  std::vector<int32_t> cu;
  DeviceBuffer<int32_t> cu_dev;
  VarlenLayout layout;
  static std::vector<int32_t> prefix_sums(const std::vector<int>& lengths) {
    std::vector<int32_t> cu(lengths.size() + 1, 0);
    for (size_t i = 0; i < lengths.size(); ++i) cu[i + 1] = cu[i] + lengths[i];
    return cu;
  }
  TestLayout(const std::vector<int>& lengths, bool padded)
      : cu(prefix_sums(lengths)), cu_dev(cu) {
    layout.n_seqs = int(lengths.size());
    layout.max_len = lengths.empty() ? 0 : *std::max_element(lengths.begin(), lengths.end());
    layout.cu_seqlens = cu.data();
    layout.cu_seqlens_device = cu_dev.get();
    layout.padded = padded;
  }
};

}  // namespace

TEST_CASE("cuda Linear matches matmul_nt + bias", "[cuda][kernels]") {
  cuda::LtHandle lt;
  DeviceBuffer<uint8_t> ws(cuda::Linear::kWorkspaceBytes);
  struct Shape { int64_t M; int N, K; };
  for (const Shape s : {Shape{1, 64, 32}, Shape{7, 100, 36}, Shape{129, 768, 768}, Shape{300, 3072, 768}}) {
    for (DType in : kTypes) {
      for (DType out : {DType::F32, in}) {
        for (bool bias : {false, true}) {
          const auto W = random_floats(int64_t(s.N) * s.K, 1 + s.N);
          const auto b = random_floats(s.N, 2 + s.N);
          const auto x = random_floats(s.M * s.K, 3 + s.K);
          cuda::Linear lin(lt, W.data(), bias ? b.data() : nullptr, s.N, s.K, in, out);
          DeviceTensor dx(x, in), dy(s.M * s.N, out);
          dy.poison();
          lin.forward(dx.get(), s.M, dy.get(), ws.get(), ws.size(), nullptr);
          const auto got = dy.to_host();
          const auto Wr = rounded(W, in), xr = rounded(x, in);
          std::vector<float> want(size_t(s.M) * s.N);
          ref::matmul_nt(xr.data(), s.M, s.K, Wr.data(), s.N, want.data());
          if (bias) ref::add_bias(want.data(), s.M, s.N, rounded(b, out).data());
          const auto diff = compare(got.data(), want.data(), s.M * s.N, 1.0);
          INFO("M=" << s.M << " N=" << s.N << " K=" << s.K << " " << name_of(in) << "->"
                    << name_of(out) << (bias ? " +bias" : "") << ": " << diff.describe());
          // fp32 out: the products of rounded inputs are exact in fp32 and the
          // sums are fp32, so a 16-bit accumulation would show here.
          CHECK(diff.max_rel <= (out == DType::F32 ? 1e-4 : tol(out)));
        }
      }
    }
  }
}

TEST_CASE("cuda Linear: the classifier head's shape, without a workspace", "[cuda][kernels]") {
  // As the engine's head runs it: fp32, 3 labels (12-byte rows), no workspace.
  cuda::LtHandle lt;
  const int64_t M = 2;
  const int N = 3, K = 64;
  const auto W = random_floats(int64_t(N) * K, 11);
  const auto b = random_floats(N, 12);
  const auto x = random_floats(M * K, 13);
  cuda::Linear lin(lt, W.data(), b.data(), N, K, DType::F32, DType::F32);
  DeviceTensor dx(x, DType::F32), dy(M * N, DType::F32);
  dy.poison();
  lin.forward(dx.get(), M, dy.get(), nullptr, 0, nullptr);
  std::vector<float> want(size_t(M) * N);
  ref::matmul_nt(x.data(), M, K, W.data(), N, want.data());
  ref::add_bias(want.data(), M, N, b.data());
  const auto got = dy.to_host();
  const auto diff = compare(got.data(), want.data(), M * N, 1.0);
  INFO(diff.describe());
  CHECK(diff.max_rel <= 1e-4);
}

TEST_CASE("cuda Linear writes a strided slice of its output (ldy)", "[cuda][kernels]") {
  cuda::LtHandle lt;
  DeviceBuffer<uint8_t> ws(cuda::Linear::kWorkspaceBytes);
  const int64_t M = 33;
  const int N = 64, K = 48, ldy = 3 * N;
  const auto W = random_floats(int64_t(N) * K, 5);
  const auto x = random_floats(M * K, 6);
  cuda::Linear lin(lt, W.data(), nullptr, N, K, DType::F32, DType::F32);
  DeviceTensor dx(x, DType::F32), dy(M * ldy, DType::F32);
  dy.poison();
  lin.forward(dx.get(), M, dy.f32() + N, ws.get(), ws.size(), nullptr, ldy);  // the middle third
  const auto got = dy.to_host();
  std::vector<float> want(size_t(M) * N);
  ref::matmul_nt(x.data(), M, K, W.data(), N, want.data());
  for (int64_t r = 0; r < M; ++r) {
    const auto diff = compare(&got[r * ldy + N], &want[r * N], N, 1.0);
    INFO("row " << r << ": " << diff.describe());
    REQUIRE(diff.max_rel <= 1e-4);
    CHECK(std::isnan(got[r * ldy]));  // the other thirds untouched (still poison)
    CHECK(std::isnan(got[r * ldy + 2 * N]));
  }
}

TEST_CASE("cuda bias + residual + LayerNorm matches the reference", "[cuda][kernels]") {
  for (int d : {32, 100, 768, 1024, 2048}) {
    for (int64_t rows : {1, 7, 129}) {
      const ResidualLayerNormCase k(d, rows);
      const auto& want = k.want;
      for (DType ct : kTypes) {
        DeviceTensor dx(k.x, DType::F32), dd(k.delta, DType::F32), db(k.bias, DType::F32);
        DeviceTensor dg(k.gamma, DType::F32), dbe(k.beta, DType::F32), copy(rows * d, ct);
        copy.poison();
        cuda::bias_residual_layernorm(dx.f32(), dd.f32(), db.f32(), dg.f32(), dbe.f32(), rows, d,
                                      1e-5f, copy.get(), ct, nullptr);
        const auto got = dx.to_host();
        const auto diff = compare(got.data(), want.data(), rows * d, 1.0);
        INFO("d=" << d << " rows=" << rows << " copy " << name_of(ct) << ": " << diff.describe());
        CHECK(diff.max_rel <= 1e-5);
        const auto c = compare(copy.to_host().data(), want.data(), rows * d, 1.0);
        INFO("copy: " << c.describe());
        CHECK(c.max_rel <= (ct == DType::F32 ? 1e-5 : ct == DType::F16 ? 2e-3 : 8e-3));
      }
    }
  }
}

TEST_CASE("cuda fused attention matches the reference (packed and padded, every head dim)",
          "[cuda][kernels]") {
  // Lengths mix 1-token sequences, exact tile multiples and one past them.
  const std::vector<std::vector<int>> batches = {{1}, {5, 1, 64, 65, 130, 1}, {200, 3, 128}};
  for (int dh : {16, 32, 64, 80, 96, 128}) {
    for (const auto& lengths : batches) {
      for (bool padded : {false, true}) {
        const int H = dh == 128 ? 2 : 3;
        TestLayout tl(lengths, padded);
        const int64_t rows = tl.layout.total_rows(), ld_qkv = 3LL * H * dh, ld_out = int64_t(H) * dh;
        for (float magnitude : {1.f, 4.f}) {  // 4: peaked softmax rows
          const auto qkv = random_floats(rows * ld_qkv, 20 + dh + rows, -magnitude, magnitude);
          for (DType t : kTypes) {
            const auto qr = rounded(qkv, t);
            std::vector<float> want(size_t(rows) * ld_out);
            ref::attention(qr.data(), qr.data() + H * dh, qr.data() + 2 * H * dh, ld_qkv,
                           tl.layout, H, dh, want.data(), ld_out);
            DeviceTensor dq(qkv, t), dout(rows * ld_out, t);
            dout.poison();
            cuda::AttentionParams p;
            p.qkv = dq.get();
            p.ld_qkv = ld_qkv;
            p.out = dout.get();
            p.ld_out = ld_out;
            p.cu_seqlens = tl.cu_dev.get();
            p.n_seqs = tl.layout.n_seqs;
            p.max_len = tl.layout.max_len;
            p.heads = H;
            p.head_dim = dh;
            p.padded = padded;
            cuda::attention(p, t, nullptr);
            const auto got = dout.to_host();
            const auto diff = compare(got.data(), want.data(), rows * ld_out, 1.0);
            INFO("dh=" << dh << " H=" << H << " seqs=" << lengths.size() << " rows=" << rows
                       << (padded ? " padded" : " packed") << " |x|<=" << magnitude << " "
                       << name_of(t) << ": " << diff.describe());
            CHECK(diff.max_rel <= (t == DType::F32 ? 5e-5 : tol(t)));  // fp32: scores rounded over dh terms, then exp
          }
        }
      }
    }
  }
}

TEST_CASE("cuda explicit (slow-path) attention matches the reference", "[cuda][kernels]") {
  cublasHandle_t blas;
  REQUIRE(cuda::cublas_api().Create(&blas) == CUBLAS_STATUS_SUCCESS);
  for (bool padded : {false, true}) {
    TestLayout tl({5, 1, 64, 65}, padded);
    const int H = 3, dh = 40;  // the slow path takes any head dim
    const int64_t rows = tl.layout.total_rows(), ld_qkv = 3LL * H * dh, ld_out = int64_t(H) * dh;
    const auto qkv = random_floats(rows * ld_qkv, 31);
    std::vector<float> want(size_t(rows) * ld_out);
    ref::attention(qkv.data(), qkv.data() + H * dh, qkv.data() + 2 * H * dh, ld_qkv, tl.layout,
                   H, dh, want.data(), ld_out);
    DeviceTensor dq(qkv, DType::F32), dout(rows * ld_out, DType::F32);
    DeviceTensor scores(cuda::explicit_scores_floats(tl.layout, H), DType::F32);
    dout.poison();
    scores.poison();
    cuda::attention_explicit(blas, dq.f32(), dq.f32() + H * dh, dq.f32() + 2 * H * dh, ld_qkv,
                             tl.layout, H, dh, dout.f32(), ld_out, scores.f32(), nullptr);
    const auto diff = compare(dout.to_host().data(), want.data(), rows * ld_out, 1.0);
    INFO((padded ? "padded: " : "packed: ") << diff.describe());
    CHECK(diff.max_rel <= 1e-5);
  }
  cuda::cublas_api().Destroy(blas);
}

TEST_CASE("cuda GELU, tanh, bias and conversion match the reference", "[cuda][kernels]") {
  const int64_t M = 37;
  const int N = 129;
  const auto x = random_floats(M * N, 40, -6.f, 6.f);
  const auto b = random_floats(N, 41);
  for (DType t : kTypes) {
    const auto xr = rounded(x, t);
    std::vector<float> want = xr;
    ref::add_bias(want.data(), M, N, rounded(b, t).data());
    ref::gelu_inplace(want.data(), M * N);
    DeviceTensor dx(x, t), dbias(b, t);
    cuda::add_bias(dx.get(), t, M, N, dbias.get(), nullptr);
    cuda::gelu_inplace(dx.get(), t, M * N, nullptr);
    const auto diff = compare(dx.to_host().data(), want.data(), M * N, 1.0);
    INFO(name_of(t) << " bias+gelu: " << diff.describe());
    // two roundings in 16 bits (after the bias, after GELU)
    CHECK(diff.max_rel <= (t == DType::F32 ? 1e-6 : 2 * tol(t)));
  }
  std::vector<float> want = x;
  ref::tanh_inplace(want.data(), M * N);
  DeviceTensor dt(x, DType::F32);
  cuda::tanh_inplace(dt.f32(), M * N, nullptr);
  CHECK(compare(dt.to_host().data(), want.data(), M * N, 1.0).max_rel <= 1e-6);
  std::vector<float> want_relu = x;
  ref::relu_inplace(want_relu.data(), M * N);
  DeviceTensor dr(x, DType::F32);
  cuda::relu_inplace(dr.f32(), M * N, nullptr);
  CHECK(dr.to_host() == want_relu);
  for (DType t : {DType::F16, DType::BF16}) {
    DeviceTensor src(x, DType::F32), dst(M * N, t);
    dst.poison();
    cuda::convert(src.get(), DType::F32, dst.get(), t, M * N, nullptr);
    const auto want_t = rounded(x, t);
    const auto got = dst.to_host();
    CHECK(compare(got.data(), want_t.data(), M * N).max_abs == 0.0);  // round to nearest even, as ours
  }
}

TEST_CASE("cuda pooling and L2 normalisation match the reference", "[cuda][kernels]") {
  const int d = 100;
  for (bool padded : {false, true}) {
    TestLayout tl({1, 7, 64, 3}, padded);
    const int64_t rows = tl.layout.total_rows();
    const auto x = random_floats(rows * d, 50);
    const int n = tl.layout.n_seqs;
    std::vector<float> want_cls(size_t(n) * d), want_mean(size_t(n) * d);
    ref::pool_cls(x.data(), tl.layout, d, want_cls.data());
    ref::pool_mean(x.data(), tl.layout, d, want_mean.data());
    ref::l2_normalize_rows(want_mean.data(), n, d);
    cuda::DeviceLayout L{tl.cu_dev.get(), n, tl.layout.max_len, padded};
    DeviceTensor dx(x, DType::F32), cls(int64_t(n) * d, DType::F32), mean(int64_t(n) * d, DType::F32);
    cls.poison();
    mean.poison();
    cuda::pool_cls(dx.f32(), L, d, cls.f32(), nullptr);
    cuda::pool_mean(dx.f32(), L, d, mean.f32(), nullptr);
    cuda::l2_normalize_rows(mean.f32(), n, d, nullptr);
    INFO((padded ? "padded" : "packed"));
    CHECK(compare(cls.to_host().data(), want_cls.data(), int64_t(n) * d).max_abs == 0.0);
    CHECK(compare(mean.to_host().data(), want_mean.data(), int64_t(n) * d, 1.0).max_rel <= 1e-5);

    std::vector<float> want_max(size_t(n) * d);
    ref::pool_max(x.data(), tl.layout, d, want_max.data());
    DeviceTensor mx(int64_t(n) * d, DType::F32);
    mx.poison();
    cuda::pool_max(dx.f32(), L, d, mx.f32(), nullptr);
    CHECK(compare(mx.to_host().data(), want_max.data(), int64_t(n) * d).max_abs == 0.0);
  }
}
