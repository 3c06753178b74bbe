// CPU fused kernels (kernels/cpu/ops.h) against their reference twins, on
// seeded random inputs of awkward sizes, for every kernel variant this CPU
// supports. Outputs are poisoned with NaN first (an unwritten element fails)
// and followed by a guard band (a stray write past the end fails).
#include <catch2/catch.hpp>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "base/check.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/ops.h"
#include "kernels/reference/embedding.h"
#include "kernels/reference/ops.h"
#include "tests/test_util.h"

using namespace bte;
using bte::test::compare;
using bte::test::random_floats;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int kGuard = 37;
constexpr float kGuardValue = 12345.f;

// n elements of NaN followed by the guard band.
std::vector<float> poisoned(int64_t n) {
  std::vector<float> v(n + kGuard, kGuardValue);
  std::fill(v.begin(), v.begin() + n, kNaN);
  return v;
}

bool guard_intact(const std::vector<float>& v, int64_t n) {
  for (int64_t i = n; i < int64_t(v.size()); ++i)
    if (v[i] != kGuardValue) return false;
  return true;
}

// Restores the default kernel variant when a test leaves.
struct VariantGuard {
  std::string saved = cpu::kernel_variant();
  ~VariantGuard() { cpu::force_kernel_variant(saved.c_str()); }
};

// The variants this CPU runs (forcing an unsupported one throws).
std::vector<std::string> supported_variants() {
  VariantGuard g;
  std::vector<std::string> out;
  for (const char* v : {"scalar", "avx2", "avx512"}) {
    try {
      cpu::force_kernel_variant(v);
      out.emplace_back(v);
    } catch (const bte::Error&) {
    }
  }
  return out;
}

// A packed or padded layout over the given lengths.
struct Layout {
  std::vector<int32_t> cu;
  VarlenLayout v;
  Layout(const std::vector<int>& lens, bool padded) {
    cu.push_back(0);
    int mx = 0;
    for (int L : lens) cu.push_back(cu.back() + L), mx = std::max(mx, L);
    v.n_seqs = int(lens.size());
    v.max_len = mx;
    v.cu_seqlens = cu.data();
    v.cu_seqlens_device = cu.data();
    v.padded = padded;
  }
};

}  // namespace

TEST_CASE("kernel variants: the best one is the default, unknown names throw", "[kernels]") {
  const auto vs = supported_variants();
  REQUIRE(!vs.empty());
  CHECK(vs.front() == "scalar");
  CHECK(std::string(cpu::kernel_variant()) == vs.back());
  CHECK_THROWS_AS(cpu::force_kernel_variant("sse9"), bte::Error);
}

TEST_CASE("set_num_threads governs num_threads", "[kernels]") {
  const int saved = cpu::num_threads();
  cpu::set_num_threads(1);
  CHECK(cpu::num_threads() == 1);
  cpu::set_num_threads(0);  // all cores
  CHECK(cpu::num_threads() >= 1);
  cpu::set_num_threads(saved);
  CHECK(cpu::num_threads() == saved);
}

TEST_CASE("cpu::layernorm_inplace matches ref::layernorm", "[kernels]") {
  VariantGuard g;
  uint64_t seed = 100;
  for (const auto& variant : supported_variants()) {
    cpu::force_kernel_variant(variant.c_str());
    for (int d : {1, 3, 17, 64, 100, 768, 1024, 4096}) {
      for (int64_t M : {0, 1, 7, 33, 200}) {
        // offset 0: ordinary activations; offset 100: |mean| >> std, which
        // one-pass (E[x²] - E[x]²) statistics get badly wrong in fp32.
        for (float offset : {0.f, 100.f}) {
          INFO("variant " << variant << ", M " << M << ", d " << d << ", offset " << offset);
          auto x = random_floats(M * d, ++seed, offset - 1.f, offset + 1.f);
          const auto gamma = random_floats(d, ++seed, 0.5f, 1.5f);
          const auto beta = random_floats(d, ++seed);
          std::vector<float> want(M * d + 1);
          ref::layernorm(x.data(), M, d, gamma.data(), beta.data(), 1e-5f, want.data());
          x.resize(M * d + kGuard, kGuardValue);
          cpu::layernorm_inplace(x.data(), M, d, gamma.data(), beta.data(), 1e-5f);
          // fp32 statistics vs double: |out| ≲ 3, a few ulps of it plus the
          // rounding of mean and rstd (measured ≤ 7e-7 at d = 4096); the
          // engine's budget is 1e-5, the test holds the kernels to 2e-6.
          const auto diff = compare(x.data(), want.data(), M * d);
          INFO(diff.describe());
          CHECK(diff.max_abs <= 2e-6);
          CHECK(guard_intact(x, M * d));
        }
      }
    }
  }
}

TEST_CASE("cpu::embed_layernorm matches ref::embed_layernorm", "[kernels]") {
  VariantGuard g;
  uint64_t seed = 200;
  const int vocab = 53, max_pos = 41;
  for (const auto& variant : supported_variants()) {
    cpu::force_kernel_variant(variant.c_str());
    for (int d : {1, 3, 17, 64, 100, 768, 1024}) {
      const auto word = random_floats(int64_t(vocab) * d, ++seed);
      const auto pos = random_floats(int64_t(max_pos) * d, ++seed, -0.5f, 0.5f);
      const auto type = random_floats(3 * d, ++seed, -0.2f, 0.2f);  // 3 token types
      const auto gamma = random_floats(d, ++seed, 0.5f, 1.5f);
      const auto beta = random_floats(d, ++seed);
      for (int64_t T : {0, 1, 7, 33, 200}) {
        std::vector<int32_t> ids(T), positions(T), types(T);
        for (int64_t t = 0; t < T; ++t)
          ids[t] = int32_t((t * 31 + seed) % vocab), positions[t] = int32_t((t * 7 + 2) % max_pos),
          types[t] = int32_t((t * 5) % 3);
        // No token-type table; a table and type 0 for every token; a type per token.
        for (int with_type : {0, 1, 2}) {
          INFO("variant " << variant << ", T " << T << ", d " << d << ", types " << with_type);
          const float* table = with_type ? type.data() : nullptr;
          const int32_t* ty = with_type == 2 ? types.data() : nullptr;
          std::vector<float> want(T * d + 1);
          ref::embed_layernorm(ids.data(), positions.data(), ty, T, word.data(), pos.data(), table,
                               gamma.data(), beta.data(), d, 1e-5f, want.data());
          auto got = poisoned(T * d);
          cpu::embed_layernorm(ids.data(), positions.data(), ty, T, word.data(), pos.data(), table,
                               gamma.data(), beta.data(), d, 1e-5f, got.data());
          // As LayerNorm, plus the fp32 sum of three terms (≤ 1 ulp of ~2,
          // which the reference sums in double).
          const auto diff = compare(got.data(), want.data(), T * d);
          INFO(diff.describe());
          CHECK(diff.max_abs <= 5e-6);
          CHECK(guard_intact(got, T * d));
        }
      }
    }
  }
}

TEST_CASE("cpu pooling matches the reference (packed and padded)", "[kernels]") {
  uint64_t seed = 300;
  const std::vector<std::vector<int>> batches = {{1}, {5}, {1, 7, 3}, {33, 1, 64, 2, 17}};
  for (const auto& lens : batches) {
    for (bool padded : {false, true}) {
      for (int d : {1, 3, 17, 100, 768}) {
        Layout L(lens, padded);
        INFO("seqs " << lens.size() << ", padded " << padded << ", d " << d);
        const auto x = random_floats(L.v.total_rows() * d, ++seed);
        const int64_t n = int64_t(L.v.n_seqs) * d;
        std::vector<float> want(n);
        auto got = poisoned(n);

        ref::pool_cls(x.data(), L.v, d, want.data());
        cpu::pool_cls(x.data(), L.v, d, got.data());
        CHECK(compare(got.data(), want.data(), n).max_abs == 0);  // a copy: exact
        CHECK(guard_intact(got, n));

        got = poisoned(n);
        ref::pool_mean(x.data(), L.v, d, want.data());
        cpu::pool_mean(x.data(), L.v, d, got.data());
        // Both sum in double; only the final rounding differs.
        const auto diff = compare(got.data(), want.data(), n);
        INFO(diff.describe());
        CHECK(diff.max_abs <= 1e-6);
        CHECK(guard_intact(got, n));

        got = poisoned(n);
        ref::pool_max(x.data(), L.v, d, want.data());
        cpu::pool_max(x.data(), L.v, d, got.data());
        CHECK(compare(got.data(), want.data(), n).max_abs == 0);  // a choice: exact
        CHECK(guard_intact(got, n));
      }
    }
  }
}

TEST_CASE("cpu::l2_normalize_rows matches the reference; zero rows stay zero", "[kernels]") {
  uint64_t seed = 400;
  for (int d : {1, 3, 17, 100, 768}) {
    for (int64_t rows : {0, 1, 7, 33}) {
      INFO("rows " << rows << ", d " << d);
      auto x = random_floats(rows * d, ++seed, -3.f, 3.f);
      if (rows > 2) std::fill(x.begin() + d, x.begin() + 2 * d, 0.f);  // row 1 is zero
      auto want = x;
      ref::l2_normalize_rows(want.data(), rows, d);
      x.resize(rows * d + kGuard, kGuardValue);
      cpu::l2_normalize_rows(x.data(), rows, d);
      // Unit-norm rows: entries ≤ 1, one float rounding of the scale.
      const auto diff = compare(x.data(), want.data(), rows * d);
      INFO(diff.describe());
      CHECK(diff.max_abs <= 1e-6);
      CHECK(guard_intact(x, rows * d));
      if (rows > 2)
        for (int j = 0; j < d; ++j) CHECK(x[d + j] == 0.f);
    }
  }
}

TEST_CASE("cpu::softmax_rows matches the reference; fully masked rows become zeros", "[kernels]") {
  uint64_t seed = 500;
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int n : {1, 3, 17, 100, 513}) {
    for (int64_t rows : {0, 1, 7, 33}) {
      INFO("rows " << rows << ", n " << n);
      auto x = random_floats(rows * n, ++seed, -20.f, 20.f);
      for (int64_t i = 0; i < rows; ++i)  // mask the tail of every other row
        if (i % 2 == 1)
          for (int j = n / 2 + 1; j < n; ++j) x[i * n + j] = ninf;
      if (rows > 2) std::fill(x.begin() + 2 * n, x.begin() + 3 * n, ninf);  // row 2: all masked
      auto want = x;
      ref::softmax_rows(want.data(), rows, n);
      x.resize(rows * n + kGuard, kGuardValue);
      cpu::softmax_rows(x.data(), rows, n);
      // Probabilities ≤ 1: float exp (≤ 1-2 ulp) and one rounding of 1/sum.
      const auto diff = compare(x.data(), want.data(), rows * n);
      INFO(diff.describe());
      CHECK(diff.max_abs <= 1e-6);
      CHECK(guard_intact(x, rows * n));
    }
  }
}

// Run by ctest with BTE_KERNELS / ONEDNN_MAX_CPU_ISA set (tests/CMakeLists.txt)
// next to the golden tests, so the fallback paths an older CPU takes are
// checked end to end here; without the variable it checks the default.
TEST_CASE("BTE_KERNELS picks the kernel variant for the whole process", "[kernels][fallback]") {
  const char* env = std::getenv("BTE_KERNELS");
  const auto vs = supported_variants();
  const std::string want = env ? env : vs.back();
  INFO("oneDNN: " << cpu::onednn_summary());
  CHECK(std::string(cpu::kernel_variant()) == want);
  if (const char* isa = std::getenv("ONEDNN_MAX_CPU_ISA")) {
    const std::string lower = [&] { std::string s = isa; for (auto& c : s) c = char(std::tolower(c)); return s; }();
    CHECK_THAT(cpu::onednn_summary(), Catch::Contains(lower == "sse41" ? "sse41" : "avx2"));
  }
}
