// One block per sequence (pooling) or row (L2): columns across threads, so
// every read is coalesced along the row.
//
// Device code only (tests/cuda_emu/ runs it on the CPU); pooling.cu launches it.
#pragma once

#include <cstdint>

#include "kernels/cuda/pooling.h"

namespace bte::cuda::pooling_kernel {

constexpr int kThreads = 256;

__device__ __forceinline__ int64_t first_row(const DeviceLayout& L, int i) {
  return L.padded ? int64_t(i) * L.max_len : L.cu_seqlens[i];
}

enum PoolMode : int { kPoolCls = 0, kPoolMean = 1, kPoolMax = 2 };

__global__ void pool_kernel(const float* __restrict__ x, DeviceLayout L, int d, int mode,
                            float* __restrict__ out) {
  const int i = blockIdx.x;
  const int len = L.cu_seqlens[i + 1] - L.cu_seqlens[i];
  const float* base = x + first_row(L, i) * d;
  for (int c = threadIdx.x; c < d; c += blockDim.x) {
    if (mode == kPoolCls || len == 0) {
      out[int64_t(i) * d + c] = len > 0 ? base[c] : 0.f;
      continue;
    }
    if (mode == kPoolMax) {
      float m = base[c];
      for (int r = 1; r < len; ++r) m = fmaxf(m, base[int64_t(r) * d + c]);
      out[int64_t(i) * d + c] = m;
      continue;
    }
    float s = 0.f;
    for (int r = 0; r < len; ++r) s += base[int64_t(r) * d + c];
    out[int64_t(i) * d + c] = s / len;
  }
}

__global__ void l2_kernel(float* __restrict__ x, int d) {
  __shared__ float partial[kThreads / 32];
  float* row = x + int64_t(blockIdx.x) * d;
  float s = 0.f;
  for (int c = threadIdx.x; c < d; c += kThreads) s += row[c] * row[c];
  for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = s;
  __syncthreads();
  float total = 0.f;
  for (int w = 0; w < kThreads / 32; ++w) total += partial[w];
  const float scale = 1.f / fmaxf(sqrtf(total), 1e-12f);  // as torch.nn.functional.normalize
  for (int c = threadIdx.x; c < d; c += kThreads) row[c] *= scale;
}

}  // namespace bte::cuda::pooling_kernel
