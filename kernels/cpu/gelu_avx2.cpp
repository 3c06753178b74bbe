// GELU in place, Avx2: whole registers through simd_math.h's gelu, the
// last n % W elements through one more register on a padded copy.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")

#endif

#include "kernels/cpu/simd_avx2.h"
#include "kernels/cpu/simd_math.h"

namespace bte::cpu::detail {

void gelu_avx2(float* x, int64_t n) {
  using V = Avx2;
  int64_t i = 0;
  for (; i + V::W <= n; i += V::W) V::store(x + i, gelu<V>(V::load(x + i)));
  if (i < n) {
    float t[V::W] = {};
    std::memcpy(t, x + i, sizeof(float) * size_t(n - i));
    V::store(t, gelu<V>(V::load(t)));
    std::memcpy(x + i, t, sizeof(float) * size_t(n - i));
  }
}

}  // namespace bte::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
