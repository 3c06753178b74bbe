// The batch sizes (in tokens) `bte serve` runs its CPU batches at. oneDNN
// builds a GEMM kernel the first time it sees a row count (≈0.3–1.3 ms per
// layer shape, kernels/cpu/linear.cpp) and keeps 64 of them per layer; a
// server whose every batch has a new token count would pay that on most
// batches. With batches rounded up to one of these sizes (the batcher adds
// filler rows), the set of shapes is fixed and each is built once.
#pragma once

#include <cstdint>
#include <vector>

namespace bte::serve {

// Sorted sizes covering 1 … max_batch_tokens; at most 64 of them.
std::vector<int64_t> token_buckets(int64_t max_batch_tokens);

}  // namespace bte::serve
