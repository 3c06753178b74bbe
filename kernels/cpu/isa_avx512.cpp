// Our hand-written CPU kernels compiled for AVX-512 (F, BW, VL, DQ) + FMA:
// the attention tile, the skinny GEMM and GELU over the traits in
// simd_avx512.h (16 floats a register). Run only when cpu_features()
// reports avx512f/bw/vl/dq (ops.h kernel_variant()).
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/attention_tile.h"
#include "kernels/cpu/skinny_gemm.h"

#if defined(__clang__)  // clang has no GCC target pragma; this is its equivalent
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")
// GCC 12's own avx512fintrin.h trips these on its _mm512_undefined_ps()
// placeholders once inlined here (known false positives).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/cpu/simd_avx512.h"
#include "kernels/cpu/attention_tile_impl.h"
#include "kernels/cpu/simd_math.h"
#include "kernels/cpu/skinny_gemm_impl.h"

namespace bte::cpu::detail {
void attention_tile_avx512(const AttnTile& t) { attention_tile_impl<Avx512>(t); }
void skinny_rows_avx512(const SkinnyArgs& a, int n0, int n1) { skinny_rows_impl<Avx512>(a, n0, n1); }
void gelu_avx512(float* x, int64_t n) { gelu_array<Avx512>(x, n); }
}  // namespace bte::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
