// LayerNorm row, AVX2 + FMA (8 floats a vector, masked tail for d % 8).
// Compiled for AVX2 through target attributes only; called only when
// cpu_features() reports avx2 and fma. See layernorm_rows.h.
#include <immintrin.h>

#include <cmath>

#include "kernels/cpu/layernorm_rows.h"

#define BTE_AVX2 __attribute__((target("avx2,fma")))

namespace bte::cpu::detail {
namespace {

BTE_AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lanes < n set (n in 0..8).
BTE_AVX2 inline __m256i tail_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

BTE_AVX2 inline __m256 load_sum(const float* a, const float* b, const float* c, int j) {
  __m256 v = _mm256_loadu_ps(a + j);
  if (b) v = _mm256_add_ps(v, _mm256_loadu_ps(b + j));
  if (c) v = _mm256_add_ps(v, _mm256_loadu_ps(c + j));
  return v;
}

BTE_AVX2 inline __m256 load_sum_masked(const float* a, const float* b, const float* c, int j,
                                       __m256i m) {
  __m256 v = _mm256_maskload_ps(a + j, m);
  if (b) v = _mm256_add_ps(v, _mm256_maskload_ps(b + j, m));
  if (c) v = _mm256_add_ps(v, _mm256_maskload_ps(c + j, m));
  return v;
}

}  // namespace

BTE_AVX2 void layernorm_row_avx2(const float* a, const float* b, const float* c,
                                 const float* gamma, const float* beta, int d, float eps,
                                 float* out) {
  const int full = d & ~7;
  const int rem = d & 7;
  const __m256i m = tail_mask(rem);

  // Pass 1: the sum (and the materialised input when b or c is given).
  const float* x = a;
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int j = 0;
  if (b || c) {
    for (; j < full; j += 8) {
      const __m256 v = load_sum(a, b, c, j);
      _mm256_storeu_ps(out + j, v);
      s0 = _mm256_add_ps(s0, v);
    }
    if (rem) {
      const __m256 v = load_sum_masked(a, b, c, j, m);
      _mm256_maskstore_ps(out + j, m, v);
      s1 = _mm256_add_ps(s1, v);
    }
    x = out;
  } else {
    for (; j + 16 <= full; j += 16) {
      s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + j));
      s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + j + 8));
    }
    for (; j < full; j += 8) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + j));
    if (rem) s1 = _mm256_add_ps(s1, _mm256_maskload_ps(x + j, m));
  }
  const float mean = hsum(_mm256_add_ps(s0, s1)) / float(d);

  // Pass 2: squared deviations, and deviations to correct the mean's rounding.
  const __m256 vm = _mm256_set1_ps(mean);
  __m256 q0 = _mm256_setzero_ps(), q1 = _mm256_setzero_ps(), e0 = _mm256_setzero_ps();
  for (j = 0; j + 16 <= full; j += 16) {
    const __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(x + j), vm);
    const __m256 t1 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 8), vm);
    q0 = _mm256_fmadd_ps(t0, t0, q0);
    q1 = _mm256_fmadd_ps(t1, t1, q1);
    e0 = _mm256_add_ps(e0, _mm256_add_ps(t0, t1));
  }
  for (; j < full; j += 8) {
    const __m256 t = _mm256_sub_ps(_mm256_loadu_ps(x + j), vm);
    q0 = _mm256_fmadd_ps(t, t, q0);
    e0 = _mm256_add_ps(e0, t);
  }
  if (rem) {
    // Masked-off lanes load 0; zero their deviation too.
    const __m256 t = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(x + j, m), vm),
                                   _mm256_castsi256_ps(m));
    q1 = _mm256_fmadd_ps(t, t, q1);
    e0 = _mm256_add_ps(e0, t);
  }
  const float sq = hsum(_mm256_add_ps(q0, q1));
  const float err = hsum(e0);  // Σ(x - mean): the rounding of mean, times d
  float var = (sq - err * err / float(d)) / float(d);
  if (var < 0.f) var = 0.f;
  const float rstd = 1.f / std::sqrt(var + eps);
  // The true mean is mean + lo; x - mean is exact for x near mean, so
  // (x - mean) - lo keeps full precision even when |mean| >> std.
  const __m256 vlo = _mm256_set1_ps(err / float(d));

  // Pass 3: out = ((x - mean) - lo) * (rstd * gamma) + beta.
  const __m256 vr = _mm256_set1_ps(rstd);
  for (j = 0; j < full; j += 8) {
    const __m256 g = _mm256_mul_ps(_mm256_loadu_ps(gamma + j), vr);
    const __m256 t = _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm), vlo);
    _mm256_storeu_ps(out + j, _mm256_fmadd_ps(t, g, _mm256_loadu_ps(beta + j)));
  }
  if (rem) {
    const __m256 g = _mm256_mul_ps(_mm256_maskload_ps(gamma + j, m), vr);
    const __m256 t = _mm256_sub_ps(_mm256_sub_ps(_mm256_maskload_ps(x + j, m), vm), vlo);
    _mm256_maskstore_ps(out + j, m, _mm256_fmadd_ps(t, g, _mm256_maskload_ps(beta + j, m)));
  }
}

}  // namespace bte::cpu::detail
