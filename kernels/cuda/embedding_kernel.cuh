// One block per token: word + position + type rows summed into registers,
// then the shared two-pass LayerNorm (row_norm.cuh).
//
// Device code only (tests/cuda_emu/ runs it on the CPU); embedding.cu launches it.
#pragma once

#include <cstdint>

#include "kernels/cuda/row_norm.cuh"

namespace bte::cuda::embedding_kernel {

using namespace rownorm;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    embed_layernorm_kernel(const int32_t* __restrict__ ids, const int32_t* __restrict__ positions,
                           const int32_t* __restrict__ types,
                           const float* __restrict__ word, const float* __restrict__ pos,
                           const float* __restrict__ type_table, const float* __restrict__ gamma,
                           const float* __restrict__ beta, int d, float eps,
                           float* __restrict__ out, T* __restrict__ copy) {
  const int64_t t = blockIdx.x;
  const float* w = word + int64_t(ids[t]) * d;
  const float* p = pos + int64_t(positions[t]) * d;
  const float* type_row = type_table ? type_table + int64_t(types ? types[t] : 0) * d : nullptr;
  float x[kPerThread];
#pragma unroll
  for (int k = 0; k < kPerThread; ++k) {
    const int j = threadIdx.x + k * kThreads;
    x[k] = 0.f;
    if (j < d) x[k] = w[j] + p[j] + (type_row ? type_row[j] : 0.f);
  }
  normalize_and_store<T>(x, d, eps, gamma, beta, out + t * d, copy ? copy + t * d : nullptr);
}

}  // namespace bte::cuda::embedding_kernel
