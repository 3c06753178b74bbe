// CUDA pooling over a VarlenLayout and row L2 normalisation; twins of
// ref::pool_cls / pool_mean / pool_max / l2_normalize_rows (kernels/reference/ops.h).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace bte::cuda {

// The layout as device kernels see it: cu_seqlens in device memory.
struct DeviceLayout {
  const int32_t* cu_seqlens = nullptr;  // [n_seqs + 1], device
  int n_seqs = 0, max_len = 0;
  bool padded = false;  // rows of sequence i at i*max_len (else at cu_seqlens[i])
};

// x: rows of the layout, [*, d] fp32; out: [n_seqs, d] fp32.
void pool_cls(const float* x, const DeviceLayout& layout, int d, float* out, cudaStream_t stream);
void pool_mean(const float* x, const DeviceLayout& layout, int d, float* out, cudaStream_t stream);
void pool_max(const float* x, const DeviceLayout& layout, int d, float* out, cudaStream_t stream);
// Each row of x[rows, d] divided by max(its L2 norm, 1e-12) (a zero row stays zero).
void l2_normalize_rows(float* x, int64_t rows, int d, cudaStream_t stream);

}  // namespace bte::cuda
