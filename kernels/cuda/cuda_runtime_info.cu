#include <cuda_runtime.h>

#include "kernels/cuda/cuda_runtime_info.h"

namespace bte::cuda {

bool built_with_cuda() { return true; }

int device_count() {
  int n = 0;
  // Without a driver or a GPU this returns an error; that is "no GPU", not a failure.
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return 0;
  }
  return n;
}

std::string device_summary() {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return std::string("no usable CUDA GPU: ") + cudaGetErrorString(e);
  }
  if (n == 0) return "no CUDA GPU found";
  cudaDeviceProp p{};
  cudaGetDeviceProperties(&p, 0);
  return std::string(p.name) + " (sm_" + std::to_string(p.major) + std::to_string(p.minor) +
         ", " + std::to_string(p.totalGlobalMem >> 20) + " MiB)";
}

}  // namespace bte::cuda
