// XLM-RoBERTa (and RoBERTa-layout encoders): positions after the padding id,
// one token type, RoBERTa's classification head, XLM-R's sentencepiece
// tokenizer with the fairseq id mapping.
#include "models/encoder_layout.h"
#include "models/family.h"

namespace bte {

namespace {

std::vector<TensorRecipe> hf_head(const ModelConfig& c) {
  return dense_head_recipes(c, "classifier.dense", "classifier.out_proj");
}

std::vector<TensorRecipe> hf_token_head(const ModelConfig& c) {
  return linear_head_recipes(c, "classifier");
}

ModelFamily make() {
  ModelFamily f;
  f.name = "xlm-roberta";
  f.encoder_architecture = "XLMRobertaModel";
  f.classifier_architecture = "XLMRobertaForSequenceClassification";
  f.token_classifier_architecture = "XLMRobertaForTokenClassification";
  f.positions = PositionRule::AfterPadding;
  f.token_types = TokenTypes::One;
  f.head = HeadKind::DenseTanhOnFirstToken;
  f.activation = "gelu";
  f.tokenizer_kinds = {"sentencepiece"};
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
  f.hf_default_pad_id = 1;
  f.hf_fixed_ids = {{"bos_token_id", 0}, {"pad_token_id", 1}, {"eos_token_id", 2}};
  f.tensors = encoder_tensors;
  f.hf_body = bert_layout_body;
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
