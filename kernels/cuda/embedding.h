// CUDA: embedding gather + positions + token type + LayerNorm, one kernel.
// Twin of kernels/reference/embedding.h; all pointers are device memory.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "base/dtype.h"

namespace bte::cuda {

// ids, positions: [T]; word: [vocab, d]; pos: [max_positions, d];
// types: [T] token type ids or nullptr (all type 0); type_table:
// [token types, d] or nullptr; gamma, beta: [d]; out: [T, d]. fp32.
// copy: [T, d] of copy_type or null (the result rounded for a 16-bit GEMM).
void embed_layernorm(const int32_t* ids, const int32_t* positions, const int32_t* types, int64_t T,
                     const float* word, const float* pos, const float* type_table,
                     const float* gamma, const float* beta, int d, float eps, float* out,
                     cudaStream_t stream, void* copy = nullptr, DType copy_type = DType::F32);

}  // namespace bte::cuda
