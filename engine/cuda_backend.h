// The CUDA backends, created by engine.cpp. In a build without CUDA the
// factory answers with Error(Device) (cuda_backend_absent.cpp).
#pragma once

#include <memory>

#include "engine/backend.h"
#include "base/dtype.h"

namespace bte {

// slow_path: the reference mode on the GPU (separate Q/K/V GEMMs, explicit
// masked score tensor, separate softmax / bias / GELU / residual / LayerNorm
// passes; always fp32). Otherwise the fused fast path in `dtype` (fp32,
// fp16 or bf16 GEMMs and attention; fp32 residual stream and statistics).
std::unique_ptr<Backend> make_cuda_backend(const ModelWeights& weights, bool slow_path, DType dtype);

}  // namespace bte
