// Skinny GEMM, AVX-512: tiles of 4 weight rows x 6 rows, 16-float partial sums
// (skinny_gemm_impl.h). Called only when cpu_features() reports avx512f/bw/vl/dq.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/skinny_gemm.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")
// GCC 12 false positives on its own _mm512_undefined_* placeholders (see attention_avx512.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/cpu/simd_avx512.h"
#include "kernels/cpu/skinny_gemm_impl.h"

namespace bte::cpu::detail {
void skinny_rows_avx512(const SkinnyArgs& a, int n0, int n1) { skinny_rows_impl<Avx512>(a, n0, n1); }
}  // namespace bte::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
