// Launches the pooling and L2 kernels (pooling_kernel.cuh).
#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/pooling.h"
#include "kernels/cuda/pooling_kernel.cuh"

namespace bte::cuda {

using namespace pooling_kernel;

void pool_cls(const float* x, const DeviceLayout& layout, int d, float* out, cudaStream_t stream) {
  if (layout.n_seqs == 0) return;
  pool_kernel<<<unsigned(layout.n_seqs), kThreads, 0, stream>>>(x, layout, d, kPoolCls, out);
  BTE_CUDA_CHECK(cudaGetLastError());
}

void pool_mean(const float* x, const DeviceLayout& layout, int d, float* out, cudaStream_t stream) {
  if (layout.n_seqs == 0) return;
  pool_kernel<<<unsigned(layout.n_seqs), kThreads, 0, stream>>>(x, layout, d, kPoolMean, out);
  BTE_CUDA_CHECK(cudaGetLastError());
}

void pool_max(const float* x, const DeviceLayout& layout, int d, float* out, cudaStream_t stream) {
  if (layout.n_seqs == 0) return;
  pool_kernel<<<unsigned(layout.n_seqs), kThreads, 0, stream>>>(x, layout, d, kPoolMax, out);
  BTE_CUDA_CHECK(cudaGetLastError());
}

void l2_normalize_rows(float* x, int64_t rows, int d, cudaStream_t stream) {
  if (rows == 0) return;
  l2_kernel<<<unsigned(rows), kThreads, 0, stream>>>(x, d);
  BTE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace bte::cuda
