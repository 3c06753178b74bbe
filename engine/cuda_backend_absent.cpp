// Linked instead of cuda_backend.cpp when the build has no CUDA compiler.
#include "base/check.h"
#include "engine/cuda_backend.h"

namespace bte {

std::unique_ptr<Backend> make_cuda_backend(const ModelWeights&, bool, DType) {
  BTE_FAIL(ErrorKind::Unsupported, "device cuda: this bte was built without CUDA (nvcc was not found at build time)");
}

}  // namespace bte
