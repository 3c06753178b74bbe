#include "engine/packed_batch.h"

#include <algorithm>
#include <limits>

#include "base/check.h"

namespace bte {

PackedBatch PackedBatch::from_ids(const std::vector<std::vector<int32_t>>& seqs,
                                  int32_t first_position, int max_tokens) {
  PackedBatch b;
  b.cu_seqlens.reserve(seqs.size() + 1);
  b.cu_seqlens.push_back(0);
  int64_t total = 0;
  for (size_t i = 0; i < seqs.size(); ++i) {
    const int64_t len = int64_t(seqs[i].size());
    BTE_REQUIRE(len > 0, ErrorKind::BadInput, "sequence ", i, " is empty (it needs at least <s> </s>)");
    BTE_REQUIRE(max_tokens <= 0 || len <= max_tokens, ErrorKind::BadInput, "sequence ", i, " has ",
                len, " tokens, the model takes at most ", max_tokens);
    total += len;
    BTE_REQUIRE(total <= std::numeric_limits<int32_t>::max(), ErrorKind::BadInput,
                "batch holds more than 2^31 tokens");
    b.cu_seqlens.push_back(int32_t(total));
    b.max_len = std::max<int>(b.max_len, int(len));
  }
  b.ids.reserve(total);
  b.positions.reserve(total);
  for (const auto& s : seqs) {
    b.ids.insert(b.ids.end(), s.begin(), s.end());
    for (size_t j = 0; j < s.size(); ++j) b.positions.push_back(first_position + int32_t(j));
  }
  return b;
}

PackedBatch PackedBatch::from_ids(const std::vector<std::vector<int32_t>>& seqs,
                                  const std::vector<std::vector<int32_t>>& types,
                                  int32_t first_position, int max_tokens) {
  BTE_CHECK(types.size() == seqs.size(), types.size(), " type lists for ", seqs.size(), " sequences");
  PackedBatch b = from_ids(seqs, first_position, max_tokens);
  bool any = false;
  for (size_t i = 0; i < seqs.size(); ++i) {
    BTE_CHECK(types[i].empty() || types[i].size() == seqs[i].size(), "sequence ", i, " has ",
              seqs[i].size(), " ids and ", types[i].size(), " token types");
    for (int32_t t : types[i]) any |= t != 0;
  }
  if (!any) return b;
  b.types.reserve(b.ids.size());
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (types[i].empty())
      b.types.insert(b.types.end(), seqs[i].size(), 0);
    else
      b.types.insert(b.types.end(), types[i].begin(), types[i].end());
  }
  return b;
}

PaddedBatch PackedBatch::padded(int32_t pad_id) const {
  PaddedBatch p;
  p.n_seqs = n_seqs();
  p.max_len = max_len;
  const size_t slots = size_t(p.n_seqs) * max_len;
  p.ids.assign(slots, pad_id);
  // A padding slot's position: row 0, which every position table has (its
  // output is never read; pad_id may lie past the table in a BERT model).
  p.positions.assign(slots, 0);
  p.key_mask.assign(slots, 0);
  if (!types.empty()) p.types.assign(slots, 0);
  for (int i = 0; i < p.n_seqs; ++i) {
    const int len = cu_seqlens[i + 1] - cu_seqlens[i];
    for (int j = 0; j < len; ++j) {
      const size_t slot = size_t(i) * max_len + j;
      p.ids[slot] = ids[cu_seqlens[i] + j];
      p.positions[slot] = positions[cu_seqlens[i] + j];
      if (!types.empty()) p.types[slot] = types[cu_seqlens[i] + j];
      p.key_mask[slot] = 1;
    }
  }
  return p;
}

}  // namespace bte
