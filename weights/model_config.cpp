#include "weights/model_config.h"

#include <cmath>

#include "base/check.h"

namespace bte {

namespace {
void require_range(const std::string& where, const char* field, long long v, long long lo,
                   long long hi) {
  BTE_REQUIRE(v >= lo && v <= hi, ErrorKind::BadModel, where, ": config field '", field, "' is ",
              v, ", expected a value in [", lo, ", ", hi, "]");
}
}  // namespace

void validate_config(const ModelConfig& c, const std::string& where) {
  using L = ConfigLimits;
  require_range(where, "layers", c.layers, 1, L::kMaxLayers);
  require_range(where, "hidden", c.hidden, 1, L::kMaxHidden);
  require_range(where, "heads", c.heads, 1, c.hidden);
  BTE_REQUIRE(c.hidden % c.heads == 0, ErrorKind::BadModel, where, ": config field 'heads' (",
              c.heads, ") does not divide 'hidden' (", c.hidden, ")");
  require_range(where, "ffn", c.ffn, 1, L::kMaxFfn);
  require_range(where, "vocab", c.vocab, 5, L::kMaxVocab);  // <s> <pad> </s> <unk> <mask>
  require_range(where, "max_positions", c.max_positions, 1, L::kMaxPositions);
  require_range(where, "pad_id", c.pad_id, 0, c.vocab - 1);
  BTE_REQUIRE(c.max_tokens() >= 2, ErrorKind::BadModel, where, ": config field 'max_positions' (",
              c.max_positions, ") leaves room for ", c.max_tokens(),
              " tokens after the pad_id offset; at least 2 (<s> </s>) are needed");
  BTE_REQUIRE(std::isfinite(c.layer_norm_eps) && c.layer_norm_eps > 0 && c.layer_norm_eps < 1,
              ErrorKind::BadModel, where, ": config field 'layer_norm_eps' is ", c.layer_norm_eps,
              ", expected 0 < eps < 1");
  BTE_REQUIRE(c.activation == "gelu", ErrorKind::BadModel, where, ": config field 'activation' is '",
              c.activation, "'; only 'gelu' (exact, erf) is supported");
  require_range(where, "num_labels", c.num_labels, 0, L::kMaxLabels);
  BTE_REQUIRE(c.labels.size() == size_t(c.num_labels), ErrorKind::BadModel, where, ": ",
              c.labels.size(), " labels for num_labels ", c.num_labels);
  const char* want = c.num_labels > 0 ? kArchClassifier : kArchEncoder;
  BTE_REQUIRE(c.architecture == want, ErrorKind::BadModel, where, ": config field 'architecture' is '",
              c.architecture, "' but num_labels ", c.num_labels, " means '", want, "'");
  BTE_REQUIRE(c.has_head() || !c.head_is_random, ErrorKind::BadModel, where,
              ": head_is_random is set but the model has no head");
}

}  // namespace bte
