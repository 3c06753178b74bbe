// Skinny GEMM, AVX2 + FMA: tiles of 4 weight rows x 3 rows, 8-float partial sums
// (skinny_gemm_impl.h). Called only when cpu_features() reports avx2 and fma.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/skinny_gemm.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#include "kernels/cpu/simd_avx2.h"
#include "kernels/cpu/skinny_gemm_impl.h"

namespace bte::cpu::detail {
void skinny_rows_avx2(const SkinnyArgs& a, int n0, int n1) { skinny_rows_impl<Avx2>(a, n0, n1); }
}  // namespace bte::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
