#include "kernels/cuda/check_cuda.h"

namespace bte::cuda {

void* device_allocate(size_t bytes, const char* what) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaSuccess) return p;
  cudaGetLastError();
  size_t free_b = 0, total_b = 0;
  cudaMemGetInfo(&free_b, &total_b);
  cudaGetLastError();
  BTE_FAIL(e == cudaErrorMemoryAllocation ? ErrorKind::OutOfMemory : ErrorKind::Device,
           "out of GPU memory: ", what, " needs ", (bytes + (1 << 20) - 1) >> 20, " MiB, the GPU has ",
           free_b >> 20, " of ", total_b >> 20, " MiB free (", cudaGetErrorString(e), ")");
}

}  // namespace bte::cuda
