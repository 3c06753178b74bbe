// One block per token: the block sums word + position + type rows into
// registers (d <= 256 * kMaxPerThread), reduces mean and variance in two
// passes (no E[x^2]-E[x]^2 cancellation), and writes the normalised row.
#include <cuda_runtime.h>

#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/embedding.h"

namespace bte::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxPerThread = 8;  // d <= 2048

__device__ float block_sum(float v, float* scratch) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();  // scratch may still be read by a previous reduction
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float total = 0.f;
  for (int w = 0; w < kThreads / 32; ++w) total += scratch[w];
  return total;
}

__global__ void embed_layernorm_kernel(const int32_t* __restrict__ ids,
                                       const int32_t* __restrict__ positions,
                                       const float* __restrict__ word,
                                       const float* __restrict__ pos,
                                       const float* __restrict__ type_row,
                                       const float* __restrict__ gamma,
                                       const float* __restrict__ beta, int d, float eps,
                                       float* __restrict__ out) {
  __shared__ float scratch[kThreads / 32];
  const int64_t t = blockIdx.x;
  const float* w = word + int64_t(ids[t]) * d;
  const float* p = pos + int64_t(positions[t]) * d;
  float x[kMaxPerThread];
  float sum = 0.f;
#pragma unroll
  for (int k = 0; k < kMaxPerThread; ++k) {
    const int j = threadIdx.x + k * kThreads;
    x[k] = 0.f;
    if (j < d) {
      x[k] = w[j] + p[j] + (type_row ? type_row[j] : 0.f);
      sum += x[k];
    }
  }
  const float mean = block_sum(sum, scratch) / d;
  float sq = 0.f;
#pragma unroll
  for (int k = 0; k < kMaxPerThread; ++k) {
    const int j = threadIdx.x + k * kThreads;
    if (j < d) sq += (x[k] - mean) * (x[k] - mean);
  }
  const float rstd = rsqrtf(block_sum(sq, scratch) / d + eps);
#pragma unroll
  for (int k = 0; k < kMaxPerThread; ++k) {
    const int j = threadIdx.x + k * kThreads;
    if (j < d) out[t * d + j] = (x[k] - mean) * rstd * gamma[j] + beta[j];
  }
}

}  // namespace

void embed_layernorm(const int32_t* ids, const int32_t* positions, int64_t T, const float* word,
                     const float* pos, const float* type_row, const float* gamma,
                     const float* beta, int d, float eps, float* out, cudaStream_t stream) {
  BTE_CHECK(d > 0 && d <= kThreads * kMaxPerThread, "hidden size ", d, " out of range");
  if (T == 0) return;
  embed_layernorm_kernel<<<unsigned(T), kThreads, 0, stream>>>(ids, positions, word, pos, type_row,
                                                                gamma, beta, d, eps, out);
  BTE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace bte::cuda
