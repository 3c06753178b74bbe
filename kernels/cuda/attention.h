// Fused variable-length multi-head attention on the GPU; twin of
// ref::attention (kernels/reference/ops.h). One launch covers every
// sequence and head of the batch: grid (sequence, query tile, head), each
// block walks the key/value tiles of its own sequence with an online
// softmax in fp32, so no score matrix ever reaches global memory.
//
// Two kernels behind one call, chosen by element type:
//   attention_simt.cu  fp32: CUDA cores; each query's row in registers
//                      (one or two threads per query), K/V tiles in shared memory
//   attention_wmma.cu  fp16 / bf16: tensor cores (WMMA 16x16x16, fp32
//                      accumulate) for Q·Kᵀ and P·V; 64 queries per block
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "base/dtype.h"

namespace bte::cuda {

// Everything a kernel needs, passed by value (flash-attention's habit).
struct AttentionParams {
  // [rows, ld_qkv]: row r = [q heads | k heads | v heads], head h at h*dh
  // within each third (the fused QKV projection's output).
  const void* qkv = nullptr;
  int64_t ld_qkv = 0;
  void* out = nullptr;  // [rows, ld_out], head h at h*dh
  int64_t ld_out = 0;
  const int32_t* cu_seqlens = nullptr;  // [n_seqs + 1], device
  int n_seqs = 0;
  int max_len = 0;  // >= every L_i (sizes the grid; padded: the row stride of a sequence)
  int heads = 0, head_dim = 0;
  // packed: sequence i owns rows cu_seqlens[i] .. +L_i; padded: rows
  // i*max_len .. +max_len, all computed, attending to the first L_i keys.
  bool padded = false;
};

// Head dims with a compiled kernel: 16, 32, 64, 80, 96, 128 (others: Error(BadModel)).
// Both kernels' launch grid: (sequence, tile of queries_per_block query rows,
// head); and the scale of Q·Kᵀ, 1/sqrt(dh). Shared with tests/cuda_emu/.
inline dim3 attention_grid(const AttentionParams& p, int queries_per_block) {
  return dim3(unsigned(p.n_seqs), unsigned((p.max_len + queries_per_block - 1) / queries_per_block),
              unsigned(p.heads));
}
inline float attention_scale(int head_dim) { return 1.f / std::sqrt(float(head_dim)); }

bool attention_supports_head_dim(int head_dim);
// qkv and out hold elements of `type`; math in fp32.
void attention(const AttentionParams& p, DType type, cudaStream_t stream);

// The two kernels, by name (tests and benchmarks call them directly too).
void attention_simt_f32(const AttentionParams& p, cudaStream_t stream);
void attention_wmma(const AttentionParams& p, DType type, cudaStream_t stream);

}  // namespace bte::cuda
