// CUDA residual + bias + LayerNorm in one pass; twin of
// ref::add_inplace + ref::add_bias + ref::layernorm (kernels/reference/ops.h).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "base/dtype.h"

namespace bte::cuda {

// x[rows, d] = LN(x + delta + bias) * gamma + beta, in place, fp32.
// delta: [rows, d] fp32 or null; bias: [d] or null; gamma, beta: [d].
// copy: [rows, d] of copy_type or null: the result rounded once more, for
// the next GEMM's 16-bit input (saves a conversion pass). d <= 2048.
void bias_residual_layernorm(float* x, const float* delta, const float* bias, const float* gamma,
                             const float* beta, int64_t rows, int d, float eps, void* copy,
                             DType copy_type, cudaStream_t stream);

}  // namespace bte::cuda
