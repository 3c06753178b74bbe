// Internal to kernels/cpu: the skinny GEMM (skinny_gemm.h) written once over
// a SIMD traits class V, included by each variant file after its target
// pragma and traits. Micro-tile: NB weight rows × MB x rows, vectors of V::W
// partial sums along k; a scalar loop finishes K % W. AVX2 (16 registers):
// 4 x rows × 3 weight rows = 12 accumulators + 3 weights + 1 x, exactly 16
// (the 3 × 4 tile needs 17 and spills: 4 x 3 measured 10-25% faster, Zen3);
// AVX-512 (32 registers): 6 × 4.
#pragma once

#include "kernels/cpu/skinny_gemm.h"

namespace bte::cpu::detail {
namespace {

template <class V>
struct Tile {
  static constexpr int MB = V::W == 8 ? 4 : 6;  // x rows
  static constexpr int NB = V::W == 8 ? 3 : 4;  // weight rows
};
constexpr int kAhead = 2;  // groups ahead the prefetch runs

// Software prefetch of a later tile group's weights (NB contiguous rows),
// spread evenly over all of the current group's k steps, one prefetch per
// step with no branch: each tile of the group covers its slice of the
// later group, `bytes` further per k step (a core keeps only ~20 misses in
// flight, so prefetches issued in a burst are dropped).
struct Prefetch {
  const char* p;
  int bytes;  // advance per k step (<= 64: one line)
};

template <class V>
float hsum(typename V::R v) {
  alignas(64) float t[V::W];
  V::store(t, v);
  float s = 0.f;
  for (int i = 0; i < V::W; ++i) s += t[i];
  return s;
}

template <class V, int MB, int NB>
void skinny_tile(const SkinnyArgs& a, int64_t m0, int n0, Prefetch pf) {
  using R = typename V::R;
  constexpr int W = V::W;
  const int K = a.K, kv = K / W * W;
  const float* x = a.x + m0 * K;
  const float* w = a.W + int64_t(n0) * K;
  R acc[MB][NB];
#pragma GCC unroll 8
  for (int m = 0; m < MB; ++m)
#pragma GCC unroll 4
    for (int n = 0; n < NB; ++n) acc[m][n] = V::zero();
  for (int k = 0; k < kv; k += W) {
    __builtin_prefetch(pf.p);
    pf.p += pf.bytes;
    R wv[NB];
#pragma GCC unroll 4
    for (int n = 0; n < NB; ++n) wv[n] = V::load(w + int64_t(n) * K + k);
#pragma GCC unroll 8
    for (int m = 0; m < MB; ++m) {
      const R xv = V::load(x + int64_t(m) * K + k);
#pragma GCC unroll 4
      for (int n = 0; n < NB; ++n) acc[m][n] = V::fma(xv, wv[n], acc[m][n]);
    }
  }
  for (int m = 0; m < MB; ++m) {
    float* y = a.y + (m0 + m) * a.N + n0;
    float sums[4];
    if constexpr (NB == 4) V::hsum4(acc[m][0], acc[m][1], acc[m][2], acc[m][3], sums);
    if constexpr (NB == 3) V::hsum4(acc[m][0], acc[m][1], acc[m][2], V::zero(), sums);
    for (int n = 0; n < NB; ++n) {
      float s = NB >= 3 ? sums[n] : hsum<V>(acc[m][n]);
      for (int k = kv; k < K; ++k) s += x[int64_t(m) * K + k] * w[int64_t(n) * K + k];
      if (a.bias) s += a.bias[n0 + n];
      y[n] = a.accumulate ? y[n] + s : s;
    }
  }
}

// The last rows (r < MB) or weight rows (nb < NB): a tile of exactly that size.
template <class V, int MB, int NB>
void skinny_edge(const SkinnyArgs& a, int64_t m0, int r, int n0, int nb, Prefetch pf) {
  if constexpr (MB > 0 && NB > 0) {
    if (r < MB) return skinny_edge<V, MB - 1, NB>(a, m0, r, n0, nb, pf);
    if (nb < NB) return skinny_edge<V, MB, NB - 1>(a, m0, r, n0, nb, pf);
    skinny_tile<V, MB, NB>(a, m0, n0, pf);
  }
}

template <class V>
void skinny_rows_impl(const SkinnyArgs& a, int n0, int n1) {
  constexpr int MB = Tile<V>::MB, kNB = Tile<V>::NB;
  // The prefetch rate: one later group's bytes over all k steps of a
  // group's tiles (the same for every group of the call).
  const int tiles = int((a.M + MB - 1) / MB), steps = a.K / V::W;
  const int64_t group_steps = int64_t(tiles) * (steps > 0 ? steps : 1);
  const int64_t group_bytes = int64_t(kNB) * a.K * int64_t(sizeof(float));
  const int64_t per_step = (group_bytes + group_steps - 1) / group_steps;
  const int bytes = int(per_step < 64 ? per_step : 64);
  for (int n = n0; n < n1; n += kNB) {
    const int nb = n1 - n < kNB ? n1 - n : kNB;
    // While this group computes, a later group's weights come in; near the
    // range's end, its last whole group (already cached by then).
    const int last = n1 - kNB > n ? n1 - kNB : n, ahead = n + kAhead * kNB;
    const int later = ahead < last ? ahead : last;
    const char* base = reinterpret_cast<const char*>(a.W + int64_t(later) * a.K);
    for (int64_t m = 0; m < a.M; m += MB) {
      const int r = a.M - m < MB ? int(a.M - m) : MB;
      const Prefetch pf{base + (m / MB) * int64_t(steps) * bytes, bytes};
      if (r == MB && nb == kNB) skinny_tile<V, MB, kNB>(a, m, n, pf);
      else skinny_edge<V, MB, kNB>(a, m, r, n, nb, pf);
    }
  }
}

}  // namespace
}  // namespace bte::cpu::detail
