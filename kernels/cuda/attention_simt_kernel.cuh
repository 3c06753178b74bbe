// fp32 fused varlen attention on CUDA cores.
//
// Block: 128 threads = BQ queries of one (sequence, head). A query's row of
// Q and its output accumulator live in registers: one thread per query for
// head dims <= 64, two for larger ones (each owning every other element, so
// the pair reads adjacent shared-memory words, and one shuffle completes
// each dot product). K and V tiles of BK keys are staged in shared memory;
// every thread reads the same key row (a broadcast). Per tile: BK scores,
// the tile's max, one rescale of the accumulator, then P·V (online softmax,
// exact in fp32: no score leaves the registers).
//
// Device code only, so that tests/cuda_emu/ can run this very source on the
// CPU against the reference twin; attention_simt.cu launches it.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/cuda/attention.h"

namespace bte::cuda::simt_attention {

template <int DH>
struct SimtShape {
  static constexpr int kThreads = 128;
  static constexpr int TPQ = DH > 64 ? 2 : 1;  // threads per query
  static constexpr int S = DH / TPQ;           // elements of the head per thread
  static constexpr int BQ = kThreads / TPQ;    // queries per block
  static constexpr int BK = 32;                // keys per shared-memory tile
};

template <int DH>
__global__ void __launch_bounds__(128) attention_simt_kernel(AttentionParams p, float scale) {
  using Sh = SimtShape<DH>;
  constexpr int TPQ = Sh::TPQ, S = Sh::S, BK = Sh::BK;
  __shared__ float sK[BK][DH];
  __shared__ float sV[BK][DH];

  const int seq = blockIdx.x, h = blockIdx.z;
  const int L = min(p.cu_seqlens[seq + 1] - p.cu_seqlens[seq], p.max_len);  // real keys (see wmma)
  const int64_t row0 = p.padded ? int64_t(seq) * p.max_len : p.cu_seqlens[seq];
  const int nq = p.padded ? p.max_len : L;  // query rows computed
  const int q0 = blockIdx.y * Sh::BQ;
  if (q0 >= nq) return;  // the whole block leaves: no barrier is skipped

  const int qi = q0 + int(threadIdx.x) / TPQ;
  const int sub = int(threadIdx.x) % TPQ;  // this thread owns elements c*TPQ + sub
  const bool active = qi < nq;
  const float* qkv = static_cast<const float*>(p.qkv);
  const int64_t ld = p.ld_qkv;
  const int64_t k_off = int64_t(p.heads) * DH, v_off = 2 * k_off;  // K and V thirds of a row
  const float* qrow = qkv + (row0 + qi) * ld + int64_t(h) * DH;

  float q[S], o[S];
#pragma unroll
  for (int c = 0; c < S; ++c) {
    q[c] = active ? qrow[c * TPQ + sub] * scale : 0.f;
    o[c] = 0.f;
  }
  float m = -INFINITY, l = 0.f;

  for (int k0 = 0; k0 < L; k0 += BK) {
    __syncthreads();  // the previous tile has been read by everyone
    for (int e = threadIdx.x; e < BK * DH; e += Sh::kThreads) {
      const int j = e / DH, c = e % DH;
      const bool valid = k0 + j < L;
      const float* src = qkv + (row0 + k0 + j) * ld + int64_t(h) * DH + c;
      sK[j][c] = valid ? src[k_off] : 0.f;
      sV[j][c] = valid ? src[v_off] : 0.f;
    }
    __syncthreads();
    const int nk = min(BK, L - k0);  // >= 1: key k0 is real

    float s[BK];
    float tile_max = -INFINITY;
#pragma unroll
    for (int j = 0; j < BK; ++j) {
      float acc = 0.f;
#pragma unroll
      for (int c = 0; c < S; ++c) acc += q[c] * sK[j][c * TPQ + sub];
      if constexpr (TPQ == 2) acc += __shfl_xor_sync(0xffffffffu, acc, 1);
      s[j] = j < nk ? acc : -INFINITY;
      tile_max = fmaxf(tile_max, s[j]);
    }
    const float m_new = fmaxf(m, tile_max);  // finite
    const float corr = expf(m - m_new);      // 0 on the first tile (m = -inf)
#pragma unroll
    for (int c = 0; c < S; ++c) o[c] *= corr;
    float psum = 0.f;
#pragma unroll
    for (int j = 0; j < BK; ++j) {
      const float pj = expf(s[j] - m_new);  // masked keys: exp(-inf) = 0
      psum += pj;
#pragma unroll
      for (int c = 0; c < S; ++c) o[c] += pj * sV[j][c * TPQ + sub];
    }
    l = l * corr + psum;
    m = m_new;
  }
  if (!active) return;
  const float inv = l > 0.f ? 1.f / l : 0.f;  // no real key: zeros, as the reference
  float* orow = static_cast<float*>(p.out) + (row0 + qi) * p.ld_out + int64_t(h) * DH;
#pragma unroll
  for (int c = 0; c < S; ++c) orow[c * TPQ + sub] = o[c] * inv;
}

}  // namespace bte::cuda::simt_attention
