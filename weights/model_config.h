// The model's shape and settings, as stored in a .bte header and read from a
// Hugging Face config.json. Plain data; the graph is built from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bte {

struct ModelConfig {
  std::string architecture = "XLMRobertaForSequenceClassification";  // or XLMRobertaModel
  int layers = 12;
  int hidden = 768;
  int heads = 12;
  int ffn = 3072;
  int vocab = 250002;
  int max_positions = 514;  // rows of the position table
  int pad_id = 1;           // also RoBERTa's position padding_idx
  float layer_norm_eps = 1e-5f;
  std::string activation = "gelu";  // exact (erf) GELU, the only one supported

  // Classification head: num_labels == 0 means a bare encoder (no head).
  int num_labels = 0;
  std::vector<std::string> labels;  // id2label, num_labels entries
  bool head_is_random = false;      // head made by `bte convert --num-labels`, not trained

  int head_dim() const { return hidden / heads; }
  // Longest sequence, specials included: positions start at pad_id + 1.
  int max_tokens() const { return max_positions - pad_id - 1; }
  bool has_head() const { return num_labels > 0; }
};

}  // namespace bte
