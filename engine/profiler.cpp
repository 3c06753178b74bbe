#include "engine/profiler.h"

#include <algorithm>
#include <cstdio>

namespace bte {

void Profiler::add(const char* name, double ms) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& r : rows_) {
    if (r.name == name) {
      ++r.calls, r.total_ms += ms;
      return;
    }
  }
  rows_.push_back({name, 1, ms});
}

std::vector<ProfileRow> Profiler::rows() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto out = rows_;
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.total_ms > b.total_ms; });
  return out;
}

void Profiler::reset() {
  std::lock_guard<std::mutex> lock(mu_);
  rows_.clear();
}

std::string Profiler::table() const {
  const auto r = rows();
  double total = 0;
  for (const auto& x : r) total += x.total_ms;
  std::string s;
  char line[160];
  std::snprintf(line, sizeof line, "%-24s %10s %12s %10s %8s\n", "op", "calls", "total ms",
                "ms/call", "share");
  s += line;
  s += std::string(68, '-') + "\n";
  for (const auto& x : r) {
    std::snprintf(line, sizeof line, "%-24s %10lld %12.3f %10.4f %7.1f%%\n", x.name.c_str(),
                  (long long)x.calls, x.total_ms, x.total_ms / double(x.calls),
                  total > 0 ? 100.0 * x.total_ms / total : 0.0);
    s += line;
  }
  std::snprintf(line, sizeof line, "%-24s %10s %12.3f\n", "total", "", total);
  s += line;
  return s;
}

}  // namespace bte
