// The model as an ordered list of ops, built from the config and what the
// caller wants out. Knows nothing of devices: the runner executes it on a
// Backend.
//
//   embed, then per layer: qkv_projection, attention,
//   out_projection_residual_ln, ffn_up_gelu, ffn_down_residual_ln;
//   then pool (cls / mean / max) and classifier_head, as requested.
#pragma once

#include <vector>

#include "models/model_config.h"

namespace bte {

enum class OpKind {
  Embed,
  QkvProjection,
  Attention,
  OutProjectionResidualLN,
  FfnUpGelu,
  FfnDownResidualLN,
  PoolCls,
  PoolMean,
  PoolMax,
  L2Normalize,
  ClassifierHead,
  TokenClassifierHead,
};
constexpr int kOpKinds = 12;

const char* op_name(OpKind kind);

struct Op {
  OpKind kind;
  int layer = -1;  // for per-layer ops
};

struct GraphOutputs {
  bool cls = false;        // CLS embedding (row 0 of each sequence)
  bool mean = false;       // mean of each sequence's real rows
  bool max = false;        // per-column maximum of each sequence's real rows
  bool normalize = false;  // L2-normalise the pooled embeddings
  bool logits = false;     // sequence classifier head (needs one)
  bool token_logits = false;  // token classifier head: a label's logit per token (needs one)
};

std::vector<Op> build_graph(const ModelConfig& config, const GraphOutputs& outputs);

}  // namespace bte
