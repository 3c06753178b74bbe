#include "models/encoder_layout.h"

#include <string>

namespace bte {

std::vector<TensorSpec> encoder_tensors(const ModelConfig& c, DType dtype) {
  const int64_t d = c.hidden, f = c.ffn;
  const DType F = DType::F32;
  // int8: the encoder's four GEMM weights per layer are int8, each followed
  // by its scales; the embedding tables and the head's matrices (read by a
  // gather, or tiny) are bf16.
  const bool int8 = dtype == DType::I8;
  const DType m = int8 ? DType::BF16 : dtype;
  std::vector<TensorSpec> t = {{"embeddings.word", m, {c.vocab, d}},
                               {"embeddings.position", m, {c.max_positions, d}}};
  if (c.token_types == 1) t.push_back({"embeddings.token_type", F, {d}});
  if (c.token_types > 1) t.push_back({"embeddings.token_type", F, {c.token_types, d}});
  t.push_back({"embeddings.ln.gamma", F, {d}});
  t.push_back({"embeddings.ln.beta", F, {d}});
  for (int i = 0; i < c.layers; ++i) {
    auto L = [&](const char* s, DType dt, std::vector<int64_t> shape) {
      t.push_back({layer_tensor(i, s), dt, std::move(shape)});
    };
    auto W = [&](const char* s, int64_t N, int64_t K) {  // a GEMM's weight [N, K]
      if (!int8) return L(s, m, {N, K});
      L(s, DType::I8, {N, K});
      t.push_back({scale_tensor(layer_tensor(i, s)), F, {N}});
    };
    W("attn.qkv.weight", 3 * d, d);
    L("attn.qkv.bias", F, {3 * d});
    W("attn.out.weight", d, d);
    L("attn.out.bias", F, {d});
    L("attn.ln.gamma", F, {d});
    L("attn.ln.beta", F, {d});
    W("ffn.up.weight", f, d);
    L("ffn.up.bias", F, {f});
    W("ffn.down.weight", d, f);
    L("ffn.down.bias", F, {d});
    L("ffn.ln.gamma", F, {d});
    L("ffn.ln.beta", F, {d});
  }
  if (c.num_labels > 0 && c.token_head()) {
    t.push_back({"head.out.weight", m, {c.num_labels, d}});
    t.push_back({"head.out.bias", F, {c.num_labels}});
  } else if (c.num_labels > 0) {
    t.push_back({"head.dense.weight", m, {d, d}});
    t.push_back({"head.dense.bias", F, {d}});
    t.push_back({"head.out.weight", m, {c.num_labels, d}});
    t.push_back({"head.out.bias", F, {c.num_labels}});
  }
  return t;
}

std::vector<TensorRecipe> dense_head_recipes(const ModelConfig& c, const std::string& dense,
                                             const std::string& out) {
  const int64_t d = c.hidden, C = c.num_labels;
  return {{"head.dense.weight", {{dense + ".weight", {d, d}}}},
          {"head.dense.bias", {{dense + ".bias", {d}}}},
          {"head.out.weight", {{out + ".weight", {C, d}}}},
          {"head.out.bias", {{out + ".bias", {C}}}}};
}

std::vector<TensorRecipe> linear_head_recipes(const ModelConfig& c, const std::string& out) {
  const int64_t d = c.hidden, C = c.num_labels;
  return {{"head.out.weight", {{out + ".weight", {C, d}}}}, {"head.out.bias", {{out + ".bias", {C}}}}};
}

std::vector<TensorRecipe> bert_layout_body(const ModelConfig& c) {
  const int64_t d = c.hidden, f = c.ffn;
  std::vector<TensorRecipe> r = {
      {"embeddings.word", {{"embeddings.word_embeddings.weight", {c.vocab, d}}}},
      {"embeddings.position", {{"embeddings.position_embeddings.weight", {c.max_positions, d}}}},
  };
  if (c.token_types == 1)
    r.push_back({"embeddings.token_type", {{"embeddings.token_type_embeddings.weight", {-1, d}}}, true});
  if (c.token_types > 1)
    r.push_back({"embeddings.token_type",
                 {{"embeddings.token_type_embeddings.weight", {c.token_types, d}}}});
  r.push_back({"embeddings.ln.gamma", {{"embeddings.LayerNorm.weight", {d}}}});
  r.push_back({"embeddings.ln.beta", {{"embeddings.LayerNorm.bias", {d}}}});
  for (int i = 0; i < c.layers; ++i) {
    const std::string h = "encoder.layer." + std::to_string(i) + ".";
    const std::string a = h + "attention.self.";
    auto one = [&](const char* canonical, const std::string& hf, std::vector<int64_t> shape) {
      r.push_back({layer_tensor(i, canonical), {{hf, std::move(shape)}}});
    };
    r.push_back({layer_tensor(i, "attn.qkv.weight"),
                 {{a + "query.weight", {d, d}}, {a + "key.weight", {d, d}}, {a + "value.weight", {d, d}}}});
    r.push_back({layer_tensor(i, "attn.qkv.bias"),
                 {{a + "query.bias", {d}}, {a + "key.bias", {d}}, {a + "value.bias", {d}}}});
    one("attn.out.weight", h + "attention.output.dense.weight", {d, d});
    one("attn.out.bias", h + "attention.output.dense.bias", {d});
    one("attn.ln.gamma", h + "attention.output.LayerNorm.weight", {d});
    one("attn.ln.beta", h + "attention.output.LayerNorm.bias", {d});
    one("ffn.up.weight", h + "intermediate.dense.weight", {f, d});
    one("ffn.up.bias", h + "intermediate.dense.bias", {f});
    one("ffn.down.weight", h + "output.dense.weight", {d, f});
    one("ffn.down.bias", h + "output.dense.bias", {d});
    one("ffn.ln.gamma", h + "output.LayerNorm.weight", {d});
    one("ffn.ln.beta", h + "output.LayerNorm.bias", {d});
  }
  return r;
}

}  // namespace bte
