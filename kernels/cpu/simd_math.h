// Vector math over a SIMD traits class V (simd_avx2.h, simd_avx512.h),
// included by variant files after their target pragma and traits.
#pragma once

#include <cstdint>

namespace bte::cpu::detail {
namespace {

// 0.5 v (1 + erf(v / √2)), the exact (erf) GELU of XLM-R. erf by
// Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7), exp(-z²) by the traits'
// exp; the result is within ~1e-7·|v| of std::erf's.
template <class V>
typename V::R gelu(typename V::R v) {
  using R = typename V::R;
  const R z = V::mul(v, V::set1(0.70710678118654752f));
  const R az = V::abs(z);
  const R t = V::div(V::set1(1.f), V::fma(V::set1(0.3275911f), az, V::set1(1.f)));
  R p = V::set1(1.061405429f);
  p = V::fma(p, t, V::set1(-1.453152027f));
  p = V::fma(p, t, V::set1(1.421413741f));
  p = V::fma(p, t, V::set1(-0.284496736f));
  p = V::fma(p, t, V::set1(0.254829592f));
  p = V::mul(p, t);
  const R e = V::exp_softmax(V::sub(V::zero(), V::mul(az, az)));
  const R erf = V::copysign(V::sub(V::set1(1.f), V::mul(p, e)), z);
  return V::mul(V::mul(V::set1(0.5f), v), V::add(V::set1(1.f), erf));
}

// GELU in place over n floats: whole registers, then the last n % W
// elements through one more register on a zero-padded copy.
template <class V>
void gelu_array(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + V::W <= n; i += V::W) V::store(x + i, gelu<V>(V::load(x + i)));
  if (i < n) {
    float t[V::W] = {};
    for (int64_t j = i; j < n; ++j) t[j - i] = x[j];
    V::store(t, gelu<V>(V::load(t)));
    for (int64_t j = i; j < n; ++j) x[j] = t[j - i];
  }
}

}  // namespace
}  // namespace bte::cpu::detail
