// One block per row (rownorm::kThreads threads): the row lives in registers
// between the residual add and the two reduction passes.
//
// Device code only (tests/cuda_emu/ runs it on the CPU); layernorm.cu launches it.
#pragma once

#include <cstdint>

#include "kernels/cuda/row_norm.cuh"

namespace bte::cuda::layernorm_kernel {

using namespace rownorm;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    residual_ln_kernel(float* __restrict__ x, const float* __restrict__ delta,
                       const float* __restrict__ bias, const float* __restrict__ gamma,
                       const float* __restrict__ beta, int d, float eps, T* __restrict__ copy) {
  const int64_t row = blockIdx.x;
  float* xr = x + row * d;
  const float* dr = delta ? delta + row * d : nullptr;
  float v[kPerThread];
#pragma unroll
  for (int k = 0; k < kPerThread; ++k) {
    const int j = threadIdx.x + k * kThreads;
    v[k] = 0.f;
    if (j < d) v[k] = xr[j] + (dr ? dr[j] : 0.f) + (bias ? bias[j] : 0.f);
  }
  normalize_and_store<T>(v, d, eps, gamma, beta, xr, copy ? copy + row * d : nullptr);
}

}  // namespace bte::cuda::layernorm_kernel
