#include "engine/model_weights.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "base/check.h"
#include "weights/bte_file.h"
#include "base/dtype.h"
#include "models/tensor_layout.h"

namespace bte {

const float* ModelWeights::own(std::unique_ptr<float[]> data) {
  owned_.push_back(std::move(data));
  return owned_.back().get();
}

ModelWeights ModelWeights::from_file(const std::shared_ptr<const BteFile>& file) {
  ModelWeights w;
  w.config = file->config();
  w.file_ = file;
  w.source = file->path();
  // fp32 tensors are used in place; narrower ones are widened once here.
  auto get = [&](const std::string& name) -> const float* {
    const BteFile::Tensor& t = file->tensor(name);
    if (t.dtype == DType::F32) return static_cast<const float*>(t.data);
    const size_t n = t.bytes / dtype_size(t.dtype);
    auto out = std::make_unique<float[]>(n);
    const auto* src = static_cast<const uint16_t*>(t.data);
    for (size_t i = 0; i < n; ++i)
      out[i] = t.dtype == DType::BF16 ? bf16_to_float(src[i]) : fp16_to_float(src[i]);
    return w.own(std::move(out));
  };
  w.word = get("embeddings.word");
  w.position = get("embeddings.position");
  if (w.config.token_types > 0) w.token_type = get("embeddings.token_type");
  w.emb_ln_g = get("embeddings.ln.gamma");
  w.emb_ln_b = get("embeddings.ln.beta");
  // A layer weight: fp32 (widened), or an int8 file's rows and scales.
  auto weight = [&](const std::string& name, Int8Weight* q) -> const float* {
    const BteFile::Tensor& t = file->tensor(name);
    if (t.dtype != DType::I8) return get(name);
    const BteFile::Tensor& s = file->tensor(scale_tensor(name));
    q->q = static_cast<const int8_t*>(t.data);
    q->scale = static_cast<const float*>(s.data);
    // BteFile::open checked the rows ([-127, 127]) and the scales (int8_scale_ok).
    return nullptr;
  };
  for (int i = 0; i < w.config.layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    LayerWeights L{};
    L.qkv_w = weight(p + "attn.qkv.weight", &L.qkv_q);
    L.qkv_b = get(p + "attn.qkv.bias");
    L.out_w = weight(p + "attn.out.weight", &L.out_q);
    L.out_b = get(p + "attn.out.bias");
    L.attn_ln_g = get(p + "attn.ln.gamma");
    L.attn_ln_b = get(p + "attn.ln.beta");
    L.up_w = weight(p + "ffn.up.weight", &L.up_q);
    L.up_b = get(p + "ffn.up.bias");
    L.down_w = weight(p + "ffn.down.weight", &L.down_q);
    L.down_b = get(p + "ffn.down.bias");
    L.ffn_ln_g = get(p + "ffn.ln.gamma");
    L.ffn_ln_b = get(p + "ffn.ln.beta");
    w.layers.push_back(L);
  }
  if (w.config.has_head()) {
    if (!w.config.token_head()) {  // a token head is the out projection alone
      w.head_dense_w = get("head.dense.weight");
      w.head_dense_b = get("head.dense.bias");
    }
    w.head_out_w = get("head.out.weight");
    w.head_out_b = get("head.out.bias");
  }
  return w;
}

ModelWeights ModelWeights::random(const ModelConfig& c, uint64_t seed) {
  ModelWeights w;
  w.config = c;
  w.source = "random weights (seed " + std::to_string(seed) + ")";
  std::mt19937_64 rng(seed);
  auto make = [&](int64_t n, float mean, float std) {
    std::normal_distribution<float> dist(mean, std);
    auto out = std::make_unique<float[]>(n);
    for (int64_t i = 0; i < n; ++i) out[i] = dist(rng);
    return w.own(std::move(out));
  };
  const int64_t d = c.hidden, f = c.ffn;
  w.word = make(int64_t(c.vocab) * d, 0, 0.02f);
  w.position = make(int64_t(c.max_positions) * d, 0, 0.02f);
  if (c.token_types > 0) w.token_type = make(int64_t(c.token_types) * d, 0, 0.02f);
  w.emb_ln_g = make(d, 1, 0.05f);
  w.emb_ln_b = make(d, 0, 0.02f);
  for (int i = 0; i < c.layers; ++i) {
    w.layers.push_back(LayerWeights{make(3 * d * d, 0, 0.02f), make(3 * d, 0, 0.02f),
                                    make(d * d, 0, 0.02f), make(d, 0, 0.02f), make(d, 1, 0.05f),
                                    make(d, 0, 0.02f), make(f * d, 0, 0.02f), make(f, 0, 0.02f),
                                    make(d * f, 0, 0.02f), make(d, 0, 0.02f), make(d, 1, 0.05f),
                                    make(d, 0, 0.02f), {}, {}, {}, {}});
  }
  if (c.has_head()) {
    w.head_dense_w = make(d * d, 0, 0.02f);
    w.head_dense_b = make(d, 0, 0.02f);
    w.head_out_w = make(int64_t(c.num_labels) * d, 0, 0.02f);
    w.head_out_b = make(c.num_labels, 0, 0.02f);
  }
  return w;
}

ModelConfig ModelWeights::named_config(const std::string& name, int num_labels) {
  ModelConfig c;
  if (name == "base") {
    c.layers = 12, c.hidden = 768, c.heads = 12, c.ffn = 3072;
  } else if (name == "large") {
    c.layers = 24, c.hidden = 1024, c.heads = 16, c.ffn = 4096;
  } else if (name == "tiny") {
    c.layers = 2, c.hidden = 64, c.heads = 4, c.ffn = 128, c.vocab = 1002;
  } else {
    BTE_FAIL(ErrorKind::BadInput, "unknown model size '", name, "' (expected base, large or tiny)");
  }
  c.num_labels = num_labels;
  c.architecture = num_labels > 0 ? "XLMRobertaForSequenceClassification" : "XLMRobertaModel";
  for (int i = 0; i < num_labels; ++i) c.labels.push_back("LABEL_" + std::to_string(i));
  c.head_is_random = num_labels > 0;
  return c;
}

void ModelWeights::widen_quantized() {
  const int64_t d = config.hidden, f = config.ffn;
  auto widen = [&](const Int8Weight& q, int64_t N, int64_t K, const float*& out) {
    if (!q.q || out) return;
    auto v = std::make_unique<float[]>(N * K);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k) v[n * K + k] = float(q.q[n * K + k]) * q.scale[n];
    out = own(std::move(v));
  };
  for (LayerWeights& L : layers) {
    widen(L.qkv_q, 3 * d, d, L.qkv_w);
    widen(L.out_q, d, d, L.out_w);
    widen(L.up_q, f, d, L.up_w);
    widen(L.down_q, d, f, L.down_w);
  }
}

void ModelWeights::release_pages(const float* p, int64_t n) const {
  release_bytes(p, n * int64_t(sizeof(float)));
}

void ModelWeights::release_bytes(const void* p, int64_t bytes) const {
  if (file_ && p) file_->drop_pages(p, size_t(bytes));
}

int64_t ModelWeights::encoder_weight_bytes() const {
  const int64_t d = config.hidden, f = config.ffn;
  const int64_t per_layer = 3 * d * d + 3 * d + d * d + d + 2 * d + f * d + f + d * f + d + 2 * d;
  int64_t head = config.has_head() ? d * d + d + int64_t(config.num_labels) * (d + 1) : 0;
  return (per_layer * config.layers + head) * int64_t(sizeof(float));
}

}  // namespace bte
