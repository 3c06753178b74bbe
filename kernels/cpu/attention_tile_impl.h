// Internal to kernels/cpu: the body of one attention tile (attention_tile.h),
// written once over a vector-traits class V and included by each variant file
// (attention_scalar.cpp, isa_avx2.cpp, isa_avx512.cpp) after it has defined its traits and,
// for the SIMD ones, switched the target ISA on.
//
// V provides: R (register type), W (floats per R), kMaxNV (most R per row of a
// micro-tile), mr_for(nv) (rows of a micro-tile nv registers wide), zero,
// load, store, bcast (broadcast one float from memory), set1, add, mul, max,
// fma(a, b, c) = a*b + c, exp_softmax(x) (exp for x <= ~0, exactly 0 for
// x < -87.3 and -inf).
//
// Everything here has internal linkage (anonymous namespace) and uses no
// standard-library templates: each variant file compiles it for a different
// ISA, and a shared inline symbol would let the linker keep one of them.
#pragma once

#include "kernels/cpu/attention_tile.h"

namespace bte::cpu::detail {
namespace {

// C[MR][NV*W] = Σ_k A(m, k) · B[k][0 .. NV*W), over k < K, overwriting C.
// A(m, k) = A[k*lda + m] when ACOL (the scores, keys × queries), else A[m*lda + k].
template <class V, bool ACOL, int MR, int NV>
void micro(int K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
           int64_t ldc) {
  using R = typename V::R;
  R acc[MR][NV];
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 8
    for (int n = 0; n < NV; ++n) acc[m][n] = V::zero();
  for (int k = 0; k < K; ++k) {
    R b[NV];
#pragma GCC unroll 8
    for (int n = 0; n < NV; ++n) b[n] = V::load(B + k * ldb + n * V::W);
#pragma GCC unroll 16
    for (int m = 0; m < MR; ++m) {
      const R a = V::bcast(ACOL ? A + int64_t(k) * lda + m : A + m * lda + k);
#pragma GCC unroll 8
      for (int n = 0; n < NV; ++n) acc[m][n] = V::fma(a, b[n], acc[m][n]);
    }
  }
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 8
    for (int n = 0; n < NV; ++n) V::store(C + m * ldc + n * V::W, acc[m][n]);
}

// The last M % MR rows: a micro-tile of exactly mr < MR rows.
template <class V, bool ACOL, int NV, int MR>
void micro_tail(int mr, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
                float* C, int64_t ldc) {
  if constexpr (MR > 1) {
    if (mr < MR) return micro_tail<V, ACOL, NV, MR - 1>(mr, K, A, lda, B, ldb, C, ldc);
  }
  micro<V, ACOL, MR, NV>(K, A, lda, B, ldb, C, ldc);
}

// C[M][NV*W] over all M rows, micro-tiles of mr_for(NV) rows.
template <class V, bool ACOL, int NV>
void gemm_strip(int M, int K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                int64_t ldc) {
  constexpr int MR = V::mr_for(NV);
  const int64_t a_step = ACOL ? 1 : lda;
  int m = 0;
  for (; m + MR <= M; m += MR) micro<V, ACOL, MR, NV>(K, A + m * a_step, lda, B, ldb, C + m * ldc, ldc);
  if constexpr (MR > 1) {
    if (m < M) micro_tail<V, ACOL, NV, MR - 1>(M - m, K, A + m * a_step, lda, B, ldb, C + m * ldc, ldc);
  }
}

template <class V, bool ACOL, int NV>
void gemm_strip_nv(int nv, int M, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
                   float* C, int64_t ldc) {
  if constexpr (NV > 1) {
    if (nv < NV) return gemm_strip_nv<V, ACOL, NV - 1>(nv, M, K, A, lda, B, ldb, C, ldc);
  }
  gemm_strip<V, ACOL, NV>(M, K, A, lda, B, ldb, C, ldc);
}

// C[M][N] = A(M × K) · B[K][N], N a multiple of W: strips of up to kMaxNV
// registers across N (split evenly, so 5 = 3 + 2 rather than 4 + 1).
template <class V, bool ACOL>
void gemm(int M, int N, int K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
          int64_t ldc) {
  const int nv_total = N / V::W;
  for (int n = 0; n < nv_total;) {
    const int left = nv_total - n;
    const int nv = left <= V::kMaxNV ? left
                   : left < 2 * V::kMaxNV ? (left + 1) / 2
                                          : V::kMaxNV;
    gemm_strip_nv<V, ACOL, V::kMaxNV>(nv, M, K, A, lda, B + n * V::W, ldb, C + n * V::W, ldc);
    n += nv;
  }
}

// Softmax down NC*W columns of S[L][lds] (each column one query's scores
// over the L keys), in place: S = exp((S - colmax) * scale); sums = Σ_j S.
template <class V, int NC>
void softmax_cols(float* S, int64_t lds, int L, float scale, float* sums) {
  using R = typename V::R;
  R mx[NC], acc[NC];
#pragma GCC unroll 8
  for (int c = 0; c < NC; ++c) mx[c] = V::set1(-__builtin_inff());
  for (int j = 0; j < L; ++j)
#pragma GCC unroll 8
    for (int c = 0; c < NC; ++c) mx[c] = V::max(mx[c], V::load(S + j * lds + c * V::W));
  const R vscale = V::set1(scale);
#pragma GCC unroll 8
  for (int c = 0; c < NC; ++c) {
    mx[c] = V::mul(mx[c], V::set1(-scale));  // -max * scale
    acc[c] = V::zero();
  }
  for (int j = 0; j < L; ++j) {
#pragma GCC unroll 8
    for (int c = 0; c < NC; ++c) {
      float* s = S + j * lds + c * V::W;
      const R p = V::exp_softmax(V::fma(V::load(s), vscale, mx[c]));
      V::store(s, p);
      acc[c] = V::add(acc[c], p);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < NC; ++c) V::store(sums + c * V::W, acc[c]);
}

template <class V>
void attention_tile_impl(const AttnTile& t) {
  constexpr int W = V::W;
  const int qb = t.rows, L = t.keys, dh = t.dh;
  const int64_t qbp = round_up16(qb), dhp = round_up16(dh);
  float* Qt = t.scratch;                      // [dh][qbp]
  float* S = Qt + round_up16(dh * qbp);       // [L][qbp]
  float* O = S + round_up16(L * qbp);         // [qb][dhp]
  float* sums = O + round_up16(qb * dhp);     // [qbp]
  float* Vp = sums + qbp;                     // [L][dhp], only when dh % W != 0

  // Qt = Q_blockᵀ, zero columns past qb (their scores are computed, never used).
  for (int q = 0; q < qb; ++q) {
    const float* src = t.q + q * t.ld;
    for (int c = 0; c < dh; ++c) Qt[c * qbp + q] = src[c];
  }
  if (qb < qbp)
    for (int c = 0; c < dh; ++c)
      for (int64_t q = qb; q < qbp; ++q) Qt[c * qbp + q] = 0.f;

  // S[j][q] = k_j · q_q
  gemm<V, false>(L, int(qbp), dh, t.k, t.ld, Qt, qbp, S, qbp);

  // Softmax down each query's column, four registers of queries at a time.
  constexpr int kChunk = 4;
  const int nvq = int(qbp / W);
  int c = 0;
  for (; c + kChunk <= nvq; c += kChunk) softmax_cols<V, kChunk>(S + c * W, qbp, L, t.scale, sums + c * W);
  for (; c < nvq; ++c) softmax_cols<V, 1>(S + c * W, qbp, L, t.scale, sums + c * W);

  // O[q][:] = Σ_j S[j][q] v_j. V rows are read in place when whole registers
  // cover dh; otherwise they are copied into zero-padded rows first.
  if (dh % W == 0) {
    gemm<V, true>(qb, dh, L, S, qbp, t.v, t.ld, O, dhp);
  } else {
    const int dhw = (dh + W - 1) / W * W;
    for (int j = 0; j < L; ++j) {
      const float* src = t.v + j * t.ld;
      float* dst = Vp + j * dhp;
      for (int x = 0; x < dh; ++x) dst[x] = src[x];
      for (int64_t x = dh; x < dhp; ++x) dst[x] = 0.f;
    }
    gemm<V, true>(qb, dhw, L, S, qbp, Vp, dhp, O, dhp);
  }

  // out = O / Σ
  for (int q = 0; q < qb; ++q) {
    const float* o = O + q * dhp;
    float* dst = t.out + q * t.ld_out;
    const float inv = 1.f / sums[q];
    const typename V::R vinv = V::set1(inv);
    int x = 0;
    for (; x + W <= dh; x += W) V::store(dst + x, V::mul(V::load(o + x), vinv));
    for (; x < dh; ++x) dst[x] = o[x] * inv;
  }
}

}  // namespace
}  // namespace bte::cpu::detail
