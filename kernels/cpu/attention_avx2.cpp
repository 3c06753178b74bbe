// Attention tile, AVX2 + FMA: 8 floats a register, micro-tiles of 6 rows × 2
// registers (12 accumulators of 16). Compiled for AVX2 through a target
// pragma (the build stays portable); called only when cpu_features() reports
// avx2 and fma. See attention_tile.h.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/attention_tile.h"

#if defined(__clang__)  // clang has no GCC target pragma; this is its equivalent
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#include "kernels/cpu/simd_avx2.h"
#include "kernels/cpu/attention_tile_impl.h"

namespace bte::cpu::detail {
void attention_tile_avx2(const AttnTile& t) { attention_tile_impl<Avx2>(t); }
}  // namespace bte::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
