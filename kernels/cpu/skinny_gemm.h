// GEMM for few rows (M <= 48 by default) on weights in their .bte layout, for CPUs where oneDNN
// 2.6 runs fp32 matmul through its sgemm (gemm:jit; AVX2 machines): there it
// reaches 35–60 GFLOP/s at M = 16 on XLM-R base shapes (Zen3, 2 threads),
// far below what streaming the weights once allows.
//
//   y[M, N] (+)= x[M, K] · W[N, K]ᵀ + b
//
// Each output is a dot product along k of a row of x and a row of W, both
// contiguous: a micro-tile of NB weight rows × MB x rows keeps NB·MB vector
// accumulators of partial sums, reads each weight row once per tile as one
// sequential stream, and reduces horizontally at the end. Threads split the
// weight rows (each streams its own share once per call).
// Twin: ref::matmul_nt + ref::add_bias (+ ref::add_inplace).
#pragma once

#include <cstdint>

namespace bte::cpu {

// Whether a SIMD variant (AVX2 or AVX-512, see kernel_variant()) runs it.
bool skinny_gemm_available();
// x: [M, K] row-major; W: [N, K] row-major; bias: [N] or null; y: [M, N].
// accumulate: y += result (the residual already in y). Threads: num_threads().
void skinny_gemm_nt(const float* x, int64_t M, int K, const float* W, int N, const float* bias,
                    bool accumulate, float* y);

}  // namespace bte::cpu

namespace bte::cpu::detail {

struct SkinnyArgs {
  const float* x;
  int64_t M;
  int K;
  const float* W;
  int N;
  const float* bias;
  bool accumulate;
  float* y;
};
// One variant's work on weight rows [n0, n1) for all M rows.
void skinny_rows_avx2(const SkinnyArgs& a, int n0, int n1);
void skinny_rows_avx512(const SkinnyArgs& a, int n0, int n1);

}  // namespace bte::cpu::detail
