#include "models/model_config.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "base/check.h"
#include "base/utf8.h"
#include "models/family.h"

namespace bte {

namespace {
void require_range(const std::string& where, const char* field, long long v, long long lo,
                   long long hi) {
  BTE_REQUIRE(v >= lo && v <= hi, ErrorKind::BadModel, where, ": config field '", field, "' is ",
              v, ", expected a value in [", lo, ", ", hi, "]");
}

// The code point of the valid UTF-8 sequence at s[i], and its length in *n.
uint32_t code_point_at(std::string_view s, size_t i, size_t* n) {
  const unsigned char b = static_cast<unsigned char>(s[i]);
  *n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  if (*n == 1) return b;
  uint32_t cp = b & (0x7F >> *n);
  for (size_t k = 1; k < *n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

bool is_forbidden(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

std::string hex(uint32_t v, int digits) {
  char b[16];
  std::snprintf(b, sizeof b, "%0*X", digits, unsigned(v));
  return b;
}
}  // namespace

std::string label_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxLabelBytes)
    return "is " + std::to_string(name.size()) + " bytes long, more than " +
           std::to_string(kMaxLabelBytes);
  if (const size_t bad = find_invalid_utf8(name); bad != std::string_view::npos)
    return "is not valid UTF-8 (at byte " + std::to_string(bad) + ")";
  for (size_t i = 0, n = 0; i < name.size(); i += n) {
    const uint32_t cp = code_point_at(name, i, &n);
    if (is_forbidden(cp))
      return "contains a control character (U+" + hex(cp, 4) + ") at byte " + std::to_string(i);
  }
  if (name.front() == ' ' || name.back() == ' ')
    return std::string("has a space at its ") + (name.front() == ' ' ? "start" : "end");
  return "";
}

std::string escape_label(std::string_view name) {
  constexpr size_t kShown = 64;
  const bool valid = find_invalid_utf8(name) == std::string_view::npos;
  std::string out = "\"";
  size_t i = 0;
  for (size_t n = 1; i < name.size() && i < kShown; i += n) {
    const unsigned char b = static_cast<unsigned char>(name[i]);
    n = 1;
    if (b == '"' || b == '\\') out += std::string("\\") + char(b);
    else if (b == '\n') out += "\\n";
    else if (b == '\t') out += "\\t";
    else if (b == '\r') out += "\\r";
    else if (b < 0x20 || b == 0x7F || (b >= 0x80 && !valid)) out += "\\x" + hex(b, 2);
    else if (b >= 0x80) {
      const uint32_t cp = code_point_at(name, i, &n);
      out += is_forbidden(cp) ? "\\u" + hex(cp, 4) : std::string(name.substr(i, n));
    } else {
      out += char(b);
    }
  }
  out += "\"";
  if (i < name.size()) out += "... (" + std::to_string(name.size()) + " bytes)";
  return out;
}

void validate_labels(const std::vector<std::string>& labels, ErrorKind kind,
                     const std::string& where) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string problem = label_problem(labels[i]);
    BTE_REQUIRE(problem.empty(), kind, where, ": label ", i, " ", escape_label(labels[i]), " ",
                problem);
    if (!seen.insert(labels[i]).second) {
      size_t first = 0;
      while (labels[first] != labels[i]) ++first;
      BTE_FAIL(kind, where, ": label ", i, " ", escape_label(labels[i]),
               " is a second name for label ", first, "; labels must differ");
    }
  }
}

const char* pooling_name(Pooling p) {
  switch (p) {
    case Pooling::Cls: return "cls";
    case Pooling::Mean: return "mean";
    case Pooling::Max: return "max";
  }
  return "?";
}

bool parse_pooling(std::string_view name, Pooling* out) {
  for (Pooling p : {Pooling::Cls, Pooling::Mean, Pooling::Max})
    if (name == pooling_name(p)) {
      *out = p;
      return true;
    }
  return false;
}

const char* head_activation_name(HeadActivation a) {
  switch (a) {
    case HeadActivation::Softmax: return "softmax";
    case HeadActivation::Sigmoid: return "sigmoid";
    case HeadActivation::Identity: return "none";
  }
  return "?";
}

bool parse_head_activation(std::string_view name, HeadActivation* out) {
  for (HeadActivation a : {HeadActivation::Softmax, HeadActivation::Sigmoid, HeadActivation::Identity})
    if (name == head_activation_name(a)) {
      *out = a;
      return true;
    }
  return false;
}

bool head_activation_for(int num_labels, std::string_view problem_type, HeadActivation* out) {
  // The text-classification pipeline's order: regression first, then one
  // label or multi-label is a sigmoid (a softmax over one value is always 1).
  if (!problem_type.empty() && problem_type != "regression" &&
      problem_type != "multi_label_classification" && problem_type != "single_label_classification")
    return false;
  if (problem_type == "regression") *out = HeadActivation::Identity;
  else if (problem_type == "multi_label_classification" || num_labels == 1) *out = HeadActivation::Sigmoid;
  else *out = HeadActivation::Softmax;
  return true;
}

bool ModelConfig::token_head() const {
  return has_head() && architecture == model_family(family).token_classifier_architecture;
}

int ModelConfig::first_position() const { return model_family(family).first_position(*this); }

void validate_config(const ModelConfig& c, const std::string& where) {
  using L = ConfigLimits;
  const ModelFamily* fam = nullptr;
  std::string known;
  for (const ModelFamily* f : model_families()) {
    if (f->name == c.family) fam = f;
    known += (known.empty() ? "\"" : ", \"") + f->name + "\"";
  }
  BTE_REQUIRE(fam != nullptr, ErrorKind::BadModel, where, ": config field 'family' is \"",
              c.family, "\", not a model family this bte knows (", known, ")");
  require_range(where, "layers", c.layers, 1, L::kMaxLayers);
  require_range(where, "hidden", c.hidden, 1, L::kMaxHidden);
  require_range(where, "heads", c.heads, 1, c.hidden);
  BTE_REQUIRE(c.hidden % c.heads == 0, ErrorKind::BadModel, where, ": config field 'heads' (",
              c.heads, ") does not divide 'hidden' (", c.hidden, ")");
  require_range(where, "ffn", c.ffn, 1, L::kMaxFfn);
  require_range(where, "vocab", c.vocab, 5, L::kMaxVocab);  // <s> <pad> </s> <unk> <mask>
  require_range(where, "max_positions", c.max_positions, 1, L::kMaxPositions);
  require_range(where, "pad_id", c.pad_id, 0, c.vocab - 1);
  {  // the family decides: none (DistilBERT), one (XLM-R), or as many as config.json says (BERT)
    const int lo = fam->token_types == TokenTypes::None ? 0 : 1;
    const int hi = fam->token_types == TokenTypes::FromConfig ? L::kMaxTokenTypes : lo;
    require_range(where, "token_types", c.token_types, lo, hi);
  }
  BTE_REQUIRE(c.max_tokens() >= 2, ErrorKind::BadModel, where, ": config field 'max_positions' (",
              c.max_positions, ") leaves room for ", c.max_tokens(),
              " tokens after the first position (", c.first_position(),
              "); at least 2 (<s> </s>) are needed");
  BTE_REQUIRE(std::isfinite(c.layer_norm_eps) && c.layer_norm_eps > 0 && c.layer_norm_eps < 1,
              ErrorKind::BadModel, where, ": config field 'layer_norm_eps' is ", c.layer_norm_eps,
              ", expected 0 < eps < 1");
  BTE_REQUIRE(c.activation == fam->activation, ErrorKind::BadModel, where,
              ": config field 'activation' is '", c.activation, "'; only '", fam->activation,
              "' (exact, erf) is supported");
  require_range(where, "num_labels", c.num_labels, 0, L::kMaxLabels);
  BTE_REQUIRE(c.labels.size() == size_t(c.num_labels), ErrorKind::BadModel, where, ": ",
              c.labels.size(), " labels for num_labels ", c.num_labels);
  validate_labels(c.labels, ErrorKind::BadModel, where);
  const bool head = c.num_labels > 0;
  const std::string& want = fam->architecture_for(head);
  BTE_REQUIRE(c.architecture == want || (head && c.architecture == fam->token_classifier_architecture),
              ErrorKind::BadModel, where, ": config field 'architecture' is '", c.architecture,
              "' but num_labels ", c.num_labels, " means '", want, "'",
              head ? " or '" + fam->token_classifier_architecture + "'" : std::string());
  BTE_REQUIRE(c.has_head() || !c.head_is_random, ErrorKind::BadModel, where,
              ": head_is_random is set but the model has no head");
  const EmbeddingSettings& e = c.embedding;
  BTE_REQUIRE(e.prompts.size() <= kMaxPrompts, ErrorKind::BadModel, where, ": ", e.prompts.size(),
              " prompts, more than ", kMaxPrompts);
  std::set<std::string_view> names;
  for (const Prompt& p : e.prompts) {
    const std::string problem = label_problem(p.name);
    BTE_REQUIRE(problem.empty(), ErrorKind::BadModel, where, ": prompt name ",
                escape_label(p.name), " ", problem);
    BTE_REQUIRE(names.insert(p.name).second, ErrorKind::BadModel, where, ": prompt ",
                escape_label(p.name), " is named twice");
    BTE_REQUIRE(p.text.size() <= kMaxPromptBytes, ErrorKind::BadModel, where, ": prompt ",
                escape_label(p.name), " has ", p.text.size(), " bytes, more than ",
                kMaxPromptBytes);
    BTE_REQUIRE(find_invalid_utf8(p.text) == std::string_view::npos, ErrorKind::BadModel, where,
                ": prompt ", escape_label(p.name), " is not valid UTF-8");
  }
  BTE_REQUIRE(e.default_prompt.empty() || e.find_prompt(e.default_prompt), ErrorKind::BadModel,
              where, ": the default prompt ", escape_label(e.default_prompt),
              " is not among the prompts");
  BTE_REQUIRE(e.max_tokens == 0 || (e.max_tokens >= 2 && e.max_tokens <= c.max_tokens()),
              ErrorKind::BadModel, where, ": embedding max_tokens ", e.max_tokens,
              " must be 0 (the model's) or 2 to ", c.max_tokens());
}

}  // namespace bte
