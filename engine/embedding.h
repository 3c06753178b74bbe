// What an embedding call runs: the model's own settings (pooling,
// normalisation, default prompt, length; ModelConfig::embedding) with the
// caller's overrides applied — one rule for the CLI, the C API and later
// front ends.
//
//   EmbeddingOverrides o;  o.prompt_name = "query";
//   EmbeddingPlan p = plan_embedding(engine.config(), o);
//   // p.prefix == "query: ", p.pooling == Pooling::Mean, p.normalize == true
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "engine/runner.h"
#include "models/model_config.h"

namespace bte {

struct EmbeddingOverrides {
  std::optional<Pooling> pooling;
  std::optional<bool> normalize;
  std::optional<std::string> prompt_name;  // one of the model's prompts; "" = none
  std::optional<std::string> prompt_text;  // a prompt given as text (wins over prompt_name)
  std::optional<int> max_tokens;           // per text, specials included
};

struct EmbeddingPlan {
  Pooling pooling = Pooling::Cls;
  bool normalize = false;
  std::string prompt_name;  // "" when none or given as text
  std::string prefix;       // prepended to every text before tokenizing
  int max_tokens = 0;       // per text, specials included (never above the model's)
};

// Throws Error(BadInput) for a prompt name the model does not have (naming
// the ones it has) or both a prompt name and a prompt text.
EmbeddingPlan plan_embedding(const ModelConfig& config, const EmbeddingOverrides& overrides);

// The graph outputs that compute `plan`'s embedding.
GraphOutputs embedding_outputs(const EmbeddingPlan& plan);
// The [n, d] rows of `outputs` that hold the pooled embedding of `pooling`.
const std::vector<float>& pooled_rows(const RunOutputs& outputs, Pooling pooling);

}  // namespace bte
