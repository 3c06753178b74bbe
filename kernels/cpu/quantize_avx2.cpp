// The int8 row kernels (quantize_rows.h), AVX2 + FMA: 8 floats a vector,
// the last K % 32 (quantise) or N % 8 (dequantise) elements through the
// scalar kernel's arithmetic. Bit-identical to the reference twin (see
// quantize_avx512.cpp). Called only when cpu_features() reports avx2 and fma.
#include <immintrin.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "kernels/cpu/quantize_rows.h"

#define BTE_AVX2 __attribute__((target("avx2,fma")))

namespace bte::cpu::detail {
namespace {
// 8 floats · inv, rounded half to even, clamped to [lo, hi].
BTE_AVX2 inline __m256i conv(const float* p, __m256 vinv, __m256i lo, __m256i hi) {
  const __m256i i = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(p), vinv));
  return _mm256_min_epi32(_mm256_max_epi32(i, lo), hi);
}
}  // namespace

BTE_AVX2 float quantize_row_avx2(const float* x, int K, int qmax, int8_t* q) {
  const __m256 sign = _mm256_set1_ps(-0.f), inf = _mm256_set1_ps(INFINITY);
  __m256 amax = _mm256_setzero_ps();
  int bad = 0;
  int k = 0;
  for (; k + 8 <= K; k += 8) {
    const __m256 a = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + k));
    bad |= _mm256_movemask_ps(_mm256_cmp_ps(a, inf, _CMP_NLT_UQ));  // NaN or infinity
    amax = _mm256_max_ps(amax, a);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, amax);
  float a = 0;
  for (float l : lanes) a = std::max(a, l);
  for (; k < K; ++k) {
    if (!std::isfinite(x[k])) bad = 1;
    else a = std::max(a, std::fabs(x[k]));
  }
  if (bad) {
    std::memset(q, 0, size_t(K));
    return NAN;
  }
  // A max so small that qmax / max overflows (< ~3.7e-37) gives zeros, not 0 · inf.
  const float ratio = a > 0 ? float(qmax) / a : 0.f;
  const float inv = ratio <= FLT_MAX ? ratio : 0.f;
  const __m256 vinv = _mm256_set1_ps(inv);
  const __m256i hi = _mm256_set1_epi32(qmax), lo = _mm256_set1_epi32(-qmax);
  // packs interleave 128-bit lanes; this puts the 4-byte groups back in order
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  k = 0;
  for (; k + 32 <= K; k += 32) {
    const __m256i a01 = _mm256_packs_epi32(conv(x + k, vinv, lo, hi), conv(x + k + 8, vinv, lo, hi));
    const __m256i a23 = _mm256_packs_epi32(conv(x + k + 16, vinv, lo, hi), conv(x + k + 24, vinv, lo, hi));
    const __m256i b = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(a01, a23), order);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + k), b);
  }
  for (; k < K; ++k)
    q[k] = int8_t(std::min(std::max(std::nearbyint(x[k] * inv), -float(qmax)), float(qmax)));
  return a / float(qmax);
}

BTE_AVX2 void dequantize_row_avx2(const int32_t* acc, int N, float xs, const float* ws,
                                  const float* b, bool accumulate, float* y) {
  const __m256 vxs = _mm256_set1_ps(xs);
  int n = 0;
  for (; n + 8 <= N; n += 8) {
    const __m256 a = _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + n)));
    const __m256 s = _mm256_mul_ps(vxs, _mm256_loadu_ps(ws + n));
    __m256 v = _mm256_fmadd_ps(a, s, b ? _mm256_loadu_ps(b + n) : _mm256_setzero_ps());
    if (accumulate) v = _mm256_add_ps(_mm256_loadu_ps(y + n), v);
    _mm256_storeu_ps(y + n, v);
  }
  for (; n < N; ++n) {
    const float v = std::fma(float(acc[n]), xs * ws[n], b ? b[n] : 0.f);
    y[n] = accumulate ? y[n] + v : v;
  }
}

}  // namespace bte::cpu::detail
