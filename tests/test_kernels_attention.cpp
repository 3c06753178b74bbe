// cpu::attention against ref::attention on seeded random inputs of awkward
// shapes, in every kernel variant this CPU supports, packed and padded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/attention.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/ops.h"
#include "kernels/reference/ops.h"
#include "tests/test_util.h"

namespace {

using bte::VarlenLayout;

std::vector<std::string> supported_variants() {
  const auto& f = bte::cpu::cpu_features();
  std::vector<std::string> v{"scalar"};
  if (f.avx2 && f.fma) v.push_back("avx2");
  if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq) v.push_back("avx512");
  return v;
}

// Restores the kernel variant the test found.
struct VariantGuard {
  std::string saved = bte::cpu::kernel_variant();
  ~VariantGuard() { bte::cpu::force_kernel_variant(saved.c_str()); }
};

struct Case {
  std::vector<int> lengths;
  int H = 1, dh = 64;
  bool padded = false;
  int ld_extra = 0;  // ld_qkv = 3*H*dh + ld_extra
  uint64_t seed = 1;
};

std::string describe(const Case& c) {
  std::string s = std::string(c.padded ? "padded" : "packed") + " H=" + std::to_string(c.H) +
                  " dh=" + std::to_string(c.dh) + " ld_extra=" + std::to_string(c.ld_extra) +
                  " lengths=";
  for (int L : c.lengths) s += std::to_string(L) + ",";
  return s;
}

void check_case(const Case& c) {
  INFO(describe(c));
  const int n = int(c.lengths.size());
  std::vector<int32_t> cu(n + 1, 0);
  for (int i = 0; i < n; ++i) cu[i + 1] = cu[i] + c.lengths[i];
  VarlenLayout layout;
  layout.n_seqs = n;
  layout.max_len = n ? *std::max_element(c.lengths.begin(), c.lengths.end()) : 0;
  layout.cu_seqlens = cu.data();
  layout.cu_seqlens_device = cu.data();
  layout.padded = c.padded;

  const int64_t HD = int64_t(c.H) * c.dh;
  const int64_t ld = 3 * HD + c.ld_extra, ld_out = HD + 3;
  const int64_t R = layout.total_rows();
  // Padding rows and the columns past 3*H*dh hold random values too: the
  // kernel must not let them into real results.
  const auto qkv = bte::test::random_floats(R * ld, c.seed);

  std::vector<float> expected(R * ld_out, NAN);
  bte::ref::attention(qkv.data(), qkv.data() + HD, qkv.data() + 2 * HD, ld, layout, c.H, c.dh,
                      expected.data(), ld_out);

  const int threads = bte::cpu::num_threads();
  const int64_t scratch_n = bte::cpu::attention_scratch_floats(layout, c.H, c.dh, threads);
  constexpr int64_t kGuard = 64;
  VariantGuard guard;
  for (const auto& variant : supported_variants()) {
    INFO("variant " << variant << ", threads " << threads);
    bte::cpu::force_kernel_variant(variant.c_str());
    std::vector<float> got(R * ld_out, NAN);  // poisoned: every row must be written
    std::vector<float> scratch(scratch_n + kGuard, NAN);
    for (int64_t g = 0; g < kGuard; ++g) scratch[scratch_n + g] = 12345.f;
    bte::cpu::attention(qkv.data(), ld, layout, c.H, c.dh, got.data(), ld_out, scratch.data());

    for (int64_t g = 0; g < kGuard; ++g) REQUIRE(scratch[scratch_n + g] == 12345.f);
    // Compare the H*dh result columns of every row (padding rows included);
    // the 3 columns past them must stay untouched (NaN).
    std::vector<float> got_c, exp_c;
    for (int64_t r = 0; r < R; ++r) {
      got_c.insert(got_c.end(), got.begin() + r * ld_out, got.begin() + r * ld_out + HD);
      exp_c.insert(exp_c.end(), expected.begin() + r * ld_out, expected.begin() + r * ld_out + HD);
      for (int64_t x = HD; x < ld_out; ++x) REQUIRE(std::isnan(got[r * ld_out + x]));
    }
    const auto d = bte::test::compare(got_c.data(), exp_c.data(), int64_t(got_c.size()));
    INFO(d.describe() << " (row " << (d.worst >= 0 ? d.worst / HD : -1) << ", column "
                      << (d.worst >= 0 ? d.worst % HD : -1) << ")");
    // fp32 vs a double reference: inputs in [-1, 1), so scores are O(1) and
    // each output is a convex combination of values in [-1, 1); fp32 dot
    // products over dh ≤ 128 and softmax sums over L ≤ 300 stay within a few
    // 1e-7, so 1e-5 absolute leaves an order of magnitude of margin.
    CHECK(d.max_abs <= 1e-5);
  }
}

std::vector<int> random_lengths(std::mt19937_64& rng, int n, int max_len) {
  std::uniform_int_distribution<int> len(1, max_len);
  std::vector<int> v(n);
  for (auto& L : v) L = len(rng);
  // Always mix in a 1-token and a max-length sequence when there is room.
  if (n >= 2) v[0] = 1, v[n - 1] = max_len;
  if (n >= 3) std::swap(v[1], v[n - 1]);
  return v;
}

}  // namespace

TEST_CASE("attention: one 1-token sequence (T = 1)", "[kernels]") {
  for (bool padded : {false, true})
    for (int dh : {16, 32, 64, 80, 100, 128})
      for (int H : {1, 4, 12}) check_case({{1}, H, dh, padded, 0, uint64_t(dh * 7 + H)});
}

TEST_CASE("attention: single sequences of every awkward length", "[kernels]") {
  // Lengths around the micro-tile (6, 8, 12, 16 rows) and query-block (64) edges.
  for (int L : {2, 5, 6, 7, 13, 16, 17, 63, 64, 65, 100, 129})
    for (bool padded : {false, true}) check_case({{L}, 4, 64, padded, 0, uint64_t(L)});
}

TEST_CASE("attention: random batches, both layouts, all head dims", "[kernels]") {
  std::mt19937_64 rng(20240607);
  int k = 0;
  for (int dh : {16, 32, 64, 80, 96, 100, 128}) {
    for (int H : {1, 4, 12}) {
      for (bool padded : {false, true}) {
        const int n = 1 + int(rng() % 9);
        const int max_len = 1 + int(rng() % 140);
        const int ld_extra = (k++ % 2) ? 0 : 5 + int(rng() % 13);
        check_case({random_lengths(rng, n, max_len), H, dh, padded, ld_extra, rng()});
      }
    }
  }
}

TEST_CASE("attention: long sequences span several query blocks", "[kernels]") {
  std::mt19937_64 rng(77);
  for (bool padded : {false, true}) {
    check_case({{300, 1, 257, 64}, 2, 64, padded, 7, rng()});
    check_case({{200, 3}, 2, 80, padded, 0, rng()});
  }
}

TEST_CASE("attention: padded batch with an empty sequence gives zero rows", "[kernels]") {
  // A padded row whose sequence has no real key attends to nothing: the
  // reference's softmax of an all -inf row is all zeros, and so is ours.
  check_case({{5, 0, 3}, 2, 32, true, 0, 9});
  check_case({{5, 0, 3}, 2, 32, false, 0, 9});
}
