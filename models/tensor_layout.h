// The canonical tensors of a .bte model: names and shapes implied by the
// config and its family (models/<family>.cpp lists them). XLM-R's
// (d = hidden, f = ffn, V = vocab, P = max_positions, C = num_labels):
//
//   embeddings.word [V,d]  embeddings.position [P,d]  embeddings.token_type [d]
//   embeddings.ln.gamma [d]  embeddings.ln.beta [d]
//   layers.{i}.attn.qkv.weight [3d,d]  (rows: query, key, value)   .qkv.bias [3d]
//   layers.{i}.attn.out.weight [d,d]  .out.bias [d]  .attn.ln.gamma/beta [d]
//   layers.{i}.ffn.up.weight [f,d]  .up.bias [f]  .ffn.down.weight [d,f]  .down.bias [d]
//   layers.{i}.ffn.ln.gamma/beta [d]
//   head.dense.weight [d,d]  head.dense.bias [d]  head.out.weight [C,d]  head.out.bias [C]
//
// Linear weights are PyTorch's [out, in]. The 2-D tensors (embedding tables
// and linear weights) carry the model's dtype; every 1-D tensor is fp32.
// An int8 model: the four layer weights are int8, each followed by its
// scales `<weight>.scale` [rows] fp32 (row n ≈ q[n, :] · scale[n]); the
// embedding tables and the head's matrices are bf16.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/dtype.h"
#include "models/model_config.h"

namespace bte {

struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

// Every tensor the config implies, in file order (embeddings, layers, head):
// its family's table.
std::vector<TensorSpec> expected_tensors(const ModelConfig& c, DType matrix_dtype);

// "layers.3.attn.qkv.weight" from (3, "attn.qkv.weight").
std::string layer_tensor(int layer, std::string_view suffix);

// "layers.3.attn.qkv.weight.scale" from "layers.3.attn.qkv.weight": the
// scales of an int8 weight.
std::string scale_tensor(std::string_view weight);
bool is_scale_tensor(std::string_view name);

// Product of the dims, or -1 when a dim is negative or the product (times
// elem_size) would pass 2^62: callers turn -1 into a message.
int64_t checked_bytes(const std::vector<int64_t>& shape, size_t elem_size);

// "[768, 3072]"
std::string shape_str(const std::vector<int64_t>& shape);

}  // namespace bte
