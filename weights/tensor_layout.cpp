#include "weights/tensor_layout.h"

namespace bte {

std::string layer_tensor(int layer, std::string_view suffix) {
  return "layers." + std::to_string(layer) + "." + std::string(suffix);
}

std::vector<TensorSpec> expected_tensors(const ModelConfig& c, DType m) {
  const int64_t d = c.hidden, f = c.ffn;
  const DType F = DType::F32;
  std::vector<TensorSpec> t = {
      {"embeddings.word", m, {c.vocab, d}},   {"embeddings.position", m, {c.max_positions, d}},
      {"embeddings.token_type", F, {d}},      {"embeddings.ln.gamma", F, {d}},
      {"embeddings.ln.beta", F, {d}},
  };
  for (int i = 0; i < c.layers; ++i) {
    auto L = [&](const char* s, DType dt, std::vector<int64_t> shape) {
      t.push_back({layer_tensor(i, s), dt, std::move(shape)});
    };
    L("attn.qkv.weight", m, {3 * d, d});
    L("attn.qkv.bias", F, {3 * d});
    L("attn.out.weight", m, {d, d});
    L("attn.out.bias", F, {d});
    L("attn.ln.gamma", F, {d});
    L("attn.ln.beta", F, {d});
    L("ffn.up.weight", m, {f, d});
    L("ffn.up.bias", F, {f});
    L("ffn.down.weight", m, {d, f});
    L("ffn.down.bias", F, {d});
    L("ffn.ln.gamma", F, {d});
    L("ffn.ln.beta", F, {d});
  }
  if (c.num_labels > 0) {
    t.push_back({"head.dense.weight", m, {d, d}});
    t.push_back({"head.dense.bias", F, {d}});
    t.push_back({"head.out.weight", m, {c.num_labels, d}});
    t.push_back({"head.out.bias", F, {c.num_labels}});
  }
  return t;
}

int64_t checked_bytes(const std::vector<int64_t>& shape, size_t elem_size) {
  constexpr int64_t kCap = int64_t(1) << 62;
  int64_t n = int64_t(elem_size);
  for (int64_t s : shape) {
    if (s < 0) return -1;
    if (s != 0 && n > kCap / s) return -1;
    n *= s;
  }
  return n;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace bte
