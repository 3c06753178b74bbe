#include "engine/graph.h"

#include "base/check.h"
#include "models/family.h"

namespace bte {

const char* op_name(OpKind kind) {
  switch (kind) {
    case OpKind::Embed: return "embed+ln";
    case OpKind::QkvProjection: return "qkv_projection";
    case OpKind::Attention: return "attention";
    case OpKind::OutProjectionResidualLN: return "out_proj+residual+ln";
    case OpKind::FfnUpGelu: return "ffn_up+gelu";
    case OpKind::FfnDownResidualLN: return "ffn_down+residual+ln";
    case OpKind::PoolCls: return "pool_cls";
    case OpKind::PoolMean: return "pool_mean";
    case OpKind::PoolMax: return "pool_max";
    case OpKind::L2Normalize: return "l2_normalize";
    case OpKind::ClassifierHead: return "classifier_head";
    case OpKind::TokenClassifierHead: return "token_classifier_head";
  }
  return "?";
}

std::vector<Op> build_graph(const ModelConfig& c, const GraphOutputs& out) {
  BTE_REQUIRE(!out.logits || !c.token_head(), ErrorKind::BadInput,
              "this model tags tokens (", c.architecture, "): use token outputs (bte tag)");
  BTE_REQUIRE(!out.token_logits || c.token_head(), ErrorKind::BadInput,
              "this model has no token classification head (", c.architecture, ")");
  BTE_REQUIRE(!out.logits || c.has_head(), ErrorKind::BadInput,
              "this model has no classification head (a bare encoder): use embeddings, or convert "
              "it with a head (bte convert --num-labels)");
  std::vector<Op> g;
  g.push_back({OpKind::Embed});
  for (int i = 0; i < c.layers; ++i) {
    g.push_back({OpKind::QkvProjection, i});
    g.push_back({OpKind::Attention, i});
    g.push_back({OpKind::OutProjectionResidualLN, i});
    g.push_back({OpKind::FfnUpGelu, i});
    g.push_back({OpKind::FfnDownResidualLN, i});
  }
  if (out.logits) {
    // The family's head: every kind so far reads the first token's row
    // (the backends apply its activation).
    switch (model_family(c.family).head) {
      case HeadKind::DenseTanhOnFirstToken:
      case HeadKind::DenseReluOnFirstToken: break;
    }
  }
  if (out.cls || out.logits) g.push_back({OpKind::PoolCls});
  if (out.mean) g.push_back({OpKind::PoolMean});
  if (out.max) g.push_back({OpKind::PoolMax});
  if (out.logits) g.push_back({OpKind::ClassifierHead});
  if (out.token_logits) g.push_back({OpKind::TokenClassifierHead});
  // Last: the head reads the raw CLS row.
  if (out.normalize && (out.cls || out.mean || out.max)) g.push_back({OpKind::L2Normalize});
  return g;
}

}  // namespace bte
