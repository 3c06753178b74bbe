// The GPU slow path of attention, as an unfused framework runs it: per
// sequence, batched over heads, an explicit score matrix S = Q Kᵀ in global
// memory (cuBLAS strided-batched SGEMM), a separate masked-softmax pass,
// then P V. Used by the reference mode on --device cuda. fp32.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/varlen.h"

namespace bte::cuda {

// Floats of score scratch for this layout: Σ_i H · rows(i)².
int64_t explicit_scores_floats(const VarlenLayout& layout, int H);

// q, k, v: rows of `layout` (device), head h at h*dh, row stride ld_qkv.
// out: [layout.total_rows(), H*dh] (device), row stride ld_out.
// layout.cu_seqlens (host) gives the shapes, layout.cu_seqlens_device the
// softmax's lengths. scores: explicit_scores_floats(...) floats, device.
// `blas` must already be bound to `stream` (cublasSetStream): a handle
// shared by threads is never reconfigured here.
void attention_explicit(cublasHandle_t blas, const float* q, const float* k, const float* v,
                        int64_t ld_qkv, const VarlenLayout& layout, int H, int dh, float* out,
                        int64_t ld_out, float* scores, cudaStream_t stream);

// Softmax of each row of scores [n_rows, R] over the columns < len (the rest
// become 0; len = 0 gives a zero row), after multiplying by `scale`.
// Twin of ref::softmax_rows with an explicit key mask.
void masked_softmax_rows(float* scores, int64_t n_rows, int R, int len, float scale,
                         cudaStream_t stream);

}  // namespace bte::cuda
