// The server's counters, as Prometheus text (GET /metrics): requests by
// route and status, request latency by route, batch sizes in sequences and
// tokens, batch time, queue depth and recent tokens per second.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace bte::serve {

struct BatchReport;

// A Prometheus histogram with fixed upper bounds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  // Lines "<name>_bucket{<labels>le=...} n", _sum and _count.
  void write(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bound, not cumulative; last = +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void request(const std::string& route, int status, double seconds);
  void batch(const BatchReport& report);
  // The gauges read at scrape time: queued sequences, requests in flight.
  std::string prometheus(int64_t queued_sequences, int64_t in_flight);
  uint64_t requests_answered(int status_class) const;  // e.g. 2 for 2xx

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram batch_sequences_, batch_tokens_, batch_seconds_;
  uint64_t tokens_total_ = 0, filler_total_ = 0, batches_ = 0, batch_failures_ = 0;
  // (finish time, tokens) of the batches of the last kWindow, for tokens/s.
  std::deque<std::pair<std::chrono::steady_clock::time_point, int64_t>> recent_;
  static constexpr std::chrono::seconds kWindow{10};
};

}  // namespace bte::serve
