// BERT and the encoders built on it (MiniLM, BGE, E5, sentence-transformers'
// BERT models): positions from 0, a token-type table (segment ids for a
// pair), BERT's pooler + classifier as the sequence head, the WordPiece
// tokenizer — or XLM-R's sentencepiece, which multilingual BERT bodies
// (paraphrase-multilingual-MiniLM, multilingual-e5) ship with.
#include "models/encoder_layout.h"
#include "models/family.h"

namespace bte {

namespace {

// BertForSequenceClassification: pooler (dense + tanh on [CLS]) -> classifier.
std::vector<TensorRecipe> hf_head(const ModelConfig& c) {
  return dense_head_recipes(c, "pooler.dense", "classifier");
}

std::vector<TensorRecipe> hf_token_head(const ModelConfig& c) {
  return linear_head_recipes(c, "classifier");
}

ModelFamily make() {
  ModelFamily f;
  f.name = "bert";
  f.encoder_architecture = "BertModel";
  f.classifier_architecture = "BertForSequenceClassification";
  f.token_classifier_architecture = "BertForTokenClassification";
  f.positions = PositionRule::FromZero;
  f.token_types = TokenTypes::FromConfig;
  f.head = HeadKind::DenseTanhOnFirstToken;
  f.activation = "gelu";
  f.tokenizer_kinds = {"wordpiece", "sentencepiece"};
  f.default_pooling = Pooling::Cls;
  f.hf_model_types = {"bert"};
  f.hf_encoder_architectures = {"BertModel", "BertForMaskedLM", "BertForPreTraining"};
  f.hf_classifier_architectures = {"BertForSequenceClassification"};
  f.hf_token_classifier_architectures = {"BertForTokenClassification"};
  f.hf_prefix = "bert.";
  // The pooler is the sequence head's first layer; a bare encoder ignores it.
  f.hf_ignored = {"pooler.", "cls.", "embeddings.position_ids"};
  f.hf_head_probe = "classifier.weight";
  f.hf_token_head_probe = "classifier.weight";
  f.hf_default_pad_id = 0;
  f.hf_default_layer_norm_eps = 1e-12f;
  f.hf_default_token_types = 2;
  f.tensors = encoder_tensors;
  f.hf_body = bert_layout_body;
  f.hf_head = hf_head;
  f.hf_token_head = hf_token_head;
  return f;
}

}  // namespace

const ModelFamily& bert_family() {
  static const ModelFamily f = make();
  return f;
}

}  // namespace bte
