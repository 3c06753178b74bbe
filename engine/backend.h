// The device seam: one table of coarse fused ops, filled by
//   ReferenceBackend  plain twins, separate steps (the tutorial's slow path)
//   CpuBackend        oneDNN GEMMs with fused epilogues + our fused kernels
//   CudaBackend       cuBLASLt + our CUDA kernels (fused, and the GPU slow path)
// The runner walks the graph and calls one method per op; it owns the
// workspace and never looks inside a backend. Pointers are in the backend's
// memory space (host for CPU, device for CUDA); `rows` counts the rows of
// the activation layout (padded or packed). `scratch` is the same
// scratch_floats(layout) block for every op of one batch, so a backend may
// leave something there for the next op (the CUDA backend's 16-bit copy of x).
#pragma once

#include <cstdint>
#include <string>

#include "engine/model_weights.h"
#include "kernels/varlen.h"
#include "models/family.h"  // Pooling

namespace bte {


class Backend {
 public:
  virtual ~Backend() = default;
  // "cpu fused (oneDNN 2.7.3, ISA avx512_core_bf16; kernels avx512; 2 threads)"
  virtual std::string describe() const = 0;

  // ---- memory (the runner's arena lives here) -----------------------------
  virtual void* allocate(size_t bytes) = 0;  // throws Error(OutOfMemory)
  virtual void release(void* p) = 0;
  virtual void upload(void* dst, const void* src, size_t bytes) = 0;
  virtual void download(void* dst, const void* src, size_t bytes) = 0;
  virtual void synchronize() = 0;

  // Floats of scratch the ops need for a batch of this layout.
  virtual int64_t scratch_floats(const VarlenLayout& layout) const = 0;

  // ---- ops, in graph order ------------------------------------------------
  // x[rows, d] = LN(word[ids] + position[positions] + token_type[types])
  // (types null: every token is type 0)
  virtual void embed(const int32_t* ids, const int32_t* positions, const int32_t* types,
                     int64_t rows, float* x, float* scratch) = 0;
  // qkv[rows, 3d] = x Wqkvᵀ + b
  virtual void qkv_projection(int layer, const float* x, int64_t rows, float* qkv,
                              float* scratch) = 0;
  // ctx[rows, d] = softmax(Q Kᵀ / sqrt(dh), keys of the own sequence) V, per head
  virtual void attention(const float* qkv, const VarlenLayout& layout, float* ctx,
                         float* scratch) = 0;
  // x = LN(x + ctx Woᵀ + bo)
  virtual void out_projection_residual_ln(int layer, const float* ctx, int64_t rows, float* x,
                                          float* scratch) = 0;
  // h[rows, f] = gelu(x Wupᵀ + bup)
  virtual void ffn_up_gelu(int layer, const float* x, int64_t rows, float* h, float* scratch) = 0;
  // x = LN(x + h Wdownᵀ + bdown)
  virtual void ffn_down_residual_ln(int layer, const float* h, int64_t rows, float* x,
                                    float* scratch) = 0;
  // out[n_seqs, d]: the first row, or the mean of the real rows, of each sequence
  virtual void pool(const float* x, const VarlenLayout& layout, Pooling pooling, float* out) = 0;
  virtual void l2_normalize(float* rows_d, int64_t rows) = 0;
  // logits[n, C] = tanh(cls Wdᵀ + bd) Woutᵀ + bout   (tmp: [n, d])
  virtual void classifier_head(const float* cls, int64_t n, float* tmp, float* logits) = 0;
  // logits[rows, C] = x Woutᵀ + bout: a label's logit for every token row
  virtual void token_classifier_head(const float* x, int64_t rows, float* logits) = 0;
};

}  // namespace bte
