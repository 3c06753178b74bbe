// Element-wise CUDA kernels; twins of kernels/reference/ops.h (add_bias,
// gelu_inplace, tanh_inplace, add_inplace). All pointers are device memory; `type` is
// the element type of the data (math in fp32, one rounding on store).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "base/dtype.h"

namespace bte::cuda {

// dst[i] = src[i] converted (round to nearest even), n elements.
void convert(const void* src, DType src_type, void* dst, DType dst_type, int64_t n,
             cudaStream_t stream);
// y[M, N] += b[N]; y of `type`, b of `type`.
void add_bias(void* y, DType type, int64_t M, int N, const void* b, cudaStream_t stream);
// x = x * 0.5 * (1 + erf(x / sqrt 2)) (exact GELU, as XLM-R), n elements.
void gelu_inplace(void* x, DType type, int64_t n, cudaStream_t stream);
void tanh_inplace(float* x, int64_t n, cudaStream_t stream);
void relu_inplace(float* x, int64_t n, cudaStream_t stream);
// y[i] += x[i], fp32, n elements.
void add_inplace(float* y, const float* x, int64_t n, cudaStream_t stream);

}  // namespace bte::cuda
