// One block per row (rownorm::kThreads threads): the row lives in registers
// between the residual add and the two reduction passes.
#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/layernorm.h"
#include "kernels/cuda/row_norm.cuh"

namespace bte::cuda {
namespace {

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

}  // namespace

void bias_residual_layernorm(float* x, const float* delta, const float* bias, const float* gamma,
                             const float* beta, int64_t rows, int d, float eps, void* copy,
                             ElemType copy_type, cudaStream_t stream) {
  BTE_CHECK(d > 0 && d <= kMaxD, "hidden size ", d, " out of range (the CUDA LayerNorm takes d <= ", kMaxD, ")");
  BTE_CHECK(rows <= 0x7fffffff, "too many rows");
  if (rows == 0) return;
  dispatch_elem(copy_type, [&](auto t) {
    using T = decltype(t);
    residual_ln_kernel<T><<<unsigned(rows), kThreads, 0, stream>>>(x, delta, bias, gamma, beta, d,
                                                                   eps, static_cast<T*>(copy));
  });
  BTE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace bte::cuda
