// Internal to kernels/cpu: the skinny GEMM (skinny_gemm.h) written once over
// a SIMD traits class V, included by each variant file after its target
// pragma and traits. Micro-tile: NB = 4 weight rows × MB x rows (MB = 3 on
// AVX2: 12 accumulators + 4 weight loads + 1 x register of 16; 6 on
// AVX-512), vectors of V::W partial sums along k; a scalar loop finishes
// K % W.
#pragma once

#include "kernels/cpu/skinny_gemm.h"

namespace bte::cpu::detail {
namespace {

constexpr int kNB = 4;
constexpr int kAhead = 2;  // groups ahead the prefetch runs

// Software prefetch of the next tile group's weights (contiguous rows),
// spread evenly over all of the current group's k steps: a core keeps only
// ~20 misses in flight, so prefetches issued in a burst are dropped.
struct Prefetcher {
  const float* p = nullptr;  // next line to fetch
  const float* end = nullptr;
  int every = 1, per = 1, countdown = 1;  // `per` lines every `every` k steps
  void step() {
    if (p >= end || --countdown > 0) return;
    countdown = every;
    for (int i = 0; i < per && p < end; ++i, p += 16) __builtin_prefetch(p);
  }
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
void skinny_tile(const SkinnyArgs& a, int64_t m0, int n0, Prefetcher& pf) {
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
  Prefetcher f = pf;  // in registers for the loop (through the reference it would live in memory)
  for (int k = 0; k < kv; k += W) {
    f.step();
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
  pf = f;
  for (int m = 0; m < MB; ++m) {
    float* y = a.y + (m0 + m) * a.N + n0;
    float sums[4];
    if constexpr (NB == 4) V::hsum4(acc[m][0], acc[m][1], acc[m][2], acc[m][3], sums);
    for (int n = 0; n < NB; ++n) {
      float s = NB == 4 ? sums[n] : hsum<V>(acc[m][n]);
      for (int k = kv; k < K; ++k) s += x[int64_t(m) * K + k] * w[int64_t(n) * K + k];
      if (a.bias) s += a.bias[n0 + n];
      y[n] = a.accumulate ? y[n] + s : s;
    }
  }
}

// The last rows (r < MB) or weight rows (nb < NB): a tile of exactly that size.
template <class V, int MB, int NB>
void skinny_edge(const SkinnyArgs& a, int64_t m0, int r, int n0, int nb, Prefetcher& pf) {
  if constexpr (MB > 0 && NB > 0) {
    if (r < MB) return skinny_edge<V, MB - 1, NB>(a, m0, r, n0, nb, pf);
    if (nb < NB) return skinny_edge<V, MB, NB - 1>(a, m0, r, n0, nb, pf);
    skinny_tile<V, MB, NB>(a, m0, n0, pf);
  }
}

template <class V>
void skinny_rows_impl(const SkinnyArgs& a, int n0, int n1) {
  constexpr int MB = V::W == 8 ? 3 : 6;
  for (int n = n0; n < n1; n += kNB) {
    const int nb = n1 - n < kNB ? n1 - n : kNB;
    // While this group computes, the next group's weights come in.
    Prefetcher pf;
    if (n + (kAhead + 1) * kNB <= n1) {
      pf.p = a.W + int64_t(n + kAhead * kNB) * a.K;
      pf.end = pf.p + int64_t(kNB) * a.K;
      const int64_t lines = int64_t(kNB) * a.K / 16 + 1;
      const int64_t steps = (a.M + MB - 1) / MB * (a.K / V::W) + 1;
      pf.every = int(steps >= lines ? steps / lines : 1);
      pf.per = int(steps >= lines ? 1 : (lines + steps - 1) / steps);
    }
    for (int64_t m = 0; m < a.M; m += MB) {
      const int r = a.M - m < MB ? int(a.M - m) : MB;
      if (r == MB && nb == kNB) skinny_tile<V, MB, kNB>(a, m, n, pf);
      else skinny_edge<V, MB, kNB>(a, m, r, n, nb, pf);
    }
  }
}

}  // namespace
}  // namespace bte::cpu::detail
