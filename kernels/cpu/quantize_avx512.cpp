// The int8 row kernels (quantize_rows.h), AVX-512: 16 floats a vector,
// masked tails. The arithmetic is the reference twin's, element for element
// (the same products, one fma, cvtps rounding half to even), so results are
// bit-identical to it. Called only when cpu_features() reports avx512f/bw/vl/dq.
#include <immintrin.h>

#include <cfloat>
#include <cmath>
#include <cstring>

#include "kernels/cpu/quantize_rows.h"

#define BTE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

// GCC 12's avx512fintrin.h trips these on its _mm512_undefined_* placeholders
// once inlined here (known false positives; isa_avx512.cpp does the same).
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace bte::cpu::detail {

BTE_AVX512 float quantize_row_avx512(const float* x, int K, int qmax, int8_t* q) {
  __m512 amax = _mm512_setzero_ps();
  __mmask16 bad = 0;
  for (int k = 0; k < K; k += 16) {
    const __mmask16 m = K - k >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (K - k)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + k);
    bad |= _mm512_mask_fpclass_ps_mask(m, v, 0x01 | 0x08 | 0x10 | 0x80);  // NaN or ±infinity
    amax = _mm512_max_ps(amax, _mm512_abs_ps(v));
  }
  if (bad) {
    std::memset(q, 0, size_t(K));
    return NAN;
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, amax);
  float a = 0;
  for (float l : lanes) a = l > a ? l : a;
  // A max so small that qmax / max overflows (< ~3.7e-37) gives zeros, not 0 · inf.
  const float ratio = a > 0 ? float(qmax) / a : 0.f;
  const float inv = ratio <= FLT_MAX ? ratio : 0.f;
  const __m512 vinv = _mm512_set1_ps(inv);
  const __m512i hi = _mm512_set1_epi32(qmax), lo = _mm512_set1_epi32(-qmax);
  for (int k = 0; k < K; k += 16) {
    const __mmask16 m = K - k >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (K - k)) - 1);
    __m512i i = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + k), vinv));
    i = _mm512_min_epi32(_mm512_max_epi32(i, lo), hi);
    _mm512_mask_cvtsepi32_storeu_epi8(q + k, m, i);
  }
  return a / float(qmax);
}

BTE_AVX512 void dequantize_row_avx512(const int32_t* acc, int N, float xs, const float* ws,
                                      const float* b, bool accumulate, float* y) {
  const __m512 vxs = _mm512_set1_ps(xs);
  for (int n = 0; n < N; n += 16) {
    const __mmask16 m = N - n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (N - n)) - 1);
    const __m512 a = _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m, acc + n));
    const __m512 s = _mm512_mul_ps(vxs, _mm512_maskz_loadu_ps(m, ws + n));
    __m512 v = _mm512_fmadd_ps(a, s, b ? _mm512_maskz_loadu_ps(m, b + n) : _mm512_setzero_ps());
    if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, y + n), v);
    _mm512_mask_storeu_ps(y + n, m, v);
  }
}

}  // namespace bte::cpu::detail
