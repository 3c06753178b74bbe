// CUDA kernel microbenchmarks at XLM-R base/large shapes, each with the
// ceiling it should be read against:
//   Linear (cuBLASLt, fp32/fp16/bf16)       TFLOP/s (cuBLASLt is its own ceiling; compare the
//                                           GPU's dense peak)
//   fused attention, lengths 16 … 512 and   GFLOP/s beside cuBLAS doing the same two products
//   the mixed batch                         (Q·Kᵀ, P·V) batched over heads, scores written out,
//                                           no softmax
//   LayerNorm, GELU, embedding              GB/s beside a device-to-device copy
// Times are CUDA events around each launch (manual time), after warm-up.
//
//   ./build/bench/bench_kernels_cuda                      # everything (~1 min on an H100)
//   ./build/bench/bench_kernels_cuda --benchmark_filter=Attention
//
// Without a GPU it says so and exits 0.
#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "kernels/cuda/attention.h"
#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/layernorm.h"
#include "kernels/cuda/linear.h"

using namespace bte;
using cuda::DeviceBuffer;

namespace {

constexpr int kHeadDim = 64;
constexpr int kTokens = 4096;  // rows of the GEMM and elementwise benchmarks; uniform batches: 4096 / L

// Times `fn` with CUDA events; the iteration time is the GPU time.
template <typename F>
void gpu_loop(benchmark::State& st, F&& fn) {
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  for (int i = 0; i < 3; ++i) fn();
  for (auto _ : st) {
    cudaEventRecord(a);
    fn();
    cudaEventRecord(b);
    cudaEventSynchronize(b);
    float ms = 0;
    cudaEventElapsedTime(&ms, a, b);
    st.SetIterationTime(ms * 1e-3);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
}

DType type_of(int64_t i) { return i == 0 ? DType::F32 : i == 1 ? DType::F16 : DType::BF16; }

// Deterministic values in [-1, 1] (timings do not depend on them).
std::vector<float> filler(int64_t n) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = float((i * 7919) % 2001 - 1000) * 1e-3f;
  return v;
}

// args: type, M, N, K
void BM_Linear(benchmark::State& st) {
  const DType t = type_of(st.range(0));
  const int64_t M = st.range(1);
  const int N = int(st.range(2)), K = int(st.range(3));
  cuda::LtHandle lt;
  const auto W = filler(int64_t(N) * K), b = filler(N);
  cuda::Linear lin(lt, W.data(), b.data(), N, K, t, t);
  DeviceBuffer<uint8_t> x(size_t(M) * K * dtype_size(t)), y(size_t(M) * N * dtype_size(t));
  DeviceBuffer<uint8_t> ws(cuda::Linear::kWorkspaceBytes);
  x.poison();
  gpu_loop(st, [&] { lin.forward(x.get(), M, y.get(), ws.get(), ws.size(), nullptr); });
  st.counters["TFLOP/s"] = benchmark::Counter(2.0 * M * N * K * 1e-12 * double(st.iterations()),
                                              benchmark::Counter::kIsRate);
  st.SetLabel(dtype_name(t));
}

std::vector<int32_t> batch_lengths(int L) {
  if (L > 0) return std::vector<int32_t>(std::max(1, kTokens / L), L);
  std::vector<int32_t> lens;  // the `mixed` workload: 64 texts, 16 … 256
  for (int i = 0; i < 64; ++i) lens.push_back(16 + (240 * i) / 63);
  return lens;
}

struct AttnSetup {
  std::vector<int32_t> lens, cu;
  DeviceBuffer<int32_t> cu_dev;
  DeviceBuffer<uint8_t> qkv, out;
  cuda::AttentionParams p;
  double flops = 0;
  AttnSetup(int L, int H, DType t) : lens(batch_lengths(L)), cu(lens.size() + 1, 0) {
    for (size_t i = 0; i < lens.size(); ++i) cu[i + 1] = cu[i] + lens[i];
    cu_dev = DeviceBuffer<int32_t>(cu);
    const int64_t rows = cu.back(), hd = int64_t(H) * kHeadDim;
    const auto host = filler(rows * 3 * hd);
    DeviceBuffer<float> f(host);
    qkv = DeviceBuffer<uint8_t>(size_t(rows) * 3 * hd * dtype_size(t));
    out = DeviceBuffer<uint8_t>(size_t(rows) * hd * dtype_size(t));
    cuda::convert(f.get(), DType::F32, qkv.get(), t, rows * 3 * hd, nullptr);
    p.qkv = qkv.get();
    p.ld_qkv = 3 * hd;
    p.out = out.get();
    p.ld_out = hd;
    p.cu_seqlens = cu_dev.get();
    p.n_seqs = int(lens.size());
    p.max_len = *std::max_element(lens.begin(), lens.end());
    p.heads = H;
    p.head_dim = kHeadDim;
    for (int32_t l : lens) flops += 4.0 * double(l) * l * kHeadDim * H;
  }
};

// args: type, L (0 = mixed), heads
void BM_Attention(benchmark::State& st) {
  const DType t = type_of(st.range(0));
  AttnSetup s(int(st.range(1)), int(st.range(2)), t);
  gpu_loop(st, [&] { cuda::attention(s.p, t, nullptr); });
  st.counters["GFLOP/s"] = benchmark::Counter(s.flops * 1e-9 * double(st.iterations()),
                                              benchmark::Counter::kIsRate);
  st.SetLabel(dtype_name(t));
}

// The ceiling: the same two products through cuBLAS, per sequence batched
// over heads, with the score matrix in global memory and no softmax.
void BM_AttentionCeilingCublas(benchmark::State& st) {
  const DType t = type_of(st.range(0));
  const int H = int(st.range(2));
  AttnSetup s(int(st.range(1)), H, t);
  const int Lmax = s.p.max_len;
  const cudaDataType_t dt = t == DType::F32 ? CUDA_R_32F : t == DType::F16 ? CUDA_R_16F : CUDA_R_16BF;
  DeviceBuffer<uint8_t> scores(size_t(H) * Lmax * Lmax * dtype_size(t));
  cublasHandle_t h;
  cublasCreate(&h);
  const float one = 1.f, zero = 0.f;
  const int ld = int(s.p.ld_qkv), hd = H * kHeadDim;
  const size_t eb = dtype_size(t);
  auto* base = reinterpret_cast<char*>(s.qkv.get());
  auto* out = reinterpret_cast<char*>(s.out.get());
  gpu_loop(st, [&] {
    for (size_t i = 0; i < s.lens.size(); ++i) {
      const int L = s.lens[i];
      char* q = base + size_t(s.cu[i]) * ld * eb;
      cublasGemmStridedBatchedEx(h, CUBLAS_OP_T, CUBLAS_OP_N, L, L, kHeadDim, &one, q + hd * eb, dt, ld,
                                 kHeadDim, q, dt, ld, kHeadDim, &zero, scores.get(), dt, L,
                                 int64_t(L) * L, H, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
      cublasGemmStridedBatchedEx(h, CUBLAS_OP_N, CUBLAS_OP_N, kHeadDim, L, L, &one, q + 2 * hd * eb, dt,
                                 ld, kHeadDim, scores.get(), dt, L, int64_t(L) * L, &zero,
                                 out + size_t(s.cu[i]) * hd * eb, dt, hd, kHeadDim, H,
                                 CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    }
  });
  cublasDestroy(h);
  st.counters["GFLOP/s"] = benchmark::Counter(s.flops * 1e-9 * double(st.iterations()),
                                              benchmark::Counter::kIsRate);
  st.SetLabel(dtype_name(t));
}

void bytes_counter(benchmark::State& st, double bytes) {
  st.counters["GB/s"] = benchmark::Counter(bytes * 1e-9 * double(st.iterations()), benchmark::Counter::kIsRate);
}

// args: d. x = LN(x + delta + b), fp32, plus the fp16 copy: reads 8 B, writes 6 B per element.
void BM_ResidualLayerNorm(benchmark::State& st) {
  const int d = int(st.range(0));
  DeviceBuffer<float> x(filler(int64_t(kTokens) * d)), delta(filler(int64_t(kTokens) * d));
  DeviceBuffer<float> b(filler(d)), g(filler(d)), be(filler(d));
  DeviceBuffer<uint16_t> copy(size_t(kTokens) * d);
  gpu_loop(st, [&] {
    cuda::bias_residual_layernorm(x.get(), delta.get(), b.get(), g.get(), be.get(), kTokens, d, 1e-5f,
                                  copy.get(), DType::F16, nullptr);
  });
  bytes_counter(st, 14.0 * kTokens * d);
}

// args: d. Gathers word + position rows (8 B read per element), writes fp32 + fp16 (6 B).
void BM_EmbedLayerNorm(benchmark::State& st) {
  const int d = int(st.range(0)), vocab = 250002, P = 514;
  DeviceBuffer<float> word(size_t(vocab) * d), pos(filler(int64_t(P) * d)), g(filler(d)), b(filler(d));
  std::vector<int32_t> ids(kTokens), positions(kTokens);
  for (int i = 0; i < kTokens; ++i) ids[i] = (i * 104729) % vocab, positions[i] = 2 + i % 256;
  DeviceBuffer<int32_t> dids(ids), dpos(positions);
  DeviceBuffer<float> out(size_t(kTokens) * d);
  DeviceBuffer<uint16_t> copy(size_t(kTokens) * d);
  gpu_loop(st, [&] {
    cuda::embed_layernorm(dids.get(), dpos.get(), nullptr, kTokens, word.get(), pos.get(), nullptr, g.get(), b.get(),
                          d, 1e-5f, out.get(), nullptr, copy.get(), DType::F16);
  });
  bytes_counter(st, 14.0 * kTokens * d);
}

// args: type, f. In place: one read and one write per element.
void BM_Gelu(benchmark::State& st) {
  const DType t = type_of(st.range(0));
  const int64_t n = int64_t(kTokens) * st.range(1);
  DeviceBuffer<uint8_t> h(size_t(n) * dtype_size(t));
  cudaMemset(h.get(), 0, h.size());
  gpu_loop(st, [&] { cuda::gelu_inplace(h.get(), t, n, nullptr); });
  bytes_counter(st, 2.0 * double(n) * dtype_size(t));
  st.SetLabel(dtype_name(t));
}

// The memory-bound kernels' ceiling: a device-to-device copy of 256 MiB (read + write counted).
void BM_CopyBandwidth(benchmark::State& st) {
  const size_t bytes = size_t(256) << 20;
  DeviceBuffer<uint8_t> a(bytes), b(bytes);
  gpu_loop(st, [&] { cudaMemcpyAsync(b.get(), a.get(), bytes, cudaMemcpyDeviceToDevice, nullptr); });
  bytes_counter(st, 2.0 * double(bytes));
}

void register_all() {
  auto timed = [](benchmark::internal::Benchmark* b) { b->UseManualTime()->Unit(benchmark::kMicrosecond); };
  for (int t = 0; t < 3; ++t) {
    for (auto [N, K] : {std::pair{2304, 768}, {768, 768}, {3072, 768}, {768, 3072}, {4096, 1024}, {1024, 4096}})
      timed(benchmark::RegisterBenchmark("Linear", BM_Linear)->Args({t, kTokens, N, K}));
    for (int L : {16, 32, 64, 128, 256, 512, 0}) {
      for (int H : {12, 16}) {
        timed(benchmark::RegisterBenchmark("Attention", BM_Attention)->Args({t, L, H}));
        timed(benchmark::RegisterBenchmark("AttentionCeilingCublas", BM_AttentionCeilingCublas)->Args({t, L, H}));
      }
    }
    timed(benchmark::RegisterBenchmark("Gelu", BM_Gelu)->Args({t, 3072}));
  }
  for (int d : {768, 1024}) {
    timed(benchmark::RegisterBenchmark("ResidualLayerNorm", BM_ResidualLayerNorm)->Arg(d));
    timed(benchmark::RegisterBenchmark("EmbedLayerNorm", BM_EmbedLayerNorm)->Arg(d));
  }
  timed(benchmark::RegisterBenchmark("CopyBandwidth", BM_CopyBandwidth));
}

}  // namespace

int main(int argc, char** argv) {
  if (cuda::device_count() == 0) {
    std::printf("bench_kernels_cuda: skipped: %s\n", cuda::device_summary().c_str());
    return 0;
  }
  std::printf("GPU: %s\n", cuda::device_summary().c_str());
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
