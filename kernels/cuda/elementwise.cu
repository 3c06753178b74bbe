// Launches the elementwise kernels (elementwise_kernel.cuh).
#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/elementwise_kernel.cuh"

namespace bte::cuda {

using namespace elementwise_kernel;

void convert(const void* src, DType src_type, void* dst, DType dst_type, int64_t n,
             cudaStream_t stream) {
  if (n == 0) return;
  dispatch_elem(src_type, [&](auto s) {
    dispatch_elem(dst_type, [&](auto d) {
      using S = decltype(s);
      using D = decltype(d);
      convert_kernel<S, D><<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const S*>(src),
                                                                    static_cast<D*>(dst), n);
    });
  });
  BTE_CUDA_CHECK(cudaGetLastError());
}

void add_bias(void* y, DType type, int64_t M, int N, const void* b, cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  dispatch_elem(type, [&](auto t) {
    using T = decltype(t);
    add_bias_kernel<T><<<blocks_for(M * N), kThreads, 0, stream>>>(static_cast<T*>(y), M, N,
                                                                    static_cast<const T*>(b));
  });
  BTE_CUDA_CHECK(cudaGetLastError());
}

void gelu_inplace(void* x, DType type, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  dispatch_elem(type, [&](auto t) {
    using T = decltype(t);
    gelu_kernel<T><<<blocks_for(n), kThreads, 0, stream>>>(static_cast<T*>(x), n);
  });
  BTE_CUDA_CHECK(cudaGetLastError());
}

void tanh_inplace(float* x, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  tanh_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, n);
  BTE_CUDA_CHECK(cudaGetLastError());
}

void relu_inplace(float* x, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  relu_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, n);
  BTE_CUDA_CHECK(cudaGetLastError());
}

void add_inplace(float* y, const float* x, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n), kThreads, 0, stream>>>(y, x, n);
  BTE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace bte::cuda
