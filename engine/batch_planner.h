// Splits a window of sequences into batches that cut padding and bound
// memory: sequences sorted by length (longest first), cut into batches of at
// most `max_batch` sequences whose cost stays under `max_tokens` — real
// tokens for the packed layout, n × max_len for the padded one. A single
// sequence longer than max_tokens still gets a batch of its own (never
// refused, never dropped). Callers restore input order from the indices.
#pragma once

#include <cstdint>
#include <vector>

namespace bte {

struct BatchLimits {
  int max_batch = 64;        // sequences per batch
  int64_t max_tokens = 8192; // token rows per batch (see above)
  bool padded = false;       // cost as n × max_len instead of the sum of lengths
};

// lengths[i] = tokens of sequence i. Returns batches of indices into lengths;
// every index appears exactly once.
std::vector<std::vector<int>> plan_batches(const std::vector<int>& lengths, const BatchLimits& limits);

}  // namespace bte
