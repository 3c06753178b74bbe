#include <catch2/catch.hpp>

#include <random>

#include "base/check.h"
#include "engine/packed_batch.h"

using bte::PackedBatch;

TEST_CASE("packed batch: layout, positions and the padded view agree", "[engine][packed]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 1 + int(rng() % 9);
    std::vector<std::vector<int32_t>> seqs(n);
    for (auto& s : seqs) {
      const int len = 1 + int(rng() % 40);
      for (int j = 0; j < len; ++j) s.push_back(3 + int32_t(rng() % 500));
    }
    const PackedBatch b = PackedBatch::from_ids(seqs, /*first_position=*/2);
    REQUIRE(b.n_seqs() == n);
    size_t total = 0, max_len = 0;
    for (const auto& s : seqs) total += s.size(), max_len = std::max(max_len, s.size());
    REQUIRE(b.total_tokens() == int64_t(total));
    REQUIRE(b.max_len == int(max_len));

    const auto p = b.padded(1);
    REQUIRE(p.ids.size() == size_t(n) * max_len);
    for (int i = 0; i < n; ++i) {
      REQUIRE(b.cu_seqlens[i + 1] - b.cu_seqlens[i] == int(seqs[i].size()));
      for (size_t j = 0; j < max_len; ++j) {
        const size_t slot = i * max_len + j;
        if (j < seqs[i].size()) {
          CHECK(b.ids[b.cu_seqlens[i] + j] == seqs[i][j]);
          CHECK(p.ids[slot] == seqs[i][j]);
          CHECK(p.key_mask[slot] == 1);
          // RoBERTa: first real token at padding_idx + 1.
          CHECK(b.positions[b.cu_seqlens[i] + j] == int32_t(2 + j));
          CHECK(p.positions[slot] == int32_t(2 + j));
        } else {
          CHECK(p.ids[slot] == 1);
          CHECK(p.positions[slot] == 0);  // a row every position table has
          CHECK(p.key_mask[slot] == 0);
        }
      }
    }
    const auto lp = b.layout(true), lk = b.layout(false);
    CHECK(lp.total_rows() == int64_t(n) * int64_t(max_len));
    CHECK(lk.total_rows() == int64_t(total));
    CHECK(lp.row_begin(n - 1) == int64_t(n - 1) * int64_t(max_len));
    CHECK(lk.row_begin(n - 1) == b.cu_seqlens[n - 1]);
  }
}

TEST_CASE("packed batch: refuses empty sequences and over-long ones", "[engine][packed]") {
  CHECK_THROWS_WITH(PackedBatch::from_ids({{0, 2}, {}}, 2), Catch::Contains("sequence 1 is empty"));
  CHECK_THROWS_WITH(PackedBatch::from_ids({{0, 5, 6, 2}}, 2, 3),
                    Catch::Contains("at most 3"));
  const auto b = PackedBatch::from_ids({}, 2);
  CHECK(b.n_seqs() == 0);
  CHECK(b.total_tokens() == 0);
}
