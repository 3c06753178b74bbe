// What makes a model family, in one place: how a Hugging Face checkpoint of
// the family names its tensors and which canonical .bte tensors they become,
// where positions start, which token types it has, its head, activation,
// tokenizer kind and default pooling. The converter, the .bte reader and
// writer (via the canonical tensor table), the graph and the packed batch all
// ask the family instead of assuming XLM-R.
//
//   const bte::ModelFamily& f = bte::model_family(config.family);  // "xlm-roberta"
//   int first = f.first_position(config);                           // 2 for XLM-R
//
// Adding a family: docs/ARCHITECTURE.md, "Adding a model family".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/dtype.h"
#include "models/model_config.h"
#include "models/tensor_layout.h"

namespace bte {

// Where the position ids of a sequence start.
enum class PositionRule {
  AfterPadding,  // RoBERTa / XLM-R: the first token is at pad_id + 1
  FromZero,      // BERT: the first token is at 0
};

// The sequence classification head on the first token's row: a dense layer,
// an activation, the output layer. RoBERTa's dense -> tanh -> out_proj and
// BERT's pooler (dense -> tanh) -> classifier are the first kind;
// DistilBERT's pre_classifier -> ReLU -> classifier the second. (A token
// classification head is one Linear on every token's row, the same in every
// family so far.)
enum class HeadKind { DenseTanhOnFirstToken, DenseReluOnFirstToken };

// The token-type (segment) table a family's models have.
enum class TokenTypes {
  None,        // DistilBERT: no table
  One,         // RoBERTa / XLM-R: one row, added to every token
  FromConfig,  // BERT: type_vocab_size rows (2: segment A and B of a pair)
};

// The config.json keys of a family's sizes (BERT's names unless told).
struct HfConfigKeys {
  std::string layers = "num_hidden_layers", hidden = "hidden_size",
              heads = "num_attention_heads", ffn = "intermediate_size",
              activation = "hidden_act";
  std::string layer_norm_eps = "layer_norm_eps";  // "": fixed at the family's default
  std::string token_types = "type_vocab_size";    // read with TokenTypes::FromConfig
};

// One Hugging Face tensor that feeds a canonical tensor: its name after the
// family's prefix ("encoder.layer.3.attention.self.query.weight") and the
// shape the config implies (-1: any size, e.g. the token-type table's rows).
struct HfSource {
  std::string name;
  std::vector<int64_t> shape;
};

// How one canonical tensor is made from the checkpoint: its sources
// concatenated in order along dimension 0 (query; key; value), or, with
// first_row, the first row of its single source (token type 0).
struct TensorRecipe {
  std::string canonical;
  std::vector<HfSource> parts;
  bool first_row = false;
};

struct ModelFamily {
  std::string name;  // recorded in a .bte header: "xlm-roberta"

  // ---- the model, as bte runs it
  std::string encoder_architecture;     // the .bte architecture of a bare encoder
  std::string classifier_architecture;  // ... with a sequence classification head
  std::string token_classifier_architecture;  // ... with a token classification head
  PositionRule positions = PositionRule::AfterPadding;
  TokenTypes token_types = TokenTypes::One;
  HeadKind head = HeadKind::DenseTanhOnFirstToken;
  std::string activation = "gelu";  // of the FFN (exact erf GELU)
  // tokenizer/ kinds its checkpoints come with, the family's own first
  // ("wordpiece" for BERT, which also ships with XLM-R's sentencepiece).
  std::vector<std::string> tokenizer_kinds;
  Pooling default_pooling = Pooling::Cls;

  // ---- its Hugging Face checkpoints
  std::vector<std::string> hf_model_types;            // config.json model_type
  std::vector<std::string> hf_encoder_architectures;  // bare encoders (+ masked LMs)
  std::vector<std::string> hf_classifier_architectures;
  std::vector<std::string> hf_token_classifier_architectures;
  std::string hf_prefix;                     // optional on every name: "roberta."
  std::vector<std::string> hf_ignored;       // name prefixes bte does not use
  std::string hf_head_probe;                 // the tensor whose rows count the labels
  std::string hf_token_head_probe;           // ... of a token classification head
  HfConfigKeys hf_keys;
  int hf_default_pad_id = 0;                 // when config.json has no pad_token_id
  float hf_default_layer_norm_eps = 1e-12f;  // ... no layer_norm_eps (or the family fixes it)
  int hf_default_token_types = 2;            // ... no type_vocab_size
  // config.json ids the tokenizer fixes (name, value): XLM-R's fairseq ids.
  std::vector<std::pair<std::string, int>> hf_fixed_ids;

  // Every canonical tensor of a config, in file order (2-D tensors in
  // `matrix_dtype`, 1-D in fp32).
  std::vector<TensorSpec> (*tensors)(const ModelConfig& config, DType matrix_dtype) = nullptr;
  // How each canonical tensor but the head's comes from the checkpoint, in
  // the order of tensors(); then, with a head, the head's.
  std::vector<TensorRecipe> (*hf_body)(const ModelConfig& config) = nullptr;
  std::vector<TensorRecipe> (*hf_head)(const ModelConfig& config) = nullptr;
  std::vector<TensorRecipe> (*hf_token_head)(const ModelConfig& config) = nullptr;

  int first_position(const ModelConfig& c) const {
    return positions == PositionRule::AfterPadding ? c.pad_id + 1 : 0;
  }
  bool takes_tokenizer(std::string_view kind) const {
    for (const std::string& k : tokenizer_kinds)
      if (k == kind) return true;
    return false;
  }
  const std::string& architecture_for(bool with_head, bool token_head = false) const {
    return !with_head ? encoder_architecture
                      : token_head ? token_classifier_architecture : classifier_architecture;
  }
};

// The family named in a .bte header or ModelConfig::family. Throws
// Error(BadModel) "family \"x\" is not one this bte knows (known: ...)".
const ModelFamily& model_family(std::string_view name);
// The family whose checkpoints carry this config.json model_type, or null.
const ModelFamily* family_for_hf_model_type(std::string_view model_type);
// Every family, for messages ("supported: ...") and docs.
const std::vector<const ModelFamily*>& model_families();

// The families, each defined in its own file (models/<family>.cpp).
const ModelFamily& xlm_roberta_family();
const ModelFamily& bert_family();
const ModelFamily& distilbert_family();

}  // namespace bte
