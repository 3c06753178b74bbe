// Reference twins of the int8 kernels (kernels/cpu/quantize.h,
// kernels/cpu/linear_int8.h): plain loops, written to be obviously right.
//
// The scheme (symmetric, no zero points):
//   a row r of K floats  ->  scale = max_k |r_k| / qmax,  q_k = round_even(r_k · (qmax / max))
//                            clamped to [-qmax, qmax]; value ≈ q · scale
//                            (a max below ~3.7e-37, where qmax / max overflows: q = 0)
//   weights W[N, K]: one such row per output channel (qmax 127, or 63 where
//   oneDNN multiplies without VNNI: linear_int8.h says why)
//   activations x[M, K]: one per token row, at run time (qmax 127)
//   y[m, n] = fma(float(Σ_k xq[m, k] · wq[n, k]), xs[m] · ws[n], b[n])   (int32 sum: exact)
// A row holding NaN or infinity gets scale NaN and q = 0, so everything
// computed from it is NaN and the engine refuses the result.
#pragma once

#include <cstdint>

namespace bte::ref {

// q[M, K], scale[M] from x[M, K] (all row stride K).
void quantize_rows_s8(const float* x, int64_t M, int K, int qmax, int8_t* q, float* scale);
// acc[M, N] = xq[M, K] · wq[N, K]ᵀ in int32 (exact: |sum| < 2^31 for K < 2^17).
void matmul_s8_nt(const int8_t* xq, int64_t M, int K, const int8_t* wq, int N, int32_t* acc);
// y[m, n] = fma(float(acc[m, n]), xs[m] · ws[n], b[n])  (+ y[m, n] when accumulate).
// bias may be null (zero).
void dequantize_rows(const int32_t* acc, int64_t M, int N, const float* xs, const float* ws,
                     const float* bias, bool accumulate, float* y);

}  // namespace bte::ref
