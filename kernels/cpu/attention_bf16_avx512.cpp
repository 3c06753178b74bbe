// The attention tile (attention_tile.h) in bf16 for CPUs with AVX512_BF16:
// Q·Kᵀ and P·V as bf16 pair dot products (vdpbf16ps: fp32 accumulators, each
// step adds two bf16 products), the softmax in fp32 between them. Twin:
// ref::attention_bf16 (kernels/reference/ops.h), which rounds as this does:
// Q, K, V to bf16 (nearest even) as they are packed, the softmax's
// unnormalised probabilities P to bf16 for P·V, the row sums in fp32 from P
// before rounding.
//
// vdpbf16ps multiplies pairs along the reduction axis, so both operands are
// packed with consecutive reduction elements side by side:
//   S = K · Qᵀ:  K rows as bf16 (pairs of head columns are adjacent already);
//                Qp[c/2][q] = (q[c], q[c+1]) for 16 queries a register
//   O = Pᵀ · V:  Pp[j/2][q] = (P[j][q], P[j+1][q]); Vp[j/2][x] = (v_j[x], v_j+1[x])
// An odd dh or L gets a zero partner. Scratch (tile_scratch_floats_bf16):
//   Qp [dh2][qbp] | Kb [L][dh2] | S [L][qbp] | Pp [L2][qbp] | Vp [L2][dhp] | O [qb][dhp] | sums [qbp]
// in 32-bit slots (dh2 = ⌈dh/2⌉, L2 = ⌈L/2⌉), each part 16-slot aligned.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/cpu/attention_tile.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma")
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/cpu/simd_avx512.h"
#include "kernels/cpu/attention_tile_impl.h"  // softmax_cols

namespace bte::cpu::detail {
namespace {

inline __m512bh as_bh(__m512i v) { return (__m512bh)v; }

// 16 floats (the first `n` of them, the rest zero) rounded to bf16, nearest even.
inline __m256i bf16x16(const float* p, int n) {
  const __mmask16 m = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  return (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, p));
}

// (a0, b0, a1, b1, ..., a15, b15): two rows' bf16 side by side, one dword a pair.
inline __m512i interleave(__m256i a, __m256i b) {
  const __m512i idx = _mm512_set_epi16(47, 15, 46, 14, 45, 13, 44, 12, 43, 11, 42, 10, 41, 9, 40, 8,
                                       39, 7, 38, 6, 37, 5, 36, 4, 35, 3, 34, 2, 33, 1, 32, 0);
  return _mm512_permutex2var_epi16(_mm512_castsi256_si512(a), idx, _mm512_castsi256_si512(b));
}

// n floats of src as bf16 into dst, padded with zeros to an even count.
void row_to_bf16(const float* src, int n, uint16_t* dst) {
  int c = 0;
  for (; c + 16 <= n; c += 16) _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + c), bf16x16(src + c, 16));
  if (c < n) {
    alignas(32) uint16_t t[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(t), bf16x16(src + c, n - c));
    std::memcpy(dst + c, t, sizeof(uint16_t) * (n - c));
  }
  if (n % 2) dst[n] = 0;
}

// C[MR][NV*16] = Σ_{k < K2} A(m, k) ·pairs· B[k][0 .. 16 NV), overwriting C.
// A(m, k) is the dword A[k*lda + m] when ACOL (Pp), else A[m*lda + k] (Kb).
template <bool ACOL, int MR, int NV>
void micro(int K2, const uint32_t* A, int64_t lda, const uint32_t* B, int64_t ldb, float* C,
           int64_t ldc) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 8
    for (int n = 0; n < NV; ++n) acc[m][n] = _mm512_setzero_ps();
  for (int k = 0; k < K2; ++k) {
    __m512bh b[NV];
#pragma GCC unroll 8
    for (int n = 0; n < NV; ++n) b[n] = as_bh(_mm512_loadu_si512(B + k * ldb + n * 16));
#pragma GCC unroll 16
    for (int m = 0; m < MR; ++m) {
      const __m512bh a = as_bh(_mm512_set1_epi32(int(ACOL ? A[int64_t(k) * lda + m] : A[m * lda + k])));
#pragma GCC unroll 8
      for (int n = 0; n < NV; ++n) acc[m][n] = _mm512_dpbf16_ps(acc[m][n], a, b[n]);
    }
  }
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 8
    for (int n = 0; n < NV; ++n) _mm512_storeu_ps(C + m * ldc + n * 16, acc[m][n]);
}

template <bool ACOL, int NV, int MR>
void micro_tail(int mr, int K2, const uint32_t* A, int64_t lda, const uint32_t* B, int64_t ldb,
                float* C, int64_t ldc) {
  if constexpr (MR > 1) {
    if (mr < MR) return micro_tail<ACOL, NV, MR - 1>(mr, K2, A, lda, B, ldb, C, ldc);
  }
  micro<ACOL, MR, NV>(K2, A, lda, B, ldb, C, ldc);
}

template <bool ACOL, int NV>
void strip(int M, int K2, const uint32_t* A, int64_t lda, const uint32_t* B, int64_t ldb, float* C,
           int64_t ldc) {
  constexpr int MR = Avx512::mr_for(NV);
  const int64_t a_step = ACOL ? 1 : lda;
  int m = 0;
  for (; m + MR <= M; m += MR) micro<ACOL, MR, NV>(K2, A + m * a_step, lda, B, ldb, C + m * ldc, ldc);
  if (m < M) micro_tail<ACOL, NV, MR - 1>(M - m, K2, A + m * a_step, lda, B, ldb, C + m * ldc, ldc);
}

template <bool ACOL, int NV>
void strip_nv(int nv, int M, int K2, const uint32_t* A, int64_t lda, const uint32_t* B, int64_t ldb,
              float* C, int64_t ldc) {
  if constexpr (NV > 1) {
    if (nv < NV) return strip_nv<ACOL, NV - 1>(nv, M, K2, A, lda, B, ldb, C, ldc);
  }
  strip<ACOL, NV>(M, K2, A, lda, B, ldb, C, ldc);
}

// C[M][N] = A(M × K2 pairs) · B[K2][N pairs], N a multiple of 16: strips of
// up to 4 registers across N (split evenly, as attention_tile_impl.h's gemm).
template <bool ACOL>
void gemm(int M, int N, int K2, const uint32_t* A, int64_t lda, const uint32_t* B, int64_t ldb,
          float* C, int64_t ldc) {
  const int nv_total = N / 16;
  for (int n = 0; n < nv_total;) {
    const int left = nv_total - n;
    const int nv = left <= 4 ? left : left < 8 ? (left + 1) / 2 : 4;
    strip_nv<ACOL, 4>(nv, M, K2, A, lda, B + n * 16, ldb, C + n * 16, ldc);
    n += nv;
  }
}

}  // namespace

void attention_tile_avx512_bf16(const AttnTile& t) {
  const int qb = t.rows, L = t.keys, dh = t.dh;
  const int64_t qbp = round_up16(qb), dhp = round_up16(dh), dh2 = (dh + 1) / 2, L2 = (L + 1) / 2;
  auto* Qp = reinterpret_cast<uint32_t*>(t.scratch);             // [dh2][qbp]
  auto* Kb = Qp + round_up16(dh2 * qbp);                         // [L][dh2]
  float* S = reinterpret_cast<float*>(Kb + round_up16(L * dh2));  // [L][qbp]
  auto* Pp = reinterpret_cast<uint32_t*>(S + round_up16(L * qbp));  // [L2][qbp]
  uint32_t* Vp = Pp + round_up16(L2 * qbp);                      // [L2][dhp]
  float* O = reinterpret_cast<float*>(Vp + round_up16(L2 * dhp));  // [qb][dhp]
  float* sums = O + round_up16(qb * dhp);                        // [qbp]

  // Qp: each query row in bf16 (its pairs are dwords), transposed to [pair][query].
  alignas(64) uint16_t row[2 * 1024 + 2];  // one head row in bf16 (dh <= 2048 checked by the caller)
  for (int q = 0; q < qb; ++q) {
    row_to_bf16(t.q + q * t.ld, dh, row);
    const auto* pairs = reinterpret_cast<const uint32_t*>(row);
    for (int64_t c = 0; c < dh2; ++c) Qp[c * qbp + q] = pairs[c];
  }
  for (int64_t c = 0; c < dh2; ++c)
    for (int64_t q = qb; q < qbp; ++q) Qp[c * qbp + q] = 0;
  // Kb: the keys in bf16, row by row.
  for (int j = 0; j < L; ++j) row_to_bf16(t.k + j * t.ld, dh, reinterpret_cast<uint16_t*>(Kb + j * dh2));

  // S[j][q] = k_j · q_q, then the softmax down each query's column (fp32).
  gemm<false>(L, int(qbp), int(dh2), Kb, dh2, Qp, qbp, S, qbp);
  const int nvq = int(qbp / 16);
  int c = 0;
  for (; c + 4 <= nvq; c += 4) softmax_cols<Avx512, 4>(S + c * 16, qbp, L, t.scale, sums + c * 16);
  for (; c < nvq; ++c) softmax_cols<Avx512, 1>(S + c * 16, qbp, L, t.scale, sums + c * 16);

  // Pp and Vp: neighbouring keys side by side (a zero partner past L).
  for (int64_t j2 = 0; j2 < L2; ++j2) {
    const int64_t j = 2 * j2;
    const bool pair = j + 1 < L;
    for (int64_t q0 = 0; q0 < qbp; q0 += 16) {
      const __m256i a = bf16x16(S + j * qbp + q0, 16);
      const __m256i b = pair ? bf16x16(S + (j + 1) * qbp + q0, 16) : _mm256_setzero_si256();
      _mm512_storeu_si512(Pp + j2 * qbp + q0, interleave(a, b));
    }
    for (int64_t x0 = 0; x0 < dhp; x0 += 16) {
      const int n = int(dh - x0);
      const __m256i a = bf16x16(t.v + j * t.ld + x0, n);
      const __m256i b = pair ? bf16x16(t.v + (j + 1) * t.ld + x0, n) : _mm256_setzero_si256();
      _mm512_storeu_si512(Vp + j2 * dhp + x0, interleave(a, b));
    }
  }

  // O[q][:] = Σ_j P[j][q] v_j, then out = O / Σ.
  gemm<true>(qb, int(dhp), int(L2), Pp, qbp, Vp, dhp, O, dhp);
  for (int q = 0; q < qb; ++q) {
    const __m512 inv = _mm512_set1_ps(1.f / sums[q]);
    float* dst = t.out + q * t.ld_out;
    for (int x = 0; x < dh; x += 16) {
      const __mmask16 m = dh - x >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (dh - x)) - 1);
      _mm512_mask_storeu_ps(dst + x, m, _mm512_mul_ps(_mm512_loadu_ps(O + q * dhp + x), inv));
    }
  }
}

}  // namespace bte::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
