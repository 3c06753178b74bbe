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
  uint64_t head_seed = 0;           // the seed of a random head (0 when trained or absent)

  int head_dim() const { return hidden / heads; }
  // Longest sequence, specials included: positions start at pad_id + 1.
  int max_tokens() const { return max_positions - pad_id - 1; }
  bool has_head() const { return num_labels > 0; }
};

// Architecture names a .bte file may carry.
inline constexpr const char* kArchEncoder = "XLMRobertaModel";
inline constexpr const char* kArchClassifier = "XLMRobertaForSequenceClassification";

// Caps a config must stay within (generous: XLM-R XXL is 48 x 4096, ffn 16384).
struct ConfigLimits {
  static constexpr int kMaxLayers = 1024;
  static constexpr int kMaxHidden = 65536;
  static constexpr int kMaxFfn = 1 << 20;
  static constexpr int kMaxVocab = 1 << 24;
  static constexpr int kMaxPositions = 1 << 20;
  static constexpr int kMaxLabels = 1 << 16;
};

// Checks every field (positive sizes within ConfigLimits, heads divide hidden,
// pad_id inside vocab and leaving room for >= 2 tokens, 0 < eps < 1, activation
// "gelu", architecture matching num_labels, labels.size() == num_labels).
// Throws Error(BadModel) "<where>: <field> ..." naming the first bad field.
void validate_config(const ModelConfig& c, const std::string& where);

}  // namespace bte
