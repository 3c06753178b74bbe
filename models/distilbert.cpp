// DistilBERT: BERT's body with its own tensor names (q_lin, sa_layer_norm,
// ffn.lin1 ...), no token types, positions from 0, a pre_classifier + ReLU
// + classifier head, and BERT's WordPiece tokenizer. Its config.json names
// the sizes differently (dim, n_layers, hidden_dim) and fixes LayerNorm's
// eps at 1e-12.
#include "models/encoder_layout.h"
#include "models/family.h"

namespace bte {

namespace {

std::vector<TensorRecipe> hf_body(const ModelConfig& c) {
  const int64_t d = c.hidden, f = c.ffn;
  std::vector<TensorRecipe> r = {
      {"embeddings.word", {{"embeddings.word_embeddings.weight", {c.vocab, d}}}},
      {"embeddings.position", {{"embeddings.position_embeddings.weight", {c.max_positions, d}}}},
      {"embeddings.ln.gamma", {{"embeddings.LayerNorm.weight", {d}}}},
      {"embeddings.ln.beta", {{"embeddings.LayerNorm.bias", {d}}}},
  };
  for (int i = 0; i < c.layers; ++i) {
    const std::string h = "transformer.layer." + std::to_string(i) + ".";
    const std::string a = h + "attention.";
    auto one = [&](const char* canonical, const std::string& hf, std::vector<int64_t> shape) {
      r.push_back({layer_tensor(i, canonical), {{hf, std::move(shape)}}});
    };
    r.push_back({layer_tensor(i, "attn.qkv.weight"),
                 {{a + "q_lin.weight", {d, d}}, {a + "k_lin.weight", {d, d}}, {a + "v_lin.weight", {d, d}}}});
    r.push_back({layer_tensor(i, "attn.qkv.bias"),
                 {{a + "q_lin.bias", {d}}, {a + "k_lin.bias", {d}}, {a + "v_lin.bias", {d}}}});
    one("attn.out.weight", a + "out_lin.weight", {d, d});
    one("attn.out.bias", a + "out_lin.bias", {d});
    one("attn.ln.gamma", h + "sa_layer_norm.weight", {d});
    one("attn.ln.beta", h + "sa_layer_norm.bias", {d});
    one("ffn.up.weight", h + "ffn.lin1.weight", {f, d});
    one("ffn.up.bias", h + "ffn.lin1.bias", {f});
    one("ffn.down.weight", h + "ffn.lin2.weight", {d, f});
    one("ffn.down.bias", h + "ffn.lin2.bias", {d});
    one("ffn.ln.gamma", h + "output_layer_norm.weight", {d});
    one("ffn.ln.beta", h + "output_layer_norm.bias", {d});
  }
  return r;
}

// DistilBertForSequenceClassification: pre_classifier -> ReLU -> classifier.
std::vector<TensorRecipe> hf_head(const ModelConfig& c) {
  return dense_head_recipes(c, "pre_classifier", "classifier");
}

std::vector<TensorRecipe> hf_token_head(const ModelConfig& c) {
  return linear_head_recipes(c, "classifier");
}

ModelFamily make() {
  ModelFamily f;
  f.name = "distilbert";
  f.encoder_architecture = "DistilBertModel";
  f.classifier_architecture = "DistilBertForSequenceClassification";
  f.token_classifier_architecture = "DistilBertForTokenClassification";
  f.positions = PositionRule::FromZero;
  f.token_types = TokenTypes::None;
  f.head = HeadKind::DenseReluOnFirstToken;
  f.activation = "gelu";
  f.tokenizer_kinds = {"wordpiece"};
  f.default_pooling = Pooling::Cls;
  f.hf_model_types = {"distilbert"};
  f.hf_encoder_architectures = {"DistilBertModel", "DistilBertForMaskedLM"};
  f.hf_classifier_architectures = {"DistilBertForSequenceClassification"};
  f.hf_token_classifier_architectures = {"DistilBertForTokenClassification"};
  f.hf_prefix = "distilbert.";
  f.hf_ignored = {"vocab_transform.", "vocab_layer_norm.", "vocab_projector.",
                  "embeddings.position_ids"};
  f.hf_head_probe = "classifier.weight";
  f.hf_token_head_probe = "classifier.weight";
  f.hf_keys.layers = "n_layers";
  f.hf_keys.hidden = "dim";
  f.hf_keys.heads = "n_heads";
  f.hf_keys.ffn = "hidden_dim";
  f.hf_keys.activation = "activation";
  f.hf_keys.layer_norm_eps = "";  // nn.LayerNorm(dim, eps=1e-12) in its code
  f.hf_keys.token_types = "";
  f.hf_default_pad_id = 0;
  f.hf_default_layer_norm_eps = 1e-12f;
  f.tensors = encoder_tensors;
  f.hf_body = hf_body;
  f.hf_head = hf_head;
  f.hf_token_head = hf_token_head;
  return f;
}

}  // namespace

const ModelFamily& distilbert_family() {
  static const ModelFamily f = make();
  return f;
}

}  // namespace bte
