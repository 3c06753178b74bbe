// Whether this build has CUDA and this machine has a GPU. Safe to call in
// every build: a build without CUDA links kernels/cuda_absent/ instead.
#pragma once

#include <string>

namespace bte::cuda {

bool built_with_cuda();
// Number of usable CUDA devices; 0 when the build has no CUDA, the driver is
// missing, no GPU is present, or device 0 (the one bte runs on) is older than
// sm_80 (never throws).
int device_count();
// One line describing why there is no GPU, or the GPU's name.
std::string device_summary();

}  // namespace bte::cuda
