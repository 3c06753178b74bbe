// The encoder's parameters as fp32 host arrays, by role. They point into a
// mapped .bte file (fp32 files: no copy) or into storage owned here (bf16 /
// fp16 files widened at load, or a seeded random model for benchmarks).
// An int8 file's layer weights are views of its int8 rows and scales
// (LayerWeights::*_q); their fp32 pointers stay null until
// widen_quantized() makes fp32 copies for a backend that is not int8.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/model_config.h"

namespace bte {

class BteFile;

// An int8 weight [N, K] as a .bte holds it: q rows in [-127, 127], one
// fp32 scale per row (row n ≈ q[n, :] · scale[n]). Null: not quantised.
struct Int8Weight {
  const int8_t* q = nullptr;
  const float* scale = nullptr;
};

struct LayerWeights {
  const float* qkv_w;  // [3d, d]  (query; key; value rows)
  const float* qkv_b;  // [3d]
  const float* out_w;  // [d, d]
  const float* out_b;  // [d]
  const float* attn_ln_g;
  const float* attn_ln_b;  // [d]
  const float* up_w;       // [f, d]
  const float* up_b;       // [f]
  const float* down_w;     // [d, f]
  const float* down_b;     // [d]
  const float* ffn_ln_g;
  const float* ffn_ln_b;  // [d]
  Int8Weight qkv_q, out_q, up_q, down_q;  // an int8 file's (then qkv_w ... down_w start null)
};

struct ModelWeights {
  ModelConfig config;
  const float* word = nullptr;      // [V, d]
  const float* position = nullptr;  // [P, d]
  const float* token_type = nullptr;  // [token_types, d]: a token's type row is added to it (null: none)
  const float* emb_ln_g = nullptr;
  const float* emb_ln_b = nullptr;  // [d]
  std::vector<LayerWeights> layers;
  const float* head_dense_w = nullptr;  // [d, d]   (null without a sequence head)
  const float* head_dense_b = nullptr;  // [d]
  const float* head_out_w = nullptr;    // [C, d]
  const float* head_out_b = nullptr;    // [C]
  std::string source;  // what these weights are, for banners ("model.bte", "random XLM-R base, seed 0")

  // Views into `file` (which must outlive the result), widening bf16/fp16 to fp32.
  static ModelWeights from_file(const std::shared_ptr<const BteFile>& file);
  // Seeded random weights (normal(0, 0.02) matrices, LayerNorm near identity).
  static ModelWeights random(const ModelConfig& config, uint64_t seed);

  // Named XLM-R sizes: "base", "large", "tiny" (2 layers, d=64, for tests).
  static ModelConfig named_config(const std::string& name, int num_labels);

  // Gives every int8 layer weight its fp32 twin (q · scale, owned here), for
  // backends that compute in another precision. Idempotent; not thread-safe.
  void widen_quantized();

  // `n` floats at p have been copied elsewhere (repacked for a GEMM): when
  // they are mapped from the file, their pages stop counting as resident
  // memory (they fault back in from the page cache if read again).
  void release_pages(const float* p, int64_t n) const;
  void release_bytes(const void* p, int64_t bytes) const;

  // Bytes of the encoder's weights (embeddings excluded: a GEMM reads those, not a gather).
  int64_t encoder_weight_bytes() const;

 private:
  std::shared_ptr<const BteFile> file_;          // keeps the mapping alive
  std::vector<std::unique_ptr<float[]>> owned_;  // widened or random storage
  const float* own(std::unique_ptr<float[]> data);
};

}  // namespace bte
