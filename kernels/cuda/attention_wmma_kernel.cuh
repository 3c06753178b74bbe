// fp16 / bf16 fused varlen attention on tensor cores (WMMA 16x16x16, fp32
// accumulation). Needs sm_80 or newer (bf16 fragments); bte builds sm_80/90.
//
// Block: 4 warps, 64 query rows of one (sequence, head), 16 rows per warp.
// Dynamic shared memory (opted in above 48 KB):
//   sQ [64][DH+8], sK [64][DH+8], sV [64][DH+8]    16-bit, rows padded by 16 bytes
//   sS [4 warps][16][max(DH,64)+4] fp32            a warp's scores, then its P·V
//   sP [4 warps][16][64+8]                         a warp's probabilities, 16-bit
// Per key tile of 64: each warp computes S = Q Kᵀ (its Q fragments stay in
// registers for the whole pass), stores S, and runs the online softmax with
// two lanes per row (lane = 2*row + half; a half owns every other column):
// row max, rescale factor, P = exp(S - max) rounded to 16 bits, row sum of
// the rounded P. Then P·V on the tensor cores into sS, and each lane folds
// its half-row into its fp32 accumulator o[DH/2] (o = o*corr + PV). The
// output is staged through sS so the global stores run along the rows.
//
// Device code only, so that tests/cuda_emu/ can run this very source on the
// CPU against the reference twin; attention_wmma.cu launches it.
#pragma once

#include <mma.h>

#include <cstdint>

#include "kernels/cuda/attention.h"
#include "kernels/cuda/dynamic_shared.cuh"
#include "kernels/cuda/elem_convert.cuh"

namespace bte::cuda::wmma_attention {

namespace wmma = nvcuda::wmma;

template <int DH>
struct WmmaShape {
  static constexpr int kWarps = 4, kThreads = 32 * kWarps;
  static constexpr int BQ = 16 * kWarps;  // query rows per block
  static constexpr int BK = 64;           // keys per tile
  static constexpr int LDT = DH + 8;      // sQ/sK/sV row stride (elements; a multiple of 8)
  static constexpr int LDP = BK + 8;      // sP row stride
  static constexpr int LDS = (DH > BK ? DH : BK) + 4;  // sS row stride (floats; a multiple of 4)
  static constexpr int kVec = 8;          // 16-bit elements per 16-byte access
  static constexpr size_t bytes_q = size_t(BQ) * LDT * 2;
  static constexpr size_t bytes_kv = size_t(BK) * LDT * 2;
  static constexpr size_t bytes_s = size_t(kWarps) * 16 * LDS * 4;
  static constexpr size_t bytes_p = size_t(kWarps) * 16 * LDP * 2;
  static constexpr size_t smem = bytes_q + 2 * bytes_kv + bytes_s + bytes_p;
  // Every section and every fragment pointer must be 32-byte aligned.
  static_assert(bytes_q % 32 == 0 && bytes_kv % 32 == 0 && bytes_s % 32 == 0, "alignment");
  static_assert(DH % 16 == 0, "head dim must be a multiple of 16");
};

template <typename T, int DH>
__global__ void __launch_bounds__(128) attention_wmma_kernel(AttentionParams p, float scale) {
  // bf16 fragments exist from sm_80, the oldest GPU bte runs on (device_count()
  // refuses older ones); a build that also targets an older arch still compiles.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();
#else
  using Sh = WmmaShape<DH>;
  constexpr int BK = Sh::BK, LDT = Sh::LDT, LDP = Sh::LDP, LDS = Sh::LDS, kVec = Sh::kVec;
  constexpr int kVecPerRow = DH / kVec;
  BTE_DYNAMIC_SHARED(smem);
  T* sQ = reinterpret_cast<T*>(smem);
  T* sK = reinterpret_cast<T*>(smem + Sh::bytes_q);
  T* sV = reinterpret_cast<T*>(smem + Sh::bytes_q + Sh::bytes_kv);
  float* sS = reinterpret_cast<float*>(smem + Sh::bytes_q + 2 * Sh::bytes_kv);
  T* sP = reinterpret_cast<T*>(smem + Sh::bytes_q + 2 * Sh::bytes_kv + Sh::bytes_s);

  const int seq = blockIdx.x, h = blockIdx.z;
  // max_len bounds every length (PackedBatch checks it); the min keeps a bad
  // caller's padded mode from reading into the next sequence's rows.
  const int L = min(p.cu_seqlens[seq + 1] - p.cu_seqlens[seq], p.max_len);
  const int64_t row0 = p.padded ? int64_t(seq) * p.max_len : p.cu_seqlens[seq];
  const int nq = p.padded ? p.max_len : L;
  const int q0 = blockIdx.y * Sh::BQ;
  if (q0 >= nq) return;  // uniform for the block

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const T* qkv = static_cast<const T*>(p.qkv);
  const int64_t ld = p.ld_qkv;
  const int64_t head = int64_t(h) * DH;
  const int64_t k_off = int64_t(p.heads) * DH, v_off = 2 * k_off;

  // Q tile -> sQ (rows past the sequence are zeros; their results are dropped).
  for (int e = threadIdx.x; e < Sh::BQ * kVecPerRow; e += Sh::kThreads) {
    const int r = e / kVecPerRow, c = (e % kVecPerRow) * kVec;
    int4 v = make_int4(0, 0, 0, 0);
    if (q0 + r < nq) v = *reinterpret_cast<const int4*>(qkv + (row0 + q0 + r) * ld + head + c);
    *reinterpret_cast<int4*>(sQ + r * LDT + c) = v;
  }
  __syncthreads();
  wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> qf[DH / 16];
#pragma unroll
  for (int kk = 0; kk < DH / 16; ++kk)
    wmma::load_matrix_sync(qf[kk], sQ + warp * 16 * LDT + kk * 16, LDT);

  float* sSw = sS + warp * 16 * LDS;
  T* sPw = sP + warp * 16 * LDP;
  const int r = lane >> 1, half = lane & 1;  // this lane's row (of the warp's 16), its columns 2j+half
  float m = -INFINITY, l = 0.f;
  float o[DH / 2];
#pragma unroll
  for (int c = 0; c < DH / 2; ++c) o[c] = 0.f;

  for (int k0 = 0; k0 < L; k0 += BK) {
    __syncthreads();  // every warp is done with the previous sK / sV
    for (int e = threadIdx.x; e < BK * kVecPerRow; e += Sh::kThreads) {
      const int j = e / kVecPerRow, c = (e % kVecPerRow) * kVec;
      int4 kv = make_int4(0, 0, 0, 0), vv = kv;
      if (k0 + j < L) {
        const T* src = qkv + (row0 + k0 + j) * ld + head + c;
        kv = *reinterpret_cast<const int4*>(src + k_off);
        vv = *reinterpret_cast<const int4*>(src + v_off);
      }
      *reinterpret_cast<int4*>(sK + j * LDT + c) = kv;
      *reinterpret_cast<int4*>(sV + j * LDT + c) = vv;
    }
    __syncthreads();

    // S[16, 64] = Q_w · K_tileᵀ  (B = Kᵀ: column n of B is key row n of sK)
#pragma unroll
    for (int nb = 0; nb < BK / 16; ++nb) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.f);
#pragma unroll
      for (int kk = 0; kk < DH / 16; ++kk) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> kf;
        wmma::load_matrix_sync(kf, sK + nb * 16 * LDT + kk * 16, LDT);
        wmma::mma_sync(acc, qf[kk], kf, acc);
      }
      wmma::store_matrix_sync(sSw + nb * 16, acc, LDS, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax on row r, columns 2j + half.
    const int nk = min(BK, L - k0);  // >= 1
    float s[BK / 2];
    float tile_max = -INFINITY;
#pragma unroll
    for (int j = 0; j < BK / 2; ++j) {
      const int col = 2 * j + half;
      s[j] = col < nk ? sSw[r * LDS + col] * scale : -INFINITY;
      tile_max = fmaxf(tile_max, s[j]);
    }
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));  // column 0 is real
    const float m_new = fmaxf(m, tile_max);
    const float corr = expf(m - m_new);
    float psum = 0.f;
#pragma unroll
    for (int j = 0; j < BK / 2; ++j) {
      const T pt = from_float<T>(expf(s[j] - m_new));
      sPw[r * LDP + 2 * j + half] = pt;
      psum += to_float(pt);  // the sum of what P·V multiplies
    }
    psum += __shfl_xor_sync(0xffffffffu, psum, 1);
    l = l * corr + psum;
    m = m_new;
    __syncwarp();

    // PV[16, DH] = P_w[16, 64] · V_tile[64, DH], into sSw (the scores are consumed).
#pragma unroll
    for (int db = 0; db < DH / 16; ++db) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.f);
#pragma unroll
      for (int kb = 0; kb < BK / 16; ++kb) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> pf;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> vf;
        wmma::load_matrix_sync(pf, sPw + kb * 16, LDP);
        wmma::load_matrix_sync(vf, sV + kb * 16 * LDT + db * 16, LDT);
        wmma::mma_sync(acc, pf, vf, acc);
      }
      wmma::store_matrix_sync(sSw + db * 16, acc, LDS, wmma::mem_row_major);
    }
    __syncwarp();
#pragma unroll
    for (int c = 0; c < DH / 2; ++c) o[c] = o[c] * corr + sSw[r * LDS + 2 * c + half];
    // (the next tile's first barrier orders these reads before sSw is rewritten)
  }

  // Normalise, stage the warp's 16 rows in sSw, store them along the rows.
  const float inv = l > 0.f ? 1.f / l : 0.f;  // no real key: zeros, as the reference
  __syncwarp();
#pragma unroll
  for (int c = 0; c < DH / 2; ++c) sSw[r * LDS + 2 * c + half] = o[c] * inv;
  __syncwarp();
  T* out = static_cast<T*>(p.out);
  for (int rr = 0; rr < 16; ++rr) {
    const int q = q0 + warp * 16 + rr;
    if (q >= nq) break;  // the same for every lane
    T* orow = out + (row0 + q) * p.ld_out + head;
    for (int c = lane; c < DH; c += 32) orow[c] = from_float<T>(sSw[rr * LDS + c]);
  }
#endif
}

}  // namespace bte::cuda::wmma_attention
