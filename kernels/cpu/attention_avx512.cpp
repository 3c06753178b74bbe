// Attention tile, AVX-512: 16 floats a register, micro-tiles of 6 rows × 4
// registers (24 accumulators of 32). Compiled for AVX-512 through a target
// pragma (the build stays portable); called only when cpu_features() reports
// avx512f/bw/vl/dq. See attention_tile.h.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/attention_tile.h"

#if defined(__clang__)  // clang has no GCC target pragma; this is its equivalent
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")
// GCC 12's own avx512fintrin.h trips this on its _mm512_undefined_ps()
// placeholders once inlined here (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "kernels/cpu/simd_avx512.h"
#include "kernels/cpu/attention_tile_impl.h"

namespace bte::cpu::detail {
void attention_tile_avx512(const AttnTile& t) { attention_tile_impl<Avx512>(t); }
}  // namespace bte::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
