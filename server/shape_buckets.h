// The batch sizes (in tokens) `bte serve` rounds its small CPU batches up to.
// oneDNN builds a GEMM kernel the first time it sees a row count and keeps
// 64 of them per layer (kernels/cpu/linear.cpp); a server whose every batch
// has a new token count pays that build on most batches: measured 1.1-1.6 ms
// a batch on a MiniLM-shaped model (6 x 384), ~5% of a one-text request.
// Rounded up to one of these sizes (the batcher adds filler rows), small
// batches meet a fixed set of shapes, each built once. Above the last size a
// batch runs at its exact size: there the build is ~1-2% of the batch, less
// than the filler would cost (up to 9%).
#pragma once

#include <cstdint>
#include <vector>

namespace bte::serve {

// Sorted sizes covering 1 … min(512, max_batch_tokens).
std::vector<int64_t> token_buckets(int64_t max_batch_tokens);

}  // namespace bte::serve
