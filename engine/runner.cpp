#include "engine/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "base/check.h"

namespace bte {
namespace {

constexpr size_t kAlign = 256;  // cuBLASLt's preferred pointer alignment (and a cache line)
size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// Carves typed buffers out of the arena in a fixed order.
struct Carver {
  char* base;
  size_t offset = 0;
  template <typename T>
  T* take(int64_t count) {
    T* p = reinterpret_cast<T*>(base ? base + offset : nullptr);
    offset += aligned(size_t(count) * sizeof(T));
    return p;
  }
};

// The head's scores from its logits (ModelConfig::head_activation).
void activate_row(HeadActivation a, const float* x, int n, float* out) {
  if (a == HeadActivation::Identity) {
    std::copy(x, x + n, out);
    return;
  }
  if (a == HeadActivation::Sigmoid) {
    for (int j = 0; j < n; ++j) out[j] = float(1.0 / (1.0 + std::exp(-double(x[j]))));
    return;
  }
  float m = -INFINITY;
  for (int j = 0; j < n; ++j) m = std::max(m, x[j]);
  double s = 0;
  for (int j = 0; j < n; ++j) s += std::exp(double(x[j]) - m);
  for (int j = 0; j < n; ++j) out[j] = float(std::exp(double(x[j]) - m) / s);
}

}  // namespace

Runner::Runner(Backend& backend, const ModelConfig& config) : backend_(backend), config_(config) {}

Runner::~Runner() {
  if (arena_) backend_.release(arena_);
}

void Runner::reserve(size_t bytes) {
  if (bytes <= arena_bytes_) return;
  if (arena_) backend_.release(arena_);
  arena_ = nullptr, arena_bytes_ = 0;
  arena_ = backend_.allocate(bytes);
  arena_bytes_ = bytes;
}

RunOutputs Runner::run(const PackedBatch& batch, const RunRequest& req) {
  const ModelConfig& c = config_;
  const int n = batch.n_seqs();
  const int d = c.hidden, C = c.num_labels;
  RunOutputs out;
  out.n_seqs = n, out.hidden = d, out.num_labels = C;
  if (n == 0) return out;

  // Inputs the model cannot take are the caller's error, not a crash.
  BTE_REQUIRE(batch.max_len <= c.max_tokens(), ErrorKind::BadInput, "a sequence has ",
              batch.max_len, " tokens; this model takes at most ", c.max_tokens());
  for (size_t t = 0; t < batch.ids.size(); ++t)
    BTE_REQUIRE(batch.ids[t] >= 0 && batch.ids[t] < c.vocab, ErrorKind::BadInput, "token id ",
                batch.ids[t], " at position ", t, " is outside the vocabulary [0, ", c.vocab, ")");
  BTE_REQUIRE(batch.types.empty() || batch.types.size() == batch.ids.size(), ErrorKind::BadInput,
              batch.types.size(), " token types for ", batch.ids.size(), " tokens");
  for (size_t t = 0; t < batch.types.size(); ++t)
    BTE_REQUIRE(batch.types[t] >= 0 && batch.types[t] < c.token_types, ErrorKind::BadInput,
                "token type ", batch.types[t], " at position ", t, " is outside [0, ", c.token_types,
                "): this model has ", c.token_types, " token type", c.token_types == 1 ? "" : "s");

  const std::vector<Op> graph = build_graph(c, req.outputs);
  PaddedBatch padded;
  if (req.padded) padded = batch.padded(c.pad_id);
  VarlenLayout layout = batch.layout(req.padded);
  const int64_t rows = layout.total_rows();
  const int32_t* ids = req.padded ? padded.ids.data() : batch.ids.data();
  const int32_t* positions = req.padded ? padded.positions.data() : batch.positions.data();
  const bool typed = !batch.types.empty();
  const int32_t* types = req.padded ? padded.types.data() : batch.types.data();

  // Arena: qkv and the FFN's hidden never live at once, so they share `wide`.
  const int64_t wide_cols = std::max<int64_t>(3 * d, c.ffn);
  const int64_t scratch = backend_.scratch_floats(layout);
  auto carve = [&](Carver& k) {
    struct {
      int32_t *ids, *pos, *types, *cu;
      float *x, *wide, *ctx, *cls, *mean, *max, *tmp, *logits, *token_logits, *scratch;
    } b;
    b.ids = k.take<int32_t>(rows);
    b.pos = k.take<int32_t>(rows);
    b.types = k.take<int32_t>(typed ? rows : 0);
    b.cu = k.take<int32_t>(n + 1);
    b.x = k.take<float>(rows * d);
    b.wide = k.take<float>(rows * wide_cols);
    b.ctx = k.take<float>(rows * d);
    b.cls = k.take<float>(int64_t(n) * d);
    b.mean = k.take<float>(int64_t(n) * d);
    b.max = k.take<float>(req.outputs.max ? int64_t(n) * d : 0);
    b.tmp = k.take<float>(int64_t(n) * d);
    b.logits = k.take<float>(int64_t(n) * std::max(C, 1));
    b.token_logits = k.take<float>(req.outputs.token_logits ? rows * C : 0);
    b.scratch = k.take<float>(std::max<int64_t>(scratch, 1));
    return b;
  };
  Carver sizing{nullptr};
  carve(sizing);
  reserve(sizing.offset);
  Carver k{static_cast<char*>(arena_)};
  const auto buf = carve(k);

  backend_.upload(buf.ids, ids, sizeof(int32_t) * rows);
  backend_.upload(buf.pos, positions, sizeof(int32_t) * rows);
  if (typed) backend_.upload(buf.types, types, sizeof(int32_t) * rows);
  backend_.upload(buf.cu, batch.cu_seqlens.data(), sizeof(int32_t) * (n + 1));
  layout.cu_seqlens_device = buf.cu;

  using Clock = std::chrono::steady_clock;
  for (const Op& op : graph) {
    const auto t0 = Clock::now();
    switch (op.kind) {
      case OpKind::Embed:
        backend_.embed(buf.ids, buf.pos, typed ? buf.types : nullptr, rows, buf.x, buf.scratch);
        break;
      case OpKind::QkvProjection:
        backend_.qkv_projection(op.layer, buf.x, rows, buf.wide, buf.scratch);
        break;
      case OpKind::Attention: backend_.attention(buf.wide, layout, buf.ctx, buf.scratch); break;
      case OpKind::OutProjectionResidualLN:
        backend_.out_projection_residual_ln(op.layer, buf.ctx, rows, buf.x, buf.scratch);
        break;
      case OpKind::FfnUpGelu: backend_.ffn_up_gelu(op.layer, buf.x, rows, buf.wide, buf.scratch); break;
      case OpKind::FfnDownResidualLN:
        backend_.ffn_down_residual_ln(op.layer, buf.wide, rows, buf.x, buf.scratch);
        break;
      case OpKind::PoolCls: backend_.pool(buf.x, layout, Pooling::Cls, buf.cls); break;
      case OpKind::PoolMean: backend_.pool(buf.x, layout, Pooling::Mean, buf.mean); break;
      case OpKind::PoolMax: backend_.pool(buf.x, layout, Pooling::Max, buf.max); break;
      case OpKind::L2Normalize:
        if (req.outputs.cls) backend_.l2_normalize(buf.cls, n);
        if (req.outputs.mean) backend_.l2_normalize(buf.mean, n);
        if (req.outputs.max) backend_.l2_normalize(buf.max, n);
        break;
      case OpKind::ClassifierHead: backend_.classifier_head(buf.cls, n, buf.tmp, buf.logits); break;
      case OpKind::TokenClassifierHead:
        backend_.token_classifier_head(buf.x, rows, buf.token_logits);
        break;
    }
    if (req.profiler) {
      backend_.synchronize();
      req.profiler->add(op_name(op.kind),
                        std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
  }
  // Results to the host, packed rows only.
  if (req.hidden_states) {
    out.hidden_states.resize(size_t(batch.total_tokens()) * d);
    for (int i = 0; i < n; ++i) {
      backend_.download(out.hidden_states.data() + int64_t(batch.cu_seqlens[i]) * d,
                        buf.x + layout.row_begin(i) * d, sizeof(float) * layout.seq_len(i) * d);
    }
  }
  if (req.outputs.token_logits) {
    const int64_t T = batch.total_tokens();
    out.token_logits.resize(size_t(T) * C);
    out.token_probs.resize(size_t(T) * C);
    for (int i = 0; i < n; ++i)
      backend_.download(out.token_logits.data() + int64_t(batch.cu_seqlens[i]) * C,
                        buf.token_logits + layout.row_begin(i) * C,
                        sizeof(float) * layout.seq_len(i) * C);
    backend_.synchronize();
    // A token's label distribution is a softmax, whatever the sequence head's rule.
    for (int64_t t = 0; t < T; ++t)
      activate_row(HeadActivation::Softmax, &out.token_logits[size_t(t) * C], C,
                   &out.token_probs[size_t(t) * C]);
  }
  if (req.outputs.cls) {
    out.cls.resize(size_t(n) * d);
    backend_.download(out.cls.data(), buf.cls, sizeof(float) * n * d);
  }
  if (req.outputs.mean) {
    out.mean.resize(size_t(n) * d);
    backend_.download(out.mean.data(), buf.mean, sizeof(float) * n * d);
  }
  if (req.outputs.max) {
    out.max.resize(size_t(n) * d);
    backend_.download(out.max.data(), buf.max, sizeof(float) * n * d);
  }
  if (req.outputs.logits) {
    out.logits.resize(size_t(n) * C);
    out.probs.resize(size_t(n) * C);
    backend_.download(out.logits.data(), buf.logits, sizeof(float) * n * C);
    for (int i = 0; i < n; ++i)
      activate_row(c.head_activation, &out.logits[size_t(i) * C], C, &out.probs[size_t(i) * C]);
  }
  backend_.synchronize();
  return out;
}

}  // namespace bte
