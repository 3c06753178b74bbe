#include "engine/batch_planner.h"

#include <algorithm>
#include <numeric>

#include "base/check.h"

namespace bte {

std::vector<std::vector<int>> plan_batches(const std::vector<int>& lengths, const BatchLimits& limits) {
  BTE_REQUIRE(limits.max_batch > 0, ErrorKind::BadInput, "batch size must be positive");
  BTE_REQUIRE(limits.max_tokens > 0, ErrorKind::BadInput, "max tokens per batch must be positive");
  std::vector<int> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  // Longest first: the first batch is the biggest, so the arena reaches its
  // final size at once; stable so equal lengths keep input order.
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return lengths[a] > lengths[b]; });
  std::vector<std::vector<int>> batches;
  std::vector<int> cur;
  int64_t cur_tokens = 0;
  int cur_max = 0;
  for (int i : order) {
    const int len = lengths[i];
    const int new_max = std::max(cur_max, len);
    const int64_t cost = limits.padded ? int64_t(new_max) * int64_t(cur.size() + 1) : cur_tokens + len;
    if (!cur.empty() && (int(cur.size()) >= limits.max_batch || cost > limits.max_tokens)) {
      batches.push_back(std::move(cur));
      cur.clear();
      cur_tokens = 0, cur_max = 0;
    }
    cur.push_back(i);
    cur_tokens += len;
    cur_max = std::max(cur_max, len);
  }
  if (!cur.empty()) batches.push_back(std::move(cur));
  return batches;
}

}  // namespace bte
