#include <cuda_runtime.h>

#include "kernels/cuda/cuda_runtime_info.h"

namespace bte::cuda {

namespace {

// bte's kernels are built for sm_80 and sm_90 (the bf16 tensor-core fragments
// need sm_80); an older GPU would fail at its first launch with "no kernel
// image", so it is refused up front instead.
constexpr int kMinComputeCapability = 80;

int device0_capability() {
  int major = 0, minor = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, 0) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return major * 10 + minor;
}

}  // namespace

bool built_with_cuda() { return true; }

int device_count() {
  int n = 0;
  // Without a driver or a GPU this returns an error; that is "no GPU", not a failure.
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return 0;
  }
  if (n > 0 && device0_capability() < kMinComputeCapability) return 0;
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
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) {
    cudaGetLastError();
    return "no usable CUDA GPU: cudaGetDeviceProperties(0) failed";
  }
  std::string s = std::string(p.name) + " (sm_" + std::to_string(p.major) + std::to_string(p.minor) +
                  ", " + std::to_string(p.totalGlobalMem >> 20) + " MiB)";
  if (p.major * 10 + p.minor < kMinComputeCapability)
    s = "no usable CUDA GPU: " + s + " is older than sm_80, which bte's CUDA kernels need";
  return s;
}

}  // namespace bte::cuda
