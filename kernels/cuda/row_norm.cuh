// LayerNorm of one row held in registers by one block, shared by the
// embedding and the residual + LayerNorm kernels. kThreads threads, each
// owning elements j = threadIdx.x + k * kThreads (k < kPerThread), so
// d <= kThreads * kPerThread = 2048. Two passes (mean, then the centred
// sum of squares): no E[x²] − E[x]² cancellation. Included by .cu files only.
#pragma once

#include "kernels/cuda/elem_convert.cuh"

namespace bte::cuda::rownorm {

constexpr int kThreads = 256;
constexpr int kPerThread = 8;
constexpr int kMaxD = kThreads * kPerThread;

// Sum over the block; every thread gets the total. scratch: kThreads / 32 floats.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();  // scratch may still be read by the previous reduction
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float total = 0.f;
#pragma unroll
  for (int w = 0; w < kThreads / 32; ++w) total += scratch[w];
  return total;
}

// x[k] holds this thread's elements (0 where j >= d). Writes
// out[j] = (x - mean) * rstd * gamma + beta and, when copy is set, the same
// value rounded to T into copy[j].
template <typename T>
__device__ __forceinline__ void normalize_and_store(float (&x)[kPerThread], int d, float eps,
                                                    const float* __restrict__ gamma,
                                                    const float* __restrict__ beta,
                                                    float* __restrict__ out, T* __restrict__ copy) {
  __shared__ float scratch[kThreads / 32];
  float sum = 0.f;
#pragma unroll
  for (int k = 0; k < kPerThread; ++k) sum += x[k];
  const float mean = block_sum(sum, scratch) / d;
  float sq = 0.f;
#pragma unroll
  for (int k = 0; k < kPerThread; ++k) {
    const int j = threadIdx.x + k * kThreads;
    if (j < d) sq += (x[k] - mean) * (x[k] - mean);
  }
  const float rstd = rsqrtf(block_sum(sq, scratch) / d + eps);
#pragma unroll
  for (int k = 0; k < kPerThread; ++k) {
    const int j = threadIdx.x + k * kThreads;
    if (j < d) {
      const float y = (x[k] - mean) * rstd * gamma[j] + beta[j];
      out[j] = y;
      if (copy) copy[j] = from_float<T>(y);
    }
  }
}

}  // namespace bte::cuda::rownorm
