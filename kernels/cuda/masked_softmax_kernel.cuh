// The slow path's masked softmax over explicit score rows: one block per
// row, max, exp and sum, normalise.
//
// Device code only (tests/cuda_emu/ runs it on the CPU); attention_explicit.cu
// launches it.
#pragma once

#include <cmath>
#include <cstdint>

namespace bte::cuda::softmax_kernel {

constexpr int kThreads = 128;

__device__ __forceinline__ float block_reduce(float v, float* scratch, bool is_max) {
  for (int o = 16; o > 0; o >>= 1) {
    const float other = __shfl_xor_sync(0xffffffffu, v, o);
    v = is_max ? fmaxf(v, other) : v + other;
  }
  __syncthreads();
  if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = v;
  __syncthreads();
  float r = scratch[0];
  for (int w = 1; w < kThreads / 32; ++w) r = is_max ? fmaxf(r, scratch[w]) : r + scratch[w];
  return r;
}

// One block per row: max, exp and sum, normalise (three passes over the row).
__global__ void masked_softmax_kernel(float* __restrict__ s, int R, int len, float scale) {
  __shared__ float scratch[kThreads / 32];
  float* row = s + int64_t(blockIdx.x) * R;
  float m = -INFINITY;
  for (int j = threadIdx.x; j < len; j += kThreads) m = fmaxf(m, row[j] * scale);
  m = block_reduce(m, scratch, true);
  float sum = 0.f;
  for (int j = threadIdx.x; j < R; j += kThreads) {
    const float e = j < len ? expf(row[j] * scale - m) : 0.f;
    row[j] = e;
    sum += e;
  }
  sum = block_reduce(sum, scratch, false);
  const float inv = sum > 0.f ? 1.f / sum : 0.f;
  for (int j = threadIdx.x; j < R; j += kThreads) row[j] *= inv;
}

}  // namespace bte::cuda::softmax_kernel
