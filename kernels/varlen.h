// The variable-length batch layout every sequence-aware kernel takes.
//
// A batch of n_seqs sequences with real lengths L_i, described by
// cu_seqlens[n_seqs + 1] (prefix sums of L_i). Activations are a row-major
// matrix with one row per token slot, laid out one of two ways:
//   packed: rows of sequence i are cu_seqlens[i] .. cu_seqlens[i+1]-1
//           (total_rows = cu_seqlens[n_seqs]; no padding anywhere);
//   padded: rows of sequence i are i*max_len .. i*max_len + max_len - 1,
//           of which the first L_i are real and the rest are padding
//           (total_rows = n_seqs * max_len).
// Attention over a padded layout computes every row (as PyTorch's padded
// fast path does) but only attends to the L_i real keys.
#pragma once

#include <cstdint>

namespace bte {

struct VarlenLayout {
  int n_seqs = 0;
  int max_len = 0;                       // max L_i (padded: the row stride per sequence)
  const int32_t* cu_seqlens = nullptr;   // [n_seqs + 1], host memory
  bool padded = false;
  // The same prefix sums in the memory of the device that runs the kernel
  // (a GPU kernel reads these); on the CPU it may equal cu_seqlens.
  const int32_t* cu_seqlens_device = nullptr;

  int seq_len(int i) const { return cu_seqlens[i + 1] - cu_seqlens[i]; }
  // First activation row of sequence i.
  int64_t row_begin(int i) const { return padded ? int64_t(i) * max_len : cu_seqlens[i]; }
  // Rows that belong to sequence i (queries computed), padding included.
  int rows(int i) const { return padded ? max_len : seq_len(i); }
  int64_t total_rows() const {
    return padded ? int64_t(n_seqs) * max_len : cu_seqlens[n_seqs];
  }
  int64_t real_tokens() const { return cu_seqlens[n_seqs]; }
};

}  // namespace bte
