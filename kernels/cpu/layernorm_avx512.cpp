// LayerNorm row, AVX-512 (16 floats a vector, masked tail for d % 16).
// Compiled for AVX-512 through target attributes only; called only when
// cpu_features() reports avx512f/bw/vl/dq. See layernorm_rows.h.
#include <immintrin.h>

#include <cmath>

#include "kernels/cpu/layernorm_rows.h"

#define BTE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

namespace bte::cpu::detail {
namespace {

BTE_AVX512 inline __m512 load_sum(const float* a, const float* b, const float* c, int j,
                                  __mmask16 m) {
  __m512 v = _mm512_maskz_loadu_ps(m, a + j);
  if (b) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, b + j));
  if (c) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, c + j));
  return v;
}

// Horizontal sum. (_mm512_reduce_add_ps trips GCC 12's -Wuninitialized.)
BTE_AVX512 inline float hsum(__m512 v) {
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0x4E));  // + the other 256-bit half
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0xB1));  // + the neighbouring 128-bit lane
  __m128 s = _mm512_maskz_extractf32x4_ps(0xF, v, 0);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace

BTE_AVX512 void layernorm_row_avx512(const float* a, const float* b, const float* c,
                                     const float* gamma, const float* beta, int d, float eps,
                                     float* out) {
  const int full = d & ~15;
  const __mmask16 tail = __mmask16((1u << (d & 15)) - 1);

  // Pass 1: the sum (and the materialised input when b or c is given).
  const float* x = a;
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  int j = 0;
  if (b || c) {
    for (; j < full; j += 16) {
      const __m512 v = load_sum(a, b, c, j, 0xFFFF);
      _mm512_storeu_ps(out + j, v);
      s0 = _mm512_add_ps(s0, v);
    }
    if (tail) {
      const __m512 v = load_sum(a, b, c, j, tail);
      _mm512_mask_storeu_ps(out + j, tail, v);
      s1 = _mm512_add_ps(s1, v);
    }
    x = out;
  } else {
    for (; j + 32 <= full; j += 32) {
      s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + j));
      s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + j + 16));
    }
    for (; j < full; j += 16) s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + j));
    if (tail) s1 = _mm512_add_ps(s1, _mm512_maskz_loadu_ps(tail, x + j));
  }
  const float mean = hsum(_mm512_add_ps(s0, s1)) / float(d);

  // Pass 2: squared deviations, plus the deviations themselves to correct
  // the rounding of the mean.
  const __m512 vm = _mm512_set1_ps(mean);
  __m512 q0 = _mm512_setzero_ps(), q1 = _mm512_setzero_ps(), e0 = _mm512_setzero_ps();
  for (j = 0; j + 32 <= full; j += 32) {
    const __m512 t0 = _mm512_sub_ps(_mm512_loadu_ps(x + j), vm);
    const __m512 t1 = _mm512_sub_ps(_mm512_loadu_ps(x + j + 16), vm);
    q0 = _mm512_fmadd_ps(t0, t0, q0);
    q1 = _mm512_fmadd_ps(t1, t1, q1);
    e0 = _mm512_add_ps(e0, _mm512_add_ps(t0, t1));
  }
  for (; j < full; j += 16) {
    const __m512 t = _mm512_sub_ps(_mm512_loadu_ps(x + j), vm);
    q0 = _mm512_fmadd_ps(t, t, q0);
    e0 = _mm512_add_ps(e0, t);
  }
  if (tail) {
    const __m512 t = _mm512_maskz_sub_ps(tail, _mm512_maskz_loadu_ps(tail, x + j), vm);
    q1 = _mm512_fmadd_ps(t, t, q1);
    e0 = _mm512_add_ps(e0, t);
  }
  const float sq = hsum(_mm512_add_ps(q0, q1));
  const float err = hsum(e0);  // Σ(x - mean): the rounding of mean, times d
  float var = (sq - err * err / float(d)) / float(d);
  if (var < 0.f) var = 0.f;
  const float rstd = 1.f / std::sqrt(var + eps);
  // The true mean is mean + lo; x - mean is exact for x near mean, so
  // (x - mean) - lo keeps full precision even when |mean| >> std.
  const __m512 vlo = _mm512_set1_ps(err / float(d));

  // Pass 3: out = ((x - mean) - lo) * (rstd * gamma) + beta.
  const __m512 vr = _mm512_set1_ps(rstd);
  for (j = 0; j < full; j += 16) {
    const __m512 g = _mm512_mul_ps(_mm512_loadu_ps(gamma + j), vr);
    const __m512 t = _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(x + j), vm), vlo);
    _mm512_storeu_ps(out + j, _mm512_fmadd_ps(t, g, _mm512_loadu_ps(beta + j)));
  }
  if (tail) {
    const __m512 g = _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, gamma + j), vr);
    const __m512 t = _mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + j), vm), vlo);
    _mm512_mask_storeu_ps(out + j, tail, _mm512_fmadd_ps(t, g, _mm512_maskz_loadu_ps(tail, beta + j)));
  }
}

}  // namespace bte::cpu::detail
