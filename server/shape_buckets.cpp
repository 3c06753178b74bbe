#include "server/shape_buckets.h"

#include <algorithm>
#include <cmath>

namespace bte::serve {

// Every 16 tokens up to 256 (a few more rows cost little there: the GEMMs
// stream the weights), then steps of 2^(1/8) rounded to 16 up to 512: 24
// shapes, well inside the 64 each layer keeps.
std::vector<int64_t> token_buckets(int64_t max_batch_tokens) {
  const int64_t top = std::min<int64_t>(512, max_batch_tokens);
  std::vector<int64_t> b;
  for (int64_t t = 16; t < top && t <= 256; t += 16) b.push_back(t);
  for (double t = 256 * std::pow(2.0, 1.0 / 8); int64_t(t) < top; t *= std::pow(2.0, 1.0 / 8)) {
    const int64_t r = (int64_t(std::ceil(t)) + 15) / 16 * 16;
    if (r > b.back() && r < top) b.push_back(r);
  }
  b.push_back(top);
  return b;
}

}  // namespace bte::serve
