// Cross-request batching for `bte serve`: each request hands in its encoded
// sequences as a Job; runner threads cut the waiting sequences, oldest
// first, into packed batches by token budget, run them on the engine, and
// give every job its own rows back.
//
//   Batcher b(engine, options);
//   auto job = std::make_shared<Job>(engine.encode(texts));
//   b.submit(job);                       // false: the queue is full (429)
//   while (!job->wait_for(50ms)) if (client_gone()) job->cancel();
//   job->pooled(i); job->logits(i);      // rows of sequence i
//
// Sequences of one request may land in different batches and one batch holds
// sequences of many requests. Every batch asks the graph for the same
// outputs (the server's pooling, plus the head's logits where the model has
// one), so any sequences can share a batch.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"

namespace bte::serve {

struct BatcherOptions {
  Mode mode = Mode::Packed;
  GraphOutputs outputs;            // what every batch computes
  int64_t max_batch_tokens = 16384;  // real tokens per batch (a longer sequence runs alone)
  int max_batch_requests = 0;      // sequences per batch; 0 = only the token budget
  int concurrent_batches = 1;      // runner threads, each running one batch at a time
  int64_t max_queued_sequences = 1 << 20;  // submit() refuses beyond this
  // Batch token counts are rounded up to these (sorted) sizes with filler
  // sequences whose rows are dropped: a fixed set of GEMM shapes, so no
  // request waits while oneDNN builds a kernel for a shape it has not seen
  // (server/shape_buckets.h). Empty: every batch runs at its exact size.
  std::vector<int64_t> token_buckets;
};

// What one finished batch looked like (for /metrics).
struct BatchReport {
  int sequences = 0, requests = 0;
  int64_t tokens = 0, filler_tokens = 0;
  double seconds = 0;
  bool failed = false;
};

class Job {
 public:
  // The request's sequences, encoded (Engine::encode / encode_pairs).
  explicit Job(PackedBatch sequences);

  int size() const { return sequences_.n_seqs(); }
  int64_t tokens() const { return sequences_.total_tokens(); }
  int64_t tokens_of(int i) const { return sequences_.cu_seqlens[i + 1] - sequences_.cu_seqlens[i]; }

  // Blocks until every sequence has run (true), or `timeout` passed (false).
  bool wait_for(std::chrono::milliseconds timeout);
  // The client went away: sequences not yet in a batch are dropped.
  void cancel();
  bool cancelled() const;
  // After wait_for() is true: "" or why the job's batch failed.
  const std::string& error() const { return error_; }

  // Rows of sequence i (after wait_for() is true, with no error): the pooled embedding
  // [width], the head's logits and activated scores [num_labels].
  const float* pooled(int i) const { return pooled_.data() + int64_t(i) * pooled_width_; }
  const float* logits(int i) const { return logits_.data() + int64_t(i) * labels_; }
  const float* probs(int i) const { return probs_.data() + int64_t(i) * labels_; }

 private:
  friend class Batcher;
  PackedBatch sequences_;
  int next_ = 0;  // sequences handed to batches so far (under the batcher's lock)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int remaining_;
  bool cancelled_ = false;
  std::string error_;
  int pooled_width_ = 0, labels_ = 0;
  std::vector<float> pooled_, logits_, probs_;
};

class Batcher {
 public:
  Batcher(Engine& engine, BatcherOptions options,
          std::function<void(const BatchReport&)> on_batch = nullptr);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues a job; false when the queue is full or the batcher has stopped
  // (the caller answers 429 / 503). A job of no sequences is done at once.
  bool submit(const std::shared_ptr<Job>& job);
  // Runs what is queued, then joins the runner threads.
  void stop();

  int64_t queued_sequences() const;

 private:
  struct Piece {
    std::shared_ptr<Job> job;
    int first = 0, count = 0;
  };
  void run_loop();
  std::vector<Piece> take_batch();  // caller holds mu_
  void run_batch(const std::vector<Piece>& pieces);

  Engine& engine_;
  const BatcherOptions options_;
  std::function<void(const BatchReport&)> on_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  int64_t queued_sequences_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> runners_;
};

}  // namespace bte::serve
