// A batch of token id lists in the packed variable-length layout, and its
// padded view for the reference and fused modes.
//
//   PackedBatch b = PackedBatch::from_ids({{0, 35, 2}, {0, 2}}, /*first_position=*/2);
//   // b.ids = {0,35,2, 0,2}; b.cu_seqlens = {0,3,5}; b.max_len = 3
//   // b.positions = {2,3,4, 2,3}   (XLM-R: first token at pad_id + 1; the
//   //                              family's rule, ModelConfig::first_position)
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/varlen.h"

namespace bte {

struct PaddedBatch {
  int n_seqs = 0, max_len = 0;
  std::vector<int32_t> ids;        // [n_seqs * max_len], pad_id in padding slots
  std::vector<int32_t> positions;  // [n_seqs * max_len], 0 in padding slots
  std::vector<int32_t> types;      // [n_seqs * max_len] token types (0 in padding), or empty
  std::vector<uint8_t> key_mask;   // [n_seqs * max_len], 1 = real token, 0 = padding
};

struct PackedBatch {
  std::vector<int32_t> ids;         // [T], all sequences concatenated
  std::vector<int32_t> positions;   // [T]
  std::vector<int32_t> types;       // [T] token type (segment) ids, or empty: every token type 0
  std::vector<int32_t> cu_seqlens;  // [n_seqs + 1], prefix sums of lengths
  int max_len = 0;

  // Every sequence must hold at least one token; a sequence's length must fit
  // max_tokens when given (> 0). Violations throw bte::Error(BadInput).
  static PackedBatch from_ids(const std::vector<std::vector<int32_t>>& seqs,
                              int32_t first_position, int max_tokens = 0);
  // With each sequence's token types (as long as its ids; an empty one is
  // all type 0). Types stay empty when every token is type 0.
  static PackedBatch from_ids(const std::vector<std::vector<int32_t>>& seqs,
                              const std::vector<std::vector<int32_t>>& types,
                              int32_t first_position, int max_tokens = 0);

  int n_seqs() const { return int(cu_seqlens.size()) - 1; }
  int64_t total_tokens() const { return cu_seqlens.back(); }
  int64_t padded_tokens() const { return int64_t(n_seqs()) * max_len; }
  // The layout kernels take; points into this batch.
  VarlenLayout layout(bool padded) const {
    return VarlenLayout{n_seqs(), max_len, cu_seqlens.data(), padded, cu_seqlens.data()};
  }

  PaddedBatch padded(int32_t pad_id) const;
};

}  // namespace bte
