// Token classification results as people read them: the labelled spans of a
// text, grouped the way Hugging Face's token-classification pipeline does
// with aggregation_strategy="simple":
//   - every token but the specials takes its most probable label, scored by
//     that probability (a softmax per token);
//   - a token joins the previous span when its tag (the label without "B-" /
//     "I-") is the same and its label does not begin a new entity ("B-");
//   - spans tagged "O" are dropped; a span's score is the mean of its
//     tokens' scores; it runs from its first token's start to its last
//     token's end (Encoding::offsets), and its word is its tokens' text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace bte {

struct TaggedSpan {
  std::string label;           // the tag: "PER" for B-PER / I-PER
  double score = 0;
  int64_t start = 0, end = 0;  // in Unicode code points of the text (as Python counts)
  int64_t start_byte = 0, end_byte = 0;
  std::string word;
};

// `probs`: [enc.ids.size(), labels.size()], each token's label distribution;
// `text` the text `enc` was made from (with offsets).
std::vector<TaggedSpan> group_token_tags(std::string_view text, const Encoding& enc,
                                         const float* probs, const std::vector<std::string>& labels,
                                         const Tokenizer& tokenizer);

}  // namespace bte
