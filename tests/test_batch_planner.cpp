#include <catch2/catch.hpp>

#include <random>

#include "engine/batch_planner.h"

using namespace bte;

TEST_CASE("batch planner: every sequence once, limits respected", "[engine]") {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int> lengths(rng() % 300);
    for (auto& l : lengths) l = 1 + int(rng() % 512);
    BatchLimits lim;
    lim.max_batch = 1 + int(rng() % 64);
    lim.max_tokens = 1 + int(rng() % 4096);
    lim.padded = rng() % 2;
    const auto batches = plan_batches(lengths, lim);
    std::vector<int> seen(lengths.size(), 0);
    for (const auto& b : batches) {
      REQUIRE(!b.empty());
      REQUIRE(int(b.size()) <= lim.max_batch);
      int64_t sum = 0;
      int mx = 0;
      for (int i : b) ++seen[i], sum += lengths[i], mx = std::max(mx, lengths[i]);
      const int64_t cost = lim.padded ? int64_t(mx) * int64_t(b.size()) : sum;
      // Over the cap only as a batch of one (a single sequence longer than the cap).
      if (cost > lim.max_tokens) REQUIRE(b.size() == 1);
    }
    for (int s : seen) REQUIRE(s == 1);
  }
  CHECK_THROWS(plan_batches({1, 2}, BatchLimits{0, 10, false}));
}
