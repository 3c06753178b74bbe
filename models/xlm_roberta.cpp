// XLM-RoBERTa (and RoBERTa-layout encoders): positions after the padding id,
// one token type, RoBERTa's classification head, XLM-R's sentencepiece
// tokenizer with the fairseq id mapping.
#include "models/family.h"

namespace bte {

namespace {

std::vector<TensorSpec> canonical_tensors(const ModelConfig& c, DType m) {
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

std::vector<TensorRecipe> hf_body(const ModelConfig& c) {
  const int64_t d = c.hidden, f = c.ffn;
  std::vector<TensorRecipe> r = {
      {"embeddings.word", {{"embeddings.word_embeddings.weight", {c.vocab, d}}}},
      {"embeddings.position", {{"embeddings.position_embeddings.weight", {c.max_positions, d}}}},
      {"embeddings.token_type", {{"embeddings.token_type_embeddings.weight", {-1, d}}}, true},
      {"embeddings.ln.gamma", {{"embeddings.LayerNorm.weight", {d}}}},
      {"embeddings.ln.beta", {{"embeddings.LayerNorm.bias", {d}}}},
  };
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

std::vector<TensorRecipe> hf_head(const ModelConfig& c) {
  const int64_t d = c.hidden, C = c.num_labels;
  return {{"head.dense.weight", {{"classifier.dense.weight", {d, d}}}},
          {"head.dense.bias", {{"classifier.dense.bias", {d}}}},
          {"head.out.weight", {{"classifier.out_proj.weight", {C, d}}}},
          {"head.out.bias", {{"classifier.out_proj.bias", {C}}}}};
}

std::vector<TensorRecipe> hf_token_head(const ModelConfig& c) {
  const int64_t d = c.hidden, C = c.num_labels;
  return {{"head.out.weight", {{"classifier.weight", {C, d}}}},
          {"head.out.bias", {{"classifier.bias", {C}}}}};
}

ModelFamily make() {
  ModelFamily f;
  f.name = "xlm-roberta";
  f.encoder_architecture = "XLMRobertaModel";
  f.classifier_architecture = "XLMRobertaForSequenceClassification";
  f.token_classifier_architecture = "XLMRobertaForTokenClassification";
  f.positions = PositionRule::AfterPadding;
  f.token_types = 1;
  f.head = HeadKind::DenseTanhOnFirstToken;
  f.activation = "gelu";
  f.tokenizer_kind = "sentencepiece";
  f.default_pooling = Pooling::Cls;
  f.hf_model_types = {"xlm-roberta", "roberta"};
  f.hf_encoder_architectures = {"XLMRobertaModel", "RobertaModel", "XLMRobertaForMaskedLM",
                                "RobertaForMaskedLM"};
  f.hf_classifier_architectures = {"XLMRobertaForSequenceClassification",
                                   "RobertaForSequenceClassification"};
  f.hf_token_classifier_architectures = {"XLMRobertaForTokenClassification",
                                         "RobertaForTokenClassification"};
  f.hf_prefix = "roberta.";
  f.hf_ignored = {"pooler.", "lm_head.", "embeddings.position_ids"};
  f.hf_head_probe = "classifier.out_proj.weight";
  f.hf_token_head_probe = "classifier.weight";
  f.hf_tokenizer_file = "sentencepiece.bpe.model";
  f.hf_fixed_ids = {{"bos_token_id", 0}, {"pad_token_id", 1}, {"eos_token_id", 2}};
  f.tensors = canonical_tensors;
  f.hf_body = hf_body;
  f.hf_head = hf_head;
  f.hf_token_head = hf_token_head;
  return f;
}

}  // namespace

const ModelFamily& xlm_roberta_family() {
  static const ModelFamily f = make();
  return f;
}

}  // namespace bte
