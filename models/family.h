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

// The sequence classification head on the pooled row: RoBERTa's dense ->
// tanh -> out_proj on the first token. (A token classification head is one
// Linear on every token's row, the same in every family so far.)
enum class HeadKind { DenseTanhOnFirstToken };

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
  int token_types = 1;  // token-type rows the model adds (1: type 0 to every token)
  HeadKind head = HeadKind::DenseTanhOnFirstToken;
  std::string activation = "gelu";  // of the FFN (exact erf GELU)
  std::string tokenizer_kind;       // tokenizer/: "sentencepiece"
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
  std::string hf_tokenizer_file;             // "sentencepiece.bpe.model"
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

}  // namespace bte
