// Grid-stride loops, one element per step: these passes are memory-bound
// and small next to the GEMMs around them.
#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/elem_convert.cuh"
#include "kernels/cuda/elementwise.h"

namespace bte::cuda {
namespace {

constexpr int kThreads = 256;

unsigned blocks_for(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return unsigned(b < 65535 * 8 ? b : 65535 * 8);  // grid-stride covers the rest
}

template <typename S, typename D>
__global__ void convert_kernel(const S* __restrict__ src, D* __restrict__ dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = from_float<D>(to_float(src[i]));
}

template <typename T>
__global__ void add_bias_kernel(T* __restrict__ y, int64_t M, int N, const T* __restrict__ b) {
  const int64_t n = M * N;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] = from_float<T>(to_float(y[i]) + to_float(b[i % N]));
}

template <typename T>
__global__ void gelu_kernel(T* __restrict__ x, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const float v = to_float(x[i]);
    x[i] = from_float<T>(0.5f * v * (1.f + erff(v * 0.70710678118654752f)));
  }
}

__global__ void tanh_kernel(float* __restrict__ x, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    x[i] = tanhf(x[i]);
}

__global__ void add_kernel(float* __restrict__ y, const float* __restrict__ x, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] += x[i];
}

}  // namespace

void convert(const void* src, ElemType src_type, void* dst, ElemType dst_type, int64_t n,
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

void add_bias(void* y, ElemType type, int64_t M, int N, const void* b, cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  dispatch_elem(type, [&](auto t) {
    using T = decltype(t);
    add_bias_kernel<T><<<blocks_for(M * N), kThreads, 0, stream>>>(static_cast<T*>(y), M, N,
                                                                    static_cast<const T*>(b));
  });
  BTE_CUDA_CHECK(cudaGetLastError());
}

void gelu_inplace(void* x, ElemType type, int64_t n, cudaStream_t stream) {
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

void add_inplace(float* y, const float* x, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n), kThreads, 0, stream>>>(y, x, n);
  BTE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace bte::cuda
