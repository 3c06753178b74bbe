// Linked instead of kernels/cuda/ when the build has no CUDA compiler.
#include "kernels/cuda/cuda_runtime_info.h"

namespace bte::cuda {
bool built_with_cuda() { return false; }
int device_count() { return 0; }
std::string device_summary() { return "bte was built without CUDA (-DBTE_CUDA=OFF or nvcc not found)"; }
}  // namespace bte::cuda
