#include "engine/embedding.h"

#include "base/check.h"
#include "base/utf8.h"

namespace bte {

EmbeddingPlan plan_embedding(const ModelConfig& c, const EmbeddingOverrides& o) {
  const EmbeddingSettings& e = c.embedding;
  EmbeddingPlan p;
  p.pooling = o.pooling.value_or(e.pooling);
  p.normalize = o.normalize.value_or(e.normalize);
  BTE_REQUIRE(!(o.prompt_name && o.prompt_text), ErrorKind::BadInput,
              "give a prompt by name or as text, not both");
  if (o.prompt_text) {
    const size_t bad = find_invalid_utf8(*o.prompt_text);
    BTE_REQUIRE(bad == std::string_view::npos, ErrorKind::BadInput,
                "the prompt text: invalid UTF-8 at byte ", bad);
    p.prefix = *o.prompt_text;
  } else {
    p.prompt_name = o.prompt_name.value_or(e.default_prompt);
    if (!p.prompt_name.empty()) {
      const Prompt* found = e.find_prompt(p.prompt_name);
      if (!found) {
        std::string names;
        for (const Prompt& q : e.prompts) names += (names.empty() ? "" : ", ") + escape_label(q.name);
        BTE_FAIL(ErrorKind::BadInput, "this model has no prompt named ", escape_label(p.prompt_name),
                 names.empty() ? std::string(" (it has no prompts)") : " (its prompts: " + names + ")");
      }
      p.prefix = found->text;
    }
  }
  p.max_tokens = c.embedding_max_tokens();
  if (o.max_tokens) {
    BTE_REQUIRE(*o.max_tokens >= 2, ErrorKind::BadInput, "a maximum length of ", *o.max_tokens,
                " tokens leaves no room for the specials (at least 2)");
    p.max_tokens = std::min(*o.max_tokens, c.max_tokens());
  }
  return p;
}

GraphOutputs embedding_outputs(const EmbeddingPlan& plan) {
  GraphOutputs g;
  g.cls = plan.pooling == Pooling::Cls;
  g.mean = plan.pooling == Pooling::Mean;
  g.max = plan.pooling == Pooling::Max;
  g.normalize = plan.normalize;
  return g;
}

const std::vector<float>& pooled_rows(const RunOutputs& o, Pooling pooling) {
  switch (pooling) {
    case Pooling::Cls: return o.cls;
    case Pooling::Mean: return o.mean;
    case Pooling::Max: return o.max;
  }
  return o.cls;
}

}  // namespace bte
