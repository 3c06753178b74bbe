// Executes the graph for one batch on one backend. Owns the workspace arena
// (in the backend's memory): sized from (rows, sequences, config), allocated
// once and reused; it grows only when a bigger batch arrives. One Runner
// serves one call at a time; the engine keeps a pool for concurrent callers.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/backend.h"
#include "engine/graph.h"
#include "engine/packed_batch.h"
#include "engine/profiler.h"

namespace bte {

struct RunRequest {
  GraphOutputs outputs;
  bool hidden_states = false;  // per-token final hidden states, packed rows
  bool padded = false;         // run on the padded layout (reference / fused modes)
  Profiler* profiler = nullptr;  // per-op times when set (synchronises after each op)
};

// Host results; rows in batch order.
struct RunOutputs {
  int n_seqs = 0, hidden = 0, num_labels = 0;
  std::vector<float> hidden_states;  // [T, d], packed (real tokens only)
  std::vector<float> cls, mean, max;  // [n, d], each when asked for
  std::vector<float> logits, probs;  // [n, C]; probs: the head's activation of the logits
  std::vector<float> token_logits, token_probs;  // [T, C], packed; probs: softmax per token
};

class Runner {
 public:
  Runner(Backend& backend, const ModelConfig& config);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Throws Error(BadInput) for ids or lengths the model cannot take.
  RunOutputs run(const PackedBatch& batch, const RunRequest& request);
  size_t arena_bytes() const { return arena_bytes_; }

 private:
  void reserve(size_t bytes);

  Backend& backend_;
  const ModelConfig& config_;
  void* arena_ = nullptr;
  size_t arena_bytes_ = 0;
};

}  // namespace bte
