// What the families share: the canonical .bte tensor table (one for every
// family: the graph is the same post-LayerNorm encoder), and the Hugging Face
// tensor names of the BERT layout, which BERT and RoBERTa / XLM-R checkpoints
// both use ("encoder.layer.3.attention.self.query.weight").
#pragma once

#include <string>
#include <vector>

#include "base/dtype.h"
#include "models/family.h"

namespace bte {

// The canonical tensors of `c` (models/tensor_layout.h lists them): the
// token-type table is absent with 0 token types, one row [d] with 1, and
// [token_types, d] with more.
std::vector<TensorSpec> encoder_tensors(const ModelConfig& c, DType matrix_dtype);

// The body's recipes from BERT-layout names (embeddings.*, encoder.layer.*),
// in encoder_tensors' order. With one token type the first row of the
// checkpoint's token_type_embeddings is taken (RoBERTa's table may hold more
// rows than it uses).
std::vector<TensorRecipe> bert_layout_body(const ModelConfig& c);

// A sequence head's recipes: head.dense from `<dense>.weight/.bias`, head.out
// from `<out>.weight/.bias` (RoBERTa: classifier.dense, classifier.out_proj;
// BERT: pooler.dense, classifier; DistilBERT: pre_classifier, classifier).
std::vector<TensorRecipe> dense_head_recipes(const ModelConfig& c, const std::string& dense,
                                             const std::string& out);
// A token head's: head.out from `<out>.weight/.bias` (classifier in every family so far).
std::vector<TensorRecipe> linear_head_recipes(const ModelConfig& c, const std::string& out);

}  // namespace bte
