#include "server/shape_buckets.h"

#include <cmath>

namespace bte::serve {

// Every 16 tokens up to 256 (few rows cost little more than one: the GEMMs
// stream the weights there), then steps of 2^(1/8) (≤ 9% filler, 4.5% on
// average), rounded to 16: 16 + 6 × 8 = 64 shapes up to 16384 tokens.
std::vector<int64_t> token_buckets(int64_t max_batch_tokens) {
  std::vector<int64_t> b;
  for (int64_t t = 16; t <= 256 && t < max_batch_tokens; t += 16) b.push_back(t);
  for (double t = 256 * std::pow(2.0, 1.0 / 8); int64_t(t) < max_batch_tokens; t *= std::pow(2.0, 1.0 / 8)) {
    const int64_t r = (int64_t(std::ceil(t)) + 15) / 16 * 16;
    if (r > b.back() && r < max_batch_tokens) b.push_back(r);
  }
  b.push_back(max_batch_tokens);
  return b;
}

}  // namespace bte::serve
