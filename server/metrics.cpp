#include "server/metrics.h"

#include <cstdio>

#include "server/batcher.h"

namespace bte::serve {
namespace {

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}

const std::vector<double> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                            0.25,  0.5,    1,     2.5,  5,     10,   30};

void help(std::string& out, const char* name, const char* type, const char* text) {
  out += std::string("# HELP ") + name + " " + text + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::write(std::string& out, const std::string& name, const std::string& labels) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{" + labels + "le=\"" + (i < bounds_.size() ? num(bounds_[i]) : "+Inf") +
           "\"} " + std::to_string(cumulative) + "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels.substr(0, labels.size() - 1) + "}";
  out += name + "_sum" + braces + " " + num(sum_) + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics()
    : batch_sequences_({1, 2, 4, 8, 16, 32, 64, 128, 256, 512}),
      batch_tokens_({16, 64, 256, 1024, 2048, 4096, 8192, 16384, 32768}),
      batch_seconds_(kLatencyBounds) {}

void Metrics::request(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, status}];
  latency_.try_emplace(route, kLatencyBounds).first->second.observe(seconds);
}

void Metrics::batch(const BatchReport& r) {
  std::lock_guard<std::mutex> lock(mu_);
  ++batches_;
  if (r.failed) ++batch_failures_;
  batch_sequences_.observe(r.sequences);
  batch_tokens_.observe(double(r.tokens));
  batch_seconds_.observe(r.seconds);
  tokens_total_ += uint64_t(r.tokens);
  filler_total_ += uint64_t(r.filler_tokens);
  const auto now = std::chrono::steady_clock::now();
  recent_.emplace_back(now, r.tokens);
  while (!recent_.empty() && now - recent_.front().first > kWindow) recent_.pop_front();
}

uint64_t Metrics::requests_answered(int status_class) const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const auto& [key, count] : requests_)
    if (key.second / 100 == status_class) n += count;
  return n;
}

std::string Metrics::prometheus(int64_t queued_sequences, int64_t in_flight) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  while (!recent_.empty() && now - recent_.front().first > kWindow) recent_.pop_front();
  int64_t recent_tokens = 0;
  for (const auto& r : recent_) recent_tokens += r.second;

  std::string out;
  help(out, "bte_requests_total", "counter", "Requests answered, by route and HTTP status.");
  for (const auto& [key, count] : requests_)
    out += "bte_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) +
           "\"} " + std::to_string(count) + "\n";
  help(out, "bte_request_duration_seconds", "histogram", "Time from a request's body read to its answer, by route.");
  for (const auto& [route, h] : latency_) h.write(out, "bte_request_duration_seconds", "route=\"" + route + "\",");
  help(out, "bte_batch_sequences", "histogram", "Sequences (texts or pairs) per engine batch.");
  batch_sequences_.write(out, "bte_batch_sequences", "");
  help(out, "bte_batch_tokens", "histogram", "Real tokens per engine batch (filler excluded).");
  batch_tokens_.write(out, "bte_batch_tokens", "");
  help(out, "bte_batch_duration_seconds", "histogram", "Engine time per batch.");
  batch_seconds_.write(out, "bte_batch_duration_seconds", "");
  help(out, "bte_batches_total", "counter", "Engine batches run.");
  out += "bte_batches_total " + std::to_string(batches_) + "\n";
  help(out, "bte_batch_failures_total", "counter", "Engine batches that failed (their requests answered 424).");
  out += "bte_batch_failures_total " + std::to_string(batch_failures_) + "\n";
  help(out, "bte_tokens_total", "counter", "Real tokens run through the engine.");
  out += "bte_tokens_total " + std::to_string(tokens_total_) + "\n";
  help(out, "bte_filler_tokens_total", "counter", "Filler tokens run to keep batches on their shape buckets.");
  out += "bte_filler_tokens_total " + std::to_string(filler_total_) + "\n";
  help(out, "bte_tokens_per_second", "gauge", "Real tokens per second over the last 10 seconds.");
  out += "bte_tokens_per_second " + num(double(recent_tokens) / double(kWindow.count())) + "\n";
  help(out, "bte_queue_sequences", "gauge", "Sequences waiting for a batch.");
  out += "bte_queue_sequences " + std::to_string(queued_sequences) + "\n";
  help(out, "bte_requests_in_flight", "gauge", "Requests accepted and not yet answered.");
  out += "bte_requests_in_flight " + std::to_string(in_flight) + "\n";
  return out;
}

}  // namespace bte::serve
