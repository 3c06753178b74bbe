// Our hand-written CPU kernels compiled for AVX2 + FMA: the attention tile,
// the skinny GEMM and GELU, each a template over the traits in simd_avx2.h
// (8 floats a register). One target pragma for the whole file keeps the
// build portable (no -march=native): these run only when cpu_features()
// reports avx2 and fma (ops.h kernel_variant()).
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/attention_tile.h"
#include "kernels/cpu/skinny_gemm.h"

#if defined(__clang__)  // clang has no GCC target pragma; this is its equivalent
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#include "kernels/cpu/simd_avx2.h"
#include "kernels/cpu/attention_tile_impl.h"
#include "kernels/cpu/simd_math.h"
#include "kernels/cpu/skinny_gemm_impl.h"

namespace bte::cpu::detail {
void attention_tile_avx2(const AttnTile& t) { attention_tile_impl<Avx2>(t); }
void skinny_rows_avx2(const SkinnyArgs& a, int n0, int n1) { skinny_rows_impl<Avx2>(a, n0, n1); }
void gelu_avx2(float* x, int64_t n) { gelu_array<Avx2>(x, n); }
}  // namespace bte::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
