#include "server/batcher.h"

#include <algorithm>
#include <cstring>

#include "base/check.h"

namespace bte::serve {

Job::Job(PackedBatch sequences) : sequences_(std::move(sequences)), remaining_(sequences_.n_seqs()) {}

bool Job::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return remaining_ == 0; });
}

void Job::cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
}

bool Job::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

Batcher::Batcher(Engine& engine, BatcherOptions options, std::function<void(const BatchReport&)> on_batch)
    : engine_(engine), options_(std::move(options)), on_batch_(std::move(on_batch)) {
  BTE_REQUIRE(options_.max_batch_tokens >= 1 && options_.concurrent_batches >= 1 &&
                  options_.max_batch_requests >= 0,
              ErrorKind::BadInput, "batcher: token budget and runner count must be positive");
  BTE_REQUIRE(std::is_sorted(options_.token_buckets.begin(), options_.token_buckets.end()),
              ErrorKind::Internal, "batcher: token buckets must be sorted");
  for (int i = 0; i < options_.concurrent_batches; ++i) runners_.emplace_back([this] { run_loop(); });
}

Batcher::~Batcher() { stop(); }

bool Batcher::submit(const std::shared_ptr<Job>& job) {
  const ModelConfig& c = engine_.config();
  {
    std::lock_guard<std::mutex> jl(job->mu_);
    job->pooled_width_ = (options_.outputs.cls || options_.outputs.mean || options_.outputs.max) ? c.hidden : 0;
    job->labels_ = options_.outputs.logits ? c.num_labels : 0;
    job->pooled_.assign(size_t(job->size()) * job->pooled_width_, 0.0f);
    job->logits_.assign(size_t(job->size()) * job->labels_, 0.0f);
    job->probs_.assign(job->logits_.size(), 0.0f);
  }
  if (job->size() == 0) return true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queued_sequences_ + job->size() > options_.max_queued_sequences) return false;
    queue_.push_back(job);
    queued_sequences_ += job->size();
  }
  cv_.notify_one();
  return true;
}

void Batcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && runners_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : runners_) t.join();
  runners_.clear();
}

int64_t Batcher::queued_sequences() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_sequences_;
}

// Oldest job first; a job's sequences in order. A cancelled job gives up
// what it has not yet handed out. At least one sequence always goes, so a
// sequence longer than the budget runs alone rather than waiting forever.
std::vector<Batcher::Piece> Batcher::take_batch() {
  std::vector<Piece> pieces;
  int64_t tokens = 0;
  int seqs = 0;
  const int max_seqs = options_.max_batch_requests > 0 ? options_.max_batch_requests : INT32_MAX;
  while (!queue_.empty()) {
    std::shared_ptr<Job> job = queue_.front();
    if (job->cancelled()) {
      const int left = job->size() - job->next_;
      queued_sequences_ -= left;
      job->next_ = job->size();
      {
        std::lock_guard<std::mutex> jl(job->mu_);
        job->remaining_ -= left;
        if (job->error_.empty()) job->error_ = "cancelled";
      }
      job->cv_.notify_all();
      queue_.pop_front();
      continue;
    }
    Piece p{job, job->next_, 0};
    while (job->next_ < job->size() && seqs < max_seqs) {
      const int64_t t = job->tokens_of(job->next_);
      if (seqs > 0 && tokens + t > options_.max_batch_tokens) break;
      tokens += t;
      ++seqs;
      ++job->next_;
      ++p.count;
    }
    if (p.count > 0) pieces.push_back(p);
    queued_sequences_ -= p.count;
    if (job->next_ < job->size()) break;  // the budget is spent
    queue_.pop_front();
  }
  return pieces;
}

void Batcher::run_loop() {
  for (;;) {
    std::vector<Piece> pieces;
    bool more = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing is left
      pieces = take_batch();
      more = !queue_.empty();
    }
    if (more) cv_.notify_one();  // work for another runner
    if (!pieces.empty()) run_batch(pieces);
  }
}

void Batcher::run_batch(const std::vector<Piece>& pieces) {
  const ModelConfig& c = engine_.config();
  std::vector<std::vector<int32_t>> seqs, types;
  BatchReport report;
  report.requests = int(pieces.size());
  for (const Piece& p : pieces) {
    const PackedBatch& b = p.job->sequences_;
    for (int i = p.first; i < p.first + p.count; ++i) {
      const int32_t a = b.cu_seqlens[i], e = b.cu_seqlens[i + 1];
      seqs.emplace_back(b.ids.begin() + a, b.ids.begin() + e);
      types.emplace_back(b.types.empty() ? std::vector<int32_t>()
                                         : std::vector<int32_t>(b.types.begin() + a, b.types.begin() + e));
      report.tokens += e - a;
    }
  }
  report.sequences = int(seqs.size());
  // Filler up to the next bucket: sequences of the first sequence's first
  // token (a valid id of any model), at most the model's length each.
  if (options_.mode == Mode::Packed && !options_.token_buckets.empty()) {
    auto it = std::lower_bound(options_.token_buckets.begin(), options_.token_buckets.end(), report.tokens);
    if (it != options_.token_buckets.end()) {
      int64_t fill = *it - report.tokens;
      report.filler_tokens = fill;
      while (fill > 0) {
        const int64_t n = std::min<int64_t>(fill, c.max_tokens());
        seqs.emplace_back(size_t(n), seqs.front().front());
        types.emplace_back();
        fill -= n;
      }
    }
  }

  RunRequest request;
  request.outputs = options_.outputs;
  request.padded = options_.mode != Mode::Packed;
  const auto t0 = std::chrono::steady_clock::now();
  std::string failure;
  RunOutputs out;
  try {
    const PackedBatch batch = PackedBatch::from_ids(seqs, types, c.first_position(), c.max_tokens());
    out = engine_.run(batch, options_.mode, request);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.failed = !failure.empty();

  const std::vector<float>* pooled = options_.outputs.cls    ? &out.cls
                                     : options_.outputs.mean ? &out.mean
                                     : options_.outputs.max  ? &out.max
                                                             : nullptr;
  int row = 0;
  for (const Piece& p : pieces) {
    Job& job = *p.job;
    {
      std::lock_guard<std::mutex> jl(job.mu_);
      if (failure.empty()) {
        for (int i = p.first; i < p.first + p.count; ++i, ++row) {
          if (job.pooled_width_ && pooled)
            std::memcpy(job.pooled_.data() + int64_t(i) * job.pooled_width_,
                        pooled->data() + int64_t(row) * c.hidden, sizeof(float) * job.pooled_width_);
          if (job.labels_) {
            std::memcpy(job.logits_.data() + int64_t(i) * job.labels_,
                        out.logits.data() + int64_t(row) * job.labels_, sizeof(float) * job.labels_);
            std::memcpy(job.probs_.data() + int64_t(i) * job.labels_,
                        out.probs.data() + int64_t(row) * job.labels_, sizeof(float) * job.labels_);
          }
        }
      } else if (job.error_.empty()) {
        job.error_ = failure;
      }
      job.remaining_ -= p.count;
    }
    job.cv_.notify_all();
  }
  if (on_batch_) on_batch_(report);
}

}  // namespace bte::serve
