// Launches the bias + residual + LayerNorm kernel (layernorm_kernel.cuh).
#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/layernorm.h"
#include "kernels/cuda/layernorm_kernel.cuh"

namespace bte::cuda {

using namespace rownorm;
using namespace layernorm_kernel;

void bias_residual_layernorm(float* x, const float* delta, const float* bias, const float* gamma,
                             const float* beta, int64_t rows, int d, float eps, void* copy,
                             DType copy_type, cudaStream_t stream) {
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
