// int8 quantisation kernels of the CPU int8 path (cpu::LinearInt8): rows to
// symmetric int8 with one fp32 scale each, and the epilogue that turns an
// int8 GEMM's int32 sums back into floats with bias, GELU or the residual
// fused. Twins: kernels/reference/quantize.h, which states the scheme. Rows
// run in parallel (OpenMP, cpu::num_threads()); each row has scalar / AVX2 /
// AVX-512 variants (cpu::kernel_variant()) that round exactly as the twin.
#pragma once

#include <cstdint>

#include "kernels/cpu/linear.h"  // Epilogue

namespace bte::cpu {

// q[M, K] (row stride K), scale[M] from x[M, K]: scale = max|row| / qmax,
// q = round_even(x · qmax / max), in [-qmax, qmax]; a row holding NaN or
// infinity: scale NaN, q = 0. Bit-identical to ref::quantize_rows_s8.
void quantize_rows_s8(const float* x, int64_t M, int K, int qmax, int8_t* q, float* scale);

// y[m, n] = fma(float(acc[m, n]), xs[m] · ws[n], bias[n]), then the epilogue:
// None (as is), Gelu (exact GELU), AddToOutput (y += that). Tanh and Relu are
// not taken (the heads stay fp32). bias may be null. y may be acc's memory.
void dequantize_rows(const int32_t* acc, int64_t M, int N, const float* xs, const float* ws,
                     const float* bias, Epilogue epilogue, float* y);

// The FFN up projection's epilogue: each row dequantised (bias), GELU, and
// quantised again (as quantize_rows_s8) for the down projection, so the
// hidden layer never exists in fp32 outside cache. acc is overwritten (it
// holds the row's floats on the way).
void dequantize_gelu_quantize_rows(int32_t* acc, int64_t M, int N, const float* xs,
                                   const float* ws, const float* bias, int qmax, int8_t* yq,
                                   float* ys);

}  // namespace bte::cpu
