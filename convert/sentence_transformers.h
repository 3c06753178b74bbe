// A sentence-transformers checkpoint's embedding settings: the files beside
// the Hugging Face model that say how token rows become one embedding.
//
//   modules.json                       Transformer (at the root), Pooling, [Normalize]
//   1_Pooling/config.json              pooling_mode_cls_token / _mean_tokens / _max_tokens
//   config_sentence_transformers.json  prompts, default_prompt_name
//   sentence_bert_config.json          max_seq_length (specials included), do_lower_case
//
// Whatever bte cannot honour exactly (a Dense or other module, weighted-mean,
// mean-sqrt-len or last-token pooling, several pooling modes at once,
// include_prompt false, lower-casing, a prompt that fills the model's window)
// is refused naming the file and the field, never approximated.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "models/model_config.h"
#include "tokenizer/tokenizer.h"

namespace bte {

// nullopt when `dir` has no modules.json (a plain Hugging Face model). `log`
// gets one line per setting taken. Throws Error(BadModel) naming the file and field.
std::optional<EmbeddingSettings> read_sentence_transformers(
    const std::string& dir, const ModelConfig& config, const Tokenizer& tokenizer,
    const std::function<void(const std::string&)>& log);

// The files read_sentence_transformers may read (some may not exist).
std::vector<std::string> sentence_transformers_files(const std::string& dir);

}  // namespace bte
