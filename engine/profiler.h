// Per-op wall time, aggregated by op name, printed like the tutorial's
// PyTorch profiler table: name, calls, total ms, share of the total.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace bte {

struct ProfileRow {
  std::string name;
  int64_t calls = 0;
  double total_ms = 0;
};

class Profiler {
 public:
  void add(const char* name, double ms);  // thread-safe
  std::vector<ProfileRow> rows() const;   // sorted by total time, largest first
  void reset();
  // The table, ready to print.
  std::string table() const;

 private:
  mutable std::mutex mu_;
  std::vector<ProfileRow> rows_;
};

}  // namespace bte
