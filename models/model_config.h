// The model's shape and settings, as stored in a .bte header and read from a
// Hugging Face config.json. Plain data; the graph is built from it. What the
// family implies (position rule, head, tokenizer) is in models/family.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"

namespace bte {

// How a sequence's rows become one embedding.
enum class Pooling : uint8_t {
  Cls,   // the first token's row
  Mean,  // the mean of the real rows (specials included, padding never)
  Max,   // per column, the largest value among the real rows
};
const char* pooling_name(Pooling p);  // "cls", "mean", "max"
// "cls" / "mean" / "max"; false for anything else.
bool parse_pooling(std::string_view name, Pooling* out);

// A named text prepended to every input before tokenizing ("query: "), as
// sentence-transformers' prompts are.
struct Prompt {
  std::string name, text;
};

// How the model makes embeddings by default: read from a sentence-
// transformers checkpoint at convert, else the family's default pooling
// without normalisation. Callers may override each (bte embed's flags).
struct EmbeddingSettings {
  Pooling pooling = Pooling::Cls;
  bool normalize = false;
  std::vector<Prompt> prompts;
  std::string default_prompt;  // a name in prompts, or "" (no prompt by default)
  int max_tokens = 0;          // per text, specials included (max_seq_length); 0 = the model's
  std::string origin;          // where these came from: "sentence-transformers", or "" (defaults)

  const Prompt* find_prompt(std::string_view name) const {
    for (const Prompt& p : prompts)
      if (p.name == name) return &p;
    return nullptr;
  }
};

// What turns a classification head's logits into scores (Hugging Face's
// rule, from config.json's problem_type): a softmax over the labels
// (single-label), a sigmoid per label (multi-label, and a one-label head
// such as a reranker's), or the raw value (regression).
enum class HeadActivation : uint8_t { Softmax, Sigmoid, Identity };
const char* head_activation_name(HeadActivation a);  // "softmax", "sigmoid", "none"
bool parse_head_activation(std::string_view name, HeadActivation* out);
// The activation for a head of `num_labels` with config.json's `problem_type`
// ("" when absent). False for a problem_type bte does not know.
bool head_activation_for(int num_labels, std::string_view problem_type, HeadActivation* out);

struct ModelConfig {
  std::string family = "xlm-roberta";  // models/family.h
  std::string architecture = "XLMRobertaForSequenceClassification";  // the family's, with or without head
  int layers = 12;
  int hidden = 768;
  int heads = 12;
  int ffn = 3072;
  int vocab = 250002;
  int max_positions = 514;  // rows of the position table
  int pad_id = 1;           // also RoBERTa's position padding_idx
  int token_types = 1;      // rows of the token-type table (BERT: 2, segment A and B; DistilBERT: 0)
  float layer_norm_eps = 1e-5f;
  std::string activation = "gelu";  // exact (erf) GELU, the only one supported

  // Classification head: num_labels == 0 means a bare encoder (no head).
  int num_labels = 0;
  std::vector<std::string> labels;  // id2label, num_labels entries
  bool head_is_random = false;      // head made by `bte convert --num-labels`, not trained
  uint64_t head_seed = 0;           // the seed of a random head (0 when trained or absent)
  HeadActivation head_activation = HeadActivation::Softmax;

  EmbeddingSettings embedding;

  int head_dim() const { return hidden / heads; }
  // The position of a sequence's first token (the family's rule: XLM-R
  // starts at pad_id + 1, BERT at 0).
  int first_position() const;
  // Longest sequence, specials included: the positions left after the first.
  int max_tokens() const { return max_positions - first_position(); }
  bool has_head() const { return num_labels > 0; }
  // A token classification head (a label per token: tagging), by the
  // architecture; else a sequence head (a label per text) or none.
  bool token_head() const;
  bool sequence_head() const { return has_head() && !token_head(); }
  // Longest text for an embedding: the model's, or less when its
  // sentence-transformers configuration says so.
  int embedding_max_tokens() const {
    return embedding.max_tokens > 0 && embedding.max_tokens < max_tokens() ? embedding.max_tokens
                                                                            : max_tokens();
  }
};

// Caps a config must stay within (generous: XLM-R XXL is 48 x 4096, ffn 16384).
struct ConfigLimits {
  static constexpr int kMaxLayers = 1024;
  static constexpr int kMaxHidden = 65536;
  static constexpr int kMaxFfn = 1 << 20;
  static constexpr int kMaxVocab = 1 << 24;
  static constexpr int kMaxPositions = 1 << 20;
  static constexpr int kMaxLabels = 1 << 16;
  static constexpr int kMaxTokenTypes = 1024;
};

// The one rule for a label name, wherever it comes from (config.json's
// id2label, `bte convert --labels`, a .bte header): classify prints one line
// per text and --json keys probabilities by label, so a label must be one
// visible, unambiguous token of text:
//   - non-empty and at most kMaxLabelBytes bytes;
//   - valid UTF-8;
//   - no control character: C0 (U+0000-001F, tab and newline included), DEL,
//     C1 (U+0080-009F), nor U+2028 / U+2029 (line breaks to JSON readers and
//     Python's splitlines);
//   - no space at either end ("pos" and "pos " print alike; `--labels "a, b"`
//     would otherwise keep " b" silently);
//   - and, across a model's labels, no two alike (--json's "probs" object would
//     keep one probability of the two).
inline constexpr size_t kMaxLabelBytes = 256;
inline constexpr size_t kMaxPromptBytes = 4096;
inline constexpr size_t kMaxPrompts = 256;

// Why `name` cannot be a label, or "" when it can ("contains a control
// character (U+000A) at byte 3", ...).
std::string label_problem(std::string_view name);
// `name` in double quotes with every control character, invalid byte, quote
// and backslash escaped (\n, \t, \x7F, \u0085), cut after 64 bytes: safe to
// print in a message.
std::string escape_label(std::string_view name);
// Checks each label (label_problem) and that no two are equal. Throws
// Error(kind) "<where>: label <i> <escaped>: <problem>".
void validate_labels(const std::vector<std::string>& labels, ErrorKind kind,
                     const std::string& where);

// Checks every field (a known family, positive sizes within ConfigLimits,
// heads divide hidden, pad_id inside vocab, room for >= 2 tokens after the
// first position, 0 < eps < 1, the family's activation, the family's
// architecture for num_labels, labels.size() == num_labels, each label by
// validate_labels; the embedding settings: prompt names by the label rule,
// prompt texts valid UTF-8 of at most kMaxPromptBytes, the default prompt
// among them, max_tokens 0 or 2..max_tokens()).
// Throws Error(BadModel) "<where>: <field> ..." naming the first bad field.
void validate_config(const ModelConfig& c, const std::string& where);

}  // namespace bte
