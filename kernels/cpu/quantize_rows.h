// Internal to kernels/cpu: the per-row int8 kernels in their variants
// (quantize.cpp: scalar and the dispatch; quantize_avx2.cpp,
// quantize_avx512.cpp). Every variant computes exactly what the reference
// twin does (same products, same fma, same rounding), so the tests compare
// them bit for bit.
#pragma once

#include <cstdint>

namespace bte::cpu::detail {

// Quantises one row of K floats (quantize.h), returns its scale.
using QuantizeRowFn = float (*)(const float* x, int K, int qmax, int8_t* q);
// y[n] = fma(float(acc[n]), xs · ws[n], b[n]) (+ y[n] when accumulate); b may be null.
using DequantizeRowFn = void (*)(const int32_t* acc, int N, float xs, const float* ws,
                                 const float* b, bool accumulate, float* y);

float quantize_row_scalar(const float* x, int K, int qmax, int8_t* q);
float quantize_row_avx2(const float* x, int K, int qmax, int8_t* q);
float quantize_row_avx512(const float* x, int K, int qmax, int8_t* q);
void dequantize_row_scalar(const int32_t* acc, int N, float xs, const float* ws, const float* b,
                           bool accumulate, float* y);
void dequantize_row_avx2(const int32_t* acc, int N, float xs, const float* ws, const float* b,
                         bool accumulate, float* y);
void dequantize_row_avx512(const int32_t* acc, int N, float xs, const float* ws, const float* b,
                           bool accumulate, float* y);

}  // namespace bte::cpu::detail
